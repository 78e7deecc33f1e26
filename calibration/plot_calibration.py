"""Observed vs simulated (before and after, with the observations' error bars) and the loss
trace of a calibration file (results/README.md#calibration-files-citysim-calibrate).

usage: /usr/bin/python3 calibration/plot_calibration.py FILE.calibration.h5 OUT.png"""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

f = h5py.File(sys.argv[1], "r")
init, best = int(f.attrs["initial"]), int(f.attrs["best"])
names = list(f["targets/name"].asstr()[:])
target = f["observations/target"][:]
obs, sigma = f["observations/observed"][:], f["observations/sigma"][:]
sim = f["evaluations/simulated"][:]
loss = f["evaluations/loss"][:]
phase = list(f["evaluations/phase"].asstr()[:])

fig, (ax, tr) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
# each observation as simulated / observed, so targets of any size share one axis
x = np.arange(len(obs))
ax.errorbar(x, np.ones_like(obs), yerr=sigma / np.abs(obs), fmt="o", color="black", capsize=4, label="observed ± sigma")
ax.plot(x - 0.12, sim[init] / obs, "s", color="tab:red", label="before (initial values)")
ax.plot(x + 0.12, sim[best] / obs, "D", color="tab:blue", label="after (optimum)")
labels = [names[t] if (target == t).sum() == 1 else f"{names[t]} [{k}]" for k, t in enumerate(target)]
ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=8)
ax.set_ylabel("simulated / observed")
ax.set_xlim(-0.6, len(obs) - 0.4)
ax.axhline(1, color="grey", lw=0.5)
ax.set_title(f"{f.attrs['name']}: targets")
ax.legend(fontsize=8)
ok = loss < 1e9
e = np.arange(len(loss))
for p, c in [("initial", "tab:red"), ("search", "tab:gray"), ("hessian", "tab:green")]:
    m = ok & (np.array(phase) == p)
    tr.plot(e[m], loss[m], "o", ms=3, color=c, label=p)
tr.plot(e[ok], np.minimum.accumulate(np.where(ok, loss, np.inf))[ok], "-", color="tab:blue", label="best so far")
tr.set_yscale("symlog", linthresh=1e-2)
tr.set_xlabel("evaluation")
tr.set_ylabel("loss (1/2 sum z² + prior)")
tr.set_title(f"loss {f.attrs['loss_initial']:.3g} → {f.attrs['loss_best']:.3g}")
tr.legend(fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
