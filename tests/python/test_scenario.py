"""Scenarios from Python: same values as TOML, same validation and messages as the CLI."""
import subprocess
import tomllib

import pytest

import citysim
from conftest import REPO, cli_path

EVENTS = """
[residents]
go_out_prob_75plus = 0.45
smartphone_share_by_age = [0.4, 0.9, 0.9, 0.8, 0.6, 0.3]

[[events]]
kind = "set"
at = "2026-08-03T09:00"
key = "residents.go_out_prob_75plus"
value = "0.2"
"""


def test_dict_round_trip_equals_the_toml(small_file):
    path = small_file(extra=EVENTS)
    with open(path, "rb") as f:
        toml = tomllib.load(f)
    sc = citysim.Scenario.load(path)
    assert sc.to_dict() == toml
    again = citysim.Scenario.from_dict(toml)
    assert again.to_dict() == toml
    for key in sc.keys():
        assert again[key] == sc[key], key
    assert again.events == sc.events
    # and through TOML text
    assert citysim.Scenario.from_toml(again.to_toml()).to_dict() == toml


def test_dotted_keys_and_all_defaults(small):
    sc = citysim.Scenario.from_dict({"run.seed": 3, "city": {"population_scale": 0.05}})
    assert sc["run.seed"] == 3 and sc["city.population_scale"] == 0.05
    full = sc.to_dict(all=True)
    assert full["residents"]["aircon_share"] == citysim.schema().loc["residents.aircon_share", "default"]
    assert sc.is_set("run.seed") and not sc.is_set("run.name")


def test_setitem_validates_with_key_reason_file_line(small):
    sc = small()
    sc["city.population_scale"] = 0.05
    assert sc["city.population_scale"] == 0.05
    with pytest.raises(citysim.ScenarioError) as e:
        sc["city.population_scale"] = 2
    assert isinstance(e.value, ValueError)
    assert e.value.key == "city.population_scale"
    assert e.value.reason == "expected a number in (0, 1], got integer 2"
    assert str(e.value) == "scenario: key 'city.population_scale': expected a number in (0, 1], got integer 2"
    with pytest.raises(citysim.ScenarioError, match=r"unknown key \(did you mean 'city.population_scale'\?\)"):
        sc["city.populaton_scale"] = 0.1
    with pytest.raises(citysim.ScenarioError, match="expected an integer"):
        sc["run.seed"] = "seven"
    with pytest.raises(citysim.ScenarioError, match="got dict"):
        sc["run.seed"] = {"a": 1}
    assert sc["city.population_scale"] == 0.05  # unchanged by the failed sets


def test_file_errors_carry_file_and_line():
    with pytest.raises(citysim.ScenarioError) as e:
        citysim.Scenario.from_toml('[run]\nseed = 1\nduration_hours = "long"\n', "bad.toml")
    assert (e.value.file, e.value.line, e.value.key) == ("bad.toml", 3, "run.duration_hours")
    assert str(e.value).startswith("bad.toml:3: key 'run.duration_hours': expected a number")
    with pytest.raises(citysim.ScenarioError, match="cannot open scenario file"):
        citysim.Scenario.load("no/such/file.toml")


def test_from_dict_errors():
    with pytest.raises(citysim.ScenarioError, match="unknown key"):
        citysim.Scenario.from_dict({"run": {"sead": 1}})
    with pytest.raises(citysim.ScenarioError, match="unknown event kind"):
        citysim.Scenario.from_dict({"events": [{"kind": "meteor", "at": "2026-08-03T01:00"}]})
    with pytest.raises(citysim.ScenarioError) as e:
        citysim.Scenario.from_dict({"events": [{"at": "2026-08-03T01:00"}]})
    assert e.value.key == "events.kind"
    with pytest.raises(citysim.ScenarioError, match="whole number of ticks"):
        citysim.Scenario.from_dict({"run": {"tick_minutes": 7, "duration_hours": 1}})


def test_overrides_match_the_cli_messages(small_file):
    path = small_file()
    sc = citysim.Scenario.load(path, overrides={"city.population_scale": 0.05}, run__seed=11)
    assert sc["city.population_scale"] == 0.05 and sc["run.seed"] == 11
    assert sc.overrides == ["city.population_scale=0.05", "run.seed=11"]
    with pytest.raises(citysim.ScenarioError) as e:
        citysim.Scenario.load(path, overrides=["city.population_scale=2"])
    assert str(e.value) == ("--set city.population_scale=2: key 'city.population_scale': "
                            "expected a number in (0, 1], got number 2")
    cli = cli_path()
    if cli is None:
        pytest.skip("citysim CLI not built (CITYSIM_CLI)")
    run = subprocess.run([cli, "validate", str(path), "--set", "city.population_scale=2"],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip() == f"error: {e.value}"


def test_schema_listing():
    keys = citysim.schema()
    assert {"kind", "default", "unit", "doc"} <= set(keys.columns)
    assert keys.loc["run.duration_hours", "unit"] == "h"
    assert "set" in [e["kind"] for e in citysim.event_kinds()]


def test_bundled_scenario_loads():
    sc = citysim.Scenario.load(REPO / "scenarios" / "tokyo.toml")
    assert sc["run.name"] == "tokyo"
