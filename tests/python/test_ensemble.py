"""Ensemble files: summaries and contrasts recomputed with numpy from the member files
(through the file's external links), and the xarray view."""
import h5py
import numpy as np
import pytest

import citysim
from conftest import small_toml

PLAN = """\
name = "py"
base = "small.toml"
seed = 3
replicates = 3
baseline = "base"
[[variant]]
name = "base"
[[variant]]
name = "stay_home"
set = {{ "residents.alert_stay_home_65plus" = 0.5, "heat.shelters.per_municipality" = 0 }}
[[variant]]
name = "same"
set = {{ "heat.shelters.per_municipality" = 10 }}
[[metric]]
path = "heat/expected_cases_total"
labels = ["65-74", "75+"]
[[metric]]
path = "residents/outdoors_total"
reduce = "{reduce}"
window_hours = [1, 3]
"""
HEAT = '[heat]\nenabled = true\n[heat.weather]\nsource = "profile"\ntmax_c = [38]\ntmin_c = [28]\n'
T975_DF2 = 4.302652729911275  # Student's t, 97.5%, 2 degrees of freedom


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    d = tmp_path_factory.mktemp("ens")
    (d / "small.toml").write_text(small_toml(hours=3, extra=HEAT))
    (d / "p.ens.toml").write_text(PLAN.format(reduce="mean"))
    ds = citysim.Ensemble.load(d / "p.ens.toml").run(jobs=2, out=d / "p.ens.h5")
    return d / "p.ens.h5", ds


def member_series(f, variant, r, path, labels):
    m = f[f"member_files/{variant}/r{r}"]
    s = m[f"series/{path}"]
    names = [x.decode() if isinstance(x, bytes) else x for x in s.dims[1][0][:]]
    return m["time"][:], s[:, [names.index(label) for label in labels]].sum(axis=1)


def test_summaries_match_numpy(ensemble):
    path, _ = ensemble
    with h5py.File(path) as f:
        variants = [v.decode() for v in f["variant"][:]]
        assert [s.decode() for s in f["members/status"][:]] == ["complete"] * 9
        g = f["summaries/heat.expected_cases_total[65-74+75+].final"]
        values = np.array([[member_series(f, v, r, "heat/expected_cases_total", ["65-74", "75+"])[1]
                            for r in range(3)] for v in variants])
        np.testing.assert_array_equal(g["values"][:], values)
        assert values[:, :, -1].std() > 0  # replicates and variants differ
        np.testing.assert_allclose(g["mean"][:], values.mean(axis=1), rtol=1e-12)
        np.testing.assert_allclose(g["sd"][:], values.std(axis=1, ddof=1), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g["se"][:], values.std(axis=1, ddof=1) / np.sqrt(3), rtol=1e-12, atol=1e-15)
        for name, q in [("q05", 5), ("q25", 25), ("q50", 50), ("q75", 75), ("q95", 95)]:
            np.testing.assert_allclose(g[name][:], np.percentile(values, q, axis=1), rtol=1e-12)
        final = values[:, :, -1]
        np.testing.assert_allclose(g["reduced"][:], final, rtol=1e-15)
        # paired contrasts against the baseline: mean difference and its t-interval
        c = f["contrasts/heat.expected_cases_total[65-74+75+].final"]
        d = final - final[0]
        np.testing.assert_allclose(c["mean_diff"][1:], d[1:].mean(axis=1), rtol=1e-12)
        half = T975_DF2 * d[1:].std(axis=1, ddof=1) / np.sqrt(3)
        np.testing.assert_allclose(c["t_hi"][1:] - c["mean_diff"][1:], half, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(c["rel_diff"][1:], d[1:].mean(axis=1) / final[0].mean(), rtol=1e-12)
        assert np.isnan(c["mean_diff"][0])
        # the repeated baseline: common random numbers make the difference exactly zero
        assert c["mean_diff"][2] == 0 and c["t_lo"][2] == 0 and c["t_hi"][2] == 0 and c["excludes_zero"][2] == 0
        # a window mean of another metric
        g = f["summaries/residents.outdoors_total.mean"]
        m = f["member_files/stay_home/r1"]
        time, x = m["time"][:], m["series/residents/outdoors_total"][:]
        inside = (time >= 3600) & (time <= 3 * 3600)
        assert g["reduced"][1, 1] == pytest.approx(x[inside].mean(), rel=1e-12)


def test_xarray_view_and_fan_chart(ensemble):
    _, ds = ensemble
    values = ds["heat.expected_cases_total[65-74+75+].final/values"]
    assert values.dims == ("variant", "replicate", "time")
    assert list(ds["variant"].values) == ["base", "stay_home", "same"]
    assert ds.sizes["replicate"] == 3 and ds.attrs["complete"] == 1
    assert (ds["member_status"] == "complete").all()
    assert ds.attrs["plan_toml"].startswith('name = "py"')
    ax = citysim.fan_chart(ds, "heat.expected_cases_total[65-74+75+].final")
    assert ax.get_ylim()[0] == 0 and len(ax.get_lines()) == 3


def test_ensemble_times_are_utc_instants_and_the_dataset_writes_to_netcdf(ensemble, tmp_path):
    _, ds = ensemble
    import xarray as xr

    tokyo = ds.indexes["time"].tz_localize("UTC").tz_convert("Asia/Tokyo")  # the documented line
    assert str(tokyo[0]) == "2026-08-03 06:00:00+09:00"
    assert ds["time"].values[0] == np.datetime64("2026-08-02T21:00")  # the members start at 06:00 Tokyo time
    out = citysim.to_netcdf(ds, tmp_path / "ens.nc", engine="h5netcdf")
    with xr.open_dataset(out, engine="h5netcdf") as back:
        name = "heat.expected_cases_total[65-74+75+].final__values"
        assert back[name].attrs["original_name"] == "heat.expected_cases_total[65-74+75+].final/values"
        assert back[name].attrs["path"] == "heat/expected_cases_total"
        np.testing.assert_array_equal(back[name].values, ds["heat.expected_cases_total[65-74+75+].final/values"].values)
        np.testing.assert_array_equal(back["time"].values, ds["time"].values)
