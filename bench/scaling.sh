#!/bin/bash
# Thread scaling on a many-core machine. First a determinism check (the demo with all five
# modules written at 1 thread and at the most threads, compared value for value), then
# bench/run.sh for the demo, the demo with all modules, and full Tokyo at each thread count.
# Writes scaling.md (tables), raw.txt (every run's line) and the compare output to OUTDIR.
# usage: bench/scaling.sh OUTDIR [REPEATS] [THREADS...]     e.g. bench/scaling.sh /tmp/s 3 1 2 4 8 16
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUTDIR=${1:?usage: bench/scaling.sh OUTDIR [REPEATS] [THREADS...]}
REPEATS=${2:-3}
shift 2 || shift $#
THREADS=${*:-"1 2 4 8 16"}
MOST=$(echo "$THREADS" | tr ' ' '\n' | sort -g | tail -1)
MODULES=(heat.enabled=true network.enabled=true watch.enabled=true vertiport.enabled=true housing.enabled=true)
mkdir -p "$OUTDIR"

sets=()
for kv in "${MODULES[@]}"; do sets+=(--set "$kv"); done
for t in 1 "$MOST"; do
  "$BUILD/bin/citysim" run scenarios/tokyo.toml "${sets[@]}" --threads "$t" -q -o "$OUTDIR/modules-$t.h5"
done
if "$BUILD/bin/citysim" compare "$OUTDIR/modules-1.h5" "$OUTDIR/modules-$MOST.h5" --rtol 0 --atol 0 >"$OUTDIR/compare.txt" 2>&1; then
  echo "determinism: 1 and $MOST threads give identical results (all series, rtol = atol = 0)" | tee "$OUTDIR/scaling.md"
else
  echo "determinism: 1 and $MOST threads DIFFER, see compare.txt" | tee "$OUTDIR/scaling.md"
fi
rm -f "$OUTDIR"/modules-*.h5
echo | tee -a "$OUTDIR/scaling.md"
CASES="demo modules full" RAW="$OUTDIR/raw.txt" BUILD=$BUILD bench/run.sh "$REPEATS" $THREADS | tee -a "$OUTDIR/scaling.md"
