#!/bin/bash
# The calibration driver's cost: runs a spec with --jobs 1 and prints evaluations, wall
# time, the seconds inside member runs (scenario build, simulation, the member's results
# file) and the driver's overhead per evaluation (everything else: planning the batch,
# reading the member files, reducing the metrics, NLopt, removing the files).
# usage: bench/calibrate.sh [SPEC] [JOBS]     default: calibration/reduced/daytime.cal.toml 1
set -eu
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin/citysim
SPEC=${1:-calibration/reduced/daytime.cal.toml}
JOBS=${2:-1}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$BIN" calibrate "$SPEC" -o "$OUT/c.h5" --jobs "$JOBS" -q
/usr/bin/python3 - "$OUT/c.h5" "$JOBS" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r"); jobs = int(sys.argv[2])
e = int(f.attrs["evaluations"]); r = int(f.attrs["replicates"]); wall = f.attrs["wall_seconds"]; mem = f.attrs["member_seconds"]
phase = [p.decode() if isinstance(p, bytes) else p for p in f["evaluations/phase"][:]]
print(f"spec {f.attrs['name']}: {e} evaluations ({phase.count('search') + phase.count('initial')} search, "
      f"{phase.count('hessian')} Hessian) x {r} replicates, {f.attrs['stop_reason']}")
print(f"loss {f.attrs['loss_initial']:.4g} -> {f.attrs['loss_best']:.4g}; wall {wall:.1f} s with --jobs {jobs}; members {mem:.1f} s summed")
print(f"member run per evaluation {mem / e:.3f} s; driver overhead per evaluation {(wall - mem / jobs) / e * 1000:.1f} ms "
      f"({(wall - mem / jobs) / (mem / jobs) * 100:.1f}% of the members' time)")
PY
