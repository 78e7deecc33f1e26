// citysim — run, validate, inspect and compare city simulations.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "citysim/io/results.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"
#include "progress.hpp"

namespace {

using namespace citysim;

// exit codes: 0 ok, 1 compare found differences / runtime failure, 2 bad input, 130 interrupted
constexpr int kBadInput = 2, kInterrupted = 130;

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop = true; }

std::string default_output(const std::string& scenario_path) {
  return "results/" + std::filesystem::path(scenario_path).stem().string() + ".h5";
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

int cmd_run(const std::string& scenario_path, std::string out, const std::vector<std::string>& sets, int threads,
            bool quiet, int fields_every) {
  Scenario sc = io::load_scenario(scenario_path, sets);
  if (out.empty()) out = default_output(scenario_path);
  Simulation sim(sc, threads);
  io::ResultsWriter writer(out, fields_every);
  sim.add_sink(&writer);
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  cli::ProgressReporter progress(quiet);
  const bool completed = sim.run(std::nullopt, &g_stop, std::ref(progress));
  progress.done();
  if (!completed) {
    sim.finish(false);
    std::fprintf(stderr, "interrupted at %s: partial results in %s (complete = false)\n",
                 format_datetime(sim.clock().now()).c_str(), out.c_str());
    return kInterrupted;
  }
  if (!quiet) print_summary(sim, out, sim.wall_seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"citysim: agent-based city simulation and planning engine (Tokyo on the JIS mesh grid)"};
  app.require_subcommand(1);

  std::string scenario, out, a_path, b_path, result_path;
  std::vector<std::string> sets;
  int threads = 0, fields_every = 1;
  bool quiet = false;
  double rtol = 1e-9, atol = 1e-9;

  auto* run = app.add_subcommand("run", "run a scenario and write results (HDF5)");
  run->add_option("scenario", scenario, "scenario file (TOML)")->required()->check(CLI::ExistingFile);
  run->add_option("-o,--output", out, "results file (default results/<scenario name>.h5)");
  run->add_option("--set", sets, "override a scenario key, e.g. --set city.population_scale=0.05")->take_all();
  run->add_option("--threads", threads, "worker threads (default: all cores); results do not depend on it")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--fields-every", fields_every, "write grid fields every Nth sample (default 1)")
      ->check(CLI::PositiveNumber);
  run->add_flag("-q,--quiet", quiet, "no progress bar or summary");

  auto* validate = app.add_subcommand("validate", "check a scenario file without running it");
  validate->add_option("scenario", scenario, "scenario file (TOML)")->required()->check(CLI::ExistingFile);
  validate->add_option("--set", sets, "override a scenario key")->take_all();

  auto* info = app.add_subcommand("info", "describe what a results file holds, in plain words");
  info->add_option("results", result_path, "results file (.h5)")->required()->check(CLI::ExistingFile);

  auto* compare = app.add_subcommand("compare", "compare two results files series by series (exit 0 when within tolerance)");
  compare->add_option("a", a_path, "results file")->required()->check(CLI::ExistingFile);
  compare->add_option("b", b_path, "reference results file")->required()->check(CLI::ExistingFile);
  compare->add_option("--rtol", rtol, "relative tolerance (default 1e-9)")->check(CLI::NonNegativeNumber);
  compare->add_option("--atol", atol, "absolute tolerance (default 1e-9)")->check(CLI::NonNegativeNumber);

  app.add_subcommand("schema", "print the scenario reference (markdown) generated from the schema");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kBadInput;
  }
  try {
    if (*run) return cmd_run(scenario, out, sets, threads, quiet, fields_every);
    if (*validate) {
      const Scenario sc = io::load_scenario(scenario, sets);
      std::printf("%s: ok (%zu keys set, %zu events)\n", scenario.c_str(), sc.schema().keys().size(), sc.events().size());
      return 0;
    }
    if (*info) {
      std::fputs(io::describe_results(io::read_results(result_path), result_path).c_str(), stdout);
      return 0;
    }
    if (*compare) {
      const auto report = io::compare_results(io::read_results(a_path), io::read_results(b_path), rtol, atol);
      std::fputs(report.text.c_str(), stdout);
      return report.ok ? 0 : 1;
    }
    if (app.got_subcommand("schema")) {
      std::fputs(scenario_schema().markdown().c_str(), stdout);
      return 0;
    }
  } catch (const ScenarioError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
