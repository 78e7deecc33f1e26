"""Ensembles: run a plan (variants x replicates, docs/ensembles.md) with the ``citysim
ensemble`` command and read the ensemble file as xarray.

    ens = citysim.Ensemble.load("scenarios/heatwave-shelters.ens.toml")
    ds = ens.run(jobs=2)                     # or citysim.open_ensemble("results/x.ens.h5")
    ds["heat.cases_total.final/reduced"]     # (variant, replicate)
    citysim.fan_chart(ds, "heat.cases_total.final")

The command is found as $CITYSIM_CLI, then ``citysim`` on PATH, then build/bin/citysim of
this source tree.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
from typing import Any

import numpy as np

from ._util import local_seconds, timestamps, utc_instants

_REPO = pathlib.Path(__file__).resolve().parents[2]


def _cli() -> str:
    for candidate in (os.environ.get("CITYSIM_CLI"), shutil.which("citysim"), str(_REPO / "build" / "bin" / "citysim")):
        if candidate and pathlib.Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("no citysim command: set CITYSIM_CLI or build it (cmake --build build)")


def _text(values: Any) -> list:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


class Ensemble:
    """An ensemble plan file; ``run`` runs its members (reusing complete ones) and returns
    the ensemble file as an xarray Dataset."""

    def __init__(self, plan: str | os.PathLike):
        """An ensemble plan file (``*.ens.toml``); FileNotFoundError when there is none."""
        self.plan = pathlib.Path(plan)
        if not self.plan.is_file():
            raise FileNotFoundError(f"{self.plan}: no such plan file")

    @classmethod
    def load(cls, plan: str | os.PathLike) -> "Ensemble":
        """The plan at ``plan``, as ``Ensemble(plan)``."""
        return cls(plan)

    def default_output(self) -> pathlib.Path:
        """Where ``run`` writes without ``out``: results/<plan name>.ens.h5, as the CLI does."""
        stem = self.plan.name.removesuffix(".toml").removesuffix(".ens")
        return pathlib.Path("results") / f"{stem}.ens.h5"

    def run(self, jobs: int = 1, threads_per_member: int = 1, out: str | os.PathLike | None = None,
            quiet: bool = True):
        """Runs ``citysim ensemble``; raises ``RuntimeError`` with its message when it fails
        (exit 1 with failed members still writes the file: it is opened then)."""
        out = pathlib.Path(out) if out is not None else self.default_output()
        cmd = [_cli(), "ensemble", str(self.plan), "-o", str(out), "--jobs", str(jobs),
               "--threads-per-member", str(threads_per_member)] + (["-q"] if quiet else [])
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode not in (0, 1) or not out.exists():
            raise RuntimeError(f"citysim ensemble exited {done.returncode}: {done.stderr.strip()}")
        return open_ensemble(out)


def open_ensemble(path: str | os.PathLike):
    """The ensemble file as an xarray Dataset: for each metric id ``<id>/values`` (variant,
    replicate, time), ``<id>/reduced`` (variant, replicate), the per-step summaries
    ``<id>/mean``, ``sd``, ``se``, ``q05``..``q95`` (variant, time) and the contrasts
    ``<id>/mean_diff``, ``t_lo``, ``t_hi``... (variant); the members table as
    ``member_*`` (member); the plan text and file attributes in ``attrs``. Times are UTC
    instants, as in ``Result.to_xarray()``; ``citysim.to_netcdf(ds, path)`` writes it (a
    ``/`` in a name becomes ``__``)."""
    import h5py
    import xarray as xr

    with h5py.File(path, "r") as f:
        variants = _text(f["variant"][:])
        # UTC instants, as Result.to_xarray() (xarray keeps no time zone); Tokyo time is
        # ds.indexes["time"].tz_localize("UTC").tz_convert("Asia/Tokyo")
        time = utc_instants(timestamps([local_seconds(t) for t in _text(f["time_iso"][:])])).rename("time")
        coords = {"variant": variants, "replicate": np.arange(int(f.attrs["replicates"])), "time": time,
                  "seed": ("replicate", f["seed"][:])}
        data = {}
        for mid, g in f["summaries"].items():
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.attrs.items()}
            data[f"{mid}/values"] = xr.DataArray(g["values"][:], dims=("variant", "replicate", "time"), attrs=attrs)
            data[f"{mid}/reduced"] = xr.DataArray(g["reduced"][:], dims=("variant", "replicate"), attrs=attrs)
            for name in ("mean", "sd", "se", "q05", "q25", "q50", "q75", "q95"):
                data[f"{mid}/{name}"] = xr.DataArray(g[name][:], dims=("variant", "time"), attrs=attrs)
            for name, d in f["contrasts"][mid].items():
                data[f"{mid}/{name}"] = xr.DataArray(d[:], dims=("variant",), attrs=attrs)
        for name, d in f["members"].items():
            values = d[:]
            data[f"member_{name}"] = xr.DataArray(_text(values) if values.dtype.kind in "OS" else values, dims=("member",))
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        attrs["plan_toml"] = _text(f["plan_toml"][:])[0]
    return xr.Dataset(data, coords=coords, attrs=attrs)


def fan_chart(ds, metric: str, variants: list | None = None, ax: Any = None):
    """The median and the 5-95% band over replicates of one metric id, per variant,
    against time; the y axis starts at zero. Returns the axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(8, 4))[1]
    # the dataset's UTC instants drawn as Tokyo wall-clock times
    tokyo = ds.indexes["time"].tz_localize("UTC").tz_convert("Asia/Tokyo").tz_localize(None)
    for v in variants or list(ds["variant"].values):
        lo, mid, hi = (ds[f"{metric}/{q}"].sel(variant=v) for q in ("q05", "q50", "q95"))
        line, = ax.plot(tokyo, mid.values, label=f"{v} (median)")
        ax.fill_between(tokyo, lo.values, hi.values, color=line.get_color(), alpha=0.25, lw=0)
    attrs = ds[f"{metric}/q50"].attrs
    ax.set_ylim(bottom=0)
    ax.set_title(f"{attrs.get('path', metric)} {attrs.get('labels', '')}: median and 5-95% band over "
                 f"{ds.sizes['replicate']} replicates")
    ax.set_ylabel(attrs.get("units_display", attrs.get("units", "")))
    ax.set_xlabel("time (Asia/Tokyo)")
    ax.legend()
    return ax
