"""Snapshots from Python: fork() in memory, snapshot() / from_snapshot() through a file, and
branches, each checked value for value against the run that never stopped."""
import numpy as np
import pytest

import citysim

HEAT = "[heat]\nenabled = true\n[network]\nenabled = true\n[watch]\nenabled = true\n"
SERIES = ["residents/travelling", "heat/expected_cases_total", "network/offered", "watch/undetected_now"]


def run_to_end(sim):
    sim.run(progress=False)
    return {p: sim.series(p).to_numpy() for p in SERIES}


def same(a, b):
    for p in SERIES:
        np.testing.assert_array_equal(a[p], b[p], err_msg=p)


def test_fork_steps_on_its_own_and_equals_the_original(small):
    sim = citysim.Simulation(small(6, HEAT), threads=2)
    sim.run(until="2026-08-03T08:30", progress=False)
    copy = sim.fork(threads=1)
    assert copy.time == sim.time and copy.tick == sim.tick
    branch = sim.fork()
    branch.set("network.sessions_per_hour_by_age", [3, 12, 9, 6, 3.6, 1.8])
    base = run_to_end(sim)
    same(run_to_end(copy), base)
    # a knob changed in one copy changes it alone, and only after the fork
    offered = run_to_end(branch)["network/offered"]
    cut = 3  # samples at 06:00, 07:00, 08:00 come before the fork
    np.testing.assert_array_equal(offered[:cut], base["network/offered"][:cut])
    assert offered[cut:].sum() > 2 * base["network/offered"][cut:].sum()


def test_snapshot_file_resumes_bit_for_bit(small, tmp_path):
    full = run_to_end(citysim.Simulation(small(6, HEAT), threads=1))
    sim = citysim.Simulation(small(6, HEAT), threads=2)
    sim.run(until="2026-08-03T09:17", progress=False)
    path = sim.snapshot(tmp_path / "t.snap.h5")
    resumed = citysim.Simulation.from_snapshot(path, threads=1)
    assert str(resumed.time) == "2026-08-03 09:17:00+09:00"
    out = tmp_path / "resumed.h5"
    resumed.record(out)  # continues the results from the start of the run
    same(run_to_end(resumed), full)
    resumed.close()
    res = citysim.open(out)
    np.testing.assert_array_equal(res.series("network/offered").to_numpy(), full["network/offered"])


def test_branch_overrides_and_refusals(small, tmp_path):
    sim = citysim.Simulation(small(4, HEAT), threads=2)
    sim.run(until="2026-08-03T07:00", progress=False)
    path = sim.snapshot(tmp_path / "b.snap.h5")
    branch = citysim.Simulation.from_snapshot(path, overrides={"heat.shelters.outreach_share": 0.9})
    assert branch.scenario["heat.shelters.outreach_share"] == 0.9
    with pytest.raises(citysim.ScenarioError, match="city.population_scale"):
        citysim.Simulation.from_snapshot(path, overrides={"city.population_scale": 0.05})
    with pytest.raises(FileNotFoundError):
        citysim.Simulation.from_snapshot(tmp_path / "missing.snap.h5")
    bad = tmp_path / "bad.snap.h5"
    bad.write_bytes(open(path, "rb").read()[:5000])
    with pytest.raises(citysim.SnapshotError, match="truncated or corrupted"):
        citysim.Simulation.from_snapshot(bad)


def test_a_finished_run_has_nothing_to_resume(small, tmp_path):
    sim = citysim.Simulation(small(1), threads=1)
    sim.run(progress=False)
    path = sim.snapshot(tmp_path / "end.snap.h5")
    with pytest.raises(citysim.SnapshotError, match="had reached its end"):
        citysim.Simulation.from_snapshot(path)
