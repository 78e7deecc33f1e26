"""The researcher's first hour (#23): one time convention on every path, datasets that
round-trip through netCDF, north-up maps, CF units, field views that say when they
refresh, docstrings everywhere, FileNotFoundError, threads checked as the CLI checks them."""
import inspect
import os
import re
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import citysim
from conftest import cli_path, is_udunits

xr = pytest.importorskip("xarray")

HOT = """
[heat]
enabled = true
[heat.weather]
source = "profile"
tmax_c = [38]
tmin_c = [28]
"""
TOKYO = "Asia/Tokyo"


@pytest.fixture(scope="module")
def hot_file(tmp_path_factory):
    """A saved 6-hour run with the heat module on a hot day (alerts in force at the start)."""
    from conftest import REPO, small_toml

    sc = citysim.Scenario.from_toml(small_toml(6, HOT), "small.toml", str(REPO / "tests"))
    sim = citysim.Simulation(sc, threads=2).run(progress=False)
    path = tmp_path_factory.mktemp("conventions") / "hot.h5"
    sim.save(path)
    return path, sim


# ---- 1. one time convention ------------------------------------------------------------

def test_both_xarray_paths_and_pandas_give_the_same_instants(hot_file):
    path, sim = hot_file
    with citysim.open(path) as res:
        s = res.series("residents/at_home")
        ds = res.to_xarray()
        field_times = res.field_times
    assert str(s.index.tz) == TOKYO and s.index[0] == pd.Timestamp("2026-08-03T06:00", tz=TOKYO)
    assert s.index.equals(sim.series("residents/at_home").index)
    assert str(sim.time.tz) == TOKYO and sim.time == pd.Timestamp("2026-08-03T12:00+09:00")
    direct = xr.open_dataset(path, engine="h5netcdf", group="series/residents")
    assert direct["time"].dtype == ds["time"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(ds["time"].values, direct["time"].values)  # the same instants
    assert ds["time"].values[0] == np.datetime64("2026-08-02T21:00")  # 06:00 in Tokyo is 21:00 UTC
    # the one line the docs give turns either back into Tokyo time, equal to pandas'
    assert ds.indexes["time"].tz_localize("UTC").tz_convert(TOKYO).equals(s.index.rename("time"))
    fields = xr.open_dataset(path, engine="h5netcdf", group="fields/heat")
    np.testing.assert_array_equal(ds["field_time"].values, fields["time"].values)
    assert pd.DatetimeIndex(fields["time"].values).tz_localize("UTC").tz_convert(TOKYO).equals(field_times.rename(None))
    # a time taken from xarray (UTC) selects the same sample as Tokyo text
    with citysim.open(path) as res:
        np.testing.assert_array_equal(res.field("heat/wbgt", at=ds["field_time"].values[2]),
                                      res.field("heat/wbgt", at="2026-08-03T08:00"))


# ---- 2. datasets that round-trip ---------------------------------------------------------

NETCDF_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@pytest.mark.parametrize("engine", ["netcdf4", "h5netcdf"])
def test_to_netcdf_round_trips(hot_file, tmp_path, engine):
    path, sim = hot_file
    with citysim.open(path) as res:
        ds = res.to_xarray()
        out = res.to_netcdf(tmp_path / f"hot-{engine}.nc", engine=engine)
    for name in list(ds.variables) + list(ds.dims):
        assert NETCDF_NAME.match(name), name
    assert ds["heat__wbgt"].attrs["path"] == "heat/wbgt"
    assert {"lat", "lon", "mesh_code"} <= set(ds.coords)
    back = xr.open_dataset(out, engine=engine)
    assert set(back.data_vars) == set(ds.data_vars)
    np.testing.assert_array_equal(back["heat__wbgt"].values, ds["heat__wbgt"].values)
    np.testing.assert_array_equal(back["residents__trips"].values, ds["residents__trips"].values)
    assert list(back["mode"].values) == ["walk", "bicycle", "rail", "car"]
    np.testing.assert_array_equal(back["time"].values, ds["time"].values)
    np.testing.assert_array_equal(back["mesh_code"].values, ds["mesh_code"].values)
    assert back["heat__wbgt"].attrs["units"] == "degC" and back["heat__wbgt"].attrs["units_display"] == "°C"
    assert back.attrs["scenario_name"] == "small"
    back.close()
    # the live simulation's dataset writes too
    live = sim.to_netcdf(tmp_path / f"live-{engine}.nc", engine=engine)
    with xr.open_dataset(live, engine=engine) as again:
        np.testing.assert_array_equal(again["residents__present"].values, sim.field("residents/present"))


def test_a_failed_write_leaves_no_file(hot_file, tmp_path):
    path, _ = hot_file
    with citysim.open(path) as res:
        ds = res.to_xarray()
    # values no engine can encode: found only once the file is open
    bad = ds.assign(broken=xr.Variable(("time",), np.array([object()] * ds.sizes["time"], dtype=object)))
    stub = tmp_path / "stub" / "plain.nc"
    stub.parent.mkdir()
    with pytest.raises(Exception):
        bad.to_netcdf(stub, engine="netcdf4")
    assert stub.exists()  # what xarray alone leaves behind
    out = tmp_path / "safe" / "bad.nc"
    out.parent.mkdir()
    for engine in ("netcdf4", "h5netcdf"):
        with pytest.raises(Exception):
            citysim.to_netcdf(bad, out, engine=engine)
        assert os.listdir(out.parent) == [], engine  # neither the file nor a temporary one
    assert citysim.to_netcdf(ds, out, engine="netcdf4") == str(out) and os.listdir(out.parent) == ["bad.nc"]
    assert oct(os.stat(out).st_mode & 0o777) != oct(0o600)  # not the temporary file's private mode


def test_a_plotted_field_is_north_up(hot_file):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path, _ = hot_file
    with citysim.open(path) as res:
        ds = res.to_xarray()
        row_lat = np.nanmean(res.grid.lat, axis=1)
    assert row_lat[0] > row_lat[-1]  # the file's row 0 is north
    assert ds["heat__wbgt"].isel(field_time=-1).dims == ("y", "x")
    np.testing.assert_array_equal(ds["row"].values, ds.sizes["y"] - 1 - ds["y"].values)
    # pixels: latitude drawn grey (north = white) fills the top of the axes
    fig = plt.figure(figsize=(4, 4), dpi=50)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_facecolor("red")
    ds["lat"].plot(ax=ax, cmap="gray", add_colorbar=False)
    ax.set_axis_off()
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(float)
    plt.close(fig)
    grey = pixels[:, :, 1]  # red background has no green
    top, bottom = grey[: len(grey) // 5], grey[-len(grey) // 5:]
    assert top.mean() > bottom.mean() + 100, (top.mean(), bottom.mean())


def test_meta_and_tables_open_without_phony_dims(hot_file):
    path, _ = hot_file
    meta = xr.open_dataset(path, engine="h5netcdf", group="meta")
    assert "scenario_toml" in meta and "overrides" in meta.dims
    tables = xr.open_dataset(path, engine="h5netcdf", group="tables/heat")
    assert "alerts" in tables.variables
    with citysim.open(path) as res:
        alerts = res.table("heat/alerts")
        cases = res.table("heat/case_events")
        assert len(alerts) > 0
        assert str(alerts["issued"].dtype) == "datetime64[ns, Asia/Tokyo]"
        # every table's first column: when the row was written, within the run
        assert list(cases.columns)[:2] == ["time", "onset"]
        assert str(alerts["time"].dtype) == "datetime64[ns, Asia/Tokyo]"
        assert ((alerts["time"] >= res.times[0]) & (alerts["time"] <= res.times[-1])).all()
        assert (alerts["issued"] <= pd.Timestamp("2026-08-03T06:00", tz=TOKYO)).all()
        assert alerts["for_day"].iloc[-1] == pd.Timestamp("2026-08-03", tz=TOKYO)
        assert cases.attrs["units"]["wbgt_c"] == "degC" and cases.attrs["units_display"]["wbgt_c"] == "°C"
        assert res.table("heat/alerts").attrs["units"]["level"] == ""


# ---- 3. CF units ---------------------------------------------------------------------------

def test_units_are_udunits_with_the_pretty_form_kept(hot_file):
    import h5py

    path, sim = hot_file
    seen = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for key, value in obj.attrs.items():
                if key.endswith("units"):
                    seen[f"{name}@{key}"] = value.decode() if isinstance(value, bytes) else str(value)
        f.visititems(visit)
        assert f["series/heat/air_temp_c"].attrs["units"] == "degC"
        assert f["series/heat/air_temp_c"].attrs["units_display"] == "°C"
        assert f["series/residents/at_home"].attrs["units"] == "1"
        assert f["series/residents/at_home"].attrs["units_display"] == "people"
        assert f["tables/heat/case_events"].attrs["wbgt_c_units"] == "degC"
        assert "units_display" not in f["grid/lat"].attrs  # the same in both forms
    bad = {k: v for k, v in seen.items() if not is_udunits(v)}
    assert not bad, bad
    assert is_udunits("kW m-2") and not is_udunits("°C") and not is_udunits("people")
    with citysim.open(path) as res:
        m = res.metrics()
        assert m.loc["heat/wbgt", "units"] == "degC" and m.loc["heat/wbgt", "units_display"] == "°C"
        assert res.series("heat/air_temp_c").attrs["units_display"] == "°C"
    live = sim.metrics()
    assert live.loc["heat/wbgt", "units"] == "degC" and live.loc["heat/wbgt", "units_display"] == "°C"
    assert sim.series("residents/at_home").attrs["units"] == "1"
    if cli_path():  # the summaries show the pretty form
        text = subprocess.run([cli_path(), "info", str(path)], capture_output=True, text=True, check=True).stdout
        assert "heat/air_temp_c [°C]" in text and "residents/at_home [people]" in text


# ---- 4. field views ------------------------------------------------------------------------

def test_field_views_refresh_at_output_samples(small):
    sim = citysim.Simulation(small(), threads=2)
    view = sim.field("residents/outdoors")
    assert isinstance(view, citysim.FieldView) and "none yet" in repr(view)
    assert not view.any()  # zeros before the first sample
    sim.step(0)  # the initial sample
    first = np.array(view)
    outdoors = sim.residents["outdoors"]
    counts = outdoors.copy()
    sim.step(20)
    assert not np.array_equal(outdoors, counts)  # the residents' counts follow every tick
    np.testing.assert_array_equal(view, first)  # the field holds the 06:00 sample
    assert "refreshed at each output sample (every 60 min" in repr(view) and "06:00" in repr(view)
    sim.step(40)  # 07:00: the next sample
    land = sim.grid.municipality != 0
    weight = sim._sim.residents_weight
    np.testing.assert_allclose(view[land], (outdoors * weight)[land], rtol=1e-6)
    assert "07:00" in repr(sim.field("residents/outdoors"))
    assert type(view + 1) is np.ndarray and type(view.sum()) is not citysim.FieldView


# ---- 5. Python polish ----------------------------------------------------------------------

def _own_doc(obj) -> str:
    """A docstring minus pybind11's signature line and object's inherited ones."""
    doc = inspect.getdoc(obj) or ""
    lines = [l for l in doc.splitlines() if not re.match(r"^\w+\(.*\)( -> .*)?$", l.strip())]
    text = "\n".join(lines).strip()
    return "" if text.startswith("Initialize self") else text


@pytest.mark.parametrize("cls", [citysim.Simulation, citysim.Result, citysim.Scenario, citysim.Grid,
                                 citysim.Ensemble, citysim.FieldView])
def test_every_public_method_and_property_has_a_docstring(cls):
    missing = []
    for name in sorted(set(dir(cls)) - set(dir(object)) | {"__init__"}):
        if name.startswith("_") and name != "__init__":
            continue
        if cls is citysim.FieldView and name in set(dir(np.ndarray)):
            continue  # numpy's own
        attr = inspect.getattr_static(cls, name)
        if not (callable(attr) or isinstance(attr, (property, classmethod, staticmethod))
                or type(attr).__name__ == "property"):
            continue
        target = attr.__func__ if isinstance(attr, (classmethod, staticmethod)) else attr
        if name == "__init__" and target is object.__init__:
            continue
        if not _own_doc(target):
            missing.append(name)
    assert not missing, f"{cls.__name__}: no docstring on {missing}"


def test_module_functions_have_docstrings():
    missing = [n for n in citysim.__all__ if callable(getattr(citysim, n)) and not _own_doc(getattr(citysim, n))]
    assert not missing, missing


def test_missing_files_raise_file_not_found(tmp_path):
    gone = tmp_path / "nope.toml"
    for call in (lambda: citysim.Scenario.load(gone), lambda: citysim.Simulation(gone)):
        with pytest.raises(FileNotFoundError) as e:
            call()
        assert isinstance(e.value, citysim.ScenarioError) and e.value.filename == str(gone)
        assert str(gone) in str(e.value)
    with pytest.raises(FileNotFoundError):
        citysim.open(tmp_path / "nope.h5")


def test_threads_are_checked_as_the_cli_checks_them(small):
    with pytest.raises(ValueError, match="threads must be >= 0"):
        citysim.Simulation(small(), threads=-1)
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError, match="whole number"):
            citysim.Simulation(small(), threads=bad)
    cores = os.cpu_count()
    with pytest.warns(RuntimeWarning, match=f"more than this machine's {cores} cores; using {cores}"):
        sim = citysim.Simulation(small(1), threads=cores + 5)
    assert sim.threads == cores
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert citysim.Simulation(small(1), threads=1).threads == 1
