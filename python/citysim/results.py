"""Results files (HDF5, written by ``citysim run`` or ``Simulation.save``) read back with the
same series/field/table vocabulary as a live simulation, plus xarray."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from ._util import local_seconds, timestamp, timestamps
from .grid import LAYERS, Grid
from .scenario import Scenario
from .simulation import decode_time_columns, row_times, series_frame, to_dataset, to_netcdf


def _text(x: Any) -> Any:
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, np.generic):
        return x.item()
    return x


class Result:
    """An HDF5 results file. ``series``, ``field``, ``table``, ``metrics`` work as on a
    Simulation (times timezone-aware, Asia/Tokyo); ``to_xarray()`` gives everything as one
    Dataset that round-trips through netCDF, with units as attributes."""

    def __init__(self, path: str | os.PathLike):
        """Open a results file read-only; FileNotFoundError when there is none at ``path``."""
        import h5py

        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            partial = self.path + ".partial"
            hint = f" (an interrupted run left {partial})" if os.path.isfile(partial) else ""
            raise FileNotFoundError(2, f"no results file{hint}", self.path)
        self._f = h5py.File(self.path, "r")
        self.meta: dict[str, Any] = {k: _text(v) for k, v in self._f["meta"].attrs.items()}
        self._start = local_seconds(self.meta["start"])
        self.times = timestamps(self._start + np.rint(self._f["time"][:]).astype(np.int64))
        self._grid: Grid | None = None
        self._listing: dict[str, dict[str, Any]] = {}

    # -- file -----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HDF5 file (arrays already read stay valid)."""
        self._f.close()

    def __enter__(self) -> "Result":
        """``with citysim.open(p) as res:`` closes the file at the end of the block."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """Close the file."""
        self.close()

    @property
    def complete(self) -> bool:
        """False when the run was interrupted (the file holds the samples up to then)."""
        return bool(self.meta.get("complete", 0))

    @property
    def scenario_toml(self) -> str:
        """The scenario file's text as the run read it (before the ``--set`` overrides)."""
        return _text(self._f["meta/scenario_toml"][()])

    @property
    def scenario(self) -> Scenario:
        """The run's scenario: the stored TOML with the stored ``--set`` overrides applied
        (relative paths in it resolve against the current folder)."""
        sc = Scenario.from_toml(self.scenario_toml, f"{self.path}:/meta/scenario_toml")
        for o in self._f["meta/overrides"][:] if "meta/overrides" in self._f else []:
            sc.apply_override(_text(o))
        return sc

    def _datasets(self, group: str) -> dict[str, Any]:
        """module/name -> dataset under a group, skipping dimension scales (listed once)."""
        if group not in self._listing:
            out: dict[str, Any] = {}

            def visit(name: str, obj: Any) -> None:
                # axes (times, labels) are dimension scales; so is a table, its own row dimension
                scale = _text(obj.attrs.get("CLASS", b"")) == "DIMENSION_SCALE"
                if hasattr(obj, "shape") and (not scale or obj.dtype.names is not None):
                    out[name] = obj

            if group in self._f:
                self._f[group].visititems(visit)
            self._listing[group] = out
        return self._listing[group]

    def _get(self, group: str, path: str, kind: str):
        found = self._datasets(group)
        if path not in found:
            raise KeyError(f"no {kind} '{path}' in {self.path}; known: {', '.join(found) or 'none'}")
        return found[path]

    # -- the metrics --------------------------------------------------------------------------
    def metrics(self) -> pd.DataFrame:
        """Every series, field and table in the file with units (UDUNITS), units as shown
        (``units_display``) and description, indexed by path."""
        rows = []
        for group, kind in (("series", "series"), ("fields", "field"), ("tables", "table")):
            for path, ds in self._datasets(group).items():
                rows.append(dict(path=path, kind=kind, **_attrs(ds)))
        return pd.DataFrame(rows, columns=["path", "kind", "units", "units_display", "description"]).set_index("path")

    def series(self, path: str) -> pd.Series | pd.DataFrame:
        """A series indexed by time (Asia/Tokyo): a Series, or a DataFrame with one column per
        category for a breakdown; ``.attrs`` holds units, units_display and description."""
        ds = self._get("series", path, "series")
        values = ds[:]
        info = dict(path=path, labels=[], dimension="", **_attrs(ds))
        if values.ndim == 2:
            scale = ds.dims[1][0]
            info["labels"] = [_text(x) for x in scale[:]]
            # the scale's NAME is the plain dimension; its dataset may be renamed to keep two apart
            info["dimension"] = _text(scale.attrs.get("NAME", scale.name.rsplit("/", 1)[-1])).rstrip("\0")
        return series_frame(values.reshape(len(values), -1), info, self.times[: len(values)])

    @property
    def field_times(self) -> pd.DatetimeIndex:
        """The times of the field samples (Asia/Tokyo); every ``fields_every``-th sample."""
        return timestamps(self._start + np.rint(self._f["fields/time"][:]).astype(np.int64))

    def _sample(self, at: Any) -> int:
        times = self.field_times
        if at is None:
            return len(times) - 1
        if isinstance(at, (int, np.integer)):
            return int(at)
        t = pd.Timestamp(_ts(at))
        hits = np.flatnonzero(times == t)
        if not len(hits):
            raise KeyError(f"no field sample at {t}; samples: {times[0]} .. {times[-1]}, "
                           f"every {times[1] - times[0] if len(times) > 1 else 'n/a'}")
        return int(hits[0])

    def field(self, path: str, at: Any = None) -> np.ndarray:
        """A field's (rows, cols) grid at a sample time (default: the last sample) or index."""
        return self._get("fields", path, "field")[self._sample(at)]

    def table(self, path: str) -> pd.DataFrame:
        """An event table as a DataFrame: its first column ``time`` (when each row was
        written) and ISO time columns ("issued", "onset", ...) as Asia/Tokyo timestamps; ``.attrs["units"]`` (UDUNITS) and ``.attrs["units_display"]``
        map column -> units."""
        ds = self._get("tables", path, "table")
        records = ds[:]
        df = pd.DataFrame({name: [_text(x) for x in records[name]] if records.dtype[name].kind in "SO"
                           else records[name] for name in records.dtype.names})
        units = {n: _text(ds.attrs.get(f"{n}_units", "")) for n in records.dtype.names}
        df.attrs.update(path=path, description=_text(ds.attrs.get("description", "")), units=units,
                        units_display={n: _text(ds.attrs.get(f"{n}_units_display", units[n])) for n in units})
        return decode_time_columns(row_times(df, self._start))

    @property
    def grid(self) -> Grid:
        """The run's city grid (layers, municipalities, boundary outlines) from /grid."""
        if self._grid is None:
            g = self._f["grid"]
            layers = {name: g[name][:] for name in LAYERS if name in g}
            munis = []
            if "municipalities" in g:
                rec = g["municipalities"][:]
                munis = [{n: _text(r[n]) for n in rec.dtype.names} for r in rec]
            outlines, credit = [], ""
            if "outlines" in g:
                o = g["outlines"]
                start, lon, lat = list(o["start"][:]) + [len(o["lon"])], o["lon"][:], o["lat"][:]
                outlines = [(int(code), lon[a:b], lat[a:b]) for code, a, b in zip(o["code"][:], start[:-1], start[1:])]
                credit = _text(o.attrs.get("credit", ""))
            self._grid = Grid(layers, munis, int(_text(g.attrs["level"])), outlines, credit)
        return self._grid

    def to_xarray(self):
        """Everything as an xarray.Dataset that round-trips through netCDF (``to_netcdf``).

        Variables are named ``<module>__<name>`` (``heat__air_temp_c``; the metric path is in
        ``attrs["path"]``): series on ``time`` (breakdowns on their category dimension),
        fields on (``field_time``, ``y``, ``x``), grid layers as ``grid__<name>`` on
        (``y``, ``x``) with ``lat``, ``lon`` and ``mesh_code`` as coordinates. ``y`` grows
        northward, so ``ds.heat__wbgt.isel(field_time=0).plot()`` is north-up (``row``, the
        file's row, is rows - 1 - y). Times are UTC instants, the same as
        ``xarray.open_dataset(path, engine="h5netcdf", group=...)`` decodes the file to;
        ``ds.indexes["time"].tz_localize("UTC").tz_convert("Asia/Tokyo")`` gives Tokyo time.
        Every variable has ``units`` (UDUNITS), ``units_display`` and ``description``; the
        file's /meta is in ``ds.attrs``."""
        series = [self.series(path) for path in self._datasets("series")]
        fields = {path: (f[:], _attrs(f)) for path, f in self._datasets("fields").items()}
        g = self._f["grid"]
        grid = {name: (g[name][:], _attrs(g[name])) for name in LAYERS if name in g}
        return to_dataset(self.times, series, fields, self.field_times if fields else None, grid,
                          dict(self.meta), start_seconds=self._start)

    def to_netcdf(self, path: str | os.PathLike, engine: str | None = None, **kw: Any) -> str:
        """Write :meth:`to_xarray` as netCDF (``engine`` "netcdf4" or "h5netcdf"; other
        keywords go to ``xarray.Dataset.to_netcdf``); a failed write leaves no file. Returns the path."""
        return to_netcdf(self.to_xarray(), path, engine=engine, **kw)

    # -- plots ---------------------------------------------------------------------------------
    def plot(self, path: str, ax: Any = None, **kw: Any):
        """Line plot of a series against time."""
        from .plot import plot_series

        return plot_series(self.series(path), ax=ax, **kw)

    def map(self, path: str, at: Any = None, ax: Any = None, **kw: Any):
        """Colour map of a field at a sample time (default: the last) over the grid."""
        from .plot import plot_map

        i = self._sample(at)
        ds = self._get("fields", path, "field")
        return plot_map(ds[i], self.grid, title=f"{path} at {str(self.field_times[i])[:16]}",
                        units=_attrs(ds)["units_display"], ax=ax, **kw)

    def __repr__(self) -> str:
        """The path, the scenario name, the samples and whether the run completed."""
        return (f"<citysim.Result {self.path!r}: {self.meta.get('scenario_name')}, {len(self.times)} samples, "
                f"complete={self.complete}>")


def _attrs(obj: Any) -> dict:
    """units (UDUNITS), units_display (the pretty form; the units when the file has none) and description."""
    units = _text(obj.attrs.get("units", ""))
    return dict(units=units, units_display=_text(obj.attrs.get("units_display", units)),
                description=_text(obj.attrs.get("description", "")))


def _ts(at: Any) -> pd.Timestamp:
    return timestamp(local_seconds(at))


def open(path: str | os.PathLike) -> Result:  # noqa: A001 - citysim.open mirrors the builtin on purpose
    """Open a results file (.h5)."""
    return Result(path)
