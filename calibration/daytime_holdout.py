"""Holdout of the daytime-population case: day/night ratios (people present at 14:00 / at
03:00) of the municipalities the fit did not use, against the 2010 ratios in
scenarios/data/tokyo_daytime_population.csv, before and after calibration.

usage: /usr/bin/python3 calibration/daytime_holdout.py BEFORE.h5 AFTER.h5
(results files of scenarios/daytime-population.toml and its calibrated version)"""
import csv
import sys

import h5py

FIT = {"Chiyoda", "23 wards", "Tokyo"}
GROUPS = {"Tama": lambda code: 13201 <= code <= 13308, "23 wards": lambda code: code <= 13123}


def ratios(path):
    f = h5py.File(path, "r")
    s = f["series/residents/present_by_municipality"]
    labels = [x.decode() for x in s.dims[1][0][:]]
    t = list(f["time"][:] / 3600)
    day, night = s[t.index(14.0)], s[t.index(3.0)]
    out = {}
    for i, label in enumerate(labels):
        name, code = label.rsplit(" (", 1)
        out[name] = (day[i], night[i], int(code.rstrip(")")))
    return out


def ratio(r, area):
    if area in GROUPS:
        rows = [v for v in r.values() if GROUPS[area](v[2])]
        return sum(v[0] for v in rows) / sum(v[1] for v in rows)
    return r[area][0] / r[area][1]


before, after = ratios(sys.argv[1]), ratios(sys.argv[2])
rows = [r for r in csv.DictReader(line for line in open("scenarios/data/tokyo_daytime_population.csv") if not line.startswith("#"))]
print("| area (2010 census, not fitted) | observed | before | after |")
print("|---|---|---|---|")
err_b = err_a = 0.0
n = 0
for row in rows:
    area = row["area"]
    if row["year"] != "2010" or area in FIT or area == "islands" or not row["ratio_pct"]:
        continue
    obs = float(row["ratio_pct"]) / 100
    b, a = ratio(before, area), ratio(after, area)
    err_b += abs(b / obs - 1)
    err_a += abs(a / obs - 1)
    n += 1
    print(f"| {area} | {obs:.3f} | {b:.3f} | {a:.3f} |")
print(f"\nmean absolute relative error: {err_b / n * 100:.1f}% before, {err_a / n * 100:.1f}% after ({n} areas)")
