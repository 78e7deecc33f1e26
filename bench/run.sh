#!/bin/bash
# Residents benchmark: medians over REPEATS runs of bench_residents at each thread count in
# THREADS, for each case in CASES (default "demo full"):
#   demo     the demo scenario (10% of Tokyo, 24 h, 1-minute ticks), residents only
#   modules  the demo with all five modules on (heat, network, watch-over, vertiport, housing)
#   full     full Tokyo (population_scale 1.0), residents only, in-commuters included
#   full-residents  the same without the in-commuters (residents.in_commuters = 0)
# Prints a markdown table for the README; speed-up is against the first thread count.
# RAW=FILE appends every run's own line (with per-module step seconds) to FILE.
# usage: [CASES="demo modules full"] [RAW=FILE] bench/run.sh [REPEATS] [THREADS...]     e.g. bench/run.sh 5 1 2
set -eu
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin/bench_residents
REPEATS=${1:-3}
shift || true
THREADS=${*:-"1 $(nproc)"}
CASES=${CASES:-"demo full"}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo
echo "| case | residents | threads | wall s | run s | speed-up | resident-steps/s | ns/resident-step | peak bytes/resident |"
echo "|---|---|---|---|---|---|---|---|---|"
for case in $CASES; do
  case $case in
    demo) extra=() ;;
    modules) extra=(heat.enabled=true network.enabled=true watch.enabled=true vertiport.enabled=true housing.enabled=true) ;;
    full) extra=(city.population_scale=1.0) ;;
    full-residents) extra=(city.population_scale=1.0 residents.in_commuters=0) ;;
    *) echo "unknown case '$case' (expected demo, modules, full or full-residents)" >&2; exit 2 ;;
  esac
  first_run_s=""
  for t in $THREADS; do
    lines=()
    for _ in $(seq "$REPEATS"); do lines+=("$("$BIN" scenarios/tokyo.toml "$t" ${extra[@]+"${extra[@]}"})"); done
    [ -n "${RAW:-}" ] && printf "case=$case %s\n" "${lines[@]}" >>"$RAW"
    m() { for l in "${lines[@]}"; do echo "$l" | field "$1"; done | median; }
    run_s=$(m run_s)
    first_run_s=${first_run_s:-$run_s}
    printf "| %s | %s | %s | %.2f | %.2f | %.2f | %.3g | %.2f | %.0f |\n" "$case" "$(m residents)" "$t" "$(m wall_s)" \
      "$run_s" "$(echo "$first_run_s $run_s" | awk '{print $1 / $2}')" "$(m steps_per_s)" "$(m ns_per_step)" \
      "$(m bytes_per_resident)"
  done
done
