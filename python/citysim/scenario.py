"""Scenarios: the same keys, validation and messages as TOML files and `citysim run --set`."""
from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

from . import _citysim
from ._util import iso_minutes, local_seconds, toml_value

ScenarioError = _citysim.ScenarioError


class ScenarioFileNotFoundError(ScenarioError, FileNotFoundError):
    """A scenario file that does not exist: both a :class:`ScenarioError` (as every bad
    scenario input) and a :class:`FileNotFoundError` (``.filename`` is the path)."""

    def __init__(self, path: str):
        # the engine's wording (citysim run says the same)
        FileNotFoundError.__init__(self, 2, "cannot open scenario file (no such file)", path)
        self.key, self.reason, self.file, self.line = "", "cannot open scenario file (no such file)", path, 0

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


def scenario_error(key: str, reason: str, file: str = "", line: int = 0) -> ScenarioError:
    """A ScenarioError worded like the engine's ("file:line: key 'k': reason")."""
    where = (file or "scenario") + (f":{line}" if line > 0 else "")
    err = ScenarioError(f"{where}: " + (f"key '{key}': " if key else "") + reason)
    err.key, err.reason, err.file, err.line = key, reason, file, line
    return err


def _override_text(key: str, value: Any) -> str:
    return f"{key}={value if isinstance(value, str) else toml_value(value)}"


class Scenario(_citysim.Scenario):
    """A validated set of scenario values; every schema key has one (its default unless set).

    Keys are the dotted TOML keys (``"city.population_scale"``)::

        sc = citysim.Scenario.load("scenarios/tokyo.toml", overrides={"city.population_scale": 0.02})
        sc["run.duration_hours"] = 6          # validated: raises citysim.ScenarioError
        d = sc.to_dict()                      # nested dicts mirroring the TOML tables
        sc2 = citysim.Scenario.from_dict(d)

    Bad values raise :class:`citysim.ScenarioError` (a ValueError) with ``.key``,
    ``.reason``, ``.file`` and ``.line``, worded as the command line words them.
    """

    # -- construction ------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, overrides: Mapping[str, Any] | Iterable[str] | None = None,
             **kw: Any) -> "Scenario":
        """Read a TOML scenario file and apply overrides, exactly like ``citysim run --set``.

        ``overrides`` maps dotted keys to values (or is a list of ``"key=value"`` texts);
        keyword arguments use ``__`` for dots: ``load(p, city__population_scale=0.05)``.
        """
        texts: list[str] = []
        if isinstance(overrides, Mapping):
            texts += [_override_text(k, v) for k, v in overrides.items()]
        elif overrides is not None:
            texts += [str(o) for o in overrides]
        texts += [_override_text(k.replace("__", "."), v) for k, v in kw.items()]
        if not os.path.isfile(os.fspath(path)):
            raise ScenarioFileNotFoundError(os.fspath(path))
        sc = cls()
        sc._assign(_citysim.Scenario._load(os.fspath(path), texts))
        return sc

    @classmethod
    def from_toml(cls, text: str, name: str = "<string>", base_dir: str = ".") -> "Scenario":
        """Parse TOML text (``name`` appears in error messages; relative paths resolve against ``base_dir``)."""
        sc = cls()
        sc._assign(_citysim.Scenario._parse(text, name, base_dir))
        sc.check_consistency()
        return sc

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], base_dir: str = ".") -> "Scenario":
        """Build from nested dicts mirroring the TOML tables (``{"run": {"seed": 3}}``);
        dotted keys (``{"run.seed": 3}``) and an ``"events"`` list of dicts work too.
        Validation and messages are those of the TOML loader."""
        sc = cls()
        sc.base_dir = base_dir
        events: list[Mapping[str, Any]] = []
        sc._set_tree(d, "", events)
        for ev in events:
            ev = dict(ev)
            if not isinstance(ev.get("kind"), str):
                raise scenario_error("events.kind", "expected a string naming the event kind")
            kind, at = ev.pop("kind"), ev.pop("at", None)
            if at is None:
                raise scenario_error("events.at", "expected a datetime like 2026-08-03T14:00 (Asia/Tokyo)")
            sc.add_event(kind, at.isoformat() if hasattr(at, "isoformat") else str(at), ev)
        sc.check_consistency()
        sc.source_text = sc.to_toml()
        return sc

    def _set_tree(self, d: Mapping[str, Any], prefix: str, events: list) -> None:
        known = set(self.keys())
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if key == "events":
                events.extend(v)
            elif isinstance(v, Mapping) and key not in known:
                self._set_tree(v, key, events)
            else:
                self.set(key, v)

    def copy(self) -> "Scenario":
        """An independent copy (values, events, source and overrides)."""
        sc = type(self)()
        sc._assign(self)
        return sc

    __copy__ = copy

    # -- export -------------------------------------------------------------------------
    def to_dict(self, all: bool = False) -> dict[str, Any]:
        """Nested dicts mirroring the TOML tables: the keys that were set (``all=True``:
        every key, defaults included) plus ``"events"`` when the timeline has entries."""
        out: dict[str, Any] = {}
        for key in self.keys():
            if not (all or self.is_set(key)):
                continue
            node = out
            *tables, leaf = key.split(".")
            for t in tables:
                node = node.setdefault(t, {})
            node[leaf] = self[key]
        events = self.events
        if events:
            out["events"] = [{**ev, "at": iso_minutes(local_seconds(ev["at"]))} for ev in events]
        return out

    def to_toml(self, all: bool = False) -> str:
        """The scenario as TOML text (the set keys, or every key with ``all=True``)."""
        d = self.to_dict(all=all)
        events = d.pop("events", [])
        lines: list[str] = []

        def flat(node: Mapping[str, Any], prefix: str = ""):
            for k, v in node.items():
                if isinstance(v, Mapping):
                    yield from flat(v, f"{prefix}{k}.")
                else:
                    yield prefix + k, v

        for table, node in d.items():
            lines.append(f"[{table}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in flat(node)]
            lines.append("")
        for ev in events:
            lines.append("[[events]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in ev.items()]
            lines.append("")
        return "\n".join(lines)

    def __repr__(self) -> str:
        set_keys = [k for k in self.keys() if self.is_set(k)]
        src = f" from {self.source_path!r}" if self.source_path else ""
        return f"<citysim.Scenario{src}: {len(set_keys)} keys set, {len(self.events)} events>"

    def __iter__(self):
        return iter(self.keys())


def schema() -> "pandas.DataFrame":  # noqa: F821
    """Every scenario key: kind, default, unit, allowed values and doc (the reference page as a table)."""
    import pandas as pd

    return pd.DataFrame(_citysim.schema_keys()).set_index("key")


def event_kinds() -> list[dict]:
    """The ``[[events]]`` kinds and their keys."""
    return _citysim.schema_events()

