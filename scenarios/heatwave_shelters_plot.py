#!/usr/bin/env python3
"""Plot an ensemble's contrasts honestly: for each variant, the paired difference from the
baseline with its 95% interval (t-interval bars, bootstrap as open markers), on an axis
labelled as a difference with zero drawn; and each variant's mean with its interval on an
axis from zero.

    /usr/bin/python3 scenarios/heatwave_shelters_plot.py results/heatwave-shelters.ens.h5 \\
        --metric "heat.expected_cases_total[65-74+75+].final" --out results/heatwave-shelters.png
"""
import argparse
import pathlib
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
import citysim  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ensemble", help="ensemble file (.ens.h5)")
    ap.add_argument("--metric", default="heat.expected_cases_total[65-74+75+].final", help="metric id in the file")
    ap.add_argument("--out", default=str(REPO / "results" / "heatwave-shelters.png"), help="plot (png)")
    a = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = citysim.open_ensemble(a.ensemble)
    if f"{a.metric}/reduced" not in ds:
        known = sorted({k.split("/")[0] for k in ds.data_vars if "/" in k})
        sys.exit(f"{a.ensemble}: no metric {a.metric} (metrics: {', '.join(known)})")
    m = lambda name: ds[f"{a.metric}/{name}"].values  # noqa: E731
    variants = list(ds["variant"].values)
    attrs = ds[f"{a.metric}/reduced"].attrs
    units = attrs.get("units_display", attrs.get("units", ""))  # "people", not the CF "1"
    x = np.arange(len(variants))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    mean = ds[f"{a.metric}/reduced"].mean("replicate").values
    se = ds[f"{a.metric}/reduced"].std("replicate", ddof=1).values / np.sqrt(ds.sizes["replicate"])
    left.bar(x, mean, yerr=1.96 * se, capsize=4, color="0.7")
    left.set_ylim(bottom=0)
    left.set_xticks(x, variants, rotation=20)
    left.set_ylabel(units)
    left.set_title(f"mean over {ds.sizes['replicate']} replicates (±1.96 se)")
    diff, lo, hi = m("mean_diff"), m("t_lo"), m("t_hi")
    ok = np.isfinite(diff)
    right.axhline(0, color="black", lw=0.8)
    right.errorbar(x[ok], diff[ok], yerr=[diff[ok] - lo[ok], hi[ok] - diff[ok]], fmt="o", capsize=4, label="95% t-interval")
    right.plot(x[ok], m("boot_lo")[ok], "_", color="C1", ms=14, label="95% bootstrap")
    right.plot(x[ok], m("boot_hi")[ok], "_", color="C1", ms=14)
    right.set_xticks(x, variants, rotation=20)
    right.set_ylabel(f"difference from {ds.attrs['baseline']} ({units})")
    right.set_title("paired difference from the baseline")
    right.legend()
    fig.suptitle(f"{ds[f'{a.metric}/reduced'].attrs.get('path', a.metric)} {ds[f'{a.metric}/reduced'].attrs.get('labels', '')}")
    fig.tight_layout()
    pathlib.Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.out, dpi=110)
    for v, d, l, h in zip(variants, diff, lo, hi):
        if np.isfinite(d):
            print(f"{v}: difference {d:.4g} [{l:.4g}, {h:.4g}] {units}")
    print(f"plot: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
