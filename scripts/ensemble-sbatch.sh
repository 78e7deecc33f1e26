#!/bin/bash
# An ensemble on a Slurm cluster as an array job: each array task runs its share of the
# members (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT), a dependent job collects them.
#   sbatch scripts/ensemble-sbatch.sh scenarios/heatwave-shelters.ens.toml results/heatwave-shelters.ens.h5
#   # when the array is done:
#   sbatch --dependency=afterok:<array job id> --wrap "build/bin/citysim ensemble collect PLAN -o OUT"
# Member files go to <OUT without .h5>.members/ on the shared file system; a rerun of a task
# skips its members already complete. Tested by CTest (ensemble/sbatch_example) with
#   scripts/ensemble-sbatch.sh --dry-run-with build/bin/citysim
# which runs 3 array tasks one after another on a tiny plan, then collect.
#SBATCH --job-name=citysim-ensemble
#SBATCH --array=0-15
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --output=citysim-ensemble-%A_%a.log
set -euo pipefail

if [ "${1:-}" = "--dry-run-with" ]; then
  citysim="$2"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  printf '[run]\nstart = "2026-08-04T10:00"\nduration_hours = 2\n[city]\npopulation_scale = 0.02\nmunicipalities = ["Chiyoda"]\n' \
    > "$work/s.toml"
  printf 'base = "s.toml"\nreplicates = 4\n[grid]\n"residents.alert_stay_home_65plus" = [0.0, 0.5]\n[[metric]]\npath = "residents/travelling"\n' \
    > "$work/p.ens.toml"
  for task in 0 1 2; do
    SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=1 "$0" "$work/p.ens.toml" "$work/p.ens.h5" "$citysim"
  done
  "$citysim" ensemble collect "$work/p.ens.toml" -o "$work/p.ens.h5" -q
  [ -e "$work/p.ens.h5" ] && echo "sbatch example: 3 array tasks and collect built $(basename "$work/p.ens.h5")"
  exit 0
fi

plan="$1" out="$2" citysim="${3:-build/bin/citysim}"
# one member at a time per task, with the task's cores
"$citysim" ensemble "$plan" -o "$out" --jobs 1 --threads-per-member "${SLURM_CPUS_PER_TASK:-1}" -q
