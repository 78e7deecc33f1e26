#!/bin/bash
# Snapshots end to end: for each module alone and all together, a run snapshotted at T and
# resumed (on the other thread count) equals the run that never stopped, at rtol 0; a branch
# with no change equals the baseline; and every bad snapshot or branch is refused.
. "$(dirname "$0")/common.sh"
PY=${PYTHON:-/usr/bin/python3}

# name | scenario | overrides | snapshot time
cases=(
  "all|tests/golden/small.toml||2026-08-03T08:17"
  "residents|scenarios/tokyo.toml|run.duration_hours=10 city.population_scale=0.002|2026-08-03T08:43"
  "heat|scenarios/heatwave-shelters.toml|run.duration_hours=30 city.population_scale=0.005|2026-08-04T13:00"
  "network|scenarios/earthquake-network.toml|run.duration_hours=22 city.population_scale=0.003|2026-03-11T14:52"
  "watch|scenarios/watch-baseline.toml|run.duration_hours=48 city.population_scale=0.2|2026-10-06T09:31"
  "vertiport|scenarios/vertiport-bay.toml||2026-08-03T08:05"
  "vertiport-residents|scenarios/vertiport-residents.toml|run.duration_hours=20 city.population_scale=0.005 vertiport.demand.residents_share=0.2|2026-08-03T08:10"
  "housing|scenarios/housing-baseline.toml|run.duration_hours=17520|2027-05-01T00:00"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name scenario overrides at <<< "$c"
  sets=()
  for o in $overrides; do sets+=(--set "$o"); done
  "$CITYSIM" run "$scenario" "${sets[@]}" -o "$TMP/$name-full.h5" -q --threads 2 --fields-every 2 ||
    { fail "$name: the full run"; continue; }
  "$CITYSIM" run "$scenario" "${sets[@]}" -o "$TMP/$name-cut.h5" -q --threads 2 --fields-every 2 --snapshot-at "$at" \
    --checkpoint-dir "$TMP/$name-snaps" || { fail "$name: the run with a snapshot"; continue; }
  snap=$(ls "$TMP/$name-snaps"/*.snap.h5 2>/dev/null | head -1)
  [ -n "$snap" ] || { fail "$name: no snapshot written in $TMP/$name-snaps"; continue; }
  expect 0 "" "$CITYSIM" resume "$snap" -o "$TMP/$name-resumed.h5" -q --threads 1
  expect 0 "same results within tolerance" "$CITYSIM" compare "$TMP/$name-resumed.h5" "$TMP/$name-full.h5" --rtol 0 --atol 0
done

# the other way round: a snapshot taken on 1 thread resumes on 2
"$CITYSIM" run tests/golden/small.toml -o "$TMP/one.h5" -q --threads 1 --fields-every 2 --snapshot-at 2026-08-03T10:03 \
  --checkpoint-dir "$TMP/one-snaps" || fail "the 1-thread run with a snapshot"
expect 0 "" "$CITYSIM" resume "$TMP"/one-snaps/*.snap.h5 -o "$TMP/one-resumed.h5" -q --threads 2
expect 0 "same results within tolerance" "$CITYSIM" compare "$TMP/one-resumed.h5" "$TMP/all-full.h5" --rtol 0 --atol 0

# the resumed file says where it came from
"$PY" - "$TMP/all-resumed.h5" <<'PYEOF' || fail "the resumed file's /meta lacks the snapshot it came from"
import sys, h5py
m = h5py.File(sys.argv[1], "r")["meta"].attrs
assert m["snapshot_use"] == "resume" and m["snapshot_time"].startswith("2026-08-03T08:17"), dict(m)
assert len(m["snapshot_content_hash"]) == 16
PYEOF

snap=$(ls "$TMP/all-snaps"/*.snap.h5 | head -1)
# a branch with no change is the baseline; a branch with a change differs from it only after T
expect 0 "0 keys changed" "$CITYSIM" run tests/golden/small.toml --from "$snap" -o "$TMP/branch0.h5" --fields-every 2
expect 0 "same results within tolerance" "$CITYSIM" compare "$TMP/branch0.h5" "$TMP/all-full.h5" --rtol 0 --atol 0
expect 0 "1 key changed" "$CITYSIM" run tests/golden/small.toml --from "$snap" -o "$TMP/branch1.h5" \
  --set 'network.sessions_per_hour_by_age=[3, 12, 9, 6, 3.6, 1.8]'
"$PY" - "$TMP/branch1.h5" "$TMP/all-full.h5" <<'PYEOF' || fail "a branch must equal the baseline up to its snapshot and differ after"
import sys, h5py, numpy as np
b, a = (h5py.File(p, "r") for p in sys.argv[1:3])
t = a["time_iso"][:].astype(str)
cut = int(np.searchsorted(t, "2026-08-03T08:17"))
x, y = b["series/network/offered"][:], a["series/network/offered"][:]
assert np.array_equal(x[:cut], y[:cut]), "before the snapshot the branch is the baseline"
assert x[cut + 1:].sum() > 2 * y[cut + 1:].sum(), (x[cut + 1:].sum(), y[cut + 1:].sum())
assert b["meta"].attrs["snapshot_use"] == "branch"
PYEOF

# refusals: exit 2 with the reason
expect 2 "key 'city.population_scale': cannot differ from the snapshot's scenario (0.02 there, 0.03 here)" \
  "$CITYSIM" run tests/golden/small.toml --from "$snap" -o "$TMP/x.h5" --set city.population_scale=0.03
expect 2 "is the snapshot itself" "$CITYSIM" resume "$snap" -o "$snap"
expect 2 "no such snapshot file" "$CITYSIM" resume "$TMP/missing.snap.h5" -o "$TMP/x.h5"
expect 2 "not a citysim snapshot" "$CITYSIM" resume "$TMP/all-full.h5" -o "$TMP/x.h5"
head -c 200000 "$snap" > "$TMP/truncated.snap.h5"
expect 2 "truncated or corrupted" "$CITYSIM" resume "$TMP/truncated.snap.h5" -o "$TMP/x.h5"
# a flipped byte inside a state section fails its checksum
cp "$snap" "$TMP/flipped.snap.h5"
"$PY" - "$TMP/flipped.snap.h5" <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    offset = f["state/population"].id.get_chunk_info(0).byte_offset + 1000
with open(sys.argv[1], "r+b") as f:
    f.seek(offset); b = f.read(1); f.seek(offset); f.write(bytes([b[0] ^ 0xFF]))
PYEOF
expect 2 "fails its checksum" "$CITYSIM" resume "$TMP/flipped.snap.h5" -o "$TMP/x.h5"
# another state layout (a snapshot from another build) is refused, not misread
cp "$snap" "$TMP/layout.snap.h5"
"$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r+'); f['state/heat'].attrs['layout']='d;d;'" "$TMP/layout.snap.h5"
expect 2 "the state of heat has another layout" "$CITYSIM" resume "$TMP/layout.snap.h5" -o "$TMP/x.h5"
"$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r+'); f.attrs['version']='0.0.1'" "$TMP/layout.snap.h5"
expect 2 "written by citysim 0.0.1" "$CITYSIM" resume "$TMP/layout.snap.h5" -o "$TMP/x.h5"
# a data file the run read has changed since the snapshot
bfile=$(ls scenarios/data/*.geojson | head -1)
cp "$bfile" "$TMP/bounds.geojson"
"$CITYSIM" run tests/golden/small.toml -o "$TMP/d.h5" -q --set run.duration_hours=2 --set city.boundaries_file="$TMP/bounds.geojson" \
  --snapshot-at 2026-08-03T06:00 --checkpoint-dir "$TMP/d" || fail "the run reading a copied boundaries file"
echo " " >> "$TMP/bounds.geojson"
expect 2 "bounds.geojson changed since the snapshot was taken" "$CITYSIM" resume "$(ls "$TMP"/d/*.snap.h5)" -o "$TMP/x.h5"
# a finished run has nothing to resume; a snapshot time off the tick grid is refused before the run
"$CITYSIM" run tests/golden/small.toml -o "$TMP/e.h5" -q --checkpoint-every 8h --checkpoint-dir "$TMP/e"
[ -z "$(ls "$TMP/e" 2>/dev/null)" ] || fail "a checkpoint at the run's end is not written (nothing to resume)"
expect 2 "--snapshot-at 2026-08-03T13:30: expected a tick boundary" \
  "$CITYSIM" run tests/golden/small.toml -o "$TMP/x.h5" --snapshot-at 2026-08-03T13:30
expect 2 "--checkpoint-every: expected a duration" \
  "$CITYSIM" run tests/golden/small.toml -o "$TMP/x.h5" --checkpoint-every 6hours
[ -e "$TMP/x.h5" ] && fail "refused runs must not leave a results file"
finish snapshot
