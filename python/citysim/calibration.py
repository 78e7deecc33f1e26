"""Calibration: fit scenario keys to observed targets with the ``citysim calibrate``
command (docs/calibration.md) and read the calibration file as xarray.

    cal = citysim.Calibration.load("calibration/daytime.cal.toml")
    ds = cal.run(jobs=2)                     # or citysim.open_calibration("results/x.calibration.h5")
    ds["optimum"].to_series()                # parameter -> fitted value (ds["se"]: standard errors)
    ds["loss"].plot()                        # the loss trace over the evaluations
    ds["simulated"].isel(evaluation=ds.attrs["best"])   # per observation at the optimum
"""
from __future__ import annotations

import os
import pathlib
import subprocess

from .ensemble import _cli, _text


class Calibration:
    """A calibration spec file; ``run`` runs ``citysim calibrate`` and returns the
    calibration file as an xarray Dataset."""

    def __init__(self, spec: str | os.PathLike):
        self.spec = pathlib.Path(spec)
        if not self.spec.is_file():
            raise FileNotFoundError(f"{self.spec}: no such calibration spec")

    @classmethod
    def load(cls, spec: str | os.PathLike) -> "Calibration":
        return cls(spec)

    def default_output(self) -> pathlib.Path:
        stem = self.spec.name.removesuffix(".toml").removesuffix(".cal")
        return pathlib.Path("results") / f"{stem}.calibration.h5"

    def run(self, jobs: int = 1, out: str | os.PathLike | None = None, quiet: bool = True):
        """Runs ``citysim calibrate``; raises ``ValueError`` for a bad spec (exit 2, with the
        file:line:key message) and ``RuntimeError`` for any other failure."""
        out = pathlib.Path(out) if out is not None else self.default_output()
        cmd = [_cli(), "calibrate", str(self.spec), "-o", str(out), "--jobs", str(jobs)] + (["-q"] if quiet else [])
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode == 2:
            raise ValueError(done.stderr.strip())
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"citysim calibrate exited {done.returncode}: {done.stderr.strip()}")
        return open_calibration(out)


def open_calibration(path: str | os.PathLike):
    """The calibration file as an xarray Dataset: per evaluation ``x`` (evaluation,
    parameter), ``loss``, ``misfit``, ``prior``, ``phase``, ``status``, ``simulated`` and
    ``residual`` (evaluation, observation); per parameter ``lower``, ``upper``, ``initial``,
    ``optimum``, ``se``, ``identified``; ``correlation`` (parameter, parameter2);
    per observation ``observed``, ``sigma``, ``time_hours``, ``target_name``; the file's
    attributes (best, initial, loss_best...), the spec text and the warnings in ``attrs``."""
    import h5py
    import xarray as xr

    with h5py.File(path, "r") as f:
        keys = _text(f["parameters/key"][:])
        names = _text(f["targets/name"][:])
        target = f["observations/target"][:]
        coords = {"parameter": keys, "parameter2": keys, "evaluation": range(int(f.attrs["evaluations"])),
                  "observation": range(len(target))}
        ev, par, ob = f["evaluations"], f["parameters"], f["observations"]
        data = {
            "x": (("evaluation", "parameter"), ev["x"][:]),
            "loss": ("evaluation", ev["loss"][:]),
            "misfit": ("evaluation", ev["misfit"][:]),
            "prior": ("evaluation", ev["prior"][:]),
            "phase": ("evaluation", _text(ev["phase"][:])),
            "status": ("evaluation", _text(ev["status"][:])),
            "simulated": (("evaluation", "observation"), ev["simulated"][:]),
            "residual": (("evaluation", "observation"), ev["residual"][:]),
            "correlation": (("parameter", "parameter2"), f["correlation"][:]),
            "observed": ("observation", ob["observed"][:]),
            "sigma": ("observation", ob["sigma"][:]),
            "time_hours": ("observation", ob["time_hours"][:]),
            "target_name": ("observation", [names[t] for t in target]),
        }
        for name in ("lower", "upper", "initial", "optimum", "se", "se_transformed", "identified"):
            data[name] = ("parameter", par[name][:])
        data["transform"] = ("parameter", _text(par["transform"][:]))
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        attrs["spec_toml"] = _text(f["spec_toml"][:])[0]
        attrs["warnings"] = _text(f["warnings"][:])
    return xr.Dataset(data, coords=coords, attrs=attrs)
