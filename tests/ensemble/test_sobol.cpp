// The Sobol' generator (Joe-Kuo direction numbers) against known points: the first points of
// dimensions 1 and 2 by hand, every embedded dimension's first 31 points and deep points as an
// independent implementation gives them (SciPy 1.10 scipy.stats.qmc.Sobol(d=21,
// scramble=False, bits=32), which uses the same new-joe-kuo-6.21201 numbers; values copied
// here, SciPy is not needed to run the test); the refusal of what is not embedded.
#define BOOST_TEST_MODULE sobol
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <stdexcept>

#include "citysim/ensemble/sobol.hpp"

using citysim::ensemble::Sobol;

BOOST_AUTO_TEST_CASE(first_points_of_dimensions_1_and_2) {
  const Sobol s(2);
  const double d1[] = {0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125, 0.1875};
  const double d2[] = {0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625, 0.3125};
  BOOST_TEST(s.point(0)[0] == 0.0);
  BOOST_TEST(s.point(0)[1] == 0.0);
  for (int i = 0; i < 8; ++i) {
    BOOST_TEST(s.point(uint64_t(i) + 1)[0] == d1[i]);  // exact: binary fractions
    BOOST_TEST(s.point(uint64_t(i) + 1)[1] == d2[i]);
  }
}

// x 32 for points 1..31 (they use 5 bits), one row per dimension 1..21
constexpr int kFirst31[21][31] = {
    {16, 24, 8, 12, 28, 20, 4, 6, 22, 30, 14, 10, 26, 18, 2, 3, 19, 27, 11, 15, 31, 23, 7, 5, 21, 29, 13, 9, 25, 17, 1},
    {16, 8, 24, 12, 28, 4, 20, 10, 26, 2, 18, 6, 22, 14, 30, 15, 31, 7, 23, 3, 19, 11, 27, 5, 21, 13, 29, 9, 25, 1, 17},
    {16, 8, 24, 20, 4, 28, 12, 30, 14, 22, 6, 10, 26, 2, 18, 15, 31, 7, 23, 27, 11, 19, 3, 17, 1, 25, 9, 5, 21, 13, 29},
    {16, 8, 24, 28, 12, 20, 4, 14, 30, 6, 22, 18, 2, 26, 10, 21, 5, 29, 13, 9, 25, 1, 17, 27, 11, 19, 3, 7, 23, 15, 31},
    {16, 24, 8, 12, 28, 20, 4, 18, 2, 10, 26, 30, 14, 6, 22, 9, 25, 17, 1, 5, 21, 29, 13, 27, 11, 3, 19, 23, 7, 15, 31},
    {16, 24, 8, 4, 20, 28, 12, 10, 26, 18, 2, 14, 30, 22, 6, 31, 15, 7, 23, 27, 11, 3, 19, 21, 5, 13, 29, 17, 1, 9, 25},
    {16, 8, 24, 12, 28, 4, 20, 14, 30, 6, 22, 2, 18, 10, 26, 17, 1, 25, 9, 29, 13, 21, 5, 31, 15, 23, 7, 19, 3, 27, 11},
    {16, 24, 8, 28, 12, 4, 20, 30, 14, 6, 22, 2, 18, 26, 10, 27, 11, 3, 19, 7, 23, 31, 15, 5, 21, 29, 13, 25, 9, 1, 17},
    {16, 24, 8, 28, 12, 4, 20, 30, 14, 6, 22, 2, 18, 26, 10, 15, 31, 23, 7, 19, 3, 11, 27, 17, 1, 9, 25, 13, 29, 21, 5},
    {16, 24, 8, 20, 4, 12, 28, 10, 26, 18, 2, 30, 14, 6, 22, 5, 21, 29, 13, 17, 1, 9, 25, 15, 31, 23, 7, 27, 11, 3, 19},
    {16, 24, 8, 28, 12, 4, 20, 22, 6, 14, 30, 10, 26, 18, 2, 3, 19, 27, 11, 31, 15, 7, 23, 21, 5, 13, 29, 9, 25, 17, 1},
    {16, 24, 8, 12, 28, 20, 4, 2, 18, 26, 10, 14, 30, 22, 6, 13, 29, 21, 5, 1, 17, 25, 9, 15, 31, 23, 7, 3, 19, 27, 11},
    {16, 8, 24, 12, 28, 4, 20, 30, 14, 22, 6, 18, 2, 26, 10, 21, 5, 29, 13, 25, 9, 17, 1, 11, 27, 3, 19, 7, 23, 15, 31},
    {16, 8, 24, 20, 4, 28, 12, 30, 14, 22, 6, 10, 26, 2, 18, 21, 5, 29, 13, 1, 17, 9, 25, 11, 27, 3, 19, 31, 15, 23, 7},
    {16, 24, 8, 12, 28, 20, 4, 26, 10, 2, 18, 22, 6, 14, 30, 11, 27, 19, 3, 7, 23, 31, 15, 17, 1, 9, 25, 29, 13, 5, 21},
    {16, 8, 24, 28, 12, 20, 4, 30, 14, 22, 6, 2, 18, 10, 26, 1, 17, 9, 25, 29, 13, 21, 5, 31, 15, 23, 7, 3, 19, 11, 27},
    {16, 24, 8, 12, 28, 20, 4, 26, 10, 2, 18, 22, 6, 14, 30, 25, 9, 1, 17, 21, 5, 13, 29, 3, 19, 27, 11, 15, 31, 23, 7},
    {16, 8, 24, 28, 12, 20, 4, 26, 10, 18, 2, 6, 22, 14, 30, 19, 3, 27, 11, 15, 31, 7, 23, 9, 25, 1, 17, 21, 5, 29, 13},
    {16, 24, 8, 28, 12, 4, 20, 30, 14, 6, 22, 2, 18, 26, 10, 25, 9, 1, 17, 5, 21, 29, 13, 7, 23, 31, 15, 27, 11, 3, 19},
    {16, 8, 24, 4, 20, 12, 28, 10, 26, 2, 18, 14, 30, 6, 22, 1, 17, 9, 25, 5, 21, 13, 29, 11, 27, 3, 19, 15, 31, 7, 23},
    {16, 8, 24, 4, 20, 12, 28, 6, 22, 14, 30, 2, 18, 10, 26, 23, 7, 31, 15, 19, 3, 27, 11, 17, 1, 25, 9, 21, 5, 29, 13}};

BOOST_AUTO_TEST_CASE(every_embedded_dimension_matches_known_points) {
  const Sobol s(Sobol::kMaxDims);
  for (int i = 1; i < 32; ++i) {
    const auto x = s.point(uint64_t(i));
    for (int d = 0; d < Sobol::kMaxDims; ++d) BOOST_TEST(x[size_t(d)] * 32 == kFirst31[d][i - 1], "dim " << d + 1 << " point " << i);
  }
}

BOOST_AUTO_TEST_CASE(deep_points_use_the_recurrence) {
  // x 2^32, dimensions 1, 2, 3, 14, 20, 21
  struct Known {
    uint64_t i;
    uint64_t x[6];
  };
  const Known known[] = {
      {100, {1778384896, 1107296256, 3321888768, 3657433088, 1442840576, 3254779904}},
      {1000, {943718400, 415236096, 2227175424, 1648361472, 3116367872, 2243952640}},
      {1023, {4194304, 3233808384, 2629828608, 2856321024, 1371537408, 3720347648}},
      {2147483653, {3758096387, 3042268501, 1795210171, 3102736609, 2130706437, 184614915}},
      {4294967295, {1, 4294967295, 3305133397, 638582947, 4043309067, 1090715661}},
  };
  const int dims[] = {1, 2, 3, 14, 20, 21};
  const Sobol s(Sobol::kMaxDims);
  for (const Known& k : known) {
    const auto x = s.point(k.i);
    for (int j = 0; j < 6; ++j)
      BOOST_TEST(uint64_t(x[size_t(dims[j] - 1)] * 0x1.0p32) == k.x[j], "dim " << dims[j] << " point " << k.i);
  }
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_embedded) {
  BOOST_CHECK_THROW(Sobol(0), std::invalid_argument);
  BOOST_CHECK_THROW(Sobol(Sobol::kMaxDims + 1), std::invalid_argument);
  BOOST_CHECK_NO_THROW(Sobol(Sobol::kMaxDims));
  const Sobol s(1);
  BOOST_CHECK_NO_THROW(s.point(Sobol::kMaxIndex));
  BOOST_CHECK_THROW(s.point(Sobol::kMaxIndex + 1), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(each_dimension_is_a_permutation_of_the_dyadic_grid) {
  // points 0 .. 2^k - 1 of every dimension hit each interval [j / 2^k, (j + 1) / 2^k) once
  const Sobol s(Sobol::kMaxDims);
  const int n = 1024;
  for (int d = 0; d < Sobol::kMaxDims; ++d) {
    std::vector<int> hits(n, 0);
    for (int i = 0; i < n; ++i) ++hits[size_t(s.point(uint64_t(i))[size_t(d)] * n)];
    for (int j = 0; j < n; ++j) BOOST_TEST(hits[size_t(j)] == 1, "dim " << d + 1 << " interval " << j);
  }
}
