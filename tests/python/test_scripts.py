"""Python scenario scripts in scenarios/ run end to end."""
import subprocess
import sys

import citysim
from conftest import REPO, small_toml

PLAN = """\
base = "small.toml"
replicates = 3
baseline = "per_municipality=0"
[grid]
"heat.shelters.per_municipality" = [0, 4]
[[metric]]
path = "heat/expected_cases_total"
labels = ["65-74", "75+"]
"""
HEAT = '[heat]\nenabled = true\n[heat.weather]\nsource = "profile"\ntmax_c = [38]\ntmin_c = [28]\n'


def test_heatwave_shelters_plot_runs(out_dir):
    (out_dir / "small.toml").write_text(small_toml(hours=3, extra=HEAT))
    (out_dir / "p.ens.toml").write_text(PLAN)
    citysim.Ensemble.load(out_dir / "p.ens.toml").run(jobs=2, out=out_dir / "p.ens.h5")
    png = out_dir / "plot.png"
    script = str(REPO / "scenarios" / "heatwave_shelters_plot.py")
    run = subprocess.run([sys.executable, script, str(out_dir / "p.ens.h5"), "--out", str(png)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "per_municipality=4: difference " in run.stdout
    assert png.stat().st_size > 1000
    bad = subprocess.run([sys.executable, script, str(out_dir / "p.ens.h5"), "--metric", "nope", "--out", str(png)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "no metric nope" in bad.stderr
