#!/bin/bash
# Snapshot benchmark: (1) full Tokyo (population_scale 1.0, residents and in-commuters): the
# snapshot's write time, its read time (the state only; the city and modules are rebuilt from
# the scenario first, timed apart) and its size; (2) the demo scenario with and without
# --checkpoint-every 6h: the checkpoints' cost. Medians over REPEATS runs.
# usage: bench/snapshot.sh [REPEATS] [THREADS]        e.g. bench/snapshot.sh 3 2
set -eu
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin/citysim
REPEATS=${1:-3}
THREADS=${2:-$(nproc)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
wall() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB; $THREADS threads; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
: > "$TMP/write"; : > "$TMP/read"; : > "$TMP/build"
for r in $(seq "$REPEATS"); do
  "$BIN" run scenarios/tokyo.toml --set city.population_scale=1.0 --set run.duration_hours=2 --threads "$THREADS" \
    -o "$TMP/full.h5" --snapshot-at 2026-08-03T01:00 --checkpoint-dir "$TMP/snaps" 2> "$TMP/run.log" > /dev/null
  sed -n 's/.*(\([0-9.]*\) MB, written in \([0-9.]*\) s).*/\2/p' "$TMP/run.log" >> "$TMP/write"
  size_mb=$(sed -n 's/.*(\([0-9.]*\) MB, written in.*/\1/p' "$TMP/run.log")
  "$BIN" resume "$TMP"/snaps/*.snap.h5 -o "$TMP/resumed.h5" --threads "$THREADS" 2> "$TMP/resume.log" > "$TMP/summary.txt"
  sed -n 's/.*built in \([0-9.]*\) s, state read in \([0-9.]*\) s.*/\2/p' "$TMP/resume.log" >> "$TMP/read"
  sed -n 's/.*built in \([0-9.]*\) s, state read in.*/\1/p' "$TMP/resume.log" >> "$TMP/build"
  rm -rf "$TMP/snaps"
done
residents=$(sed -n 's/.*ticks of [0-9]* min, \([0-9]*\) residents simulated.*/\1/p' "$TMP/summary.txt")
echo "| full Tokyo snapshot | residents | size MB | write s | read s (state) | build s (city, modules) |"
echo "|---|---|---|---|---|---|"
echo "| population_scale 1.0 | $residents | $size_mb | $(median < "$TMP/write") | $(median < "$TMP/read") | $(median < "$TMP/build") |"
echo
: > "$TMP/plain.s"; : > "$TMP/checkpointed.s"
for r in $(seq "$REPEATS"); do
  wall "$BIN" run scenarios/tokyo.toml --threads "$THREADS" -q -o "$TMP/a.h5" >> "$TMP/plain.s"
  wall "$BIN" run scenarios/tokyo.toml --threads "$THREADS" -q -o "$TMP/b.h5" --checkpoint-every 6h --checkpoint-dir "$TMP/ck" >> "$TMP/checkpointed.s"
  rm -rf "$TMP/ck"
done
p=$(median < "$TMP/plain.s"); c=$(median < "$TMP/checkpointed.s")
echo "| demo (tokyo.toml), 24 h | wall s | with --checkpoint-every 6h (3 snapshots) | cost |"
echo "|---|---|---|---|"
echo "| $THREADS threads | $p | $c | $(echo "scale=1; 100 * ($c - $p) / $p" | bc)% |"
