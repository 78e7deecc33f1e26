#!/bin/bash
# Residents benchmark: medians over REPEATS runs of bench_residents for (a) the demo
# scenario and (b) full Tokyo (population_scale 1.0, 24 h, 1-minute ticks), at each
# thread count in THREADS. Prints a markdown table for the README.
# usage: bench/run.sh [REPEATS] [THREADS...]     e.g. bench/run.sh 5 1 2
set -eu
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin/bench_residents
REPEATS=${1:-3}
shift || true
THREADS=${*:-"1 $(nproc)"}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo
echo "| case | residents | threads | wall s | run s | resident-steps/s | ns/resident-step | peak bytes/resident |"
echo "|---|---|---|---|---|---|---|---|"
for case in demo full; do
  extra=""
  [ "$case" = full ] && extra="city.population_scale=1.0"
  for t in $THREADS; do
    lines=()
    for _ in $(seq "$REPEATS"); do lines+=("$("$BIN" scenarios/tokyo.toml "$t" $extra)"); done
    m() { for l in "${lines[@]}"; do echo "$l" | field "$1"; done | median; }
    printf "| %s | %s | %s | %.2f | %.2f | %.3g | %.2f | %.0f |\n" "$case" "$(m residents)" "$t" "$(m wall_s)" \
      "$(m run_s)" "$(m steps_per_s)" "$(m ns_per_step)" "$(m bytes_per_resident)"
  done
done
