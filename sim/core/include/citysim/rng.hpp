// Counter-based random numbers (Random123 Philox4x32-10).
//
// A draw is a pure function of (seed, stream, entity, tick, draw index), so it never
// depends on which thread takes it or in which order: the basis of determinism.
#pragma once
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

namespace citysim {

// one independent stream per module and purpose; never reuse a value for two purposes
enum class Stream : uint32_t {
  PopulationHouseholds = 1,
  PopulationPeople = 2,
  DayPlans = 3,
  CityLayers = 4,
  Heat = 10,
  Network = 20,
  Watch = 30,
  Vertiport = 40,
  Housing = 50,
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
    if (used_ >= 4) refill();
    const uint64_t hi = words_[used_], lo = words_[used_ + 1];
    used_ += 2;
    return double(((hi << 32) | lo) >> 11) * 0x1.0p-53;
  }
  // uniform in [lo, hi)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // integer in [0, n)
  uint32_t below(uint32_t n) { return uint32_t(uniform() * n); }
  bool bernoulli(double p) { return uniform() < p; }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  // standard normal (Box-Muller; uses two uniforms)
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Poisson counts: inversion for small means, normal approximation above 50
  uint32_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 50) {
      const double x = std::round(normal(mean, std::sqrt(mean)));
      return x < 0 ? 0 : uint32_t(x);
    }
    double p = std::exp(-mean), cdf = p, u = uniform();
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

}  // namespace citysim
