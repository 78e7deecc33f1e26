"""Fixtures: small inline scenarios (three central wards at 2%, like tests/support.hpp) that
run in well under a second, and an output folder."""
import os
import pathlib
import re

import pytest

import citysim

SMALL_TOML = """\
[run]
name = "small"
seed = 7
start = "2026-08-03T06:00"
duration_hours = {hours}
tick_minutes = 1
output_every_minutes = 60

[city]
population_scale = 0.02
municipalities = ["Chiyoda", "Chuo", "Bunkyo", "Taito"]
{extra}"""

REPO = pathlib.Path(__file__).resolve().parents[2]


def small_toml(hours: float = 6, extra: str = "") -> str:
    return SMALL_TOML.format(hours=hours, extra=extra)


@pytest.fixture
def out_dir(tmp_path):
    return tmp_path


@pytest.fixture
def small_file(tmp_path):
    """Write the small scenario (plus extra TOML) to a file; returns its path."""
    def write(hours: float = 6, extra: str = "", name: str = "small.toml") -> pathlib.Path:
        p = tmp_path / name
        p.write_text(small_toml(hours, extra))
        return p
    return write


@pytest.fixture
def small():
    """A small Scenario (6 hours from 06:00)."""
    def make(hours: float = 6, extra: str = "") -> citysim.Scenario:
        return citysim.Scenario.from_toml(small_toml(hours, extra), "small.toml", str(REPO / "tests"))
    return make


def cli_path():
    path = os.environ.get("CITYSIM_CLI", "")
    return path if path and os.access(path, os.X_OK) else None


# the units the files may carry: UDUNITS-2 expressions (products of these with integer
# powers); counts of things (people, trips, sessions) are "1", their noun in units_display
UDUNITS_WORDS = {"1", "degC", "degree", "degrees_north", "degrees_east", "kW", "m", "s", "h", "min", "d", "km",
                 "year", "%"}


def is_udunits(text: str) -> bool:
    """True for UDUNITS-2 text made of UDUNITS_WORDS (a documented check: cf-units is not packaged in Debian 12)."""
    if re.match(r"^seconds since \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$", text):  # CF time
        return True
    return text == "" or all(re.sub(r"(?<=[A-Za-z])-?\d+$", "", w) in UDUNITS_WORDS for w in text.split())
