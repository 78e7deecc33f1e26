"""citysim: agent-based city simulation of Tokyo on the JIS X 0410 mesh, from Python.

    import citysim
    sc = citysim.Scenario.load("scenarios/tokyo.toml", overrides={"city.population_scale": 0.02})
    sim = citysim.Simulation(sc, threads=2)
    sim.run(until="2026-08-03T12:00")
    sim.series("residents/travelling").plot()
    sim.save("results/x.h5"); res = citysim.open("results/x.h5"); res.to_xarray()

Times are timezone-aware Asia/Tokyo pandas timestamps; in xarray (which keeps no time
zone) they are UTC instants, as ``xarray.open_dataset`` decodes the HDF5 file:
``ds.indexes["time"].tz_localize("UTC").tz_convert("Asia/Tokyo")`` converts.

Keys are the TOML keys ("city.population_scale"); metric paths are "<module>/<name>", the
same in HDF5 (/series/<module>/<name>) and here. Modules added to the engine show up
through ``Simulation.metrics()`` with no extra binding code.
"""
from . import _citysim
from ._citysim import ScenarioError, SnapshotError, format_datetime, parse_datetime
from .calibration import Calibration, open_calibration
from .ensemble import Ensemble, fan_chart, open_ensemble
from .grid import Grid, mesh_center, mesh_code
from .results import Result, open
from .scenario import Scenario, ScenarioFileNotFoundError, event_kinds, schema
from .simulation import FieldView, Simulation, to_netcdf

__version__ = _citysim.__version__


def enum_names() -> dict:
    """Names of the codes in the residents arrays and grid layers (role, activity, mode,
    land_use) and the resident flag bits."""
    return _citysim.enum_names()


def data_dir() -> str:
    """The folder of bundled data (scenarios/data; CITYSIM_DATA_DIR overrides it)."""
    return _citysim.data_dir()


__all__ = ["Scenario", "ScenarioError", "ScenarioFileNotFoundError", "SnapshotError", "FieldView", "to_netcdf", "Simulation", "Result", "Grid", "open", "schema", "event_kinds",
           "mesh_code", "mesh_center", "format_datetime", "parse_datetime", "enum_names", "data_dir",
           "Ensemble", "open_ensemble", "fan_chart", "Calibration", "open_calibration", "__version__"]
