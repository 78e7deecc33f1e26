"""Time and value helpers shared by the package (Tokyo local time, TOML text)."""
from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from . import _citysim

def local_seconds(t: Any) -> int:
    """Tokyo local seconds (seconds since 1970-01-01T00:00+09:00) of a time.

    Accepts ISO text ("2026-08-03T14:00"), datetime/date, pandas.Timestamp (naive ones are
    Asia/Tokyo wall-clock time, aware ones are converted) or an int (already local seconds).
    """
    if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
        return int(t)
    if isinstance(t, str):
        return _citysim.parse_datetime(t)
    if hasattr(t, "isoformat"):
        return _citysim.parse_datetime(t.isoformat())
    raise TypeError(f"expected a time (ISO text, datetime or pandas.Timestamp), got {type(t).__name__}")


def timestamps(seconds: Any) -> pd.DatetimeIndex:
    """Tokyo local seconds -> naive pandas timestamps in Asia/Tokyo wall-clock time."""
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(seconds, dtype=np.int64), unit="s"), name="time")


def timestamp(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(int(seconds), unit="s")


def iso_minutes(seconds: int) -> str:
    """'2026-08-03T14:00' (or with seconds when not on a minute)."""
    text = _citysim.format_datetime(int(seconds))[:19]
    return text[:16] if text.endswith(":00") else text


def duration_minutes(every: Any) -> float:
    """'1h', '30min', a timedelta or a number of minutes -> minutes."""
    if isinstance(every, (int, float, np.integer, np.floating)) and not isinstance(every, bool):
        return float(every)
    return pd.Timedelta(every).total_seconds() / 60.0


def toml_value(value: Any) -> str:
    """A Python value written as TOML (and as `--set key=value` text)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if not math.isfinite(x):
            return repr(x)  # rejected by validation with the usual message
        text = repr(x)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return json.dumps(value.isoformat())
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(toml_value(v) for v in list(value)) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
