// citysim::calibrate: recovering known parameters from synthetic targets made by citysim
// itself (different seeds from the calibration's), within the reported standard errors;
// a flat direction flagged as not identified; failing evaluations recorded as infeasible;
// the calibration file and its report hold the driver's numbers.
#define BOOST_TEST_MODULE calibrate
#include <boost/test/unit_test.hpp>

#include <charconv>
#include <cmath>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "citysim/calibrate/calibrate.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

using namespace citysim;
using namespace citysim::calibrate;
namespace fs = std::filesystem;

namespace {

// 10,000 public-housing units over 2 years, daily ticks, residents off: 0.2 s a run
const char* kTiny = R"([run]
name = "cal-tiny"
seed = 5
start = "2026-04-01T00:00"
duration_hours = 17520
tick_minutes = 1440
output_every_minutes = 43200
[city]
source = "tokyo"
cell_m = 1000
[residents]
enabled = false
[housing]
enabled = true
units_total = 10000
estates_total = 40
applicants_per_round = 400
)";

struct Scratch {
  fs::path dir;
  Scratch() {
    dir = fs::temp_directory_path() / ("citysim-test-calibrate-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    write("tiny.toml", kTiny);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
};

// the run's total tenancies ended by `reason` over the run, at a setting and seed
double ended(const std::vector<std::string>& sets, int seed, const std::string& reason, const std::string& base) {
  Scenario sc = io::load_scenario(base);
  for (const auto& s : sets) io::apply_override(sc, s);
  sc.set_from_string("run.seed", std::to_string(seed));
  Simulation sim(sc, 1);
  sim.run();
  const Series* s = sim.metrics().find_series("housing/move_outs_by_reason");
  const size_t col = size_t(std::find(s->breakdown.labels.begin(), s->breakdown.labels.end(), reason) - s->breakdown.labels.begin());
  double sum = 0;
  for (size_t t = 0; t < s->history.size() / s->width(); ++t) sum += s->history[t * s->width() + col];
  return sum;
}

// as the JSON report writes a number: the shortest text that reads back the same
std::string shortest(double x) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, x).ptr);
}

std::string num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

}  // namespace

BOOST_AUTO_TEST_CASE(transforms_priors_and_misfit) {
  Parameter p;
  p.lower = 0.01, p.upper = 0.2, p.transform = Transform::Log;
  BOOST_TEST(p.to_unit(0.01) == 0.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.to_unit(0.2) == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.from_unit(0.5) == std::sqrt(0.01 * 0.2), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.from_unit(p.to_unit(0.037)) == 0.037, boost::test_tools::tolerance(1e-12));
  p.transform = Transform::Logit, p.lower = 0.1, p.upper = 0.9;
  BOOST_TEST(p.from_unit(0.5) == 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.dx_dz(0.3) == 0.21, boost::test_tools::tolerance(1e-12));
  const Prior normal{PriorKind::Normal, 1.0, 2.0}, uniform{PriorKind::Uniform, 0, 1};
  BOOST_TEST(normal.nll(5.0) == 2.0, boost::test_tools::tolerance(1e-12));  // ((5-1)/2)^2 / 2
  BOOST_TEST(uniform.nll(0.5) == 0.0);
  BOOST_TEST(std::isinf(uniform.nll(1.5)));
  // 1/2 sum w r^2 over observations in spec order
  Spec spec;
  Target a, b;
  a.observations = {{10, 2}};
  a.weight = 2;
  b.observations = {{0, 1, 24}, {5, 0.5, 48}};
  spec.targets = {a, b};
  std::vector<double> r;
  BOOST_TEST(misfit(spec, {14, 1, 5}, &r) == 0.5 * (2 * 4 + 1 + 0), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r == (std::vector<double>{2, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(misfit(spec, {NAN, 1, 5}) == kInfeasibleLoss);
}

BOOST_AUTO_TEST_CASE(recovers_known_parameters_within_standard_errors) {
  const Scratch s;
  const std::string base = (s.dir / "tiny.toml").string();
  // the truth: a faster voluntary move-out and a higher death rate than the defaults;
  // observed = one run at the truth with a seed the calibration never uses, sigma = its
  // Poisson noise
  const std::vector<std::string> truth{"housing.move_out_rate_at_40=0.06", "housing.death_rate_at_75=0.04"};
  const double moves = ended(truth, 424242, "move_out", base), deaths = ended(truth, 424242, "death", base);
  BOOST_TEST_MESSAGE("synthetic targets: " << moves << " move-outs, " << deaths << " deaths");
  const std::string spec_path = s.write("synthetic.cal.toml", R"(name = "synthetic"
base = "tiny.toml"
replicates = 2
seed = 11
method = "bobyqa"
max_evaluations = 60
[[parameter]]
key = "housing.move_out_rate_at_40"
bounds = [0.01, 0.2]
initial = 0.035
transform = "log"
[[parameter]]
key = "housing.death_rate_at_75"
bounds = [0.005, 0.1]
initial = 0.022
transform = "log"
[[target]]
name = "move-outs"
path = "housing/move_outs_by_reason"
labels = ["move_out"]
reduce = "sum"
observed = )" + num(moves) + "\nsigma = " + num(std::sqrt(moves)) + R"(
[[target]]
name = "deaths"
path = "housing/move_outs_by_reason"
labels = ["death"]
reduce = "sum"
observed = )" + num(deaths) + "\nsigma = " + num(std::sqrt(deaths)) + "\n");
  const Spec spec = load_spec(spec_path);
  Options o;
  o.jobs = 2;
  o.work_dir = (s.dir / "work").string();
  const Result res = calibrate::calibrate(spec, o);
  const Evaluation& best = res.evaluations[size_t(res.best)];
  BOOST_TEST_MESSAGE("fit: " << best.x[0] << " +- " << res.se[0] << ", " << best.x[1] << " +- " << res.se[1] << " after "
                             << res.evaluations.size() << " evaluations");
  BOOST_TEST(res.complete);
  BOOST_TEST(res.search_evaluations <= 60);
  BOOST_TEST(best.status == "ok");
  BOOST_TEST(res.evaluations[size_t(res.initial)].loss > 20 * std::max(best.loss, 1.0));
  BOOST_REQUIRE(res.se.size() == 2u);
  const double truth_x[] = {0.06, 0.04};
  for (size_t i = 0; i < 2; ++i) {
    BOOST_TEST(std::isfinite(res.se[i]));
    BOOST_TEST(res.se[i] > 0);
    BOOST_TEST(res.se[i] < 0.2 * truth_x[i]);              // the targets pin both down
    BOOST_TEST(std::fabs(best.x[i] - truth_x[i]) < 3 * res.se[i]);  // recovered within 3 standard errors
    BOOST_TEST(res.identified[i] == 1);
  }
  BOOST_TEST(std::fabs(res.correlation(0, 1)) < 0.9);
  BOOST_TEST(res.correlation(0, 0) == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(res.warnings.empty());
  // every member file was removed once read
  BOOST_TEST(!fs::exists(fs::path(o.work_dir) / "batch.members" / "e000000"));

  // the file and the report hold the driver's numbers
  const std::string out = (s.dir / "out" / "synthetic.calibration.h5").string();
  write_calibration(spec, res, out, true);
  BOOST_TEST(fs::exists(out));
  BOOST_TEST(!fs::exists(out + ".partial"));
  const std::string json = report_json(out);
  BOOST_TEST(json.find("\"optimum\": " + shortest(best.x[0])) != std::string::npos);
  const std::string text = report_text(out);
  BOOST_TEST(text.find("move-outs") != std::string::npos);
  BOOST_TEST(text.find("housing.death_rate_at_75") != std::string::npos);
  // the calibrated scenario: base + fitted values, loadable, the same run as the optimum's
  const std::string scen = (s.dir / "out" / "synthetic.scenario.toml").string();
  write_calibrated_scenario(spec, res, scen);
  const Scenario fitted = io::load_scenario(scen);
  BOOST_TEST(fitted.get_double("housing.move_out_rate_at_40") == best.x[0], boost::test_tools::tolerance(1e-15));
  BOOST_TEST(fitted.get_double("housing.units_total") == 10000);
  std::ifstream in(scen);
  std::string first;
  std::getline(in, first);
  BOOST_TEST(first.find("# Calibrated by `citysim calibrate") == 0u);
}

BOOST_AUTO_TEST_CASE(a_parameter_the_targets_do_not_see_is_not_identified) {
  const Scratch s;
  // residents are off: their arrival time cannot move any housing metric
  const std::string spec_path = s.write("flat.cal.toml", R"(base = "tiny.toml"
method = "neldermead"
max_evaluations = 8
set = { "housing.units_total" = 3000, "run.duration_hours" = 8760 }
[[parameter]]
key = "housing.move_out_rate_at_40"
bounds = [0.01, 0.2]
initial = 0.035
[[parameter]]
key = "residents.work_arrival_mean_h"
bounds = [7, 10]
[[target]]
path = "housing/move_outs_by_reason"
labels = ["move_out"]
reduce = "sum"
observed = 150
sigma = 12
)");
  const Spec spec = load_spec(spec_path);
  BOOST_TEST(spec.parameters[1].initial == 8.5, boost::test_tools::tolerance(1e-12));  // the middle of the bounds
  Options o;
  o.jobs = 2;
  const Result res = calibrate::calibrate(spec, o);
  BOOST_REQUIRE(res.identified.size() == 2u);
  BOOST_TEST(res.identified[1] == 0);
  BOOST_TEST(res.hessian(1, 1) == 0.0);  // common random numbers: exactly the same runs
  const bool warned = std::any_of(res.warnings.begin(), res.warnings.end(), [](const std::string& w) {
    return w.find("not identified") != std::string::npos && w.find("residents.work_arrival_mean_h") != std::string::npos;
  });
  BOOST_TEST(warned);
}

BOOST_AUTO_TEST_CASE(a_failing_evaluation_is_infeasible_not_a_crash) {
  const Scratch s;
  // most durations are not whole days (ticks): those candidates fail validation; 8760 h does not
  const std::string spec_path = s.write("fail.cal.toml", R"(base = "tiny.toml"
method = "neldermead"
max_evaluations = 6
hessian = false
set = { "housing.units_total" = 2000 }
[[parameter]]
key = "run.duration_hours"
bounds = [8000, 9000]
initial = 8760
[[target]]
path = "housing/move_outs"
reduce = "sum"
observed = 100
sigma = 10
)");
  const Spec spec = load_spec(spec_path);
  const Result res = calibrate::calibrate(spec, Options{});
  BOOST_TEST(res.complete);
  BOOST_TEST(res.evaluations[0].status == "ok");
  size_t failed = 0;
  for (const auto& e : res.evaluations)
    if (e.status == "failed") {
      ++failed;
      BOOST_TEST(e.loss == kInfeasibleLoss);
      BOOST_TEST(e.error.find("run.duration_hours") != std::string::npos);
    }
  BOOST_TEST(failed >= 1u);
  BOOST_TEST(res.evaluations[size_t(res.best)].status == "ok");
}

// ---- the posterior sampler (method = "mcmc") against posteriors known in closed form ----

namespace {
// runs the sampler on log_posterior(spec, e) with e's misfit from `misfit_of(x)`
Posterior sample_known(const Spec& spec, const std::function<double(const std::vector<double>&)>& misfit_of, int steps) {
  const LogDensityBatch density = [&](const std::vector<std::vector<double>>& us, std::vector<int>& evaluations) {
    std::vector<double> lp;
    for (const auto& u : us) {
      Evaluation e;
      for (size_t i = 0; i < u.size(); ++i) e.x.push_back(spec.parameters[i].from_unit(u[i]));
      e.misfit = misfit_of(e.x);
      for (size_t i = 0; i < u.size(); ++i) e.prior += spec.parameters[i].prior.nll(e.x[i]);
      lp.push_back(log_posterior(spec, e));
      evaluations.push_back(-1);
    }
    return lp;
  };
  std::vector<double> u0;
  for (const auto& p : spec.parameters) u0.push_back(p.to_unit(p.initial));
  SamplerOptions o;
  o.walkers = 8, o.steps = steps, o.seed = 3;
  return summarise(spec, sample_posterior(density, u0, o), steps / 5);
}
}  // namespace

BOOST_AUTO_TEST_CASE(sampler_reproduces_a_conjugate_normal_posterior) {
  // simulated = 2 theta, observed 3 with sigma 1, prior N(1, 0.5): the posterior is normal
  // with precision 4 + 4 = 8 and mean (2 x 3 + 1 / 0.25) / 8 = 1.25
  Spec spec;
  Parameter p;
  p.lower = -5, p.upper = 5, p.initial = 0;
  p.prior = {PriorKind::Normal, 1.0, 0.5};
  spec.parameters = {p};
  const Posterior post = sample_known(spec, [](const std::vector<double>& x) { return 0.5 * std::pow(2 * x[0] - 3, 2); }, 4000);
  BOOST_TEST_MESSAGE("posterior mean " << post.mean[0] << " sd " << post.sd[0] << ", " << post.effective_draws
                                       << " effective draws, acceptance " << post.acceptance);
  const double sd = std::sqrt(1.0 / 8);
  BOOST_TEST(post.effective_draws > 500);
  BOOST_TEST(std::fabs(post.mean[0] - 1.25) < 4 * sd / std::sqrt(post.effective_draws));
  BOOST_TEST(post.sd[0] == sd, boost::test_tools::tolerance(0.08));
  BOOST_TEST(post.q05[0] == 1.25 - 1.6449 * sd, boost::test_tools::tolerance(0.05));
  BOOST_TEST(post.q95[0] == 1.25 + 1.6449 * sd, boost::test_tools::tolerance(0.05));
  BOOST_TEST(post.acceptance > 0.3);
}

BOOST_AUTO_TEST_CASE(sampler_moves_in_transformed_coordinates_without_bias) {
  // no targets: the posterior is the prior. A lognormal prior (median 1, sdlog 0.5) on a
  // log-transformed parameter, and a normal prior on a logit-transformed one, each come back
  // with their own quantiles: the Jacobians of x(u) and the lognormal's 1/x are right
  Spec spec;
  Parameter a, b;
  a.lower = 1e-3, a.upper = 1e3, a.initial = 1, a.transform = Transform::Log, a.prior = {PriorKind::LogNormal, 0.0, 0.5};
  b.lower = 0.001, b.upper = 0.999, b.initial = 0.5, b.transform = Transform::Logit, b.prior = {PriorKind::Normal, 0.5, 0.1};
  spec.parameters = {a, b};
  const Posterior post = sample_known(spec, [](const std::vector<double>&) { return 0.0; }, 4000);
  BOOST_TEST_MESSAGE("lognormal: q05 " << post.q05[0] << " q50 " << post.q50[0] << " q95 " << post.q95[0] << "; normal: mean "
                                       << post.mean[1] << " sd " << post.sd[1] << "; " << post.effective_draws << " effective draws");
  BOOST_TEST(post.q50[0] == 1.0, boost::test_tools::tolerance(0.06));
  BOOST_TEST(post.q05[0] == std::exp(-1.6449 * 0.5), boost::test_tools::tolerance(0.06));
  BOOST_TEST(post.q95[0] == std::exp(1.6449 * 0.5), boost::test_tools::tolerance(0.06));
  BOOST_TEST(post.mean[1] == 0.5, boost::test_tools::tolerance(0.02));
  BOOST_TEST(post.sd[1] == 0.1, boost::test_tools::tolerance(0.08));
}

BOOST_AUTO_TEST_CASE(mcmc_calibration_covers_the_truth_and_writes_its_posterior) {
  const Scratch s;
  const std::string base = (s.dir / "tiny.toml").string();
  const std::vector<std::string> truth{"housing.move_out_rate_at_40=0.06"};
  const double moves = ended(truth, 424242, "move_out", base);
  const std::string spec_path = s.write("mcmc.cal.toml", R"(name = "mcmc"
base = "tiny.toml"
seed = 11
method = "mcmc"
walkers = 8
steps = 30
burn_in = 10
[[parameter]]
key = "housing.move_out_rate_at_40"
bounds = [0.01, 0.2]
initial = 0.035
transform = "log"
[[target]]
name = "move-outs"
path = "housing/move_outs_by_reason"
labels = ["move_out"]
reduce = "sum"
observed = )" + num(moves) + "\nsigma = " + num(std::sqrt(moves)) + "\n");
  const Spec spec = load_spec(spec_path);
  Options o;
  o.jobs = 2;
  o.work_dir = (s.dir / "work").string();
  const Result res = calibrate::calibrate(spec, o);
  const Posterior& post = res.posterior;
  BOOST_TEST_MESSAGE("mcmc: mean " << post.mean[0] << " sd " << post.sd[0] << " 90% [" << post.q05[0] << ", " << post.q95[0]
                                   << "], acceptance " << post.acceptance << ", " << res.evaluations.size() << " evaluations");
  BOOST_TEST(res.complete);
  BOOST_TEST(post.chain.steps == 30);
  // the truth within 3 posterior sds (a 90% interval would miss it one time in ten)
  BOOST_TEST(std::fabs(post.mean[0] - 0.06) < 3 * post.sd[0]);
  BOOST_TEST(post.sd[0] > 0);
  BOOST_TEST(post.sd[0] < 0.2 * 0.06);
  BOOST_TEST(post.q05[0] < post.q50[0]);
  BOOST_TEST(post.q50[0] < post.q95[0]);
  BOOST_TEST(post.acceptance > 0.2);
  const std::string out = (s.dir / "mcmc.calibration.h5").string();
  write_calibration(spec, res, out, true);
  const std::string text = report_text(out);
  BOOST_TEST(text.find("posterior (") != std::string::npos);
  BOOST_TEST(text.find(num(post.mean[0]).substr(0, 5)) != std::string::npos);
}
