"""Calibration from Python: citysim.Calibration runs the command, open_calibration reads
the file with the driver's numbers (the optimum is the least loss; residuals are
(simulated - observed) / sigma), and a bad spec raises ValueError with file:line:key."""
import pathlib

import numpy as np
import pytest

import citysim

TINY = (pathlib.Path(__file__).resolve().parents[1] / "calibrate" / "tiny-housing.toml").read_text()
SPEC = """\
base = "tiny.toml"
max_evaluations = 10
[[parameter]]
key = "housing.move_out_rate_at_40"
bounds = [0.01, 0.2]
initial = 0.035
transform = "log"
[[target]]
name = "move-outs"
path = "housing/move_outs_by_reason"
labels = ["{label}"]
reduce = "sum"
observed = 150
sigma = 12
"""


def test_calibration_runs_and_reads_back(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    (tmp_path / "fit.cal.toml").write_text(SPEC.format(label="move_out"))
    ds = citysim.Calibration.load(tmp_path / "fit.cal.toml").run(jobs=2, out=tmp_path / "fit.calibration.h5")
    best = int(ds.attrs["best"])
    assert ds.attrs["complete"] == 1
    assert float(ds["loss"][best]) == float(ds["loss"].min())
    assert float(ds["optimum"].sel(parameter="housing.move_out_rate_at_40")) == float(ds["x"][best, 0])
    z = (ds["simulated"][best] - ds["observed"]) / ds["sigma"]
    np.testing.assert_allclose(ds["residual"][best], z)
    assert ds["loss"][best] < ds["loss"][0]
    assert list(ds["phase"].values[:1]) == ["initial"] and "hessian" in set(ds["phase"].values)
    assert np.isfinite(float(ds["se"][0])) and float(ds["se"][0]) > 0
    assert list(ds["target_name"].values) == ["move-outs"]


def test_a_bad_spec_raises_with_file_line_key(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    (tmp_path / "bad.cal.toml").write_text(SPEC.format(label="moved"))
    with pytest.raises(ValueError, match=r"bad.cal.toml:11: key 'labels': no label \"moved\""):
        citysim.Calibration.load(tmp_path / "bad.cal.toml").run(out=tmp_path / "bad.calibration.h5")
    assert not (tmp_path / "bad.calibration.h5").exists()
