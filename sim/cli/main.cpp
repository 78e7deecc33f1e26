// citysim — run, validate, inspect and compare city simulations.
#include <CLI/CLI.hpp>
#include <H5public.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "citysim/city.hpp"
#include "citysim/io/results.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"
#include "calibrate_cmd.hpp"
#include "ensemble_cmd.hpp"
#include "output_path.hpp"
#include "progress.hpp"
#include "snapshot_cmd.hpp"

namespace {

using namespace citysim;

// exit codes: 0 ok, 1 compare found differences / runtime failure, 2 bad input, 130 interrupted
constexpr int kBadInput = 2, kInterrupted = 130;

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop = true; }

// a bad command line that only shows once the scenario is read (an output path, too much memory)
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using cli::default_output;  // output_path.hpp

// what every command that builds a simulation takes
struct BuildOptions {
  std::string scenario;
  std::vector<std::string> sets;
  int threads = 0;
  bool allow_empty = false, allow_inactive_events = false, force = false;
};

// --threads beyond the machine's cores: clamped, with a warning (results do not depend on it)
int clamp_threads(int threads) {
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (threads > cores) {
    std::fprintf(stderr, "warning: --threads %d is more than this machine's %d cores; using %d\n", threads, cores, cores);
    return cores;
  }
  return threads;
}

// the peak memory of a run, estimated before anything is built: the residents dominate
// (bench/: 98-103 bytes per resident at peak, whole process) plus a fixed part for the grid,
// the modules and the libraries
struct MemoryEstimate {
  double residents = 0, bytes = 0;
};
constexpr double kBytesPerResident = 110, kFixedBytes = 300e6;

MemoryEstimate estimate_memory(const Scenario& sc) {
  const CityParams city = CityParams::from(sc);
  double people = 0;
  for (const Municipality& m : load_municipalities(city)) people += m.population;
  MemoryEstimate e;
  e.residents = sc.get_bool("residents.enabled") ? people * city.population_scale : 0;
  e.bytes = kFixedBytes + e.residents * kBytesPerResident;
  return e;
}

double physical_memory_bytes() { return double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE)); }

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  return text;
}

// loads the scenario and builds the simulation: every check `run` makes before its first
// tick, so `validate` and `run` refuse the same input with the same message
std::unique_ptr<Simulation> build(const BuildOptions& o, Scenario& sc, MemoryEstimate& memory) {
  sc = io::load_scenario(o.scenario, o.sets, o.allow_empty);
  sc.allow_inactive_events = o.allow_inactive_events;
  memory = estimate_memory(sc);
  if (memory.bytes > physical_memory_bytes() && !o.force)
    throw UsageError(o.scenario + ": the run needs about " + gib(memory.bytes) + " (" +
                     std::to_string(std::llround(memory.residents)) + " residents, set by city.population_scale = " +
                     format_number(sc.get_double("city.population_scale")) + "), more than this machine's " +
                     gib(physical_memory_bytes()) + "; lower city.population_scale or pass --force");
  return std::make_unique<Simulation>(sc, clamp_threads(o.threads));
}

void print_summary(const Simulation& sim, const std::string& out_path, double wall_s) {
  const auto& m = sim.metrics();
  std::printf("\n%s: %s to %s, %lld ticks of %d min, %zu residents simulated (x%.0f), %d threads, %.1f s\n",
              sim.run_params().name.c_str(), format_datetime(sim.run_params().start).substr(0, 16).c_str(),
              format_datetime(sim.clock().now()).substr(0, 16).c_str(), (long long)sim.clock().tick,
              sim.run_params().tick_minutes, sim.residents().count, sim.residents().weight, sim.threads(), wall_s);
  std::printf("%-40s %-8s %14s %14s %14s\n", "series", "units", "min", "max", "last");
  for (const auto& s : m.series()) {
    if (s.width() != 1 || s.history.empty()) continue;
    double lo = s.history[0], hi = s.history[0];
    for (double v : s.history) lo = std::min(lo, v), hi = std::max(hi, v);
    std::printf("%-40s %-8s %14.6g %14.6g %14.6g\n", s.info.path.c_str(), s.info.units.c_str(), lo, hi, s.history.back());
  }
  std::printf("time in each module's step:");
  const auto names = sim.module_names();
  for (size_t i = 0; i < names.size(); ++i) std::printf(" %s %.2f s", names[i].c_str(), sim.module_step_seconds()[i]);
  std::printf("\n");
  if (!out_path.empty()) std::printf("results: %s\n", out_path.c_str());
}

// runs `sim` to the end into `writer`, with checkpoints; the exit code
int run_to_end(Simulation& sim, io::ResultsWriter& writer, const std::string& out, bool quiet, bool overwrite_incomplete,
               const cli::CheckpointOptions& checkpoint_options) {
  cli::Checkpoints checkpoints = [&] {
    try {
      return cli::Checkpoints(checkpoint_options, sim, out);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }();
  writer.set_overwrite_incomplete(overwrite_incomplete);
  sim.add_sink(&writer);
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  cli::ProgressReporter progress(quiet);
  const bool completed = cli::run_with_checkpoints(sim, writer, checkpoints, &g_stop, progress, quiet);
  progress.done();
  if (!completed) {
    sim.finish(false);
    const std::string kept = overwrite_incomplete ? out : writer.partial_path();
    std::fprintf(stderr, "interrupted at %s: partial results in %s (complete = false)%s\n",
                 format_datetime(sim.clock().now()).c_str(), kept.c_str(),
                 overwrite_incomplete ? "" : (std::filesystem::exists(out) ? "; " + out + " is untouched" : std::string()).c_str());
    return kInterrupted;
  }
  if (!quiet) print_summary(sim, out, sim.wall_seconds());
  return 0;
}

// a snapshot's own file is never the output
void refuse_own_file(const std::string& snapshot, const std::string& out) {
  std::error_code ec;
  if (std::filesystem::equivalent(snapshot, out, ec) || std::filesystem::equivalent(snapshot, out + ".partial", ec))
    throw UsageError(out + ": is the snapshot itself; write the results to another file");
}

int cmd_run(const BuildOptions& o, std::string out, bool quiet, int fields_every, bool overwrite_incomplete,
            const cli::CheckpointOptions& checkpoints, const std::string& from) {
  if (out.empty()) out = default_output(o.scenario);
  // a results file that cannot be written is known before anything is built
  if (const std::string problem = io::output_path_problem(out); !problem.empty()) throw UsageError(problem);
  Scenario sc;
  MemoryEstimate memory;
  std::unique_ptr<Simulation> sim;
  std::unique_ptr<io::ResultsWriter> writer;
  if (from.empty()) {
    sim = build(o, sc, memory);
    writer = std::make_unique<io::ResultsWriter>(out, fields_every);
  } else {
    // a branch: the snapshot's state, with what this scenario changes from the snapshot's
    refuse_own_file(from, out);
    const io::SnapshotInfo info = io::read_snapshot_info(from);
    sc = io::load_scenario(o.scenario, o.sets, o.allow_empty);
    const auto changes = io::branch_changes(io::snapshot_scenario(info), sc);
    sim = io::load_snapshot(info, clamp_threads(o.threads), changes);
    writer = std::make_unique<io::ResultsWriter>(out, info.fields_every);
    writer->continue_from(from, "branch", info.time, info.content_hash);
    if (!quiet) std::fprintf(stderr, "branch from %s at %s: %zu key%s changed\n", from.c_str(), info.time.c_str(),
                             changes.size(), changes.size() == 1 ? "" : "s");
  }
  return run_to_end(*sim, *writer, out, quiet, overwrite_incomplete, checkpoints);
}

int cmd_resume(const std::string& snapshot, std::string out, int threads, bool quiet, bool overwrite_incomplete,
               const cli::CheckpointOptions& checkpoints) {
  if (!std::filesystem::exists(snapshot)) throw UsageError(snapshot + ": no such snapshot file");
  const io::SnapshotInfo info = io::read_snapshot_info(snapshot);
  if (out.empty()) out = default_output(info.source_path);
  if (const std::string problem = io::output_path_problem(out); !problem.empty()) throw UsageError(problem);
  refuse_own_file(snapshot, out);
  const auto t0 = std::chrono::steady_clock::now();
  double read_s = 0;
  const std::unique_ptr<Simulation> sim = io::load_snapshot(info, clamp_threads(threads), {}, &read_s);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  io::ResultsWriter writer(out, info.fields_every);
  writer.continue_from(snapshot, "resume", info.time, info.content_hash);
  if (!quiet)
    std::fprintf(stderr, "resume from %s at %s: city and modules built in %.2f s, state read in %.2f s\n",
                 snapshot.c_str(), info.time.c_str(), total_s - read_s, read_s);
  return run_to_end(*sim, writer, out, quiet, overwrite_incomplete, checkpoints);
}

// "1 key", "3 keys"
std::string count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int cmd_validate(const BuildOptions& o) {
  Scenario sc;
  MemoryEstimate memory;
  const std::unique_ptr<Simulation> sim = build(o, sc, memory);
  const size_t keys_set = sc.keys_set_in_file();
  std::printf("%s: ok: the file sets %s and holds %s", o.scenario.c_str(), count(keys_set, "key", "keys").c_str(),
              count(sc.events().size(), "event", "events").c_str());
  if (!sc.overrides.empty()) std::printf("; %s on the command line", count(sc.overrides.size(), "override", "overrides").c_str());
  std::printf("\n  builds a %d x %d grid, %zu residents (x%.0f), modules: ", sim->grid().rows, sim->grid().cols,
              sim->residents().count, sim->residents().weight);
  const auto names = sim->module_names();
  for (size_t i = 0; i < names.size(); ++i) std::printf("%s%s", i ? ", " : "", names[i].c_str());
  std::printf("\n  %lld ticks of %d min; memory estimate %s (this machine has %s)\n", (long long)sim->total_ticks(),
              sim->run_params().tick_minutes, gib(memory.bytes).c_str(), gib(physical_memory_bytes()).c_str());
  return 0;
}

std::string version_text() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  std::string text = std::string("citysim ") + kVersion + " (revision " + io::git_revision() + ")\n";
  text += "features: hdf5 " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
#if CITYSIM_HAVE_MPI  // CMake: 1 with the mpirun launcher, else 0
  text += ", mpi on";
#else
  text += ", mpi off";
#endif
  return text + "\n";
}

void add_build_options(CLI::App* cmd, BuildOptions& o) {
  cmd->add_option("scenario", o.scenario, "scenario file (TOML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", o.sets,
                  "override a scenario key, e.g. --set city.population_scale=0.05 (a relative file path is taken from "
                  "the current directory, not the scenario's folder)")
      ->take_all();
  cmd->add_flag("--allow-empty", o.allow_empty, "accept a scenario file that sets nothing (it runs every default)");
  cmd->add_flag("--allow-inactive-events", o.allow_inactive_events,
                "accept [[events]] for modules that are off (they are ignored)");
  cmd->add_flag("--force", o.force, "build even when the memory estimate exceeds this machine's memory");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"citysim: agent-based city simulation and planning engine (Tokyo on the JIS mesh grid)"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "print the version, git revision and the build's features");

  BuildOptions build_options;
  std::string out, a_path, b_path, result_path;
  int fields_every = 1;
  bool quiet = false, json = false, overwrite_incomplete = false;
  double rtol = 1e-9, atol = 1e-9;

  auto* run = app.add_subcommand("run", "run a scenario and write results (HDF5)");
  add_build_options(run, build_options);
  run->add_option("-o,--output", out,
                  "results file (default results/<scenario name>.h5); written as <file>.partial and renamed when "
                  "the run completes");
  run->add_option("--threads", build_options.threads,
                  "worker threads (default: all cores; more than the cores is clamped); results do not depend on it")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--fields-every", fields_every, "write grid fields every Nth sample (default 1)")
      ->check(CLI::PositiveNumber);
  run->add_flag("--overwrite-incomplete", overwrite_incomplete,
                "let an interrupted run replace the results file (by default it stays <file>.partial)");
  run->add_flag("-q,--quiet", quiet, "no progress bar or summary");
  cli::CheckpointOptions checkpoints;
  checkpoints.add_to(run);
  std::string from, snapshot_path;
  run->add_option("--from", from,
                  "start from a snapshot's state (a branch): keys this scenario changes from the snapshot's apply at "
                  "its time; keys that shape the run (run.*, city.*, *.enabled) must not change")
      ->check(CLI::ExistingFile);

  auto* resume = app.add_subcommand("resume", "continue a run from a snapshot: the results equal the run that never stopped");
  resume->add_option("snapshot", snapshot_path, "snapshot file (.snap.h5) written by --checkpoint-every or --snapshot-at")
      ->required();
  resume->add_option("-o,--output", out, "results file (default results/<scenario name>.h5)");
  resume->add_option("--threads", build_options.threads, "worker threads (default: all cores); results do not depend on it")
      ->check(CLI::NonNegativeNumber);
  resume->add_flag("--overwrite-incomplete", overwrite_incomplete,
                   "let an interrupted run replace the results file (by default it stays <file>.partial)");
  resume->add_flag("-q,--quiet", quiet, "no progress bar or summary");
  checkpoints.add_to(resume);

  auto* validate = app.add_subcommand("validate", "check a scenario without running it: builds everything run builds");
  add_build_options(validate, build_options);

  auto* info = app.add_subcommand("info", "describe what a results file holds, in plain words");
  info->add_option("results", result_path, "results file (.h5)")->required()->check(CLI::ExistingFile);
  info->add_flag("--json", json, "machine-readable output");

  auto* compare = app.add_subcommand(
      "compare", "compare two results files: series, fields, grid, tables and time axis (exit 0 when within tolerance)");
  compare->add_option("a", a_path, "results file")->required()->check(CLI::ExistingFile);
  compare->add_option("b", b_path, "reference results file")->required()->check(CLI::ExistingFile);
  compare->add_option("--rtol", rtol, "relative tolerance (default 1e-9)")->check(CLI::NonNegativeNumber);
  compare->add_option("--atol", atol, "absolute tolerance (default 1e-9)")->check(CLI::NonNegativeNumber);
  compare->add_flag("--json", json, "machine-readable output");

  app.add_subcommand("schema", "print the scenario reference (markdown) generated from the schema");
  const auto ensemble = cli::add_ensemble_command(app);
  const auto calibrate = cli::add_calibrate_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kBadInput;
  }
  if (version) {
    std::fputs(version_text().c_str(), stdout);
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::fputs((app.help() + "\nA subcommand is required\n").c_str(), stderr);
    return kBadInput;
  }
  // input errors from the files themselves exit 2; a comparison that cannot read its files too
  int unreadable = 1;
  try {
    if (*run) return cmd_run(build_options, out, quiet, fields_every, overwrite_incomplete, checkpoints, from);
    if (*resume) return cmd_resume(snapshot_path, out, build_options.threads, quiet, overwrite_incomplete, checkpoints);
    if (*validate) return cmd_validate(build_options);
    if (app.got_subcommand("ensemble")) return ensemble();
    if (app.got_subcommand("calibrate")) return calibrate();
    if (*info) {
      const io::ResultsSummary r = io::read_results(result_path);
      std::fputs((json ? io::describe_results_json(r, result_path) : io::describe_results(r, result_path)).c_str(), stdout);
      return 0;
    }
    if (*compare) {
      unreadable = kBadInput;
      const auto report = io::compare_files(a_path, b_path, rtol, atol);
      std::fputs((json ? report.json() : report.text).c_str(), stdout);
      return report.ok ? 0 : 1;
    }
    if (app.got_subcommand("schema")) {
      std::fputs(scenario_schema().markdown().c_str(), stdout);
      return 0;
    }
  } catch (const ScenarioError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kBadInput;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kBadInput;
  } catch (const SnapshotError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return unreadable;
  }
  return 0;
}
