#define BOOST_TEST_MODULE determinism
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace citysim;

namespace {
// every series value and every field at the last sample, bit for bit
struct Snapshot {
  std::vector<std::vector<double>> series;
  std::vector<std::vector<float>> fields;
  std::vector<uint32_t> cells;
};
Snapshot run(int threads) {
  Simulation sim(test::small_city(10, "", "2026-08-03T05:00"), threads);
  sim.run();
  Snapshot s;
  for (const auto& x : sim.metrics().series()) s.series.push_back(x.history);
  for (const auto& f : sim.metrics().fields()) s.fields.push_back(f.values);
  s.cells = sim.residents().cell;
  return s;
}
}  // namespace

BOOST_AUTO_TEST_CASE(same_seed_same_results_on_1_2_and_4_threads) {
  const Snapshot one = run(1), two = run(2), four = run(4);
  BOOST_REQUIRE(!one.series.empty());
  BOOST_TEST(one.series == two.series);
  BOOST_TEST(one.series == four.series);
  BOOST_TEST(one.fields == two.fields);
  BOOST_TEST(one.fields == four.fields);
  BOOST_TEST(one.cells == four.cells);
}

BOOST_AUTO_TEST_CASE(a_different_seed_gives_different_results) {
  Simulation a(test::small_city(4, "", "2026-08-03T06:00"), 2);
  a.run();
  Scenario sc = test::small_city(4, "", "2026-08-03T06:00");
  sc.set("run.seed", int64_t(8));
  Simulation c(sc, 2);
  c.run();
  BOOST_TEST(a.metrics().find_series("residents/travelling")->history !=
             c.metrics().find_series("residents/travelling")->history);
}
