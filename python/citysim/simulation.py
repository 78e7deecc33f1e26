"""Simulation: live stepping over the C++ engine, numpy views, pandas series and tables."""
from __future__ import annotations

import datetime as _dt
import math
import os
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import _citysim
from ._util import duration_minutes, local_seconds, timestamp, timestamps
from .grid import LAYER_UNITS, Grid
from .scenario import Scenario


def series_frame(values: np.ndarray, info: dict, times: pd.DatetimeIndex) -> pd.Series | pd.DataFrame:
    """A series' history as pandas: a Series, or a DataFrame with one column per category."""
    if info.get("labels"):
        out: pd.Series | pd.DataFrame = pd.DataFrame(values, index=times,
                                                     columns=pd.Index(info["labels"], name=info["dimension"]))
    else:
        out = pd.Series(values.reshape(len(times), -1)[:, 0], index=times, name=info["path"])
    out.attrs.update(path=info["path"], units=info["units"], description=info["description"])
    return out


def table_frame(data: dict) -> pd.DataFrame:
    """A table as a DataFrame; column units in ``df.attrs["units"]``."""
    df = pd.DataFrame({name: values for name, _, values in data["columns"]})
    df.attrs.update(path=data["path"], description=data["description"],
                    units={name: units for name, units, _ in data["columns"]})
    return df


def to_dataset(times: pd.DatetimeIndex, series: list, fields: dict, field_coords: dict, grid: dict, attrs: dict):
    """An xarray.Dataset of series (pandas, on ``time``; a breakdown on its category dimension),
    fields ({path: (dims, values, attrs)}), grid layers ({name: (values, attrs)}) as
    ``grid/<name>`` on (row, col); every variable keeps ``units`` and ``description``."""
    import xarray as xr

    coords: dict[str, Any] = {"time": ("time", times)}
    coords.update({name: (name, values) for name, values in field_coords.items()})
    data: dict[str, Any] = {}
    for s in series:
        meta = dict(units=s.attrs["units"], description=s.attrs["description"])
        if isinstance(s, pd.Series):
            data[s.attrs["path"]] = xr.Variable(("time",), s.to_numpy(), attrs=meta)
            continue
        # one dimension per category list; the same name with other labels in another
        # module gets the module as a prefix ("watch/kind")
        dim, labels = s.columns.name, list(s.columns)
        if dim in coords and list(coords[dim]) != labels:
            dim = f"{s.attrs['path'].split('/')[0]}/{dim}"
        coords[dim] = labels
        data[s.attrs["path"]] = xr.Variable(("time", dim), s.to_numpy(), attrs=meta)
    for path, (dims, values, meta) in fields.items():
        data[path] = xr.Variable(dims, values, attrs=meta)
    for name, (values, meta) in grid.items():
        data[f"grid/{name}"] = xr.Variable(("row", "col"), values, attrs=meta)
    return xr.Dataset(data, coords=coords, attrs=attrs)


class Simulation:
    """A running simulation of a scenario.

    >>> sim = citysim.Simulation(citysim.Scenario.load("scenarios/tokyo.toml"), threads=2)
    >>> sim.run(until="2026-08-03T12:00")         # GIL released; Ctrl-C stops between ticks
    >>> sim.field("residents/present")            # numpy view, no copy
    >>> sim.series("residents/travelling")        # pandas Series indexed by time

    Arrays from :meth:`field`, :attr:`residents` and :attr:`grid` are read-only views of the
    engine's memory: no copy, their address never changes, they show the current state as
    the simulation steps, and each keeps the engine alive (the array's ``base``) — copy
    (``np.array(v)``) to keep a snapshot.
    """

    def __init__(self, scenario: Scenario | str | os.PathLike | dict, threads: int | None = None):
        if isinstance(scenario, (str, os.PathLike)):
            scenario = Scenario.load(scenario)
        elif isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        if threads is not None and threads < 0:
            raise ValueError(f"threads must be >= 0 (0 or None = all cores), got {threads}")
        self._sim = _citysim.Simulation(scenario, threads or 0)
        self._grid: Grid | None = None

    # -- time -----------------------------------------------------------------------------
    @property
    def time(self) -> pd.Timestamp:
        """The simulated time now (Asia/Tokyo wall clock, naive timestamp)."""
        return timestamp(self._sim.now)

    @property
    def start(self) -> pd.Timestamp:
        return timestamp(self._sim.start)

    @property
    def end(self) -> pd.Timestamp:
        return timestamp(self._sim.start + self._sim.total_ticks * self._sim.tick_minutes * 60)

    @property
    def tick(self) -> int:
        """Ticks done so far."""
        return self._sim.tick

    @property
    def total_ticks(self) -> int:
        return self._sim.total_ticks

    @property
    def tick_minutes(self) -> int:
        return self._sim.tick_minutes

    @property
    def finished(self) -> bool:
        return self._sim.finished

    @property
    def threads(self) -> int:
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
        """The current (rows, cols) float32 grid of a field, e.g. "residents/present": a
        read-only view of the engine's memory (no copy; updates as the simulation steps)."""
        return self._sim.field(path)[0]

    @property
    def residents(self) -> dict[str, np.ndarray]:
        """The agents' arrays as read-only numpy views (age, role, flags, household, home_cell,
        day_cell, cell, activity, mode) plus per-cell counts present/outdoors (rows, cols).
        Codes: ``citysim.enum_names()``."""
        return self._sim.residents()

    @property
    def grid(self) -> Grid:
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
        return table_frame(self._sim.table(path))

    def metrics(self) -> pd.DataFrame:
        """The metrics registry: every series, field and table with units and description."""
        columns = ["path", "kind", "units", "description", "dimension", "labels", "columns"]
        return pd.DataFrame(self._sim.metrics(), columns=columns).set_index("path")

    def to_xarray(self):
        """The run so far as an xarray.Dataset: every series on ``time``, every field's current
        values on (row, col) (copies), the grid layers; units and descriptions as attributes."""
        series = [self.series(p) for p in self.metrics().query("kind == 'series'").index]
        fields = {}
        for path in self.metrics().query("kind == 'field'").index:
            values, info = self._sim.field(path)
            fields[path] = (("row", "col"), values.copy(), dict(units=info["units"], description=info["description"]))
        grid = {name: (np.array(self.grid.layer(name)), dict(units=LAYER_UNITS.get(name, ""), description=""))
                for name in self.grid.layers}
        return to_dataset(self.times, series, fields, {}, grid,
                          dict(scenario_name=self._sim.scenario["run.name"], seed=self._sim.scenario["run.seed"],
                               now=_citysim.format_datetime(self._sim.now), threads=self.threads))

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
        if threads is not None and threads < 0:
            raise ValueError(f"threads must be >= 0 (0 or None = all cores), got {threads}")
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such snapshot file")
        self = cls.__new__(cls)
        self._sim = _citysim.Simulation.from_snapshot(path, threads or 0, dict(overrides or {}))
        self._grid = None
        return self

    def fork(self, threads: int | None = None) -> "Simulation":
        """An independent in-memory copy at this tick: it steps on its own, and with the same
        changes gives the same results as this one (change a knob in one and compare).
        Results files being recorded are not copied."""
        other = type(self).__new__(type(self))
        other._sim = self._sim.fork(threads or 0)
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
        """Colour map of a field's current values over the grid."""
        from .plot import plot_map

        values, info = self._sim.field(path)
        return plot_map(values, self.grid, title=f"{path} at {str(self.time)[:16]}", units=info["units"], ax=ax, **kw)

    def __repr__(self) -> str:
        return (f"<citysim.Simulation {self._sim.scenario['run.name']!r} at {str(self.time)[:16]}: "
                f"tick {self.tick}/{self.total_ticks}, modules {', '.join(self.modules)}, {self.threads} threads>")
