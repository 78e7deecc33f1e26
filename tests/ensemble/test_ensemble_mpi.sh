#!/bin/bash
# citysim ensemble under mpirun (Open MPI): a plan of 2 variants x 3 replicates run by one
# process and by `mpirun -n 3 --oversubscribe` (rank 0 schedules, ranks 1-2 run members)
# gives identical member files and a byte-identical report --json; mpirun -n 1 behaves like
# a plain run; resume; a failing member is retried on another rank and recorded; a killed
# rank aborts the job and a rerun resumes it; a bad plan is named once. A build
# without MPI refuses an mpirun of several ranks. Skipped (exit 77) only without mpirun.
. "$(dirname "$0")/../cli/common.sh"
command -v mpirun >/dev/null || { echo "SKIP: no mpirun (Debian: apt-get install openmpi-bin libopenmpi-dev)"; exit 77; }

# a container without a network: shared memory only, no single-copy (CMA) that ptrace rules
# forbid; root needs --allow-run-as-root
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_orte_base_help_aggregate=0
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)

cp "$(dirname "$0")/tiny.toml" "$TMP/tiny.toml"
cat > "$TMP/plan.ens.toml" <<'TOML'
name = "tiny"
base = "tiny.toml"
seed = 7
replicates = 3
baseline = "base"
[[variant]]
name = "base"
[[variant]]
name = "shelters_x2"
set = { "heat.shelters.per_municipality" = 20, "heat.shelters.outreach_share" = 0.4 }
[[metric]]
path = "heat/expected_cases_total"
labels = ["65-74", "75+"]
[[metric]]
path = "residents/travelling"
reduce = "max"
TOML
MEMBERS="base/r000 base/r001 base/r002 shelters_x2/r000 shelters_x2/r001 shelters_x2/r002"

if "$CITYSIM" --version | grep -q "mpi off"; then
  expect 2 "built without MPI" "${MPIRUN[@]}" -n 3 "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/m/p.ens.h5" -q
  [ -e "$TMP/m" ] && fail "a refused mpirun must not run anything"
  finish "ensemble mpi (built without MPI)"
  exit 0
fi

# ---- one process vs 3 ranks: identical members and summaries
"$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/one/p.ens.h5" -q || fail "one process"
out=$("${MPIRUN[@]}" -n 3 "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/mpi/p.ens.h5" 2>&1) || fail "mpirun -n 3: $out"
[[ "$out" == *"6 of 6 members complete"* ]] || fail "mpirun -n 3 reports the ensemble once, complete: $out"
[ "$(grep -c '^ensemble tiny:' <<< "$out")" = 1 ] || fail "only rank 0 prints the report: $out"
for m in $MEMBERS; do
  "$CITYSIM" compare "$TMP/one/p.ens.members/$m.h5" "$TMP/mpi/p.ens.members/$m.h5" --rtol 0 --atol 0 >/dev/null ||
    fail "member $m differs between one process and mpirun -n 3"
done
"$CITYSIM" ensemble report "$TMP/one/p.ens.h5" --json > "$TMP/one.json" || fail "report one"
"$CITYSIM" ensemble report "$TMP/mpi/p.ens.h5" --json > "$TMP/mpi.json" || fail "report mpi"
cmp -s "$TMP/one.json" "$TMP/mpi.json" || fail "report --json differs between one process and mpirun -n 3: $(diff "$TMP/one.json" "$TMP/mpi.json")"
# the members really ran in the workers' processes: each rank's members took wall time
walls=$(/usr/bin/python3 -c "import h5py,sys; print(min(h5py.File(sys.argv[1])['members/wall_seconds'][:]) > 0)" "$TMP/mpi/p.ens.h5")
[ "$walls" = True ] || fail "every member run under mpirun has a wall time"

# ---- mpirun -n 1 is a plain run; 2 ranks (one worker) give the same too
"${MPIRUN[@]}" -n 1 "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/n1/p.ens.h5" -q || fail "mpirun -n 1"
"$CITYSIM" ensemble report "$TMP/n1/p.ens.h5" --json | cmp -s - "$TMP/one.json" || fail "mpirun -n 1 differs"
"${MPIRUN[@]}" -n 2 "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/n2/p.ens.h5" -q || fail "mpirun -n 2"
"$CITYSIM" ensemble report "$TMP/n2/p.ens.h5" --json | cmp -s - "$TMP/one.json" || fail "mpirun -n 2 differs"

# ---- resume under mpirun: a removed member runs again, the other five are reused
rm "$TMP/mpi/p.ens.members/shelters_x2/r001.h5"
expect 0 "6/6 members done (5 reused)" "${MPIRUN[@]}" -n 3 "$CITYSIM" ensemble "$TMP/plan.ens.toml" -o "$TMP/mpi/p.ens.h5"
"$CITYSIM" ensemble report "$TMP/mpi/p.ens.h5" --json | cmp -s - "$TMP/one.json" || fail "a resumed mpirun ensemble differs"

# ---- a failing member: retried once on another rank, recorded, the rest go on, exit 1
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
out=$("${MPIRUN[@]}" -n 3 "$CITYSIM" ensemble "$TMP/fail.ens.toml" -o "$TMP/f/f.ens.h5" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "an ensemble with a failed member exits 1 under mpirun, got $rc: $out"
[[ "$out" == *"2 of 4 members complete"* ]] || fail "the ok members complete under mpirun: $out"
[[ "$out" =~ "broken replicate 0: failed: $TMP/fail.ens.toml:7: key 'city.municipalities': unknown municipality"[^$'\n']*"[rank "([12])"; retried on rank "([12])"]" ]] ||
  fail "the failure is listed with its error and both ranks: $out"
[ "${BASH_REMATCH[1]:-x}" != "${BASH_REMATCH[2]:-x}" ] || fail "the retry ran on the same rank: $out"
[ -e "$TMP/f/f.ens.h5" ] || fail "the ensemble file is written despite a failed member"
# ---- a rank that dies: Open MPI aborts the job (no ensemble file); rerunning resumes, and
# the result is the one-process one
# members of about 1.5 s each here, so the kill comes while most of them still run
sed "s/duration_hours = 3/duration_hours = 1000/" "$TMP/tiny.toml" > "$TMP/long.toml"
sed 's/base = "tiny.toml"/base = "long.toml"/' "$TMP/plan.ens.toml" > "$TMP/long.ens.toml"
"$CITYSIM" ensemble "$TMP/long.ens.toml" -o "$TMP/lone/l.ens.h5" -q || fail "one process, long plan"
"$CITYSIM" ensemble report "$TMP/lone/l.ens.h5" --json > "$TMP/lone.json"
"${MPIRUN[@]}" -n 3 "$CITYSIM" ensemble "$TMP/long.ens.toml" -o "$TMP/kill/l.ens.h5" -q > "$TMP/kill.log" 2>&1 &
mpirun_pid=$!
for _ in $(seq 300); do
  compgen -G "$TMP/kill/l.ens.members/*/r00?.h5" > /dev/null && break
  sleep 0.1
done
ranks=$(pgrep -P "$mpirun_pid" | tr '\n' ' ')  # the ranks: mpirun's own children
victim=${ranks##* }; victim=${victim:-${ranks%% *}}
[ -n "$victim" ] && kill -KILL $victim
wait "$mpirun_pid"; rc=$?
[ "$rc" != 0 ] || fail "mpirun goes on after a rank was killed (rc 0): $(cat "$TMP/kill.log")"
[ -e "$TMP/kill/l.ens.h5" ] && fail "a job that lost a rank must not write a complete ensemble file"
out=$("${MPIRUN[@]}" -n 3 "$CITYSIM" ensemble "$TMP/long.ens.toml" -o "$TMP/kill/l.ens.h5" 2>&1) || fail "rerun after a rank died: $out"
[[ "$out" =~ "6/6 members done ("[1-5]" reused)" ]] || fail "the rerun reuses the members complete before the rank died: $out"
"$CITYSIM" ensemble report "$TMP/kill/l.ens.h5" --json | cmp -s - "$TMP/lone.json" || fail "the resumed ensemble differs from one process"

# ---- a bad plan: every rank refuses it before anything runs, exit 2, the error said once
printf 'base = "tiny.toml"\nreplicate = 3\n[[metric]]\npath = "heat/cases_total"\n' > "$TMP/bad.ens.toml"
out=$("${MPIRUN[@]}" -n 3 "$CITYSIM" ensemble "$TMP/bad.ens.toml" -o "$TMP/bad/b.ens.h5" 2>&1); rc=$?
[ "$rc" = 2 ] || fail "a bad plan under mpirun exits 2, got $rc: $out"
[ "$(grep -c "bad.ens.toml:2: key 'replicate': unknown key" <<< "$out")" = 1 ] || fail "rank 0 alone names the bad key: $out"
[ -e "$TMP/bad" ] && fail "a bad plan under mpirun must not run anything"
finish "ensemble mpi"
