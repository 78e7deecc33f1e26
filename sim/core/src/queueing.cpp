#include "citysim/queueing.hpp"

#include <limits>

namespace citysim {

double erlang_b(double a, int c) {
  // B(0) = 1; B(k) = A B(k-1) / (k + A B(k-1)), the stable recursion
  double b = 1.0;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  return b;
}

double erlang_c(double a, int c) {
  if (a >= c) return 1.0;
  const double b = erlang_b(a, c);
  return c * b / (c - a * (1 - b));
}

double erlang_c_wait_min(int c, double lambda_per_min, double service_min) {
  const double a = lambda_per_min * service_min;
  if (a >= c) return std::numeric_limits<double>::infinity();
  return erlang_c(a, c) * service_min / (c - a);
}

}  // namespace citysim
