// Sobol' low-discrepancy points in [0, 1)^d for `[sample] method = "sobol"`: the classic
// construction (Bratley and Fox, ACM TOMS 14, 1988; Gray-code order, Antonov and Saleev) with
// the direction numbers of S. Joe and F. Y. Kuo, new-joe-kuo-6.21201 (SIAM J. Sci. Comput. 30,
// 2635-2654, 2008), embedded for the first kMaxDims dimensions (sobol.cpp credits them).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace citysim::ensemble {

class Sobol {
 public:
  static constexpr int kMaxDims = 21;  // dimension 1 (van der Corput) and Joe-Kuo's rows d = 2..21
  static constexpr int kBits = 32;     // points 0 .. 2^32 - 1
  static constexpr uint64_t kMaxIndex = (uint64_t(1) << kBits) - 1;

  // throws std::invalid_argument unless 1 <= dims <= kMaxDims
  explicit Sobol(int dims);
  int dims() const { return int(v_.size()); }
  // point i of the sequence (i = 0 is the origin; a sample uses 1, 2, ...): exact binary
  // fractions; throws std::out_of_range when i > kMaxIndex
  std::vector<double> point(uint64_t i) const;

 private:
  std::vector<std::array<uint32_t, kBits>> v_;  // direction numbers V_k, k = 1..32, as 0.b1b2...b32
};

}  // namespace citysim::ensemble
