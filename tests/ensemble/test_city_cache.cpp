// The shared city of an ensemble's members (CityCache): which scenarios share one (the same
// city keys, data files and seed), that a shared city is the one the member would build,
// and that a simulation on it gives the same results as one building its own.
#define BOOST_TEST_MODULE city_cache
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "citysim/city.hpp"
#include "citysim/ensemble/ensemble.hpp"
#include "citysim/simulation.hpp"
#include "support.hpp"

using namespace citysim;
using ensemble::CityCache;

BOOST_AUTO_TEST_CASE(key_is_the_city_keys_the_files_and_the_seed) {
  const Scenario base = test::small_city(2);
  Scenario other_module = base;  // a variant that changes no city key shares the city
  other_module.set("residents.alert_stay_home_65plus", 0.5);
  BOOST_TEST(CityCache::key(base) == CityCache::key(other_module));
  Scenario other_seed = base;  // the city's layers draw from run.seed
  other_seed.set("run.seed", int64_t(8));
  BOOST_TEST(CityCache::key(base) != CityCache::key(other_seed));
  Scenario other_city = base;
  other_city.set("city.municipalities", std::vector<std::string>{"Chiyoda"});
  BOOST_TEST(CityCache::key(base) != CityCache::key(other_city));
  Scenario other_scale = base;
  other_scale.set("city.population_scale", 0.05);
  BOOST_TEST(CityCache::key(base) != CityCache::key(other_scale));
  // a layer file: the same path with other contents is another city
  const std::string layer = std::string(CITYSIM_BINARY_DIR) + "/city_cache_layer.csv";
  std::ofstream(layer) << "mesh_code,value\n53394611,1990\n";
  Scenario with_layer = base;
  with_layer.set("city.layers.building_year", layer);
  const std::string before = CityCache::key(with_layer);
  std::ofstream(layer) << "mesh_code,value\n53394611,2000\n";
  BOOST_TEST(CityCache::key(with_layer) != before);
  BOOST_TEST(CityCache::key(with_layer) != CityCache::key(base));
  std::filesystem::remove(layer);
}

BOOST_AUTO_TEST_CASE(members_of_one_city_share_it_and_get_what_they_would_build) {
  const Scenario a = test::small_city(2);
  Scenario b = a;
  b.set("residents.alert_stay_home_65plus", 0.5);
  Scenario c = a;
  c.set("run.seed", int64_t(8));
  CityCache cache;
  const auto ga = cache.get(a, 1), gb = cache.get(b, 1), gc = cache.get(c, 2);
  BOOST_TEST(ga.get() == gb.get());  // one object, shared read-only
  BOOST_TEST(ga.get() != gc.get());
  BOOST_TEST(cache.builds() == 2u);
  BOOST_TEST(cache.shared() == 1u);
  const Grid own = build_city(CityParams::from(c), RunParams::from(c).seed);
  BOOST_TEST(gc->rows == own.rows);
  BOOST_TEST(gc->cols == own.cols);
  BOOST_TEST(gc->population == own.population, boost::test_tools::per_element());
  BOOST_TEST(gc->land_use == own.land_use, boost::test_tools::per_element());
  BOOST_TEST(gc->building_year == own.building_year, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_simulation_on_a_shared_city_gives_the_same_results) {
  const Scenario sc = test::small_city(2);
  CityCache cache;
  Simulation own(sc, 1);
  Simulation shared(sc, cache.get(sc, 1), 2);
  own.run();
  shared.run();
  BOOST_TEST(&shared.grid() == cache.get(sc, 1).get());
  const auto& sa = own.metrics().series();
  const auto& sb = shared.metrics().series();
  BOOST_REQUIRE(sa.size() == sb.size());
  BOOST_REQUIRE(!sa.empty());
  for (size_t i = 0; i < sa.size(); ++i) {
    BOOST_TEST(sa[i].info.path == sb[i].info.path);
    BOOST_TEST(sa[i].history == sb[i].history, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(a_city_that_fails_to_build_is_not_kept) {
  const std::string layer = std::string(CITYSIM_BINARY_DIR) + "/city_cache_bad_layer.csv";
  std::ofstream(layer) << "mesh_code,value\nnot-a-code,1\n";
  Scenario bad = test::small_city(2);
  bad.set("city.layers.water", layer);
  CityCache cache;
  BOOST_CHECK_THROW(cache.get(bad, 1), ScenarioError);
  BOOST_CHECK_THROW(cache.get(bad, 1), ScenarioError);
  BOOST_TEST(cache.builds() == 2u);  // built again, not the first failure handed out
  std::filesystem::remove(layer);
}
