"""Results files from Python: the same HDF5 as the CLI, read back with units kept."""
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest

import citysim
from conftest import cli_path, is_udunits


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
                out[name] = obj[...]
        f.visititems(visit)
    return out


def test_save_equals_the_cli(small_file, out_dir):
    cli = cli_path()
    if cli is None:
        pytest.skip("citysim CLI not built (CITYSIM_CLI)")
    scenario = small_file()
    subprocess.run([cli, "run", str(scenario), "-o", str(out_dir / "cli.h5"), "--threads", "1", "-q",
                    "--set", "run.seed=9"], check=True)
    sc = citysim.Scenario.load(scenario, overrides={"run.seed": 9})
    sim = citysim.Simulation(sc, threads=2).run(progress=False)
    sim.save(out_dir / "py.h5")
    with citysim.open(out_dir / "py.h5") as res:
        assert res.scenario.to_dict() == sc.to_dict() and res.scenario["run.seed"] == 9
    a, b = datasets(out_dir / "cli.h5"), datasets(out_dir / "py.h5")
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), name
    with h5py.File(out_dir / "py.h5") as f, h5py.File(out_dir / "cli.h5") as g:
        assert f["meta/scenario_toml"][()] == g["meta/scenario_toml"][()]
        assert list(f["meta/overrides"][:]) == list(g["meta/overrides"][:]) == [b"run.seed=9"]


def test_result_reads_back_what_the_simulation_had(small, out_dir):
    sim = citysim.Simulation(small(), threads=2)
    sim.run(until="2026-08-03T09:00", progress=False)
    at_nine = sim.field("residents/present").copy()
    sim.run(progress=False)
    path = sim.save(out_dir / "r.h5")
    with citysim.open(path) as res:
        assert res.complete and res.meta["seed"] == 7
        assert res.scenario.to_dict() == sim.scenario.to_dict()
        for p in ("residents/at_home", "residents/trips", "residents/present_by_municipality"):
            live, saved = sim.series(p), res.series(p)
            pd.testing.assert_index_equal(live.index, saved.index)
            assert np.array_equal(live.to_numpy(), saved.to_numpy()), p
            assert saved.attrs["units"] == live.attrs["units"] and saved.attrs["description"]
        assert list(res.series("residents/trips").columns) == ["walk", "bicycle", "rail", "car"]
        assert np.array_equal(res.field("residents/present", at="2026-08-03T09:00"), at_nine)
        assert np.array_equal(res.field("residents/present"), sim.field("residents/present"))
        with pytest.raises(KeyError, match="no field sample"):
            res.field("residents/present", at="2026-08-03T09:30")
        with pytest.raises(KeyError, match="no series"):
            res.series("heat/nope")
        assert set(res.metrics().index) == set(sim.metrics().index)
        assert res.grid.shape == sim.grid.shape
        assert np.array_equal(res.grid.mesh_code, sim.grid.mesh_code)
        assert res.grid.municipality_names == sim.grid.municipality_names
        for path in res.metrics().index[res.metrics().kind == "table"]:
            assert isinstance(res.table(path), pd.DataFrame)


def test_to_xarray_keeps_units(small, out_dir):
    sim = citysim.Simulation(small(hours=3), threads=1).run(progress=False)
    with citysim.open(sim.save(out_dir / "x.h5")) as res:
        ds = res.to_xarray()
    at_home = ds["residents__at_home"]
    assert at_home.dims == ("time",) and at_home.attrs["units"] == "1" and at_home.attrs["units_display"] == "people"
    assert at_home.attrs["path"] == "residents/at_home"
    assert ds["residents__trips"].dims == ("time", "mode")
    present = ds["residents__present"]
    assert present.dims == ("field_time", "y", "x") and present.attrs["units_display"] == "people"
    assert ds["lat"].attrs["units"] == "degrees_north" and "lat" in ds.coords
    assert ds["grid__population"].attrs["units_display"] == "people"
    assert ds.attrs["scenario_name"] == "small"
    assert np.array_equal(at_home.to_numpy(), sim.series("residents/at_home").to_numpy())


def test_record_streams_and_close_marks_partial(small, out_dir):
    full = citysim.Simulation(small(hours=2), threads=1)
    full.record(out_dir / "full.h5")
    full.run(progress=False)
    with citysim.open(out_dir / "full.h5") as a, citysim.open(full.save(out_dir / "saved.h5")) as b:
        assert a.complete
        assert np.array_equal(a.series("residents/at_home"), b.series("residents/at_home"))
    part = citysim.Simulation(small(hours=2), threads=1)
    part.record(out_dir / "part.h5")
    part.run(until="2026-08-03T07:00", progress=False)
    part.close()
    with citysim.open(out_dir / "part.h5") as p:
        assert not p.complete and len(p.times) == 2
    with pytest.raises(RuntimeError, match="closed"):
        part.step()
    late = citysim.Simulation(small(hours=2), threads=1).step()
    with pytest.raises(RuntimeError, match="before the first step"):
        late.record(out_dir / "late.h5")


def test_save_replays_changes_made_from_python(small, out_dir):
    sim = citysim.Simulation(small(hours=30), threads=2)
    sim.run(until="2026-08-03T10:00", progress=False)
    sim.set("residents.go_out_prob_75plus", 0.05)
    sim.schedule("2026-08-03T20:00", "set", key="residents.go_out_prob_other", value=0.1)
    sim.run(until="2026-08-04T11:00", progress=False)
    with citysim.open(sim.save(out_dir / "replay.h5")) as res:
        for p in ("residents/at_errand", "residents/trips"):
            assert np.array_equal(res.series(p).to_numpy(), sim.series(p).to_numpy()), p
        assert not res.complete  # saved mid-run


def test_every_module_shows_up_through_the_registry(small, out_dir):
    # no module-specific bindings: turn on every module the engine has, and every series,
    # field and table it registers reaches pandas and the results file with its units
    sc = small(hours=2)
    for key in citysim.schema().index:
        if key.endswith(".enabled"):
            sc[key] = True
    sim = citysim.Simulation(sc, threads=2).run(progress=False)
    reg = sim.metrics()
    assert {p.split("/")[0] for p in reg.index} == set(sim.modules)
    # every module's units are UDUNITS text, the engine's pretty form in units_display
    not_cf = {p: u for p, u in reg["units"].items() if not is_udunits(u)}
    not_cf.update({f"{p}:{c}": u for p, cols in reg["columns"].dropna().items() for c, u in cols if not is_udunits(u)})
    assert not not_cf, not_cf
    assert reg.loc["heat/wbgt", "units_display"] == "°C"
    with citysim.open(sim.save(out_dir / "all.h5")) as res:
        assert set(res.metrics().index) == set(reg.index)
        for path, row in reg.iterrows():
            if row.kind == "series":
                assert np.array_equal(res.series(path).to_numpy(), sim.series(path).to_numpy(), equal_nan=True), path
            elif row.kind == "field":
                assert np.array_equal(res.field(path), sim.field(path), equal_nan=True), path
            else:
                live, saved = sim.table(path), res.table(path)
                assert list(live.columns) == [c for c, _ in row.columns] == list(saved.columns), path
                assert live.attrs["units"] == dict(row.columns) == saved.attrs["units"], path
                assert len(live) == len(saved), path
        ds = res.to_xarray()  # category dimensions with clashing names across modules stay apart
        for path, row in reg.iterrows():
            if row.kind != "table":
                assert ds[path.replace("/", "__")].attrs["units"] == row.units, path


def test_ctrl_c_during_save_leaves_a_partial_file(small, out_dir):
    import _thread

    sim = citysim.Simulation(small(hours=3), threads=1).run(progress=False)

    def interrupt(tick, total, now, wall_s):  # the first progress call, after one tick
        _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        sim._sim.save(str(out_dir / "cut.h5"), 1, interrupt)
    with citysim.open(out_dir / "cut.h5") as res:
        assert not res.complete and 1 <= len(res.times) < 4
    path = sim.save(out_dir / "whole.h5", progress=True)  # usable afterwards
    with citysim.open(path) as res:
        assert res.complete and len(res.times) == 4
