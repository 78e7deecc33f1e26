// Calibration specs (TOML, docs/calibration.md): a base scenario with overrides, the
// parameters to fit (scenario keys with bounds, an initial value, a transform, a prior),
// the targets (metrics of the results with observed values and uncertainties, or an
// observed series from a CSV), replicates with common random numbers, and the optimiser.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "citysim/ensemble/plan.hpp"

namespace citysim::calibrate {

enum class Transform { None, Log, Logit };
const char* transform_name(Transform t);

enum class PriorKind { None, Normal, LogNormal, Uniform };
const char* prior_name(PriorKind p);

// normal: a = mean, b = sd; lognormal: a = mean of log x, b = sd of log x; uniform: [a, b]
struct Prior {
  PriorKind kind = PriorKind::None;
  double a = 0, b = 0;
  // the negative log density up to a constant (0 for none; +inf outside a uniform's range);
  // a lognormal's is that of log x (a normal prior on the log), so it is never negative
  double nll(double x) const;
};

struct Parameter {
  std::string key;
  double lower = 0, upper = 0, initial = 0;
  Transform transform = Transform::None;
  Prior prior;
  bool integer = false;  // an integer key: values are rounded when set
  SourceLoc loc;

  // natural value <-> the optimiser's coordinate u in [0, 1] (linear in the transformed value)
  double to_unit(double x) const;
  double from_unit(double u) const;
  // d x / d z at x, z the transformed value (for standard errors by the delta method)
  double dx_dz(double x) const;
  double transformed(double x) const;
  // the value as --set text
  std::string text(double x) const;
};

// one observed number the loss compares with the simulation
struct Observation {
  double value = 0, sigma = 1;
  double time_hours = -1;  // a CSV row: the sample at this time; -1: the target's reduction
  SourceLoc loc;
};

struct Target {
  std::string name;              // default: the metric's id
  ensemble::MetricSpec metric;   // path, labels, reduction, window
  bool has_denominator = false;   // divide_by: the simulated value is metric / denominator
  ensemble::MetricSpec denominator;  // (a ratio such as daytime / night-time population)
  // where the spec names the path and the labels (of the metric, then of divide_by)
  SourceLoc path_loc, labels_loc, denominator_path_loc, denominator_labels_loc;
  double weight = 1;
  std::string csv;               // the observed series' file (empty: a single observation)
  std::vector<Observation> observations;
  SourceLoc loc;
};

// the NLopt optimisers, or the posterior sampler (sampler.hpp)
enum class Method { Bobyqa, NelderMead, Crs2, Isres, Mcmc };
const char* method_name(Method m);
bool is_global(Method m);

struct Spec {
  std::string path, text, name, base;
  std::vector<ensemble::Override> set;
  std::vector<Parameter> parameters;
  std::vector<Target> targets;
  uint64_t seed = 1;
  std::vector<uint64_t> seeds;  // one per replicate, the same at every candidate
  Method method = Method::Bobyqa;
  int max_evaluations = 100;
  double xtol_rel = 1e-3, ftol_abs = 1e-4;
  int population = 0;        // global methods: 0 = NLopt's default
  double hessian_step = 0.05;  // finite-difference step in the unit coordinate
  bool hessian = true;          // the optimisers' standard errors (not with mcmc)
  // mcmc: walkers (0 = 2 x parameters + 2, at least 8), steps per walker, steps dropped
  int walkers = 0, steps = 200, burn_in = 100;

  int replicates() const { return int(seeds.size()); }
  size_t observations() const;
};

// reads and validates a spec: ScenarioError with file:line:key on bad input. Checks the
// parameters against their keys' own ranges and every target against what a simulation
// of the base scenario publishes (series and labels) before anything runs.
Spec load_spec(const std::string& path);

}  // namespace citysim::calibrate
