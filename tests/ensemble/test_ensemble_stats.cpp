// Summaries and paired contrasts against hand-computed values; seeds and slices; the bundled plans.
#define BOOST_TEST_MODULE ensemble_stats
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <filesystem>

#include "citysim/ensemble/ensemble.hpp"
#include "citysim/ensemble/stats.hpp"

using namespace citysim::ensemble;

BOOST_AUTO_TEST_CASE(summary_matches_numpy) {
  // numpy: mean 2.5, std(ddof=1) 1.2909944, quantile(linear) 1.15 1.75 2.5 3.25 3.85
  const Summary s = summarise({4, 1, 3, 2, NAN});
  BOOST_TEST(s.n == 4);
  BOOST_TEST(s.mean == 2.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.sd == 1.2909944487358056, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.se == 1.2909944487358056 / 2, boost::test_tools::tolerance(1e-12));
  const double q[] = {1.15, 1.75, 2.5, 3.25, 3.85};
  for (size_t i = 0; i < 5; ++i) BOOST_TEST(s.q[i] == q[i], boost::test_tools::tolerance(1e-12));
  // t(3) 97.5% = 3.182446305
  BOOST_TEST(s.ci_hi - s.mean == 3.182446305284263 * s.se, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(paired_contrast_finds_a_known_effect) {
  // the variant adds 1 to every replicate, with a little noise: differences 1, 1.2, 0.8, 1.1, 0.9
  const std::vector<double> base{10, 20, 30, 40, 50}, variant{11, 21.2, 30.8, 41.1, 50.9};
  const Contrast c = contrast(variant, base, 2000, 42);
  BOOST_TEST(c.pairs == 5);
  BOOST_TEST(c.mean_diff == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(c.rel_diff == 1.0 / 30, boost::test_tools::tolerance(1e-12));
  // sd 0.158114, se 0.0707107, t(4) 2.776445: half width 0.196324
  BOOST_TEST(c.t_lo == 1 - 0.19632432, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(c.t_hi == 1 + 0.19632432, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(c.excludes_zero);
  // the bootstrap lies within the differences' range, around the effect, and is reproducible
  BOOST_TEST((0.8 <= c.boot_lo && c.boot_lo < 1 && 1 < c.boot_hi && c.boot_hi <= 1.2));
  const Contrast again = contrast(variant, base, 2000, 42);
  BOOST_TEST(again.boot_lo == c.boot_lo);
  BOOST_TEST(again.boot_hi == c.boot_hi);
}

BOOST_AUTO_TEST_CASE(contrast_needs_two_pairs) {
  const Contrast c = contrast({1, NAN, 3}, {0, 2, NAN}, 100, 1);
  BOOST_TEST(c.pairs == 1);
  BOOST_TEST(std::isnan(c.mean_diff));
  BOOST_TEST(!c.excludes_zero);
}

BOOST_AUTO_TEST_CASE(seeds_and_slices) {
  BOOST_TEST(derive_seed(7, 0) == derive_seed(7, 0));
  BOOST_TEST(derive_seed(7, 0) != derive_seed(7, 1));
  BOOST_TEST(derive_seed(7, 0) < (uint64_t(1) << 31));
  BOOST_TEST(parse_slice("0-9:4", 10) == (std::vector<size_t>{0, 4, 8}));
  BOOST_TEST(parse_slice("3", 10) == (std::vector<size_t>{3}));
  BOOST_CHECK_THROW(parse_slice("0-10", 10), std::invalid_argument);
  BOOST_CHECK_THROW(parse_slice("5-2", 10), std::invalid_argument);
  BOOST_CHECK_THROW(parse_slice("a-b", 10), std::invalid_argument);
  BOOST_TEST(array_task_slice(1, 3, 7) == (std::vector<size_t>{1, 4}));
}

BOOST_AUTO_TEST_CASE(the_bundled_plans_load) {
  for (const auto& entry : std::filesystem::directory_iterator(CITYSIM_SOURCE_DIR "/scenarios"))
    if (entry.path().stem().extension() == ".ens") {
      const Plan plan = load_plan(entry.path().string());
      BOOST_TEST(plan.members().size() == plan.variants.size() * size_t(plan.replicates()));
    }
  const Plan plan = load_plan(CITYSIM_SOURCE_DIR "/scenarios/heatwave-shelters.ens.toml");
  BOOST_TEST(plan.variants.size() == 4u);
  BOOST_TEST(plan.variants[plan.baseline].name == "per_municipality=0");
  BOOST_TEST(plan.replicates() == 20);
}
