#!/bin/bash
# End-to-end checks of the citysim command: exit codes and messages for bad input,
# run/info/compare on a small scenario, and Ctrl-C leaving a readable partial file.
. "$(dirname "$0")/common.sh"

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
expect 0 "ok: the file sets 6 keys and holds 0 events" "$CITYSIM" validate "$TMP/small.toml"
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

# interrupted SECONDS TOML OUT: run TOML into OUT, Ctrl-C after SECONDS; it must exit 130
# (its stderr goes to OUT.err)
interrupted() {
  "$CITYSIM" run "$2" -o "$3" --quiet 2> "$3.err" &
  local pid=$!
  sleep "$1"
  kill -INT $pid
  wait $pid
  local rc=$?
  [ "$rc" = 130 ] || fail "an interrupted run must exit 130, got $rc: $(cat "$3.err")"
}

# Ctrl-C: a long run interrupted leaves a readable file marked incomplete, exit 130
printf "[run]\nduration_hours = 8760\n[city]\npopulation_scale = 0.01\n" > "$TMP/long.toml"
interrupted 3 "$TMP/long.toml" "$TMP/long.h5"
expect 0 "interrupted" "$CITYSIM" info "$TMP/long.h5.partial"
[ -e "$TMP/long.h5" ] && fail "an interrupted run must leave only long.h5.partial"

# never lose a good result: an interrupted run over a complete file leaves it as it was
cp "$TMP/a.h5" "$TMP/keep.h5"
printf "[run]\nduration_hours = 8760\n[city]\npopulation_scale = 0.01\nmunicipalities = [\"Chiyoda\"]\n" > "$TMP/long2.toml"
interrupted 2 "$TMP/long2.toml" "$TMP/keep.h5"
cmp -s "$TMP/a.h5" "$TMP/keep.h5" || fail "an interrupted run replaced a complete results file"
grep -q "partial results in $TMP/keep.h5.partial (complete = false); $TMP/keep.h5 is untouched" "$TMP/keep.h5.err" ||
  fail "the interrupted run does not say where its partial file is: $(cat "$TMP/keep.h5.err")"
expect 0 "interrupted" "$CITYSIM" info "$TMP/keep.h5.partial"

# the output path is checked before anything runs
mkdir -p "$TMP/adir"
expect 2 "error: $TMP/adir: is a directory, expected a results file name" "$CITYSIM" run "$TMP/small.toml" -o "$TMP/adir"
[ -e "$TMP/adir.partial" ] && fail "a directory as output must not leave a .partial"
touch "$TMP/readonly.h5"; chmod 444 "$TMP/readonly.h5"
if [ "$(id -u)" != 0 ]; then
  expect 2 "the existing file is read-only" "$CITYSIM" run "$TMP/small.toml" -o "$TMP/readonly.h5"
  mkdir -p "$TMP/locked"; chmod 555 "$TMP/locked"
  expect 2 "cannot write in $TMP/locked" "$CITYSIM" run "$TMP/small.toml" -o "$TMP/locked/x.h5"
else
  echo "skipped: read-only file and folder checks (root can write anywhere)"
fi

# a full disk: one clear line, exit 1, and the partial file holds every sample up to then
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/tiny" && mount -t tmpfs -o size=600k tmpfs "$TMP/tiny" 2>/dev/null; then
  printf "[run]\nduration_hours = 240\noutput_every_minutes = 10\n[city]\npopulation_scale = 0.02\nmunicipalities = [\"Chiyoda\", \"Chuo\", \"Minato\"]\n" > "$TMP/full.toml"
  out=$("$CITYSIM" run "$TMP/full.toml" -o "$TMP/tiny/out.h5" --quiet 2>&1); rc=$?
  [ "$rc" = 1 ] || fail "a full disk must exit 1, got $rc: $out"
  [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "a full disk must say it in one line: $out"
  [[ "$out" =~ ^"error: $TMP/tiny/out.h5.partial: "[a-z\ ]+"(no space left on device) after 2026-08-0"[0-9T:+]+"; the partial file holds every sample up to then"$ ]] ||
    fail "the full-disk message: $out"
  /usr/bin/python3 - "$TMP/tiny/out.h5.partial" <<'PY' || fail "the partial file on a full disk is not readable"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    n = f["time"].shape[0]
    assert n > 1 and f["series/residents/at_home"].shape[0] == n, n
    assert f["meta"].attrs["complete"] == 0
PY
  umount "$TMP/tiny"
else
  echo "skipped: the full-disk check (needs root to mount a small tmpfs)"
fi

# info lists the stored --set overrides and the totals of breakdowns
expect 0 "set       run.seed=12" "$CITYSIM" info "$TMP/c.h5"
expect 0 "no --set overrides" "$CITYSIM" info "$TMP/a.h5"
expect 0 "total over mode: last" "$CITYSIM" info "$TMP/a.h5"
# --set file paths: taken from the current directory (not the scenario's folder), as the help says
expect 0 "current directory" "$CITYSIM" run --help
mkdir -p "$TMP/here" "$TMP/scenario_dir"
cp "$TMP/small.toml" "$TMP/scenario_dir/s.toml"
cp scenarios/data/tokyo_municipalities.csv "$TMP/here/munis.csv"
(cd "$TMP/here" && "$CITYSIM" validate ../scenario_dir/s.toml --set city.municipalities_file=munis.csv > "$TMP/here/out.txt" 2>&1) ||
  fail "--set city.municipalities_file=munis.csv is not taken from the current directory: $(cat "$TMP/here/out.txt")"
# without a terminal, progress is a plain line at most every 5 s (and one at the end)
"$CITYSIM" run "$TMP/small.toml" -o "$TMP/plain.h5" 2> "$TMP/plain.txt" > /dev/null || fail "plain progress run"
lines=$(grep -c '^progress' "$TMP/plain.txt")
[ "$lines" -ge 1 ] && [ "$lines" -le 2 ] || fail "a run of under 5 s printed $lines progress lines without a terminal"
! grep -q $'\r' "$TMP/plain.txt" || fail "progress redraws (\\r) without a terminal"

# --version, and output for scripts: info --json and compare --json parse
expect 0 "citysim 0.1.0 (revision" "$CITYSIM" --version
expect 0 "mpi " "$CITYSIM" --version
"$CITYSIM" info "$TMP/a.h5" --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["complete"] is True and d["samples"] == 4, d
s = {x["path"]: x for x in d["series"]}
assert s["residents/travelling"]["units"] == "people"
' || fail "info --json"
"$CITYSIM" compare "$TMP/a.h5" "$TMP/c.h5" --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is False
notes = [x["result"] for x in d["items"] if x["what"] == "note"]
assert "different seeds: a 11, b 12" in notes, notes
bad = [x for x in d["items"] if x["failure"]]
assert any(x["what"] == "field" for x in bad), bad
w = bad[0]["worst"]
assert abs(w["diff"] - (w["a"] - w["b"])) < 1e-9
' || fail "compare --json"
# compare sees fields, the grid and the time axis, not only series
printf "[run]\nname = \"cli-small\"\nseed = 11\nstart = \"2026-08-04T07:00\"\nduration_hours = 3\n[city]\npopulation_scale = 0.02\nmunicipalities = [\"Chiyoda\", \"Chuo\", \"Minato\"]\n" > "$TMP/nextday.toml"
"$CITYSIM" run "$TMP/nextday.toml" -o "$TMP/nextday.h5" --quiet || fail "next-day run"
expect 1 "time axis: different start times: a 2026-08-03T07:00:00+09:00, b 2026-08-04T07:00:00+09:00" \
  "$CITYSIM" compare "$TMP/a.h5" "$TMP/nextday.h5"
expect 1 "residents/present" "$CITYSIM" compare "$TMP/a.h5" "$TMP/c.h5"
expect 0 "grid layers within tolerance" "$CITYSIM" compare "$TMP/a.h5" "$TMP/c.h5" --rtol 1e9 --atol 1e9
expect 2 "error:" "$CITYSIM" compare "$TMP/a.h5" "$TMP/small.toml"

# the progress line fits an 80-column terminal (a pseudo-terminal from script(1))
COLUMNS=80 script -qec "$CITYSIM run $TMP/long2.toml -o $TMP/progress.h5 --set run.duration_hours=240" /dev/null > "$TMP/tty.txt" 2>&1 &
spid=$!
sleep 3
kill -INT $spid 2>/dev/null; pkill -INT -f "progress.h5" 2>/dev/null
wait $spid 2>/dev/null
widest=$(tr '\r' '\n' < "$TMP/tty.txt" | grep '%' | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }')
[ "$widest" -gt 20 ] && [ "$widest" -lt 80 ] || fail "the progress line is $widest columns in an 80-column terminal"

finish command
