#!/bin/bash
# Ensemble throughput on one machine: N members (default 40) of the demo (scenarios/tokyo.toml,
# residents only, 24 h) with --jobs J (default 2) --threads-per-member 1, against the ideal
# of N x (one member's wall time alone on one thread) / J. Also the per-member start-up cost
# (`citysim validate` builds everything a run builds: the city, the residents, the modules).
#   bench/ensemble.sh [BUILD_DIR] [N] [J]
set -euo pipefail
BUILD=${1:-build} N=${2:-40} J=${3:-2}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CITYSIM="$BUILD/bin/citysim"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
plan() {  # plan FILE REPLICATES
  printf 'base = "%s"\nseed = 1\nreplicates = %s\nkeep_members = true\n[[metric]]\npath = "residents/travelling"\nreduce = "max"\n' \
    "$REPO/scenarios/tokyo.toml" "$2" > "$1"
}
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
member_walls() {  # the members table's wall seconds, one a line
  /usr/bin/python3 -c "import h5py,sys; print('\n'.join(str(x) for x in h5py.File(sys.argv[1])['members/wall_seconds'][:]))" "$1"
}

for _ in 1 2 3; do t0=$(now); "$CITYSIM" validate "$REPO/scenarios/tokyo.toml" > /dev/null; echo "$(now) - $t0" | bc; done |
  median > "$WORK/startup"
plan "$WORK/alone.ens.toml" 3
"$CITYSIM" ensemble "$WORK/alone.ens.toml" -o "$WORK/alone.ens.h5" --jobs 1 -q
alone=$(member_walls "$WORK/alone.ens.h5" | median)
plan "$WORK/all.ens.toml" "$N"
t0=$(now)
"$CITYSIM" ensemble "$WORK/all.ens.toml" -o "$WORK/all.ens.h5" --jobs "$J" --threads-per-member 1 -q
wall=$(echo "$(now) - $t0" | bc)
concurrent=$(member_walls "$WORK/all.ens.h5" | median)
/usr/bin/python3 - "$N" "$J" "$alone" "$wall" "$concurrent" "$(cat "$WORK/startup")" <<'PY'
import sys
n, j = int(sys.argv[1]), int(sys.argv[2])
alone, wall, concurrent, startup = map(float, sys.argv[3:])
ideal = n * alone / j
print(f"members {n}, jobs {j}, threads per member 1")
print(f"one member alone (median of 3): {alone:.2f} s; ideal wall {n} x {alone:.2f} / {j} = {ideal:.1f} s")
print(f"ensemble wall {wall:.1f} s: {wall / ideal:.3f} x the ideal (target <= 1.15)")
print(f"a member while {j} run at once (median): {concurrent:.2f} s")
print(f"members per hour: {3600 * n / wall:.0f}")
print(f"start-up per member (citysim validate, median of 3): {startup:.2f} s ({100 * startup / alone:.0f}% of a member)")
PY
