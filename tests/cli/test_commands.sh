#!/bin/bash
# End-to-end checks of the citysim command: exit codes and messages for bad input,
# run/info/compare on a small scenario, and Ctrl-C leaving a readable partial file.
set -u
CITYSIM="$1"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect CODE "substring of output" -- command...
expect() {
  local code="$1" text="$2"; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  [ "$rc" = "$code" ] || fail "'$*' exited $rc, expected $code: $out"
  [[ "$out" == *"$text"* ]] || fail "'$*' output lacks '$text': $out"
}

cat > "$TMP/small.toml" <<'TOML'
[run]
name = "cli-small"
seed = 11
start = "2026-08-03T07:00"
duration_hours = 3
[city]
population_scale = 0.02
municipalities = ["Chiyoda", "Chuo", "Minato"]
TOML
printf '[run]\nseed = 1\n\n[city]\npopulaton_scale = 0.1\n' > "$TMP/typo.toml"
printf '[run]\nstart = "2026-02-30"\n' > "$TMP/date.toml"

expect 0 "run a scenario" "$CITYSIM" --help
expect 0 "--threads" "$CITYSIM" run --help
expect 2 "A subcommand is required" "$CITYSIM"
expect 0 "ok" "$CITYSIM" validate "$TMP/small.toml"
expect 2 "typo.toml:5: key 'city.populaton_scale': unknown key (did you mean 'city.population_scale'?)" \
  "$CITYSIM" validate "$TMP/typo.toml"
expect 2 "date.toml:2: key 'run.start'" "$CITYSIM" run "$TMP/date.toml" -o "$TMP/x.h5"
expect 2 "expected a number in (0, 1], got number 3" "$CITYSIM" run "$TMP/small.toml" --set city.population_scale=3
expect 2 "does not exist" "$CITYSIM" run "$TMP/missing.toml"
[ -e "$TMP/x.h5" ] && fail "a bad scenario must not leave a results file"

# a run, its description, and comparisons
expect 0 "results: $TMP/a.h5" "$CITYSIM" run "$TMP/small.toml" -o "$TMP/a.h5" --threads 2
[ -e "$TMP/a.h5.partial" ] && fail "the .partial file must be renamed when the run completes"
# the summary says where the time went, module by module (only the residents run here)
out=$("$CITYSIM" run "$TMP/small.toml" -o "$TMP/t.h5" --threads 2 2>&1)
[[ "$out" =~ "time in each module's step: residents "[0-9]+\.[0-9]{2}" s"$'\n' ]] ||
  fail "the summary lacks the residents' step time: $out"
expect 0 "cli-small" "$CITYSIM" info "$TMP/a.h5"
expect 0 "residents/travelling" "$CITYSIM" info "$TMP/a.h5"
"$CITYSIM" run "$TMP/small.toml" -o "$TMP/b.h5" --threads 1 --quiet || fail "second run"
expect 0 "within tolerance" "$CITYSIM" compare "$TMP/a.h5" "$TMP/b.h5" --rtol 0 --atol 0
"$CITYSIM" run "$TMP/small.toml" -o "$TMP/c.h5" --quiet --set run.seed=12 || fail "third run"
expect 1 "differ" "$CITYSIM" compare "$TMP/a.h5" "$TMP/c.h5"
expect 1 "" "$CITYSIM" info "$TMP/small.toml"

# Ctrl-C: a long run interrupted leaves a readable file marked incomplete, exit 130
printf "[run]\nduration_hours = 8760\n[city]\npopulation_scale = 0.01\n" > "$TMP/long.toml"
"$CITYSIM" run "$TMP/long.toml" -o "$TMP/long.h5" --quiet &
pid=$!
sleep 3
kill -INT $pid
wait $pid
rc=$?
[ "$rc" = 130 ] || fail "an interrupted run must exit 130, got $rc"
expect 0 "interrupted" "$CITYSIM" info "$TMP/long.h5"

if [ "$failures" -gt 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all command checks passed"
