"""Time and value helpers shared by the package (Tokyo local time, TOML text)."""
from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from . import _citysim

TZ = "Asia/Tokyo"  #: the time zone of every time citysim shows (UTC+9, no daylight saving)
_TOKYO_OFFSET_S = 9 * 3600


def local_seconds(t: Any) -> int:
    """Tokyo local seconds (seconds since 1970-01-01T00:00+09:00) of a time.

    Accepts ISO text ("2026-08-03T14:00", with or without an offset), datetime/date,
    pandas.Timestamp (naive ones are Asia/Tokyo wall-clock time, aware ones are converted),
    numpy.datetime64 (UTC, as xarray holds times) or an int (already local seconds).
    """
    if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
        return int(t)
    if isinstance(t, str):
        return _citysim.parse_datetime(t)
    if isinstance(t, np.datetime64):  # xarray's times: UTC instants
        return int(t.astype("datetime64[s]").astype(np.int64)) + _TOKYO_OFFSET_S
    if isinstance(t, pd.Timestamp) and t.tzinfo is not None:
        return int(t.tz_convert("UTC").value // 10**9) + _TOKYO_OFFSET_S
    if isinstance(t, _dt.datetime) and t.tzinfo is not None:
        return int(t.timestamp()) + _TOKYO_OFFSET_S
    if hasattr(t, "isoformat"):
        return _citysim.parse_datetime(t.isoformat())
    raise TypeError(f"expected a time (ISO text, datetime or pandas.Timestamp), got {type(t).__name__}")


def timestamps(seconds: Any) -> pd.DatetimeIndex:
    """Tokyo local seconds -> timezone-aware pandas timestamps (Asia/Tokyo)."""
    utc = np.asarray(seconds, dtype=np.int64) - _TOKYO_OFFSET_S
    return pd.DatetimeIndex(pd.to_datetime(utc, unit="s", utc=True), name="time").tz_convert(TZ)


def timestamp(seconds: int) -> pd.Timestamp:
    """Tokyo local seconds -> a timezone-aware pandas.Timestamp (Asia/Tokyo)."""
    return pd.Timestamp(int(seconds) - _TOKYO_OFFSET_S, unit="s", tz="UTC").tz_convert(TZ)


def utc_instants(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Aware times -> naive UTC datetime64, the form xarray keeps (and decodes files to)."""
    return pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None)


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
