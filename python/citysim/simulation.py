"""Simulation: live stepping over the C++ engine, numpy views, pandas series and tables."""
from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import re
import tempfile
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import _citysim
from ._util import duration_minutes, local_seconds, timestamp, timestamps, utc_instants
from .grid import LAYER_UNITS, Grid
from .scenario import Scenario


def var_name(path: str) -> str:
    """A metric path as a netCDF-valid variable name: "heat/air_temp_c" -> "heat__air_temp_c"."""
    return path.replace("/", "__")


def units_attrs(units: str, units_display: str = "") -> dict:
    """``units`` (UDUNITS, for CF tools) plus ``units_display`` (the pretty form, "°C")."""
    return dict(units=units, units_display=units_display or units)


def series_frame(values: np.ndarray, info: dict, times: pd.DatetimeIndex) -> pd.Series | pd.DataFrame:
    """A series' history as pandas: a Series, or a DataFrame with one column per category."""
    if info.get("labels"):
        out: pd.Series | pd.DataFrame = pd.DataFrame(values, index=times,
                                                     columns=pd.Index(info["labels"], name=info["dimension"]))
    else:
        out = pd.Series(values.reshape(len(times), -1)[:, 0], index=times, name=info["path"])
    out.attrs.update(path=info["path"], description=info["description"],
                     **units_attrs(info["units"], info.get("units_display", "")))
    return out


# ISO 8601 dates and times, as the engine writes them into table text columns
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?)?$")


def decode_time_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns that hold only ISO dates/times ("issued", "time", "down_at", ...) as
    timezone-aware Asia/Tokyo timestamps (an empty text is NaT)."""
    for name in df.columns:
        col = df[name]
        if col.dtype != object or not len(col):
            continue
        texts = [v for v in col if v != ""]
        if not texts or not all(isinstance(v, str) and _ISO_TIME.match(v) for v in texts):
            continue
        present = np.array([v != "" for v in col])
        times = timestamps([local_seconds(v) if v != "" else 0 for v in col])
        df[name] = pd.Series(times.where(present), index=df.index)
    return df


def row_times(df: pd.DataFrame, start_seconds: int) -> pd.DataFrame:
    """A table's first column, ``time`` (seconds since the run start at which each row was
    written), as Asia/Tokyo timestamps."""
    if "time" in df.columns and df["time"].dtype.kind in "fiu":
        seconds = np.rint(df["time"].to_numpy(dtype=float)).astype(np.int64)
        df["time"] = pd.Series(timestamps(start_seconds + seconds), index=df.index)
    return df


def table_frame(data: dict, start_seconds: int) -> pd.DataFrame:
    """A table as a DataFrame; column units in ``df.attrs["units"]`` (UDUNITS) and
    ``df.attrs["units_display"]``; the row times and ISO time columns decoded to Asia/Tokyo
    timestamps."""
    df = pd.DataFrame({name: values for name, _, _, values in data["columns"]})
    df.attrs.update(path=data["path"], description=data["description"],
                    units={name: units for name, units, _, _ in data["columns"]},
                    units_display={name: shown or units for name, units, shown, _ in data["columns"]})
    return decode_time_columns(row_times(df, start_seconds))


_TIME_NOTE = ("UTC instants (xarray keeps no time zone; a file opened with xarray.open_dataset decodes to the "
              "same); in Asia/Tokyo: ds.indexes['time'].tz_localize('UTC').tz_convert('Asia/Tokyo')")


def _time_variable(dim: str, times: pd.DatetimeIndex, start_seconds: int | None, what: str):
    import xarray as xr

    v = xr.Variable((dim,), utc_instants(times).values, attrs=dict(long_name=what, description=_TIME_NOTE))
    if start_seconds is not None:  # written back as the results file writes it
        v.encoding = {"units": f"seconds since {_citysim.format_datetime(int(start_seconds))}", "dtype": "float64"}
    return v


def to_dataset(times: pd.DatetimeIndex, series: list, fields: dict, field_times: pd.DatetimeIndex | None,
               grid: dict, attrs: dict, start_seconds: int | None = None):
    """An xarray.Dataset that round-trips through netCDF (netcdf4 and h5netcdf engines).

    Variables are named ``<module>__<name>`` (the metric path in the ``path`` attribute):
    series on ``time`` (a breakdown on its category dimension), fields
    ({path: (values, attrs)}, values (rows, cols) or (samples, rows, cols)) on (``field_time``,)
    ``y``, ``x``; grid layers ({name: (values, attrs)}) as ``grid__<name>``, except ``lat``,
    ``lon`` and ``mesh_code``, which are coordinates. ``y`` counts cells north of the grid's
    south edge (so plots are north-up; ``row`` = rows - 1 - y is the file's row, 0 = north),
    ``x`` is the column. Times are UTC instants (see the ``time`` variable's description).
    Every variable keeps ``units`` (UDUNITS), ``units_display`` and ``description``."""
    import xarray as xr

    coords: dict[str, Any] = {"time": _time_variable("time", times, start_seconds, "time of the sample")}
    if field_times is not None:
        coords["field_time"] = _time_variable("field_time", field_times, start_seconds, "time of the field sample")
    data: dict[str, Any] = {}
    for s in series:
        meta = dict(path=s.attrs["path"], description=s.attrs["description"],
                    **units_attrs(s.attrs["units"], s.attrs.get("units_display", "")))
        if isinstance(s, pd.Series):
            data[var_name(s.attrs["path"])] = xr.Variable(("time",), s.to_numpy(), attrs=meta)
            continue
        # one dimension per category list; the same name with other labels in another
        # module gets the module as a prefix ("watch__kind")
        dim, labels = s.columns.name, [str(x) for x in s.columns]
        if dim in coords and list(coords[dim].values) != labels:
            dim = f"{s.attrs['path'].split('/')[0]}__{dim}"
        coords[dim] = xr.Variable((dim,), np.array(labels, dtype=object), attrs=dict(description=f"categories of {dim}"))
        data[var_name(s.attrs["path"])] = xr.Variable(("time", dim), s.to_numpy(), attrs=meta)
    shape = next(iter(grid.values()))[0].shape if grid else None
    for path, (values, meta) in fields.items():
        dims = ("y", "x") if values.ndim == 2 else ("field_time", "y", "x")
        data[var_name(path)] = xr.Variable(dims, values, attrs=dict(path=path, **meta))
        shape = values.shape[-2:]
    if shape is not None:
        rows, cols = shape
        coords["y"] = xr.Variable(("y",), np.arange(rows - 1, -1, -1, dtype=np.int32), attrs=dict(
            long_name="grid y", units="1", description="cells north of the grid's south edge (row = rows - 1 - y)"))
        coords["x"] = xr.Variable(("x",), np.arange(cols, dtype=np.int32), attrs=dict(
            long_name="grid x", units="1", description="grid column, 0 = west"))
        coords["row"] = xr.Variable(("y",), np.arange(rows, dtype=np.int32), attrs=dict(
            units="1", description="grid row, 0 = north (the results file's row)"))
        coords["col"] = xr.Variable(("x",), np.arange(cols, dtype=np.int32), attrs=dict(
            units="1", description="grid column, 0 = west (the results file's col)"))
    for name, (values, meta) in grid.items():
        v = xr.Variable(("y", "x"), values, attrs=dict(path=f"grid/{name}", **meta))
        if name in ("lat", "lon", "mesh_code"):
            coords[name] = v
        else:
            data[f"grid__{name}"] = v
    return xr.Dataset(data, coords=coords, attrs=dict(attrs, Conventions="CF-1.8", times=_TIME_NOTE))


class FieldView(np.ndarray):
    """A read-only numpy view of one of the engine's fields (no copy, a stable address).

    A field is refreshed at each output sample: the initial one (the first ``run()`` or
    ``step()``), then every ``run.output_every_minutes`` of simulated time and at the end
    of the run (zeros before the first). Between
    samples it holds the last sample's values, while ``sim.residents["present"]`` and
    ``["outdoors"]`` follow every tick (unweighted counts). Arithmetic on a view gives a
    plain ndarray; ``np.array(view)`` takes a snapshot."""

    def __array_finalize__(self, obj: Any) -> None:
        self.path = getattr(obj, "path", "")
        self._engine = getattr(obj, "_engine", None)  # the _citysim.Simulation, for the repr

    @property
    def refresh(self) -> str:
        """When the view's values change: at each output sample; and the last sample's time."""
        sim = self._engine
        if sim is None:
            return "refreshed at each output sample"
        times = sim.sample_times()
        last = _citysim.format_datetime(int(times[-1]))[:16] + "+09:00" if len(times) else "none yet: all zeros"
        return (f"refreshed at each output sample (every {sim.output_every_minutes} min of simulated time, "
                f"from the first run()/step(), and at the end); last sample {last}")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kw: Any) -> Any:
        plain = tuple(np.asarray(x) if isinstance(x, FieldView) else x for x in inputs)
        if "out" in kw:
            kw["out"] = tuple(np.asarray(x) if isinstance(x, FieldView) else x for x in kw["out"])
        return getattr(ufunc, method)(*plain, **kw)

    def __repr__(self) -> str:
        return f"<citysim field view {self.path!r}: {self.refresh}>\n" + repr(np.asarray(self))


def check_threads(threads: Any) -> int:
    """A thread count checked as ``citysim run --threads`` checks it: None or 0 = all cores;
    not a whole number: TypeError; negative: ValueError; more than the machine's cores:
    clamped to them with a RuntimeWarning. Returns the count for the engine (0 = all)."""
    if threads is None:
        return 0
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads must be a whole number (0 or None = all cores), got {threads!r}")
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 or None = all cores), got {threads}")
    cores = max(1, os.cpu_count() or 1)
    if threads > cores:
        warnings.warn(f"threads={threads} is more than this machine's {cores} cores; using {cores}", RuntimeWarning,
                      stacklevel=3)
        return cores
    return int(threads)


def netcdf_names(ds: Any) -> Any:
    """``ds`` with every variable and dimension name netCDF refuses ("heat.cases/mean":
    a ``/``) renamed as :func:`var_name` does, the old name kept in ``attrs["original_name"]``."""
    names = {n: var_name(str(n)) for n in [*ds.variables, *ds.dims] if "/" in str(n)}
    if not names:
        return ds
    out = ds.rename(names).copy(deep=False)
    for old, new in names.items():
        if new in out.variables:
            out.variables[new].attrs["original_name"] = old
    return out


def to_netcdf(ds: Any, path: str | os.PathLike, engine: str | None = None, **kw: Any) -> str:
    """``ds.to_netcdf(path, engine=engine, **kw)``, written under a temporary name in the same
    folder and renamed once complete: a failed write (a bad engine, an unwritable value, a
    full disk) leaves neither a stub at ``path`` nor the temporary file. Names with a ``/``
    (an ensemble's ``<id>/mean``) are written as ``<id>__mean``. Returns the path."""
    ds = netcdf_names(ds)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine=engine, **kw)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return path


class Simulation:
    """A running simulation of a scenario.

    >>> sim = citysim.Simulation(citysim.Scenario.load("scenarios/tokyo.toml"), threads=2)
    >>> sim.run(until="2026-08-03T12:00")         # GIL released; Ctrl-C stops between ticks
    >>> sim.field("residents/present")            # numpy view, no copy
    >>> sim.series("residents/travelling")        # pandas Series indexed by time

    Arrays from :meth:`field`, :attr:`residents` and :attr:`grid` are read-only views of the
    engine's memory: no copy, their address never changes, and each keeps the engine alive
    (the array's ``base`` chain) — copy (``np.array(v)``) to keep a snapshot. The residents
    arrays (``present``, ``outdoors``, ``cell``, ...) follow every tick; a field view is
    refreshed at each output sample (every ``run.output_every_minutes``; its repr says so).
    Times are timezone-aware Asia/Tokyo timestamps.
    """

    def __init__(self, scenario: Scenario | str | os.PathLike | dict, threads: int | None = None):
        """Build the city and the modules of ``scenario`` (a Scenario, a TOML file path or a
        dict as :meth:`Scenario.from_dict` takes). ``threads``: worker threads, checked as
        ``citysim run --threads`` checks them: None or 0 = all cores, a negative or
        non-integer count is an error, more than the machine's cores is clamped with a
        warning (results do not depend on it)."""
        if isinstance(scenario, (str, os.PathLike)):
            scenario = Scenario.load(scenario)
        elif isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        self._sim = _citysim.Simulation(scenario, check_threads(threads))
        self._grid: Grid | None = None

    # -- time -----------------------------------------------------------------------------
    @property
    def time(self) -> pd.Timestamp:
        """The simulated time now (a timezone-aware Asia/Tokyo timestamp)."""
        return timestamp(self._sim.now)

    @property
    def start(self) -> pd.Timestamp:
        """The run's start time (Asia/Tokyo)."""
        return timestamp(self._sim.start)

    @property
    def end(self) -> pd.Timestamp:
        """The run's end time (Asia/Tokyo): start + total_ticks ticks."""
        return timestamp(self._sim.start + self._sim.total_ticks * self._sim.tick_minutes * 60)

    @property
    def tick(self) -> int:
        """Ticks done so far."""
        return self._sim.tick

    @property
    def total_ticks(self) -> int:
        """Ticks in the whole run (run.duration_hours over run.tick_minutes)."""
        return self._sim.total_ticks

    @property
    def tick_minutes(self) -> int:
        """Simulated minutes per tick (run.tick_minutes)."""
        return self._sim.tick_minutes

    @property
    def finished(self) -> bool:
        """True once the run has reached its end."""
        return self._sim.finished

    @property
    def threads(self) -> int:
        """Worker threads the engine uses."""
        return self._sim.threads

    @property
    def modules(self) -> list[str]:
        """The enabled modules, in phase order."""
        return self._sim.module_names

    @property
    def step_seconds(self) -> dict[str, float]:
        """Wall seconds spent so far in each module's step, by module: where a run's time goes."""
        return dict(zip(self._sim.module_names, self._sim.module_step_seconds))

    @property
    def scenario(self) -> Scenario:
        """A copy of the scenario as it stands now (with set() changes applied)."""
        sc = Scenario()
        sc._assign(self._sim.scenario)
        return sc

    # -- stepping ---------------------------------------------------------------------------
    def _tick_of(self, until: Any) -> int:
        if until is None:
            return self.total_ticks
        if isinstance(until, (int, np.integer)) and not isinstance(until, bool):
            return int(until)
        tick_s = self.tick_minutes * 60
        if isinstance(until, (_dt.timedelta, pd.Timedelta)):
            return math.ceil(pd.Timedelta(until).total_seconds() / tick_s)
        return math.ceil((local_seconds(until) - self._sim.start) / tick_s)

    def step(self, n: int = 1) -> "Simulation":
        """Advance ``n`` ticks (stops at the end of the run)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self._sim.advance(self.tick + int(n))
        return self

    def run(self, until: Any = None, progress: bool = True,
            on_step: Callable[["Simulation"], Any] | None = None, every: Any = None) -> "Simulation":
        """Run to the end, or ``until`` a time ("2026-08-03T12:00", datetime, Timestamp), a
        duration from the start (timedelta) or a tick number (int).

        ``progress`` shows a tqdm bar (terminal or notebook). ``on_step(sim)`` is called every
        ``every`` of simulated time ("1h", "30min", timedelta, minutes; default: the output
        interval); runs without it go straight through in C++. The GIL is released while the
        engine runs; Ctrl-C raises KeyboardInterrupt between ticks and the simulation stays
        usable (call run() again to go on).
        """
        target = min(self._tick_of(until), self.total_ticks)
        bar, callback = self._progress_bar(target) if progress else (None, None)
        try:
            if on_step is None:
                self._sim.advance(target, callback)
            else:
                minutes = duration_minutes(every if every is not None else self._sim.output_every_minutes)
                every_ticks = max(1, round(minutes / self.tick_minutes))
                while self.tick < target:
                    self._sim.advance(min(target, (self.tick // every_ticks + 1) * every_ticks), callback)
                    on_step(self)
        finally:
            if bar is not None:
                bar.update(self.tick - bar.n)
                bar.close()
        return self

    def _progress_bar(self, target: int, initial: int | None = None):
        try:
            import ipywidgets  # noqa: F401 - tqdm's notebook bar needs it; else the text bar
            from tqdm.auto import tqdm
        except ImportError:
            try:
                from tqdm import tqdm
            except ImportError:
                return None, None
        bar = tqdm(total=target, initial=self.tick if initial is None else initial, unit="tick",
                   desc=self._sim.scenario["run.name"], leave=False)

        def update(tick: int, total: int, now: int, wall_s: float) -> None:
            bar.update(tick - bar.n)
            bar.set_postfix_str(_citysim.format_datetime(now)[:16], refresh=False)

        return bar, update

    # -- changes between steps ------------------------------------------------------------------
    def set(self, key: str, value: Any) -> None:
        """Change a scenario key now (same validation as the scenario file); modules pick it up
        before the next tick."""
        self._sim.set(key, value)

    def schedule(self, at: Any, kind: str, **params: Any) -> None:
        """Inject a timeline event, as an ``[[events]]`` entry would: ``kind`` is one of the
        schema's event kinds (``citysim.event_kinds()``) and ``params`` its keys, validated.
        ``sim.schedule("2026-08-03T14:00", "set", key="residents.go_out_prob_75plus", value=0.3)``.
        The time must be after now and within the run."""
        at_text = _citysim.format_datetime(local_seconds(at)) if not isinstance(at, str) else at
        self._sim.schedule(kind, at_text, params)

    @property
    def pending_events(self) -> list[dict]:
        """Timeline events that have not fired yet: the scenario file's and those scheduled
        from Python, in time order."""
        return self._sim.pending_events()

    # -- state and outputs ------------------------------------------------------------------------
    def field(self, path: str) -> np.ndarray:
        """A field's (rows, cols) float32 grid, e.g. "residents/present": a read-only
        :class:`FieldView` of the engine's memory (no copy). It is refreshed at each output
        sample — the initial one (taken by the first run()/step()) and then every
        ``run.output_every_minutes`` of simulated time — and holds the last sample's values
        in between (zeros before the first). For per-tick counts use
        ``sim.residents["present"]`` / ``["outdoors"]``."""
        values = self._sim.field(path)[0].view(FieldView)
        values.path, values._engine = path, self._sim
        return values

    @property
    def residents(self) -> dict[str, np.ndarray]:
        """The agents' arrays as read-only numpy views (age, role, flags, household, home_cell,
        day_cell, cell, activity, mode) plus per-cell counts present/outdoors (rows, cols).
        Codes: ``citysim.enum_names()``."""
        return self._sim.residents()

    @property
    def grid(self) -> Grid:
        """The city grid: mesh codes, lat/lon, municipalities, layers as read-only views."""
        if self._grid is None:
            self._grid = Grid._from_sim(self._sim)
        return self._grid

    @property
    def times(self) -> pd.DatetimeIndex:
        """The output sample times so far."""
        return timestamps(self._sim.sample_times())

    def series(self, path: str) -> pd.Series | pd.DataFrame:
        """A series' samples so far, indexed by time; a DataFrame (one column per category) for
        a series with a breakdown. ``.attrs`` holds units and description."""
        values, info = self._sim.series(path)
        return series_frame(values, info, self.times)

    def table(self, path: str) -> pd.DataFrame:
        """An event table as a DataFrame; ``.attrs["units"]`` maps column -> units."""
        return table_frame(self._sim.table(path), self._sim.start)

    def metrics(self) -> pd.DataFrame:
        """The metrics registry: every series, field and table with units (UDUNITS), the
        units as shown (``units_display``) and description."""
        columns = ["path", "kind", "units", "units_display", "description", "dimension", "labels", "columns"]
        return pd.DataFrame(self._sim.metrics(), columns=columns).set_index("path")

    def to_xarray(self):
        """The run so far as an xarray.Dataset that round-trips through netCDF: every series
        on ``time``, every field's last sample on (``y``, ``x``) (copies; plots north-up),
        lat/lon/mesh_code as coordinates, the other grid layers as ``grid__<name>``.
        Variables are named ``<module>__<name>`` (the metric path in ``attrs["path"]``) with
        ``units`` (UDUNITS), ``units_display`` and ``description``; times are UTC instants
        (``ds.indexes["time"].tz_localize("UTC").tz_convert("Asia/Tokyo")`` for Tokyo)."""
        series = [self.series(p) for p in self.metrics().query("kind == 'series'").index]
        fields = {}
        for path in self.metrics().query("kind == 'field'").index:
            values, info = self._sim.field(path)
            fields[path] = (values.copy(), dict(description=info["description"],
                                                **units_attrs(info["units"], info["units_display"])))
        grid = {name: (np.array(self.grid.layer(name)), dict(description="", **units_attrs(*LAYER_UNITS.get(name, ("", "")))))
                for name in self.grid.layers}
        return to_dataset(self.times, series, fields, None, grid,
                          dict(scenario_name=self._sim.scenario["run.name"], seed=self._sim.scenario["run.seed"],
                               now=_citysim.format_datetime(self._sim.now), threads=self.threads),
                          start_seconds=self._sim.start)

    def to_netcdf(self, path: str | os.PathLike, engine: str | None = None, **kw: Any) -> str:
        """Write :meth:`to_xarray` to a netCDF file (``engine`` "netcdf4", "h5netcdf", ...;
        other keywords go to ``xarray.Dataset.to_netcdf``). Written under a temporary name
        and renamed: a failed write leaves no file behind. Returns the path."""
        return to_netcdf(self.to_xarray(), path, engine=engine, **kw)

    # -- snapshots ----------------------------------------------------------------------------------
    def snapshot(self, path: str | os.PathLike) -> str:
        """Write the whole state at this tick to a snapshot file (HDF5, written atomically):
        ``citysim resume`` or :meth:`from_snapshot` continue it exactly as this run goes on.
        Returns the path."""
        path = os.fspath(path)
        self._sim.snapshot(path)
        return path

    @classmethod
    def from_snapshot(cls, path: str | os.PathLike, overrides: dict | None = None,
                      threads: int | None = None) -> "Simulation":
        """A simulation at a snapshot's tick. Without ``overrides`` it continues the snapshotted
        run bit for bit; with them (``{"heat.shelters.outreach_share": 0.4}``) it is a branch:
        the changes apply at the snapshot's time, as :meth:`set` would. Keys that shape the run
        (``run.*``, ``city.*``, ``*.enabled``) are refused with a ScenarioError; a corrupted, truncated
        or foreign snapshot with a SnapshotError. :meth:`record` right after continues the
        snapshotted run's results file (its series and fields from the start)."""
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such snapshot file")
        self = cls.__new__(cls)
        self._sim = _citysim.Simulation.from_snapshot(path, check_threads(threads), dict(overrides or {}))
        self._grid = None
        return self

    def fork(self, threads: int | None = None) -> "Simulation":
        """An independent in-memory copy at this tick: it steps on its own, and with the same
        changes gives the same results as this one (change a knob in one and compare).
        Results files being recorded are not copied."""
        other = type(self).__new__(type(self))
        other._sim = self._sim.fork(check_threads(threads))
        other._grid = None
        return other

    # -- results files ----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, fields_every: int = 1, progress: bool = False) -> str:
        """Write the run so far to an HDF5 results file, the same file ``citysim run`` writes:
        the scenario is replayed from the start with the same seed and the same set()/schedule()
        changes at the same ticks (results do not depend on the thread count). Ctrl-C stops
        the replay and leaves a partial file (complete = 0). Returns the path."""
        path = os.fspath(path)
        bar, callback = self._progress_bar(self.tick, initial=0) if progress else (None, None)
        try:
            self._sim.save(path, fields_every, callback)
        finally:
            if bar is not None:
                bar.close()
        return path

    def record(self, path: str | os.PathLike, fields_every: int = 1) -> None:
        """Stream results to an HDF5 file while running (before the first step only); the file
        is complete when the run ends (or :meth:`close` for a partial one)."""
        self._sim.record(os.fspath(path), fields_every)

    def close(self) -> None:
        """End a recording early (the file says complete = 0)."""
        self._sim.close()

    # -- plots ------------------------------------------------------------------------------------
    def plot(self, path: str, ax: Any = None, **kw: Any):
        """Line plot of a series so far."""
        from .plot import plot_series

        return plot_series(self.series(path), ax=ax, **kw)

    def map(self, path: str, ax: Any = None, **kw: Any):
        """Colour map of a field's last sample over the grid."""
        from .plot import plot_map

        values, info = self._sim.field(path)
        return plot_map(values, self.grid, title=f"{path} at {str(self.time)[:16]}", units=info["units_display"],
                        ax=ax, **kw)

    def __repr__(self) -> str:
        """The scenario name, the time and tick, the modules and the thread count."""
        return (f"<citysim.Simulation {self._sim.scenario['run.name']!r} at {str(self.time)[:16]}: "
                f"tick {self.tick}/{self.total_ticks}, modules {', '.join(self.modules)}, {self.threads} threads>")
