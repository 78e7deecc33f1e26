#!/bin/bash
# The start-up a shared city saves: an ensemble of V variants (changing no city key) x R
# replicates of the demo (scenarios/tokyo.toml, 10% of Tokyo), shortened to H hours so the
# start-up shows, run with --jobs 1 once with the shared city (default) and once with
# --no-shared-city, REPEAT times each, alternating. Members of one replicate have one city
# (same city keys and seed): with sharing, variant 0's member builds it and the other V-1
# take it. Reports medians of the members' wall times (members table) and of the ensembles'.
#   bench/ensemble-shared-city.sh [BUILD_DIR] [V] [R] [H] [REPEAT]
set -euo pipefail
BUILD=${1:-build} V=${2:-4} R=${3:-3} H=${4:-1} REPEAT=${5:-3}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CITYSIM="$BUILD/bin/citysim"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
{
  printf 'base = "%s"\nseed = 1\nreplicates = %s\nset = { "run.duration_hours" = %s }\n' "$REPO/scenarios/tokyo.toml" "$R" "$H"
  printf '[grid]\n"residents.alert_stay_home_65plus" = ['
  for v in $(seq 0 $((V - 1))); do printf '%s%s' "$([ "$v" = 0 ] || echo ', ')" "0.$v"; done
  printf ']\n[[metric]]\npath = "residents/travelling"\nreduce = "max"\n'
} > "$WORK/p.ens.toml"
now() { date +%s.%N; }
for i in $(seq "$REPEAT"); do
  for mode in shared own; do
    flag=(); [ "$mode" = own ] && flag=(--no-shared-city)
    rm -rf "$WORK/$mode.ens.h5" "$WORK/$mode.ens.members"
    t0=$(now)
    "$CITYSIM" ensemble "$WORK/p.ens.toml" -o "$WORK/$mode.ens.h5" --jobs 1 -q "${flag[@]}"
    echo "$mode $(echo "$(now) - $t0" | bc)" >> "$WORK/walls"
    /usr/bin/python3 -c "
import h5py, sys
f = h5py.File(sys.argv[1])
for v, w in zip(f['members/variant'][:], f['members/wall_seconds'][:]): print(sys.argv[2], v.decode(), w)" \
      "$WORK/$mode.ens.h5" "$mode" >> "$WORK/members"
  done
done
/usr/bin/python3 - "$WORK/walls" "$WORK/members" "$V" "$R" "$H" "$REPEAT" <<'PY'
import statistics as st, sys
walls, members = sys.argv[1], sys.argv[2]
V, R, H, REPEAT = map(int, sys.argv[3:7])
ens = {"shared": [], "own": []}
for line in open(walls):
    mode, w = line.split(); ens[mode].append(float(w))
mem = {}
first = None
for line in open(members):
    mode, variant, w = line.split()
    first = first or variant
    mem.setdefault((mode, variant == first), []).append(float(w))
own = st.median(mem[("own", True)] + mem[("own", False)])
builder = st.median(mem[("shared", True)])
sharer = st.median(mem[("shared", False)])
print(f"{V} variants x {R} replicates of scenarios/tokyo.toml, {H} h, --jobs 1; {REPEAT} runs each way, medians")
print(f"member building its own city (--no-shared-city): {own:.3f} s")
print(f"member building the shared city (variant 0):     {builder:.3f} s")
print(f"member taking the shared city (variants 1..{V-1}):  {sharer:.3f} s; saved {own - sharer:.3f} s a member ({100 * (own - sharer) / own:.0f}%)")
e_own, e_sh = st.median(ens["own"]), st.median(ens["shared"])
print(f"ensemble wall: own cities {e_own:.2f} s, shared {e_sh:.2f} s; saved {e_own - e_sh:.2f} s ({100 * (e_own - e_sh) / e_own:.0f}%)")
print(f"cities built: {V * R} without sharing, {R} with")
PY
