# Sourced by the CLI test scripts: the citysim command ($1), a scratch folder removed on
# exit, fail() to count failures and finish() to report them.
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
