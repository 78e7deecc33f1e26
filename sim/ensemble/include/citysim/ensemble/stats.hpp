// Summaries over replicates and paired contrasts against the baseline. NaN marks a missing
// value (a failed member) and is left out.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace citysim::ensemble {

constexpr std::array<double, 5> kQuantiles{0.05, 0.25, 0.5, 0.75, 0.95};

struct Summary {
  int n = 0;
  double mean, sd, se;  // sd with n - 1; NaN when n < 2
  double ci_lo, ci_hi;  // 95% t-interval of the mean
  std::array<double, 5> q;  // kQuantiles, linear interpolation (numpy's default)
};
Summary summarise(const std::vector<double>& values);

// variant - baseline, paired by replicate (common random numbers)
struct Contrast {
  int pairs = 0;                 // replicates where both ran; nothing is computed below 2
  double mean_diff, rel_diff;    // rel_diff: mean_diff / the baseline's mean over the pairs
  double t_lo, t_hi;             // 95% t-interval of the mean difference
  double boot_lo, boot_hi;       // 95% percentile bootstrap of the mean difference
  bool excludes_zero = false;    // by the t-interval
};
Contrast contrast(const std::vector<double>& variant, const std::vector<double>& baseline, int resamples, uint64_t seed);

// the 97.5% quantile of Student's t with df degrees of freedom
double t975(int df);

}  // namespace citysim::ensemble
