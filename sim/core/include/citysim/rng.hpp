// Counter-based random numbers (Random123 Philox4x32-10).
//
// A draw is a pure function of (seed, stream, entity, tick, draw index), so it never
// depends on which thread takes it or in which order: the basis of determinism.
#pragma once
#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

namespace citysim {

// one independent stream per module and purpose; never reuse a value for two purposes
enum class Stream : uint32_t {
  PopulationHouseholds = 1,
  PopulationPeople = 2,
  DayPlans = 3,
  CityLayers = 4,
  Commuters = 5,
  Heat = 10,
  Network = 20,
  Watch = 30,
  Vertiport = 40,
  Housing = 50,
  Calibration = 60,  // the posterior sampler's moves (not a module)
  Test = 999,
};

class Rng {
 public:
  Rng(uint64_t seed, Stream stream) : stream_(uint32_t(stream)) {
    key_[0] = uint32_t(seed);
    key_[1] = uint32_t(seed >> 32);
  }

  // four random 32-bit words for (entity, tick, block)
  r123::Philox4x32::ctr_type block(uint64_t entity, uint32_t tick, uint32_t block_index) const {
    r123::Philox4x32::ctr_type ctr = {{uint32_t(entity), uint32_t(entity >> 32) ^ (stream_ << 16),
                                       tick, block_index ^ (stream_ * 0x9E3779B9u)}};
    return r123::Philox4x32()(ctr, key_);
  }

 private:
  r123::Philox4x32::key_type key_ = {{0, 0}};
  uint32_t stream_;
};

// sequential draws for one (entity, tick): uniform, normal, exponential, poisson...
class Draws {
 public:
  Draws(const Rng& rng, uint64_t entity, uint32_t tick) : rng_(rng), entity_(entity), tick_(tick) {}

  // uniform in [0, 1) with 53 random bits
  double uniform() {
    if (used_ > 2) refill();
    const uint64_t hi = words_[used_], lo = words_[used_ + 1];
    used_ += 2;
    return double(((hi << 32) | lo) >> 11) * 0x1.0p-53;
  }
  // uniform in (0, 1) from one 32-bit word: enough resolution for sampling by inversion,
  // and a Philox block serves four of them
  double uniform32() {
    if (used_ > 3) refill();
    return (double(words_[used_++]) + 0.5) * 0x1.0p-32;
  }
  // uniform in [lo, hi)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // integer in [0, n)
  uint32_t below(uint32_t n) { return uint32_t(uniform() * n); }
  bool bernoulli(double p) { return uniform() < p; }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  // standard normal by inverting its distribution function (Acklam's rational
  // approximation, relative error below 1.2e-9): one 32-bit uniform (|z| up to 6.2), and
  // no logarithm or square root in the central 95%
  double normal() {
    constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                            1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                            6.680131188771972e+01,  -1.328068155288572e+01};
    constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                            -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    constexpr double e[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
    constexpr double low = 0.02425;
    const double u = uniform32();
    if (u > low && u < 1 - low) {
      const double q = u - 0.5, r = q * q;
      return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
             (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    const double q = std::sqrt(-2 * std::log(u < low ? u : 1 - u));
    const double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                     ((((e[0] * q + e[1]) * q + e[2]) * q + e[3]) * q + 1);
    return u < low ? x : -x;
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Poisson counts: inversion for small means, normal approximation above 50
  uint32_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 50) {
      const double x = std::round(normal(mean, std::sqrt(mean)));
      return x < 0 ? 0 : uint32_t(x);
    }
    double p = std::exp(-mean), cdf = p, u = uniform32();
    uint32_t k = 0;
    while (u > cdf && k < 1000) { ++k; p *= mean / k; cdf += p; }
    return k;
  }

 private:
  void refill() {
    const auto b = rng_.block(entity_, tick_, next_block_++);
    for (int i = 0; i < 4; ++i) words_[i] = b.v[i];
    used_ = 0;
  }
  Rng rng_;  // by value: 12 bytes, and a temporary Rng cannot dangle
  uint64_t entity_;
  uint32_t tick_;
  uint32_t next_block_ = 0;
  uint32_t words_[4] = {0, 0, 0, 0};
  int used_ = 4;
};

// the index drawn from cumulative weights `cdf` (non-decreasing, last > 0) with a uniform
// u in [0, 1): the first entry above u x total, so each index comes with its weight's share
inline size_t sample_cdf(std::span<const double> cdf, double u) {
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), u * cdf.back());
  return std::min(size_t(it - cdf.begin()), cdf.size() - 1);
}

}  // namespace citysim
