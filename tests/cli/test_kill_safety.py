"""Kill safety: runs killed with SIGKILL at 30 moments never leave a file named as
complete that is not, every .partial they leave opens with h5py, and the samples it holds
equal the uninterrupted run's samples (so nothing that was written is wrong).

usage: test_kill_safety.py CITYSIM  (run from the source root)"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

CITYSIM = sys.argv[1]
# the demo's residents, a heatwave and a watch-over month, each cut small enough to run in
# about a second here
CASES = {
    "demo": ("scenarios/tokyo.toml", ["city.population_scale=0.01"]),
    "heatwave": ("scenarios/heatwave.toml", ["city.population_scale=0.005", "run.duration_hours=24"]),
    "watch": ("scenarios/watch-baseline.toml", ["run.duration_hours=240"]),
}
KILLS_PER_CASE = 10
rng = random.Random(20261203)  # fixed: the same 30 moments every run


def run(scenario, sets, out, kill_after=None):
    cmd = [CITYSIM, "run", scenario, "-o", out, "--quiet", "--threads", "2"]
    for s in sets:
        cmd += ["--set", s]
    started = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is None:
        _, err = p.communicate()
        assert p.returncode == 0, err.decode()
        return time.monotonic() - started
    time.sleep(kill_after)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return None


def series(f):
    out = {}
    f["series"].visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) and
                           "units" in obj.attrs and obj.ndim >= 1 and name.count("/") == 1 else None)
    return out


failures = []
with tempfile.TemporaryDirectory() as tmp:
    for name, (scenario, sets) in CASES.items():
        full = os.path.join(tmp, name + ".h5")
        wall = run(scenario, sets, full)
        with h5py.File(full, "r") as f:
            reference, ref_time = series(f), f["time"][()]
        for k in range(KILLS_PER_CASE):
            out = os.path.join(tmp, f"{name}-{k}.h5")
            at = rng.uniform(0.05, wall * 1.1)
            run(scenario, sets, out, kill_after=at)
            where = f"{name}, killed after {at:.2f} s"
            if os.path.exists(out):
                # only a run that completed may hold the final name
                with h5py.File(out, "r") as f:
                    if f["meta"].attrs["complete"] != 1 or f["time"].shape[0] != ref_time.shape[0]:
                        failures.append(f"{where}: {out} exists but is not complete")
            partial = out + ".partial"
            if not os.path.exists(partial):
                continue
            try:
                with h5py.File(partial, "r") as f:
                    assert f["meta"].attrs["complete"] == 0
                    n = f["time"].shape[0]
                    if n and not np.array_equal(f["time"][()], ref_time[:n]):
                        failures.append(f"{where}: the partial file's time axis differs")
                    for path, values in series(f).items():
                        m = min(n, values.shape[0])
                        if not np.array_equal(values[:m], reference[path][:m], equal_nan=True):
                            failures.append(f"{where}: {path} differs from the uninterrupted run")
            except (OSError, KeyError) as e:
                # killed while the header was being written: nothing was sampled yet
                if os.path.getsize(partial) > 64 * 1024:
                    failures.append(f"{where}: {partial} does not open: {e}")
        print(f"{name}: {KILLS_PER_CASE} kills checked (uninterrupted run {wall:.2f} s)")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("kill safety: every file is what its name says")
