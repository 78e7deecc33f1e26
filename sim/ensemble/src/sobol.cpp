#include "citysim/ensemble/sobol.hpp"

#include <stdexcept>
#include <string>

namespace citysim::ensemble {

namespace {

// Direction numbers for dimensions 2..21 from new-joe-kuo-6.21201, one row per dimension:
// s (degree of the primitive polynomial), a (its inner coefficients as bits), m_1..m_s.
// Source: S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better two-dimensional
// projections", SIAM J. Sci. Comput. 30 (2008) 2635-2654; data file new-joe-kuo-6.21201 from
// https://web.maths.unsw.edu.au/~fkuo/sobol/ . Copyright (c) 2008, Frances Y. Kuo and Stephen
// Joe; redistributed under their BSD-style licence (the notice and conditions are in
// scenarios/data/SOURCES.md). Only these numbers are taken from there; the generator below is
// written for citysim.
struct JoeKuoRow {
  int s;
  uint32_t a;
  uint32_t m[7];
};
constexpr JoeKuoRow kJoeKuo[Sobol::kMaxDims - 1] = {
    {1, 0, {1}},                            // d = 2
    {2, 1, {1, 3}},                         // d = 3
    {3, 1, {1, 3, 1}},                      // d = 4
    {3, 2, {1, 1, 1}},                      // d = 5
    {4, 1, {1, 1, 3, 3}},                   // d = 6
    {4, 4, {1, 3, 5, 13}},                  // d = 7
    {5, 2, {1, 1, 5, 5, 17}},               // d = 8
    {5, 4, {1, 1, 5, 5, 5}},                // d = 9
    {5, 7, {1, 1, 7, 11, 19}},              // d = 10
    {5, 11, {1, 1, 5, 1, 1}},               // d = 11
    {5, 13, {1, 1, 1, 3, 11}},              // d = 12
    {5, 14, {1, 3, 5, 5, 31}},              // d = 13
    {6, 1, {1, 3, 3, 9, 7, 49}},            // d = 14
    {6, 13, {1, 1, 1, 15, 21, 21}},         // d = 15
    {6, 16, {1, 3, 1, 13, 27, 49}},         // d = 16
    {6, 19, {1, 1, 1, 15, 7, 5}},           // d = 17
    {6, 22, {1, 3, 1, 15, 13, 25}},         // d = 18
    {6, 25, {1, 1, 5, 5, 19, 61}},          // d = 19
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},     // d = 20
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},      // d = 21
};

}  // namespace

Sobol::Sobol(int dims) {
  if (dims < 1 || dims > kMaxDims)
    throw std::invalid_argument("Sobol: " + std::to_string(dims) + " dimensions; the embedded Joe-Kuo direction numbers cover 1 to " +
                                std::to_string(kMaxDims));
  v_.resize(size_t(dims));
  // dimension 1: V_k = 2^-k (the van der Corput sequence in base 2)
  for (int k = 0; k < kBits; ++k) v_[0][size_t(k)] = uint32_t(1) << (kBits - 1 - k);
  for (int d = 1; d < dims; ++d) {
    const JoeKuoRow& row = kJoeKuo[d - 1];
    auto& v = v_[size_t(d)];
    // the first s from m_k (odd, below 2^k): V_k = m_k / 2^k
    for (int k = 0; k < row.s; ++k) v[size_t(k)] = row.m[k] << (kBits - 1 - k);
    // the rest by the polynomial's recurrence:
    // V_k = a_1 V_{k-1} ^ ... ^ a_{s-1} V_{k-s+1} ^ V_{k-s} ^ (V_{k-s} / 2^s)
    for (int k = row.s; k < kBits; ++k) {
      uint32_t x = v[size_t(k - row.s)] ^ (v[size_t(k - row.s)] >> row.s);
      for (int l = 1; l < row.s; ++l)
        if ((row.a >> (row.s - 1 - l)) & 1u) x ^= v[size_t(k - l)];
      v[size_t(k)] = x;
    }
  }
}

std::vector<double> Sobol::point(uint64_t i) const {
  if (i > kMaxIndex)
    throw std::out_of_range("Sobol: point " + std::to_string(i) + " is beyond the 2^32 points of 32-bit direction numbers");
  // Gray-code order: point i is the XOR of V_k over the bits k of gray(i) = i ^ (i >> 1)
  const uint64_t gray = i ^ (i >> 1);
  std::vector<double> out(v_.size());
  for (size_t d = 0; d < v_.size(); ++d) {
    uint32_t x = 0;
    for (int k = 0; k < kBits; ++k)
      if ((gray >> k) & 1u) x ^= v_[d][size_t(k)];
    out[d] = double(x) * 0x1.0p-32;
  }
  return out;
}

}  // namespace citysim::ensemble
