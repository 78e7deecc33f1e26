#!/bin/bash
# An ensemble on a Slurm cluster as one MPI job: rank 0 schedules the members to the other
# ranks (one member at a time each, longest expected first), and writes the ensemble file
# when they are done; no collect step.
#   sbatch scripts/ensemble-mpi-sbatch.sh scenarios/heatwave-shelters.ens.toml results/heatwave-shelters.ens.h5
# Member files go to <OUT without .h5>.members/ on the shared file system. A rank that dies
# takes the job down (Open MPI aborts it); resubmitting the same job resumes: complete member
# files are reused. Needs citysim built with MPI (`citysim --version` says "mpi on").
# Tested by CTest (ensemble/mpi_sbatch_example) with
#   scripts/ensemble-mpi-sbatch.sh --dry-run-with build/bin/citysim
# which runs the script's mpirun line with 3 ranks on this machine on a tiny plan.
#SBATCH --job-name=citysim-ensemble-mpi
#SBATCH --ntasks=64
#SBATCH --cpus-per-task=1
#SBATCH --time=02:00:00
#SBATCH --output=citysim-ensemble-mpi-%j.log
set -euo pipefail

if [ "${1:-}" = "--dry-run-with" ]; then
  citysim="$2"
  command -v mpirun >/dev/null || { echo "SKIP: no mpirun"; exit 77; }
  "$citysim" --version | grep -q "mpi on" || { echo "SKIP: citysim built without MPI"; exit 77; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  printf '[run]\nstart = "2026-08-04T10:00"\nduration_hours = 2\n[city]\npopulation_scale = 0.02\nmunicipalities = ["Chiyoda"]\n' \
    > "$work/s.toml"
  printf 'base = "s.toml"\nreplicates = 2\n[grid]\n"residents.alert_stay_home_65plus" = [0.0, 0.5]\n[[metric]]\npath = "residents/travelling"\n' \
    > "$work/p.ens.toml"
  # what Slurm would give the job, on this machine: 3 tasks; a container without a network
  export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
  [ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  SLURM_NTASKS=3 MPIRUN_EXTRA="--oversubscribe" "$0" "$work/p.ens.toml" "$work/p.ens.h5" "$citysim"
  [ -e "$work/p.ens.h5" ] && echo "MPI sbatch example: mpirun -n 3 built $(basename "$work/p.ens.h5")"
  exit 0
fi

plan="$1" out="$2" citysim="${3:-build/bin/citysim}"
# one rank per task (Open MPI's mpirun reads the Slurm allocation); each member with the task's cores
mpirun -n "${SLURM_NTASKS:-1}" ${MPIRUN_EXTRA:-} "$citysim" ensemble "$plan" -o "$out" \
  --threads-per-member "${SLURM_CPUS_PER_TASK:-1}" -q
