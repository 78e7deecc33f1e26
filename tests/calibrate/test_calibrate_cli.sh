#!/bin/bash
# citysim calibrate on the command line: bad specs exit 2 at file:line:key before any
# evaluation (no output written); a small fit with an observed CSV series writes the
# calibration file, the calibrated scenario and a report whose numbers match the file.
. "$(dirname "$0")/../cli/common.sh"

cp "$(dirname "$0")/tiny-housing.toml" "$TMP/tiny.toml"
# a good spec; each bad one below changes one thing
good() {
  cat <<'TOML'
base = "tiny.toml"
method = "bobyqa"
max_evaluations = 12
[[parameter]]
key = "housing.move_out_rate_at_40"
bounds = [0.01, 0.2]
initial = 0.035
transform = "log"
[[target]]
name = "move-outs"
path = "housing/move_outs_by_reason"
labels = ["move_out"]
reduce = "sum"
observed = 150
sigma = 12
TOML
}
bad() {  # bad NAME "message" < spec text
  cat > "$TMP/$1.cal.toml"
  expect 2 "$2" "$CITYSIM" calibrate "$TMP/$1.cal.toml" -o "$TMP/bad/$1.h5" --work-dir "$TMP/bad/work"
  [ -e "$TMP/bad" ] && fail "$1: a bad spec must not evaluate anything"
}
bad key "key.cal.toml:5: key 'housing.move_out_rate_at40': unknown key (did you mean 'housing.move_out_rate_at_40'?)" < <(good | sed 's/housing.move_out_rate_at_40/housing.move_out_rate_at40/')
bad bounds "bounds.cal.toml:6: key 'housing.move_out_rate_at_40': bounds [0.01, 2] leave the key's own range: expected a number in [0, 0.9], got 2" < <(good | sed 's/bounds = \[0.01, 0.2\]/bounds = [0.01, 2]/')
bad initial "initial.cal.toml:7: key 'parameter[0].initial': expected a value within the bounds [0.01, 0.2], got 0.5" < <(good | sed 's/initial = 0.035/initial = 0.5/')
bad transform "transform.cal.toml:8: key 'parameter[0].transform': expected one of none, log, logit, got \"sqrt\"" < <(good | sed 's/transform = "log"/transform = "sqrt"/')
bad path "path.cal.toml:11: key 'path': no module publishes heat/cases_total in this scenario (published: housing/occupied" < <(good | sed 's|path = "housing/move_outs_by_reason"|path = "heat/cases_total"|')
bad label "label.cal.toml:12: key 'labels': no label \"moved\" in housing/move_outs_by_reason (labels: death, care_or_family, move_out, eviction, reconstruction)" < <(good | sed 's/labels = \["move_out"\]/labels = ["moved"]/')
bad sigma "sigma.cal.toml:15: key 'target[0].sigma': expected a sigma > 0, got 0" < <(good | sed 's/sigma = 12/sigma = 0/')
bad method "method.cal.toml:2: key 'method': expected one of bobyqa, neldermead (local), crs2, isres (global), mcmc (a posterior sample), got \"lbfgs\"" < <(good | sed 's/^method = "bobyqa"/method = "lbfgs"/')
bad unknown "unknown.cal.toml:3: key 'max_evaluation': unknown key (known here: base, burn_in, ftol_abs, hessian, hessian_step, max_evaluations" < <(good | sed 's/^max_evaluations = 12/max_evaluation = 12/')
bad prior "prior.cal.toml:19: key 'parameter[0].prior.sd': expected a number > 0, got -1" < <({ good; printf '[parameter.prior]\nkind = "normal"\nmean = 0.03\nsd = -1\n'; })
# an observed series: a bad row names the CSV's file and line
printf 'time,value,sigma\n720,10,3\n1440,abc,3\n' > "$TMP/rows.csv"
bad csv "rows.csv:3: key 'value': expected a number, got \"abc\"" < <(good | sed 's/^observed = 150/csv = "rows.csv"/; /^sigma = 12/d')
printf 'time,value,sigma\n720,10,3\n1440,12,-1\n' > "$TMP/neg.csv"
bad csvsigma "neg.csv:3: key 'sigma': expected a sigma > 0, got -1" < <(good | sed 's/^observed = 150/csv = "neg.csv"/; /^sigma = 12/d')
printf 'time,value,sigma\n700,10,3\n' > "$TMP/off.csv"
bad csvtime "off.csv:2: key 'time': no output sample at 700 h (samples every 720 h up to 8760 h)" < <(good | sed 's/^observed = 150/csv = "off.csv"/; /^sigma = 12/d')

# ---- a small fit: a scalar target and an observed monthly series of move-outs
printf 'time,value,sigma\n' > "$TMP/monthly.csv"
for m in 1 2 3 4 5 6 7 8 9 10 11 12; do printf '%d,14,4\n' $((m * 720)) >> "$TMP/monthly.csv"; done
{ good; printf '[[target]]\nname = "monthly"\npath = "housing/move_outs"\ncsv = "monthly.csv"\nweight = 0.5\n'; } > "$TMP/fit.cal.toml"
out=$("$CITYSIM" calibrate "$TMP/fit.cal.toml" -o "$TMP/out/fit.calibration.h5" --jobs 2 -q 2>&1) || fail "the fit exited $?: $out"
[ -f "$TMP/out/fit.calibration.h5" ] || fail "no calibration file"
[ -e "$TMP/out/fit.calibration.h5.partial" ] && fail "the .partial file was left behind"
[ -f "$TMP/out/fit.calibration.scenario.toml" ] || fail "no calibrated scenario"
"$CITYSIM" validate "$TMP/out/fit.calibration.scenario.toml" > /dev/null || fail "the calibrated scenario does not validate"
grep -q '^#   move-outs: housing/move_outs_by_reason \[move_out\] sum, observed 150 +- 12' "$TMP/out/fit.calibration.scenario.toml" ||
  fail "the calibrated scenario's comments do not name the target"
expect 0 "move-outs                             150        12" "$CITYSIM" calibrate report "$TMP/out/fit.calibration.h5"
expect 0 "monthly                        12 points: rms z" "$CITYSIM" calibrate report "$TMP/out/fit.calibration.h5"
"$CITYSIM" calibrate report --json "$TMP/out/fit.calibration.h5" > "$TMP/report.json" || fail "report --json exited $?"
# the report's numbers are the file's: before = evaluation 0, after = the best evaluation
/usr/bin/python3 - "$TMP/report.json" "$TMP/out/fit.calibration.h5" "$TMP/out/fit.calibration.scenario.toml" <<'PY' || fail "report values"
import json, sys, h5py, numpy as np, tomllib
r = json.load(open(sys.argv[1])); f = h5py.File(sys.argv[2], "r")
best = int(f.attrs["best"]); sim = f["evaluations/simulated"][:]; loss = f["evaluations/loss"][:]
assert r["best"] == best and len(r["loss_trace"]) == len(loss) == int(f.attrs["evaluations"])
assert abs(r["loss_best"] - loss.min()) < 1e-12 and loss[best] == loss.min(), (r["loss_best"], loss.min())
obs = [o for t in r["targets"] for o in t["observations"]]
assert len(obs) == 13 and [o["observed"] for o in obs] == [150.0] + [14.0] * 12
for k, o in enumerate(obs):
    assert o["before"] == sim[0, k] and o["after"] == sim[best, k], (k, o)
    assert abs(o["z_after"] - (sim[best, k] - o["observed"]) / o["sigma"]) < 1e-9
# the loss: 1/2 sum w z^2 (weight 0.5 on the series)
z = f["evaluations/residual"][best]; w = np.array([1.0] + [0.5] * 12)
assert abs(loss[best] - 0.5 * (w * z**2).sum()) < 1e-9
assert r["loss_best"] < r["loss_initial"]
x = f["parameters/optimum"][0]; assert f["evaluations/x"][best, 0] == x
assert np.isfinite(f["parameters/se"][0]) and f["parameters/se"][0] > 0
assert tomllib.load(open(sys.argv[3], "rb"))["housing"]["move_out_rate_at_40"] == x
PY
expect 2 "" "$CITYSIM" calibrate

# ---- Ctrl-C: the evaluations so far in FILE.partial with complete = 0, exit 130, no
# calibrated scenario, and no complete file replaced
sed 's/^max_evaluations = 12/max_evaluations = 500\nxtol_rel = 1e-12\nftol_abs = 1e-12\nreplicates = 4/' "$TMP/fit.cal.toml" > "$TMP/long.cal.toml"
"$CITYSIM" calibrate "$TMP/long.cal.toml" -o "$TMP/int/long.calibration.h5" -q &
pid=$!
sleep 3
kill -INT $pid
wait $pid
rc=$?
[ "$rc" = 130 ] || fail "an interrupted calibration exited $rc, expected 130"
[ -f "$TMP/int/long.calibration.h5.partial" ] || fail "no .partial after Ctrl-C"
[ -e "$TMP/int/long.calibration.h5" ] && fail "an interrupted calibration wrote the complete file"
[ -e "$TMP/int/long.calibration.scenario.toml" ] && fail "an interrupted calibration wrote a calibrated scenario"
/usr/bin/python3 - "$TMP/int/long.calibration.h5.partial" <<'PY' || fail "the .partial file"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["complete"] == 0 and f.attrs["evaluations"] >= 1, dict(f.attrs)
status = list(f["evaluations/status"].asstr()[:])
assert status[0] == "ok" and set(status) <= {"ok", "interrupted"}, status
PY
expect 0 "INCOMPLETE" "$CITYSIM" calibrate report "$TMP/int/long.calibration.h5.partial"
finish "calibrate"
