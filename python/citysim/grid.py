"""The city grid: JIS X 0410 mesh code <-> (row, col) <-> latitude/longitude, municipalities."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from . import _citysim

LAYERS = ("mesh_code", "lat", "lon", "municipality", "municipality_index", "land_use", "land_share", "population",
          "day_places", "building_year", "water", "coast_km")

# units of the layers, as in the results file's /grid: (UDUNITS units, units_display)
LAYER_UNITS = {"mesh_code": ("1", "1"), "lat": ("degrees_north", "degrees_north"), "lon": ("degrees_east", "degrees_east"),
               "municipality": ("1", "1"), "municipality_index": ("1", "1"), "land_use": ("1", "1"),
               "land_share": ("1", "1"), "population": ("1", "people"), "day_places": ("1", "people"),
               "building_year": ("1", "year"), "water": ("1", "1"), "coast_km": ("km", "km")}


def mesh_code(lat: float, lon: float, cell_m: int = 1000) -> int:
    """The JIS X 0410 code of the cell containing a point (cell_m: 1000 = 3rd mesh, 500, 250)."""
    return _citysim.mesh_code(lat, lon, cell_m)


def mesh_center(code: int) -> tuple[float, float]:
    """(lat, lon) of the centre of a mesh cell, any supported level."""
    return _citysim.mesh_center(int(code))


class Grid:
    """Rows x cols mesh cells (row 0 = north); island municipalities are inset blocks, so
    use lat/lon (not row/col) for distances. Layers are numpy arrays (rows, cols): for a live
    simulation they are read-only views of the engine's memory."""

    def __init__(self, layers: Mapping[str, np.ndarray], municipalities: list[dict], cell_m: int,
                 outlines: list[tuple[int, np.ndarray, np.ndarray]] = (), credit: str = ""):
        """A grid from its layers ({name: (rows, cols) array}), municipality records, cell size
        in metres and boundary rings; ``sim.grid`` and ``res.grid`` build it for you."""
        self._layers = dict(layers)
        self.cell_m = int(cell_m)
        self._municipalities = municipalities
        self._index: dict[int, int] | None = None
        self.outlines = list(outlines)  #: (code, lon, lat) of each municipal boundary ring
        self.credit = credit  #: the credit line the boundary data requires wherever it is shown

    @classmethod
    def _from_sim(cls, sim: "_citysim.Simulation") -> "Grid":
        info = sim.grid_info()
        return cls({name: sim.grid_layer(name) for name in LAYERS}, info["municipalities"], info["cell_m"],
                   info["outlines"], info["credit"])

    def outline_rowcol(self) -> list[np.ndarray]:
        """Each boundary ring as (n, 2) fractional (row, col) image coordinates (cell centres at
        integers), placed through the inset that holds its first vertex."""
        q = {1000: 1, 500: 2, 250: 4}[self.cell_m]
        dlat, dlon = 1 / 120 / q, 1 / 80 / q
        out = []
        for _, lon, lat in self.outlines:
            try:
                r0, c0 = self.rowcol_at(float(lat[0]), float(lon[0]))
            except (KeyError, ValueError):
                continue
            iy0, ix0 = np.floor(lat[0] / dlat), np.floor((lon[0] - 100) / dlon)
            out.append(np.column_stack([r0 - 0.5 + (iy0 + 1 - lat / dlat), c0 - 0.5 + ((lon - 100) / dlon - ix0)]))
        return out

    # -- layers ---------------------------------------------------------------------------
    def layer(self, name: str) -> np.ndarray:
        """A layer by name (``grid.layers``); also an attribute: ``grid.population``."""
        if name not in self._layers:
            raise KeyError(f"no grid layer '{name}'; known: {', '.join(self._layers)}")
        return self._layers[name]

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.layer(name)
        except KeyError as e:
            raise AttributeError(str(e)) from None

    @property
    def layers(self) -> list[str]:
        """The names of the layers (mesh_code, lat, lon, municipality, population, ...)."""
        return list(self._layers)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return tuple(self._layers["mesh_code"].shape)  # type: ignore[return-value]

    @property
    def rows(self) -> int:
        """Rows of cells (row 0 = north)."""
        return self.shape[0]

    @property
    def cols(self) -> int:
        """Columns of cells (column 0 = west)."""
        return self.shape[1]

    # -- municipalities --------------------------------------------------------------------
    @property
    def municipalities(self) -> pd.DataFrame:
        """One row per municipality in the grid, indexed by local government code."""
        return pd.DataFrame(self._municipalities).set_index("code")

    @property
    def municipality_names(self) -> list[str]:
        """English names, in the grid's municipality order (the order of breakdown series)."""
        return [m["name_en"] for m in self._municipalities]

    def by_municipality(self, values: np.ndarray, how: str = "sum") -> pd.Series:
        """Aggregate a (rows, cols) array over each municipality's cells (how: sum, mean, max, min)."""
        codes = np.asarray(self.layer("municipality"))
        values = np.asarray(values)
        if values.shape != codes.shape:
            raise ValueError(f"expected an array of shape {codes.shape}, got {values.shape}")
        frame = pd.DataFrame({"code": codes.ravel(), "value": values.ravel()})
        agg = frame[frame.code != 0].groupby("code")["value"].agg(how)
        names = {m["code"]: m["name_en"] for m in self._municipalities}
        agg.index = pd.Index([names.get(c, str(c)) for c in agg.index], name="municipality")
        return agg.rename(None)

    # -- conversions ---------------------------------------------------------------------------
    def _cell_index(self) -> dict[int, int]:
        if self._index is None:
            codes = np.asarray(self.layer("mesh_code")).ravel()
            nz = np.flatnonzero(codes)
            self._index = dict(zip(codes[nz].tolist(), nz.tolist()))
        return self._index

    def cell_of_code(self, code: int) -> tuple[int, int]:
        """(row, col) of a mesh code of this grid's level; KeyError when not in the grid."""
        flat = self._cell_index().get(int(code))
        if flat is None:
            raise KeyError(f"mesh code {code} is not a cell of this grid ({self.cell_m} m cells)")
        return divmod(flat, self.cols)

    def code_at(self, row: int, col: int) -> int:
        """Mesh code of a cell (0 outside every block)."""
        return int(self.layer("mesh_code")[row, col])

    def rowcol_at(self, lat: float, lon: float) -> tuple[int, int]:
        """(row, col) of the cell containing a point; KeyError when outside the grid."""
        return self.cell_of_code(mesh_code(lat, lon, self.cell_m))

    def latlon_of(self, row: int, col: int) -> tuple[float, float]:
        """(lat, lon) of a cell centre (NaN outside every block)."""
        return float(self.layer("lat")[row, col]), float(self.layer("lon")[row, col])

    def __repr__(self) -> str:
        return (f"<citysim.Grid {self.rows} x {self.cols} cells of {self.cell_m} m, "
                f"{len(self._municipalities)} municipalities>")


