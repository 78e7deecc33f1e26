#include "citysim/ensemble/stats.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

#include "citysim/ensemble/plan.hpp"

namespace citysim::ensemble {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double quantile_sorted(const std::vector<double>& x, double p) {
  const double at = p * double(x.size() - 1);
  const size_t i = size_t(std::floor(at));
  if (i + 1 >= x.size()) return x.back();
  return x[i] + (at - double(i)) * (x[i + 1] - x[i]);
}

std::vector<double> finite(const std::vector<double>& values) {
  std::vector<double> x;
  for (double v : values)
    if (std::isfinite(v)) x.push_back(v);
  return x;
}

double mean_of(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return s / double(x.size());
}
}  // namespace

double t975(int df) { return boost::math::quantile(boost::math::students_t(double(df)), 0.975); }

Summary summarise(const std::vector<double>& values) {
  std::vector<double> x = finite(values);
  Summary s{int(x.size()), kNaN, kNaN, kNaN, kNaN, kNaN, {kNaN, kNaN, kNaN, kNaN, kNaN}};
  if (x.empty()) return s;
  std::sort(x.begin(), x.end());
  s.mean = mean_of(x);
  for (size_t i = 0; i < kQuantiles.size(); ++i) s.q[i] = quantile_sorted(x, kQuantiles[i]);
  if (x.size() < 2) return s;
  double ss = 0;
  for (double v : x) ss += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(ss / double(x.size() - 1));
  s.se = s.sd / std::sqrt(double(x.size()));
  const double half = t975(s.n - 1) * s.se;
  s.ci_lo = s.mean - half, s.ci_hi = s.mean + half;
  return s;
}

Contrast contrast(const std::vector<double>& variant, const std::vector<double>& baseline, int resamples, uint64_t seed) {
  std::vector<double> d, b;
  for (size_t i = 0; i < std::min(variant.size(), baseline.size()); ++i)
    if (std::isfinite(variant[i]) && std::isfinite(baseline[i])) d.push_back(variant[i] - baseline[i]), b.push_back(baseline[i]);
  Contrast c{int(d.size()), kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, false};
  if (d.size() < 2) return c;
  const Summary s = summarise(d);
  c.mean_diff = s.mean;
  const double base = mean_of(b);
  c.rel_diff = base != 0 ? s.mean / base : kNaN;
  c.t_lo = s.ci_lo, c.t_hi = s.ci_hi;
  c.excludes_zero = c.t_lo > 0 || c.t_hi < 0;
  // resample the pairs with replacement; the seed is fixed so the file is reproducible
  std::vector<double> means(static_cast<size_t>(resamples));
  uint64_t state = seed;
  for (double& m : means) {
    double sum = 0;
    for (size_t i = 0; i < d.size(); ++i) sum += d[splitmix64(state) % d.size()];
    m = sum / double(d.size());
  }
  std::sort(means.begin(), means.end());
  c.boot_lo = quantile_sorted(means, 0.025), c.boot_hi = quantile_sorted(means, 0.975);
  return c;
}

}  // namespace citysim::ensemble
