#!/bin/bash
# A module's cost on top of the residents-only demo run: alternating pairs of
# bench_residents with and without MODULE.enabled=true, median of the run-time ratio.
# Pairs cancel most of the drift of a shared machine's speed.
# usage: bench/overhead.sh MODULE [PAIRS] [THREADS]     e.g. bench/overhead.sh heat 9 2
set -eu
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin/bench_residents
MODULE=${1:?usage: bench/overhead.sh MODULE [PAIRS] [THREADS]}
PAIRS=${2:-9}
THREADS=${3:-$(nproc)}
run_s() { "$BIN" scenarios/tokyo.toml "$THREADS" "$@" | tr ' ' '\n' | sed -n 's/^run_s=//p'; }
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
pairs=""
for _ in $(seq "$PAIRS"); do
  base=$(run_s)
  with=$(run_s "$MODULE.enabled=true")
  pairs+="$base $with"$'\n'
done
ratios=$(echo -n "$pairs" | awk '{printf "%.4f\n", $2 / $1}' | sort -g)
printf "%s on %s threads, %s pairs: median ratio %.3f (pairs %s-%s); median run_s %.3f without, %.3f with\n" \
  "$MODULE" "$THREADS" "$PAIRS" "$(echo "$ratios" | median)" "$(echo "$ratios" | head -1)" "$(echo "$ratios" | tail -1)" \
  "$(echo -n "$pairs" | cut -d' ' -f1 | median)" "$(echo -n "$pairs" | cut -d' ' -f2 | median)"
