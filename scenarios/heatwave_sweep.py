#!/usr/bin/env python3
"""Heatwave sweep: run the Tokyo scenario for several cooling-shelter counts and plot
heat-illness cases against shelters.

    PYTHONPATH=python /usr/bin/python3 scenarios/heatwave_sweep.py --out results/heatwave_sweep.png

Uses the heat module's shelter knob (heat.shelters.per_municipality) and its case series
when the engine has them. Until then it sweeps a residents knob instead (how often people
over 75 go out) against the number of people outdoors, so the script always runs; the
knob and metric can also be given on the command line.
"""
import argparse
import pathlib
import sys

import pandas as pd

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
import citysim  # noqa: E402


# without scenarios/heatwave.toml: a three-day heatwave on top of tokyo.toml (36-38 °C
# afternoons, tropical nights, as in heatwave.toml)
HEATWAVE = {"heat.enabled": True, "heat.weather.tmax_c": [36.0, 37.0, 38.0], "heat.weather.tmin_c": [27.0, 28.0, 28.0]}


def pick_knob(keys: set) -> tuple[str, list, dict]:
    if "heat.shelters.per_municipality" in keys:
        # 0..6 per municipality: 0..372 shelters over Tokyo's 62 municipalities
        return "heat.shelters.per_municipality", [0, 1, 2, 4, 6], {k: v for k, v in HEATWAVE.items() if k in keys}
    return "residents.go_out_prob_75plus", [0.1, 0.3, 0.5, 0.7], {}


def default_scenario(knob: str) -> pathlib.Path:
    heatwave = REPO / "scenarios" / "heatwave.toml"
    return heatwave if knob.startswith("heat.") and heatwave.exists() else REPO / "scenarios" / "tokyo.toml"


def pick_metric(sim: citysim.Simulation, knob: str) -> str:
    series = set(sim.metrics().query("kind == 'series'").index)
    if knob.startswith("heat."):
        for p in ("heat/expected_cases_total", "heat/cases_total", "heat/cases"):
            if p in series:
                return p
    return "residents/outdoors_total"


def summary(s) -> float:
    """Cumulative series (``*_total``): the last sample; others: the sum over samples."""
    values = s.to_numpy().reshape(len(s), -1).sum(axis=1)
    return float(values[-1] if s.attrs["path"].endswith("_total") else values.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", help="TOML file (default: scenarios/heatwave.toml, else tokyo.toml)")
    ap.add_argument("--scale", type=float, default=0.02, help="city.population_scale (default 0.02)")
    ap.add_argument("--hours", type=float, default=72, help="run.duration_hours")
    ap.add_argument("--municipalities", nargs="*", default=[], help="restrict to these (names or codes)")
    ap.add_argument("--knob", help="scenario key to sweep (default: the shelter count, or a residents knob)")
    ap.add_argument("--values", type=float, nargs="*", help="values of the knob")
    ap.add_argument("--metric", help="series to compare (default: heat cases, or residents outdoors)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "results" / "heatwave_sweep.png"), help="plot (png); '' = none")
    args = ap.parse_args()

    keys = set(citysim.schema().index)
    knob, values, extra = pick_knob(keys)
    knob = args.knob or knob
    values = args.values or values
    scenario = pathlib.Path(args.scenario) if args.scenario else default_scenario(knob)
    overrides = {"city.population_scale": args.scale, "run.duration_hours": args.hours}
    if scenario.name == "tokyo.toml":
        overrides.update(extra)
    if args.municipalities:
        overrides["city.municipalities"] = args.municipalities
    base = citysim.Scenario.load(scenario, overrides=overrides)
    print(f"{scenario.name}: sweeping {knob} over {values}", flush=True)
    if not knob.startswith("heat."):
        print(f"note: no heat shelter knob in this engine; sweeping {knob} instead", file=sys.stderr)

    rows, metric = [], args.metric
    for value in values:
        sc = base.copy()
        sc[knob] = value  # whole numbers are accepted for integer keys
        sim = citysim.Simulation(sc, threads=args.threads).run(progress=False)
        metric = metric or pick_metric(sim, knob)
        s = sim.series(metric)
        row = {knob: value, metric: summary(s)}
        if knob == "heat.shelters.per_municipality":
            row["shelters"] = int(value) * len(sim.grid.municipality_names)
        rows.append(row)
        print(f"{knob} = {value}: {metric} {row[metric]:.1f} {s.attrs['units']}", flush=True)
    table = pd.DataFrame(rows).set_index("shelters" if "shelters" in rows[0] else knob)
    print(table.to_string())
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        ax = table[metric].plot(marker="o", title=f"{metric} vs {table.index.name}", ylabel=f"{metric} ({s.attrs['units']})")
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(args.out, dpi=120, bbox_inches="tight")
        print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
