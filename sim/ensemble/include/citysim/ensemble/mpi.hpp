// The MPI launcher of an ensemble (mpi_runner.cpp, built only when CMake found MPI and
// CITYSIM_MPI is on): `mpirun -n N citysim ensemble plan.toml`. Rank 0 schedules the members
// (longest expected first) to ranks 1..N-1 over MPI messages; each worker runs one member at
// a time into its file in the members folder (a shared file system), and rank 0 writes the
// ensemble file. A member that throws is retried once on another rank, then recorded failed.
#pragma once
#include <vector>

#include "citysim/ensemble/ensemble.hpp"

namespace citysim::ensemble {

// the ranks of the launcher around this process (OMPI_COMM_WORLD_SIZE from Open MPI's mpirun,
// PMI_SIZE from srun and other PMI launchers); 1 when there is none
int launcher_ranks();

struct MpiRun {
  bool root = true;  // rank 0: `records` are the ensemble's; the workers' are empty
  int ranks = 1;
  std::vector<MemberRecord> records;
};

// MPI_Init, the members scheduled over the ranks, MPI_Finalize. Member results are the same
// as run_members' (they depend only on the plan). Options: selection, threads_per_member,
// stop (rank 0 stops scheduling; workers stop their member at its next tick), on_progress
// (rank 0), share_city (each worker keeps its own CityCache); jobs is not used.
MpiRun run_members_mpi(const Plan& plan, const std::string& ensemble_path, const RunOptions& options);

}  // namespace citysim::ensemble
