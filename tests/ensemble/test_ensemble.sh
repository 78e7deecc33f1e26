#!/bin/bash
# citysim ensemble end to end on a tiny scenario (3 municipalities, 2% of residents, 3 h):
# bad plans exit 2 at file:line:key before anything runs; member results and summaries are
# the same whatever --jobs, --threads-per-member and slicing; resume skips complete members;
# a failing member is recorded and the rest go on; Ctrl-C leaves an incomplete file.
. "$(dirname "$0")/../cli/common.sh"

cp "$(dirname "$0")/tiny.toml" "$TMP/tiny.toml"
# 2 variants x 3 replicates; "same" repeats the baseline, so its paired difference is exactly 0
cat > "$TMP/plan.ens.toml" <<'TOML'
name = "tiny"
base = "tiny.toml"
seed = 7
replicates = 3
baseline = "shelters_10"
[[variant]]
name = "shelters_10"
[[variant]]
name = "same"
set = { "heat.shelters.per_municipality" = 10 }
[[metric]]
path = "heat/expected_cases_total"
labels = ["65-74", "75+"]
[[metric]]
path = "residents/travelling"
reduce = "max"
TOML

# ---- bad plans: exit 2, file:line:key, and no member file
bad() {  # bad NAME "message" < plan text
  cat > "$TMP/$1.ens.toml"
  expect 2 "$2" "$CITYSIM" ensemble "$TMP/$1.ens.toml" -o "$TMP/bad/$1.ens.h5"
  [ -e "$TMP/bad" ] && fail "$1: a bad plan must not run anything"
}
printf 'base = "tiny.toml"\nreplicate = 3\n[[metric]]\npath = "heat/cases_total"\n' |
  bad unknown "unknown.ens.toml:2: key 'replicate': unknown key"
printf 'base = "tiny.toml"\n[[variant]]\nname = "big"\nset = { "city.population_scale" = 3 }\n[[metric]]\npath = "heat/cases_total"\n' |
  bad range "range.ens.toml:4: key 'city.population_scale': expected a number in (0, 1], got number 3"
printf 'base = "tiny.toml"\n[grid]\n"heat.shelters.per_municipality" = []\n[[metric]]\npath = "heat/cases_total"\n' |
  bad grid "grid.ens.toml:3: key 'grid.heat.shelters.per_municipality': expected a non-empty list of values"
printf 'base = "tiny.toml"\nbaseline = "nope"\n[grid]\n"heat.shelters.per_municipality" = [1, 2]\n[[metric]]\npath = "heat/cases_total"\n' |
  bad baseline "baseline.ens.toml:2: key 'baseline': expected one of the variants (per_municipality=1, per_municipality=2), got \"nope\""
printf 'base = "tiny.toml"\n[[variant]]\nname = "x"\nset = { "city.populaton_scale" = 0.1 }\n[[metric]]\npath = "heat/cases_total"\n' |
  bad key "key.ens.toml:4: key 'city.populaton_scale': unknown key (did you mean 'city.population_scale'?)"
expect 2 "expected FIRST[-LAST][:STEP]" "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/bad/x.ens.h5" --members 3-1

# ---- one member at a time with two threads vs two at a time: identical members and summaries
expect 0 "6 of 6 members complete" "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/a/p.ens.h5" --jobs 1 --threads-per-member 2
"$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/b/p.ens.h5" --jobs 2 -q || fail "jobs 2"
for m in shelters_10/r000 shelters_10/r001 shelters_10/r002 same/r000 same/r001 same/r002; do
  "$CITYSIM" compare "$TMP/a/p.ens.members/$m.h5" "$TMP/b/p.ens.members/$m.h5" --rtol 0 --atol 0 >/dev/null ||
    fail "member $m differs between --jobs 1 --threads-per-member 2 and --jobs 2"
done
"$CITYSIM" ensemble report "$TMP/a/p.ens.h5" --json > "$TMP/a.json" || fail "report a"
"$CITYSIM" ensemble report "$TMP/b/p.ens.h5" --json > "$TMP/b.json" || fail "report b"
cmp -s "$TMP/a.json" "$TMP/b.json" || fail "summaries differ between --jobs 1 and --jobs 2: $(diff "$TMP/a.json" "$TMP/b.json")"
# replicates differ (their seeds do), the repeated baseline's paired difference is exactly zero
out=$("$CITYSIM" ensemble report "$TMP/a/p.ens.h5")
[[ "$out" == *"same "*"; difference 0 [0, 0] (0%), bootstrap [0, 0]"* ]] || fail "a repeated baseline must differ by 0: $out"
[[ "$out" == *"heat/expected_cases_total 65-74,75+ (final, people):"* ]] || fail "report lacks the metric line: $out"

# ---- Slurm-style slices, then collect: the same ensemble
"$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/s/p.ens.h5" --members 0-5:2 -q || fail "slice 0-5:2"
[ -e "$TMP/s/p.ens.h5" ] && fail "a slice must not write the ensemble file"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/s/p.ens.h5" -q ||
  fail "array task 1 of 2"
expect 0 "6 of 6 members complete" "$CITYSIM" ensemble collect "$TMP/plan.ens.toml" -o "$TMP/s/p.ens.h5"
"$CITYSIM" ensemble report "$TMP/s/p.ens.h5" --json | cmp -s - "$TMP/a.json" || fail "collected slices differ from one run"

# ---- resume: a removed member is run again, the other five are reused
rm "$TMP/a/p.ens.members/same/r001.h5"
expect 0 "6/6 members done (5 reused)" "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/a/p.ens.h5"
"$CITYSIM" ensemble report "$TMP/a/p.ens.h5" --json | cmp -s - "$TMP/a.json" || fail "a resumed ensemble differs"
# a member file from another plan (another seed) is not reused
sed -i 's/^seed = 7/seed = 8/' "$TMP/plan.ens.toml"
expect 0 "6/6 members done (0 reused)" "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/a/p.ens.h5"
sed -i 's/^seed = 8/seed = 7/' "$TMP/plan.ens.toml"

# ---- a failing member: recorded, the rest go on, no contrast with fewer than 2 pairs
cat > "$TMP/fail.ens.toml" <<'TOML'
base = "tiny.toml"
replicates = 2
[[variant]]
name = "ok"
[[variant]]
name = "broken"
set = { "city.municipalities" = ["Nowhere"] }
[[metric]]
path = "residents/travelling"
TOML
out=$("$CITYSIM" ensemble "$TMP/fail.ens.toml" -o "$TMP/f/f.ens.h5" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "an ensemble with a failed member exits 1, got $rc"
[[ "$out" == *"2 of 4 members complete"* ]] || fail "the ok members must complete: $out"
[[ "$out" == *"broken n/a [n/a, n/a] (n=0); difference not computed: 0 paired replicate(s), needs 2"* ]] ||
  fail "no contrast without pairs: $out"
[[ "$out" == *"broken replicate 1: failed: $TMP/fail.ens.toml:7: key 'city.municipalities': unknown municipality"* ]] ||
  fail "the failure is listed with its error: $out"
[ -e "$TMP/f/f.ens.h5" ] || fail "the ensemble file is written despite a failed member"

# ---- Ctrl-C: stops scheduling, the file is marked incomplete, a rerun finishes the rest
sed 's/duration_hours = 3/duration_hours = 12/' "$TMP/tiny.toml" > "$TMP/long.toml"
sed 's/base = "tiny.toml"/base = "long.toml"/' "$TMP/plan.ens.toml" > "$TMP/long.ens.toml"
"$CITYSIM" ensemble "$TMP/long.ens.toml" -o "$TMP/k/l.ens.h5" -q &
pid=$!
for _ in $(seq 100); do [ -e "$TMP/k/l.ens.members/shelters_10/r000.h5" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" = 130 ] || fail "Ctrl-C exits 130, got $rc"
[ -e "$TMP/k/l.ens.h5" ] && fail "an interrupted ensemble must not write the complete name"
complete=$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['/'].attrs['complete'])" "$TMP/k/l.ens.h5.partial")
[ "$complete" = 0 ] || fail "the interrupted ensemble file says complete = $complete"
out=$("$CITYSIM" ensemble "$TMP/long.ens.toml" -o "$TMP/k/l.ens.h5" 2>&1) || fail "rerun after Ctrl-C: $out"
[[ "$out" =~ "6/6 members done ("[1-5]" reused)" ]] || fail "the rerun reuses the members done before Ctrl-C: $out"

# ---- a build without MPI says so, and an mpirun around it is refused (the MPI launcher
# itself: test_ensemble_mpi.sh)
if "$CITYSIM" --version | grep -q "mpi off"; then
  OMPI_COMM_WORLD_SIZE=3 expect 2 "built without MPI" "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/m/p.ens.h5"
  [ -e "$TMP/m" ] && fail "a refused mpirun must not run anything"
else
  expect 0 "mpi on" "$CITYSIM" --version
fi

# ---- the default output: results/<plan name without .ens.toml>.ens.h5 (output_path.hpp, as run's)
(cd "$TMP" && "$CITYSIM" ensemble plan.ens.toml -q) || fail "an ensemble without -o"
[ -e "$TMP/results/plan.ens.h5" ] && [ -e "$TMP/results/plan.ens.members/same/r002.h5" ] ||
  fail "without -o the ensemble goes to results/plan.ens.h5: $(ls -R "$TMP/results" 2>&1 | head)"

# ---- members of one city share it: the same member files as members that build their own
"$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/n/p.ens.h5" --jobs 2 --no-shared-city -q || fail "--no-shared-city"
for m in shelters_10/r000 same/r002; do
  "$CITYSIM" compare "$TMP/b/p.ens.members/$m.h5" "$TMP/n/p.ens.members/$m.h5" --rtol 0 --atol 0 >/dev/null ||
    fail "member $m differs between a shared city and its own"
done
"$CITYSIM" ensemble report "$TMP/n/p.ens.h5" --json | cmp -s - "$TMP/a.json" || fail "a shared city changes the summaries"

# ---- Sobol samples: points of the Sobol' sequence scaled to the ranges (dimension 1 for the
# first key alphabetically: 0.5, 0.75, 0.25, 0.375; dimension 2: 0.5, 0.25, 0.75, 0.375)
cat > "$TMP/sobol.ens.toml" <<'TOML'
base = "tiny.toml"
[sample]
method = "sobol"
n = 4
[sample.ranges]
"heat.shelters.outreach_share" = [0.0, 0.8]
"heat.shelters.per_municipality" = [0, 16]
[[metric]]
path = "residents/travelling"
TOML
"$CITYSIM" ensemble "$TMP/sobol.ens.toml" -o "$TMP/sob/s.ens.h5" -q || fail "a Sobol plan runs"
overrides=$(/usr/bin/python3 -c "
import h5py, sys
f = h5py.File(sys.argv[1])
print(' | '.join(f'{v.decode()}: ' + ', '.join(o.decode().split()) for v, o in zip(f['members/variant'][:], f['members/overrides'][:])))" "$TMP/sob/s.ens.h5")
for want in "sobol000: heat.shelters.outreach_share=0.4, heat.shelters.per_municipality=8" \
            "sobol001: heat.shelters.outreach_share=0.6, heat.shelters.per_municipality=4" \
            "sobol002: heat.shelters.outreach_share=0.2, heat.shelters.per_municipality=12" \
            "sobol003: heat.shelters.outreach_share=0.3, heat.shelters.per_municipality=6"; do
  [[ "$overrides" == *"$want"* ]] || fail "Sobol point '$want' not among: $overrides"
done
printf 'base = "tiny.toml"\n[sample]\nmethod = "sobol"\nn = 4\nseed = 3\n[sample.ranges]\n"heat.shelters.outreach_share" = [0.0, 0.8]\n[[metric]]\npath = "residents/travelling"\n' |
  bad sobolseed "sobolseed.ens.toml:5: key 'sample.seed': Sobol' points are not scrambled and take no seed"
{ printf 'base = "tiny.toml"\n[sample]\nmethod = "sobol"\nn = 4\n[sample.ranges]\n'
  for k in heat.shelters.outreach_share heat.shelters.per_municipality heat.shelters.capacity_people; do printf '"%s" = [0, 1]\n' "$k"; done
  for i in $(seq 1 19); do printf '"x%02d" = [0, 1]\n' "$i"; done
  printf '[[metric]]\npath = "residents/travelling"\n'; } |
  bad sobolwide "sobolwide.ens.toml:5: key 'sample.ranges': method = \"sobol\" takes at most 21 keys (the Joe-Kuo direction numbers citysim embeds), got 22"
printf 'base = "tiny.toml"\n[sample]\nmethod = "sobol"\nn = 10001\n[sample.ranges]\n"heat.shelters.outreach_share" = [0.0, 0.8]\n[[metric]]\npath = "residents/travelling"\n' |
  bad sobolmany "sobolmany.ens.toml:4: key 'sample.n': expected an integer in [1, 10000]"
# ---- members branched from one snapshot: they share the run up to its time (identical
# samples), replicates diverge after it by their seeds, variants apply their keys at it;
# a variant changing a structural key is refused at its plan line; resume reuses members
# (with the network on: its sessions are drawn as they start, so new seeds show at once;
# the residents' day plans were drawn at midnight and stay the snapshot's)
{ cat "$TMP/tiny.toml"; printf '[network]\nenabled = true\n'; } > "$TMP/tinynet.toml"
"$CITYSIM" run "$TMP/tinynet.toml" -o "$TMP/snapbase.h5" -q --threads 2 --snapshot-at 2026-08-04T11:30 \
  --checkpoint-dir "$TMP/snap" || fail "the run writing the snapshot"
mv "$TMP"/snap/*.snap.h5 "$TMP/shared.snap.h5"
cat > "$TMP/from.ens.toml" <<'TOML'
base = "tinynet.toml"
from = "shared.snap.h5"
seed = 3
replicates = 2
[[variant]]
name = "base"
[[variant]]
name = "outreach"
set = { "heat.shelters.outreach_share" = 0.9 }
[[metric]]
path = "network/offered"
reduce = "sum"
TOML
expect 0 "4 of 4 members complete" "$CITYSIM" ensemble "$TMP/from.ens.toml" -o "$TMP/f/from.ens.h5" --jobs 2
expect 0 "4/4 members done (4 reused)" "$CITYSIM" ensemble "$TMP/from.ens.toml" -o "$TMP/f/from.ens.h5"
/usr/bin/python3 - "$TMP/f/from.ens.members" "$TMP/snapbase.h5" <<'PYEOF' || fail "members branched from a snapshot"
import sys, glob, h5py, numpy as np
files = sorted(glob.glob(sys.argv[1] + "/*/r*.h5"))
assert len(files) == 4, files
base = h5py.File(sys.argv[2], "r")
t = base["time_iso"][:].astype(str)
cut = int(np.searchsorted(t, "2026-08-04T11:30:01"))  # the samples up to the snapshot
ref = base["series/network/offered"][:cut]
runs = [h5py.File(f, "r") for f in files]
for f in runs:
    x = f["series/network/offered"][:]
    assert np.array_equal(x[:cut], ref), "before the snapshot every member is the snapshotted run"
    assert f["meta"].attrs["snapshot_use"] == "branch"
# base/r000 and base/r001: other seeds after the snapshot, so they differ there
a, b = (f["series/network/offered"][cut:] for f in runs[:2])
assert not np.array_equal(a, b), "replicates must diverge after the snapshot"
PYEOF
cat > "$TMP/fromcity.ens.toml" <<'TOML'
base = "tinynet.toml"
from = "shared.snap.h5"
[[variant]]
name = "bigger"
set = { "city.population_scale" = 0.05 }
[[metric]]
path = "residents/travelling"
TOML
expect 2 "fromcity.ens.toml:5: key 'city.population_scale': cannot differ from the snapshot's scenario" \
  "$CITYSIM" ensemble "$TMP/fromcity.ens.toml" -o "$TMP/g/x.ens.h5"
printf 'base = "tinynet.toml"\nfrom = "nothing.snap.h5"\n[[metric]]\npath = "residents/travelling"\n' > "$TMP/fromnone.ens.toml"
expect 2 "fromnone.ens.toml:2: key 'from':" "$CITYSIM" ensemble "$TMP/fromnone.ens.toml" -o "$TMP/g/x.ens.h5"

finish ensemble
