"""Kill safety: runs killed with SIGKILL at 30 moments never leave a file named as
complete that is not, every .partial they leave opens with h5py, and the samples it holds
equal the uninterrupted run's samples (so nothing that was written is wrong). Runs writing
checkpoints, killed at 5 more moments, leave every finished checkpoint usable: the latest
resumes to results identical to the uninterrupted run's.

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
                    n = f["time"].shape[0]
                    # complete = 1 only when killed between closing the finished file and its rename
                    if f["meta"].attrs["complete"] != 0 and n != ref_time.shape[0]:
                        failures.append(f"{where}: {partial} says complete but holds {n} of {ref_time.shape[0]} samples")
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

    # checkpoints: a kill while one is written leaves the previous ones as they were
    scenario, sets = CASES["watch"]
    full = os.path.join(tmp, "watch.h5")
    cut = [x for s in sets for x in ("--set", s)]  # wall: the watch run's, from the loop above
    for k in range(5):
        snaps = os.path.join(tmp, f"snaps-{k}")
        at = rng.uniform(0.2, wall)
        p = subprocess.Popen([CITYSIM, "run", scenario, "-o", os.path.join(tmp, f"ck-{k}.h5"), "--quiet", "--threads", "2",
                              "--checkpoint-every", "12h", "--checkpoint-dir", snaps] + cut,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(at)
        p.send_signal(signal.SIGKILL)
        p.wait()
        done = sorted(f for f in os.listdir(snaps) if f.endswith(".snap.h5")) if os.path.isdir(snaps) else []
        where = f"checkpoints, killed after {at:.2f} s"
        if not done:
            continue
        resumed = os.path.join(tmp, f"resumed-{k}.h5")
        r = subprocess.run([CITYSIM, "resume", os.path.join(snaps, done[-1]), "-o", resumed, "--quiet", "--threads", "1"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"{where}: the latest checkpoint {done[-1]} does not resume: {r.stderr}")
            continue
        c = subprocess.run([CITYSIM, "compare", resumed, full, "--rtol", "0", "--atol", "0"], capture_output=True, text=True)
        if c.returncode != 0:
            failures.append(f"{where}: resuming {done[-1]} differs from the uninterrupted run:\n{c.stdout}")
    print("checkpoints: 5 kills checked")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("kill safety: every file is what its name says")
