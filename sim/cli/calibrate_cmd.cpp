#include "calibrate_cmd.hpp"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "citysim/calibrate/calibrate.hpp"
#include "citysim/io/results.hpp"

namespace citysim::cli {

namespace {

using namespace citysim::calibrate;
namespace fs = std::filesystem;

constexpr int kBadInput = 2, kInterrupted = 130;

std::atomic<bool> g_stop{false};
extern "C" void on_calibrate_sigint(int) { g_stop = true; }

struct Options {
  std::string spec, out, scenario_out, file, work_dir;
  int jobs = 1, threads_per_member = 1;
  bool quiet = false, json = false, keep_members = false;
};

// results/<spec name>.calibration.h5 from calibration/<name>.cal.toml
std::string default_output(const std::string& spec_path) {
  fs::path stem = fs::path(spec_path).stem();
  if (stem.extension() == ".cal") stem = stem.stem();
  return "results/" + stem.string() + ".calibration.h5";
}

// calibration.h5 -> calibration.scenario.toml beside it
std::string default_scenario(const std::string& out) {
  fs::path p(out);
  if (p.extension() == ".h5") p.replace_extension();
  return p.string() + ".scenario.toml";
}

int cmd_run(Options o) {
  const Spec spec = load_spec(o.spec);  // every bad input exits 2 here, before any evaluation
  if (o.out.empty()) o.out = default_output(o.spec);
  if (o.scenario_out.empty()) o.scenario_out = default_scenario(o.out);
  if (const std::string problem = io::output_path_problem(o.out); !problem.empty()) {
    std::fprintf(stderr, "error: %s\n", problem.c_str());
    return kBadInput;
  }
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (o.jobs * o.threads_per_member > cores)
    std::fprintf(stderr, "warning: --jobs %d x --threads-per-member %d is more than this machine's %d cores\n", o.jobs,
                 o.threads_per_member, cores);
  calibrate::Options run;
  run.jobs = o.jobs, run.threads_per_member = o.threads_per_member, run.stop = &g_stop;
  run.keep_members = o.keep_members;
  run.work_dir = o.work_dir;
  const bool tty = isatty(STDERR_FILENO) != 0;
  run.on_evaluation = [&](const Evaluation& e, const Result& r) {
    if (o.quiet) return;
    std::fprintf(stderr, "%scalibrate: evaluation %d (%s) loss %.6g%s, best %.6g%s", tty ? "\r" : "", e.index, e.phase.c_str(), e.loss,
                 e.status == "ok" ? "" : " (failed)", r.evaluations[size_t(r.best)].loss, tty ? "     " : "\n");
    std::fflush(stderr);
  };
  std::signal(SIGINT, on_calibrate_sigint);
  std::signal(SIGTERM, on_calibrate_sigint);
  const Result result = calibrate::calibrate(spec, run);
  if (!o.quiet && tty) std::fprintf(stderr, "\n");
  const bool complete = result.complete && !g_stop;
  write_calibration(spec, result, o.out, complete);
  const std::string written = complete ? o.out : o.out + ".partial";
  if (complete && result.evaluations[size_t(result.best)].status == "ok") write_calibrated_scenario(spec, result, o.scenario_out);
  if (!o.quiet) {
    std::fputs((calibrate::report_text(written) + "\ncalibration file: " + written + "\n").c_str(), stdout);
    if (complete) std::printf("calibrated scenario: %s\n", o.scenario_out.c_str());
  }
  if (!complete) {
    std::fprintf(stderr, "interrupted: %s holds the evaluations so far (complete = 0)\n", written.c_str());
    return kInterrupted;
  }
  return result.evaluations[size_t(result.best)].status == "ok" ? 0 : 1;
}

}  // namespace

std::function<int()> add_calibrate_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cal = app.add_subcommand("calibrate", "fit scenario keys to observed targets, with standard errors (docs/calibration.md)");
  cal->require_subcommand(0, 1);
  cal->add_option("spec", o->spec, "calibration spec (TOML, docs/calibration.md)")->check(CLI::ExistingFile);
  cal->add_option("-o,--output", o->out, "calibration file (default results/<spec>.calibration.h5)");
  cal->add_option("--scenario-out", o->scenario_out, "the calibrated scenario (default <output without .h5>.scenario.toml)");
  cal->add_option("--jobs", o->jobs, "members run at once (default 1)")->check(CLI::PositiveNumber);
  cal->add_option("--threads-per-member", o->threads_per_member, "threads of each member (default 1)")->check(CLI::PositiveNumber);
  cal->add_option("--work-dir", o->work_dir, "where member files go while they are read (default a temporary folder)");
  cal->add_flag("--keep-members", o->keep_members, "keep every member's results file (in --work-dir)");
  cal->add_flag("-q,--quiet", o->quiet, "no progress or report");
  auto* report = cal->add_subcommand("report", "per target observed vs simulated before and after, the parameters with standard errors");
  report->add_option("file", o->file, "calibration file (.calibration.h5)")->required()->check(CLI::ExistingFile);
  report->add_flag("--json", o->json, "machine-readable output");
  return [o, cal, report]() -> int {
    if (*report) {
      std::fputs((o->json ? calibrate::report_json(o->file) : calibrate::report_text(o->file)).c_str(), stdout);
      return 0;
    }
    if (o->spec.empty()) {
      std::fputs((cal->help() + "\nA calibration spec is required\n").c_str(), stderr);
      return kBadInput;
    }
    return cmd_run(*o);
  };
}

}  // namespace citysim::cli
