// The calibration driver: candidates become ensemble members (a variant per candidate x the
// spec's replicate seeds, the same at every candidate), run by citysim::ensemble's
// run_members with --jobs; each target's metric is reduced with the ensemble's metric code
// and averaged over replicates; NLopt searches the unit cube of the (transformed)
// parameters; a finite-difference Hessian of the loss at the optimum gives standard errors.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "citysim/calibrate/sampler.hpp"
#include "citysim/calibrate/spec.hpp"

namespace citysim::calibrate {

// the loss of an evaluation that failed (a member threw, a value outside a key's range,
// a metric with no sample in its window): large, finite, so every optimiser keeps going
constexpr double kInfeasibleLoss = 1e10;

struct Evaluation {
  int index = 0;
  std::string phase;           // initial | search | hessian
  std::vector<double> x;       // natural values, one per parameter
  std::vector<double> u;       // the optimiser's unit coordinates
  double loss = kInfeasibleLoss, misfit = 0, prior = 0;  // loss = misfit + prior
  std::vector<double> simulated, residual;  // per observation (Spec order): mean over replicates; (sim - obs) / sigma
  std::string status = "ok", error;         // ok | failed | interrupted (Ctrl-C)
  double wall_seconds = 0;     // of its members (summed)
};

// method = "mcmc": the walkers' positions after burn-in, summarised per parameter in
// natural units (the posterior's mean, sd and 5/50/95% quantiles)
struct Posterior {
  Chain chain;  // every step, burn-in included, in the unit coordinates
  int burn_in = 0;
  std::vector<double> mean, sd, q05, q50, q95;
  std::vector<double> autocorrelation_steps;  // integrated autocorrelation time of each parameter
  double acceptance = 0;                      // mean over the walkers
  double effective_draws = 0;                 // kept draws / the longest autocorrelation time
};

struct Result {
  std::vector<Evaluation> evaluations;
  int initial = 0, best = 0;   // evaluation indices
  std::string stop_reason;     // NLopt's
  bool complete = true;        // false when interrupted
  int search_evaluations = 0;  // optimiser calls (cached points included)
  // uncertainty at the optimum (empty without a Hessian)
  Eigen::MatrixXd hessian;     // of the loss in the unit coordinates
  std::vector<double> se, se_transformed;  // natural units (delta method) / transformed units
  Eigen::MatrixXd correlation;
  std::vector<int> identified; // 1, or 0 for a parameter in a flat or near-singular direction
  std::vector<std::string> warnings;
  Posterior posterior;  // method = "mcmc" only (else chain.steps == 0)
  double wall_seconds = 0, member_seconds = 0;  // the whole calibration / its members' runs summed
};

struct Options {
  int jobs = 1, threads_per_member = 1;
  std::string work_dir;        // member files go here while an evaluation is read
  bool keep_members = false;   // keep every member file (else removed once read)
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const Evaluation&, const Result&)> on_evaluation;
};

// the loss of simulated values per observation: 1/2 sum w ((sim - obs) / sigma)^2, the
// Gaussian negative log-likelihood up to a constant
double misfit(const Spec& spec, const std::vector<double>& simulated, std::vector<double>* residuals = nullptr);

Result calibrate(const Spec& spec, const Options& options);

// log posterior density at an evaluation, in the unit coordinates the sampler moves in:
// -(misfit + prior) with the prior as a density of the natural value (a lognormal's 1/x)
// and the Jacobian of x(u); -inf for a failed evaluation
double log_posterior(const Spec& spec, const Evaluation& e);
// the summary of a chain (natural units), dropping the first `burn_in` steps
Posterior summarise(const Spec& spec, Chain chain, int burn_in);

// calibration.h5 (results/README.md), written as <path>.partial and renamed when complete
void write_calibration(const Spec& spec, const Result& result, const std::string& path, bool complete);
// the base scenario with the spec's set and the fitted values, commented with the targets
// and the date; relative file paths are rewritten for the new file's folder
void write_calibrated_scenario(const Spec& spec, const Result& result, const std::string& path);

// `citysim calibrate report`: per target observed vs simulated at the initial values and
// the optimum; parameters with standard errors; warnings
std::string report_text(const std::string& path);
std::string report_json(const std::string& path);

}  // namespace citysim::calibrate
