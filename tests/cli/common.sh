# Sourced by the CLI test scripts: the citysim command ($1), a scratch folder removed on
# exit, fail() to count failures, expect() to check a command's exit code and output, and
# finish() to report them.
set -u
CITYSIM="$1"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# finish WHAT: exit 1 naming the failures, else say that every WHAT check passed
finish() {
  if [ "$failures" -gt 0 ]; then echo "$failures failure(s)"; exit 1; fi
  echo "all $1 checks passed"
}
# expect CODE "substring of output" -- command...
expect() {
  local code="$1" text="$2"; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  [ "$rc" = "$code" ] || fail "'$*' exited $rc, expected $code: $out"
  [[ "$out" == *"$text"* ]] || fail "'$*' output lacks '$text': $out"
}
