// A posterior sample for a calibration (method = "mcmc"): the affine-invariant ensemble
// sampler of Goodman & Weare (2010, the "stretch move" that emcee made common). Walkers
// move in two halves; each half's proposals are one batch of evaluations, so every step
// runs as ensemble members with --jobs or mpirun. It samples any log density on the unit
// cube; calibrate() gives it exp(-loss) with the prior and the transforms' Jacobians.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace citysim::calibrate {

struct SamplerOptions {
  int walkers = 0;        // even, at least 2 x dimensions (0: 2 x dimensions + 2, at least 8)
  int steps = 200;        // moves per walker
  int burn_in = 100;      // steps dropped before the summary
  double stretch = 2.0;   // the move's scale a: z in [1/a, a] with density ~ 1/sqrt(z)
  uint64_t seed = 1;
  double start_spread = 0.05;  // walkers start in a box of this half-width around u0 (unit cube)
};

struct Chain {
  int walkers = 0, steps = 0, dims = 0;
  std::vector<double> u;         // [step][walker][dim], the position after each step
  std::vector<double> log_p;     // [step][walker]
  std::vector<int> evaluation;   // [step][walker]: the evaluation behind the position (-1: none given)
  std::vector<double> acceptance;  // per walker, over all steps
  double at(int step, int walker, int dim) const { return u[(size_t(step) * walkers + walker) * dims + dim]; }
};

// log densities of a batch of points in the unit cube (-inf: outside the support, or failed)
using LogDensityBatch = std::function<std::vector<double>(const std::vector<std::vector<double>>& points,
                                                          std::vector<int>& evaluations)>;

// runs the sampler from around u0; `stopped` (may be empty) ends it early between halves
Chain sample_posterior(const LogDensityBatch& log_density, const std::vector<double>& u0, const SamplerOptions& options,
                       const std::function<bool()>& stopped = {});

// the integrated autocorrelation time of one series (Sokal's adaptive window, c = 5): the
// number of steps per independent draw
double autocorrelation_time(const std::vector<double>& series);

}  // namespace citysim::calibrate
