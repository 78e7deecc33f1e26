#include "ensemble_cmd.hpp"


#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "citysim/ensemble/ensemble.hpp"
#include "citysim/ensemble/mpi.hpp"
#include "citysim/io/results.hpp"
#include "output_path.hpp"
#include "progress.hpp"

namespace citysim::cli {

namespace {

using namespace citysim::ensemble;

constexpr int kBadInput = 2, kInterrupted = 130;

std::atomic<bool> g_stop{false};
extern "C" void on_ensemble_sigint(int) { g_stop = true; }

struct Options {
  std::string plan, out, members, file;
  int jobs = 1, threads_per_member = 1;
  bool quiet = false, json = false, no_shared_city = false;
};

// members done / running / failed and the ETA, on the shared status line (progress.hpp)
class EnsembleLine {
 public:
  explicit EnsembleLine(bool quiet) : line_(quiet) {}
  void operator()(const EnsembleProgress& p) {
    const bool last = p.running == 0 && p.done + p.failed == p.selected;
    if (!line_.due(p.wall_seconds, last)) return;
    char text[200];
    std::snprintf(text, sizeof text, "ensemble: %zu/%zu members done (%zu reused), %zu running, %zu failed, %.0f s, ETA %.0f s",
                  p.done, p.selected, p.reused, p.running, p.failed, p.wall_seconds, p.eta_seconds);
    line_.show(text, text, p.wall_seconds, last);
  }
  ~EnsembleLine() { line_.done(); }

 private:
  StatusLine line_;
};

// which members this process runs: --members, else a Slurm array task's share, else all
std::vector<size_t> selection(const Options& o, size_t total) {
  if (!o.members.empty()) return parse_slice(o.members, total);
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (id && count) return array_task_slice(std::stoul(id), std::stoul(count), total);
  return {};
}

size_t count_status(const std::vector<MemberRecord>& records, const std::string& status) {
  return size_t(std::count_if(records.begin(), records.end(), [&](const MemberRecord& r) { return r.status == status; }));
}

// this process's rank under a launcher (0 without one), before MPI_Init: who prints warnings
int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

int cmd_run(Options o) {
  const int ranks = launcher_ranks();
  if (!CITYSIM_HAVE_MPI && ranks > 1) {  // every rank would run the whole ensemble: refuse rather than race
    std::fprintf(stderr,
                 "error: started by mpirun with %d ranks, but this citysim was built without MPI (mpi off); run one "
                 "process with --jobs, or Slurm array slices (docs/ensembles.md)\n",
                 ranks);
    return kBadInput;
  }
  const bool mpi = ranks > 1, root = launcher_rank() == 0;
  if (mpi && !root) o.quiet = true;  // rank 0 speaks for the ensemble
  Plan plan;
  try {
    plan = load_plan(o.plan);
  } catch (const ScenarioError&) {
    if (mpi && !root) return kBadInput;  // every rank refuses the plan; rank 0 says why, once
    throw;
  }
  if (o.out.empty()) o.out = default_output(o.plan, ".ens.h5");
  if (const std::string problem = io::output_path_problem(o.out); !problem.empty()) {
    if (root) std::fprintf(stderr, "error: %s\n", problem.c_str());
    return kBadInput;
  }
  RunOptions run;
  try {
    run.selection = selection(o, plan.members().size());
  } catch (const std::exception& e) {
    if (root) std::fprintf(stderr, "error: %s\n", e.what());
    return kBadInput;
  }
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (mpi && o.jobs > 1 && root)
    std::fprintf(stderr, "warning: under mpirun every worker rank runs one member at a time: --jobs %d is not used "
                 "(start more ranks)\n", o.jobs);
  if (!mpi && o.jobs * o.threads_per_member > cores)
    std::fprintf(stderr, "warning: --jobs %d x --threads-per-member %d is more than this machine's %d cores\n", o.jobs,
                 o.threads_per_member, cores);
  run.jobs = o.jobs, run.threads_per_member = o.threads_per_member, run.stop = &g_stop;
  run.share_city = !o.no_shared_city;
  EnsembleLine progress(o.quiet);
  run.on_progress = std::ref(progress);
  std::signal(SIGINT, on_ensemble_sigint);
  std::signal(SIGTERM, on_ensemble_sigint);
  std::vector<MemberRecord> records;
#if CITYSIM_HAVE_MPI
  if (mpi) {
    MpiRun outcome = run_members_mpi(plan, o.out, run);
    if (!outcome.root) return 0;  // a worker: rank 0 writes the ensemble file
    records = std::move(outcome.records);
  }
#endif
  if (!mpi) records = run_members(plan, o.out, run);
  const size_t failed = count_status(records, "failed");
  if (!run.selection.empty()) {  // a slice: the ensemble file is built by collect once every slice ran
    if (!o.quiet)
      std::printf("slice of %zu members: %zu failed; member files in %s; when every slice has run: citysim ensemble "
                  "collect %s -o %s\n",
                  run.selection.size(), failed, members_dir(o.out).c_str(), o.plan.c_str(), o.out.c_str());
    return g_stop ? kInterrupted : failed ? 1 : 0;
  }
  const bool complete = !g_stop && count_status(records, "complete") + failed == records.size();
  write_ensemble(plan, records, o.out, complete);
  const std::string written = complete ? o.out : o.out + ".partial";
  if (!o.quiet) std::fputs((report_text(written) + "\nensemble file: " + written + "\n").c_str(), stdout);
  if (g_stop) {
    std::fprintf(stderr, "interrupted: %s marked incomplete; rerun the same command to run the remaining members\n",
                 written.c_str());
    return kInterrupted;
  }
  return failed ? 1 : 0;
}

int cmd_collect(Options o) {
  const Plan plan = load_plan(o.plan);
  if (o.out.empty()) o.out = default_output(o.plan, ".ens.h5");
  const std::vector<MemberRecord> records = inspect_members(plan, o.out);
  const size_t complete = count_status(records, "complete");
  write_ensemble(plan, records, o.out, complete == records.size());
  const std::string written = complete == records.size() ? o.out : o.out + ".partial";
  if (!o.quiet) std::fputs((report_text(written) + "\nensemble file: " + written + "\n").c_str(), stdout);
  if (complete < records.size())
    std::fprintf(stderr, "%zu of %zu members are not complete: %s is marked incomplete\n", records.size() - complete,
                 records.size(), written.c_str());
  return complete == records.size() ? 0 : 1;
}

}  // namespace

std::function<int()> add_ensemble_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* ens = app.add_subcommand("ensemble", "run an ensemble plan (variants x replicates) and summarise it with intervals");
  ens->require_subcommand(0, 1);
  ens->add_option("plan", o->plan, "ensemble plan (TOML, docs/ensembles.md)")->check(CLI::ExistingFile);
  ens->add_option("-o,--output", o->out,
                  "ensemble file (default results/<plan>.ens.h5); member files go to <file without .h5>.members/");
  ens->add_option("--jobs", o->jobs, "members run at once (default 1)")->check(CLI::PositiveNumber);
  ens->add_option("--threads-per-member", o->threads_per_member, "threads of each member (default 1); results do not depend on it")
      ->check(CLI::PositiveNumber);
  ens->add_option("--members", o->members,
                  "run only these members, FIRST[-LAST][:STEP] (e.g. 0-99:4), then `collect`; default from "
                  "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set");
  ens->add_flag("--no-shared-city", o->no_shared_city,
                "every member builds its own city (by default members of one process with the same city keys and "
                "seed share one, read-only; results are the same)");
  ens->add_flag("-q,--quiet", o->quiet, "no progress line or report");
  auto* report = ens->add_subcommand("report", "the summaries and contrasts of an ensemble file, as a planner reads them");
  report->add_option("file", o->file, "ensemble file (.ens.h5)")->required()->check(CLI::ExistingFile);
  report->add_flag("--json", o->json, "machine-readable output");
  auto* collect = ens->add_subcommand("collect", "build the ensemble file from member files (after Slurm array slices)");
  collect->add_option("plan", o->plan, "ensemble plan (TOML)")->required()->check(CLI::ExistingFile);
  collect->add_option("-o,--output", o->out, "ensemble file (default results/<plan>.ens.h5)");
  collect->add_flag("-q,--quiet", o->quiet, "no report");
  return [o, ens, report, collect]() -> int {
    if (*report) {
      std::fputs((o->json ? report_json(o->file) : report_text(o->file)).c_str(), stdout);
      return 0;
    }
    if (*collect) return cmd_collect(*o);
    if (o->plan.empty()) {
      std::fputs((ens->help() + "\nA plan file is required\n").c_str(), stderr);
      return kBadInput;
    }
    return cmd_run(*o);
  };
}

}  // namespace citysim::cli
