"""Python scenario scripts in scenarios/ run end to end."""
import subprocess
import sys

from conftest import REPO


def test_heatwave_sweep_runs(out_dir):
    png = out_dir / "sweep.png"
    run = subprocess.run([sys.executable, str(REPO / "scenarios" / "heatwave_sweep.py"), "--hours", "3",
                          "--municipalities", "Chiyoda", "Chuo", "--knob", "residents.go_out_prob_75plus",
                          "--values", "0.1", "0.6", "--out", str(png)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "residents.go_out_prob_75plus = 0.6" in run.stdout
    assert png.stat().st_size > 1000
    bad = subprocess.run([sys.executable, str(REPO / "scenarios" / "heatwave_sweep.py"), "--hours", "3",
                          "--knob", "residents.go_out_prob_75plus", "--values", "1.5", "--out", ""],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "expected a number in [0, 1]" in bad.stderr
