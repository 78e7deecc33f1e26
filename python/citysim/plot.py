"""Quick matplotlib plots: a series against time, a field as a colour map over the grid
with municipality borders and labels."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _axes(ax: Any):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 4))[1]


def plot_series(data: pd.Series | pd.DataFrame, ax: Any = None, **kw: Any):
    """Line plot of a series (one line per category for a breakdown); returns the axes."""
    ax = _axes(ax)
    attrs = dict(data.attrs)
    if isinstance(data.index, pd.DatetimeIndex) and data.index.tz is not None:
        data = data.copy()  # Tokyo wall-clock on the axis (matplotlib would label UTC)
        data.index = data.index.tz_localize(None)
        data.attrs.update(attrs)
    data.plot(ax=ax, **kw)
    units = data.attrs.get("units_display", data.attrs.get("units", ""))  # "°C", not the CF "degC"
    ax.set_title(data.attrs.get("path", ""))
    ax.set_ylabel(units)
    ax.set_xlabel("time (Asia/Tokyo)")
    if isinstance(data, pd.DataFrame) and data.shape[1] > 12 and ax.get_legend() is not None:
        ax.get_legend().remove()  # too many categories to tell apart
    return ax


def _borders(codes: np.ndarray):
    """Line segments between horizontally or vertically adjacent cells of different municipalities."""
    segs = []
    rows, cols = codes.shape
    dv = np.argwhere(codes[:, 1:] != codes[:, :-1])  # border right of (r, c)
    segs += [[(c + 0.5, r - 0.5), (c + 0.5, r + 0.5)] for r, c in dv]
    dh = np.argwhere(codes[1:, :] != codes[:-1, :])  # border below (r, c)
    segs += [[(c - 0.5, r + 0.5), (c + 0.5, r + 0.5)] for r, c in dh]
    return segs


def plot_map(values: np.ndarray, grid: Any, title: str = "", units: str = "", ax: Any = None,
             labels: bool = True, cmap: str = "magma", **kw: Any):
    """Colour map of a (rows, cols) field over the grid, sea and outside cells blank,
    municipality borders drawn (the real boundaries when the grid has them, with their
    credit line) and names written at the municipal offices."""
    from matplotlib.collections import LineCollection

    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(8, 8 * grid.rows / max(grid.cols, 1) * 0.8 + 1))[1]
    codes = np.asarray(grid.municipality)
    shown = np.where(codes != 0, np.asarray(values, dtype=float), np.nan)
    im = ax.imshow(shown, cmap=cmap, origin="upper", interpolation="nearest", **kw)
    ax.figure.colorbar(im, ax=ax, shrink=0.7, label=units)
    rings = [ring[:, ::-1] for ring in grid.outline_rowcol()]  # (x = col, y = row)
    ax.add_collection(LineCollection(rings or _borders(codes), colors="white", linewidths=0.4, alpha=0.8))
    if grid.credit:  # its English half: matplotlib's default font has no Japanese
        ax.annotate(grid.credit.split(" / ")[-1], (0.5, -0.02), xycoords="axes fraction", ha="center", va="top", fontsize=5)
    if labels:
        for m in grid._municipalities:
            try:
                r, c = grid.rowcol_at(m["lat"], m["lon"])
            except (KeyError, ValueError):
                continue
            ax.text(c, r, m["name_en"], fontsize=6, ha="center", va="center", color="cyan")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
