#include "citysim/calibrate/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "citysim/rng.hpp"

namespace citysim::calibrate {

Chain sample_posterior(const LogDensityBatch& log_density, const std::vector<double>& u0, const SamplerOptions& o,
                       const std::function<bool()>& stopped) {
  const int D = int(u0.size());
  const int K = o.walkers > 0 ? o.walkers : std::max(8, 2 * D + 2);
  if (K % 2 != 0 || K < 2 * D) throw std::invalid_argument("the sampler needs an even number of walkers, at least twice the parameters");
  const Rng rng(o.seed, Stream::Calibration);
  // walkers start in a small box around u0, clamped inside the cube (they spread out as they move)
  std::vector<std::vector<double>> x(size_t(K), u0);
  for (int k = 0; k < K; ++k) {
    Draws d(rng, uint64_t(k), 0);
    for (int i = 0; i < D; ++i) x[size_t(k)][size_t(i)] = std::clamp(u0[size_t(i)] + o.start_spread * (2 * d.uniform() - 1), 1e-6, 1 - 1e-6);
  }
  std::vector<int> ev(size_t(K), -1);
  std::vector<double> lp = log_density(x, ev);
  Chain c;
  c.walkers = K, c.dims = D;
  c.acceptance.assign(size_t(K), 0);
  const double a = o.stretch;
  const auto done = [&] {
    for (double& acc : c.acceptance) acc /= std::max(1, c.steps);
    return c;
  };
  for (int step = 0; step < o.steps; ++step) {
    for (int half = 0; half < 2; ++half) {
      if (stopped && stopped()) return done();
      // walkers of this half move towards or away from a walker of the other half
      std::vector<std::vector<double>> proposals;
      std::vector<double> z, accept_u;
      for (int k = half; k < K; k += 2) {
        Draws d(rng, uint64_t(k), uint32_t(1 + 2 * step + half));
        const int j = 2 * int(d.below(uint32_t(K / 2))) + (1 - half);
        const double r = d.uniform();
        const double zk = std::pow((a - 1) * r + 1, 2) / a;  // z ~ 1/sqrt(z) on [1/a, a]
        std::vector<double> y(static_cast<size_t>(D));
        for (int i = 0; i < D; ++i) y[size_t(i)] = x[size_t(j)][size_t(i)] + zk * (x[size_t(k)][size_t(i)] - x[size_t(j)][size_t(i)]);
        proposals.push_back(y);
        z.push_back(zk);
        accept_u.push_back(d.uniform());
      }
      // points outside the cube are rejected without an evaluation
      std::vector<std::vector<double>> inside;
      for (const auto& y : proposals)
        if (std::all_of(y.begin(), y.end(), [](double v) { return v >= 0 && v <= 1; })) inside.push_back(y);
      std::vector<int> inside_ev(inside.size(), -1);
      const std::vector<double> inside_lp = inside.empty() ? std::vector<double>{} : log_density(inside, inside_ev);
      size_t next = 0;
      for (size_t p = 0; p < proposals.size(); ++p) {
        const int k = half + 2 * int(p);
        const auto& y = proposals[p];
        const bool in = std::all_of(y.begin(), y.end(), [](double v) { return v >= 0 && v <= 1; });
        const double lpy = in ? inside_lp[next] : -std::numeric_limits<double>::infinity();
        const int evy = in ? inside_ev[next++] : -1;
        const double log_accept = (D - 1) * std::log(z[p]) + lpy - lp[size_t(k)];
        if (std::isfinite(lpy) && std::log(accept_u[p]) < log_accept) {
          x[size_t(k)] = y, lp[size_t(k)] = lpy, ev[size_t(k)] = evy;
          c.acceptance[size_t(k)] += 1;
        }
      }
    }
    for (int k = 0; k < K; ++k) {
      c.u.insert(c.u.end(), x[size_t(k)].begin(), x[size_t(k)].end());
      c.log_p.push_back(lp[size_t(k)]);
      c.evaluation.push_back(ev[size_t(k)]);
    }
    ++c.steps;
  }
  return done();
}

double autocorrelation_time(const std::vector<double>& s) {
  const size_t n = s.size();
  if (n < 4) return std::numeric_limits<double>::quiet_NaN();
  const double mean = std::accumulate(s.begin(), s.end(), 0.0) / double(n);
  double var = 0;
  for (double v : s) var += (v - mean) * (v - mean);
  if (var <= 0) return std::numeric_limits<double>::quiet_NaN();
  double tau = 1;
  for (size_t lag = 1; lag < n; ++lag) {
    double acf = 0;
    for (size_t t = 0; t + lag < n; ++t) acf += (s[t] - mean) * (s[t + lag] - mean);
    tau += 2 * acf / var;
    if (double(lag) >= 5 * tau) break;  // Sokal's window
  }
  return tau;
}

}  // namespace citysim::calibrate
