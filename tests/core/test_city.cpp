#define BOOST_TEST_MODULE city
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "citysim/city.hpp"
#include "support.hpp"

using namespace citysim;

namespace {
const Grid& tokyo() {
  static const Grid g = build_city(CityParams::from(Scenario()), 1);
  return g;
}
}  // namespace

BOOST_AUTO_TEST_CASE(tokyo_has_62_municipalities_with_their_population_and_area) {
  const Grid& g = tokyo();
  BOOST_TEST(g.municipalities.size() == 62u);
  std::map<int, double> pop, cells;
  for (size_t c = 0; c < g.size(); ++c)
    if (g.municipality[c]) pop[g.municipality[c]] += g.population[c], cells[g.municipality[c]] += 1;
  BOOST_TEST(pop.size() == 62u);
  double total = 0;
  for (const auto& m : g.municipalities) {
    BOOST_TEST(pop[m.code] == m.population, boost::test_tools::tolerance(1e-3));
    total += pop[m.code];
    // each municipality covers about its real area (capped weighted Voronoi); small
    // ones can lose a cell or two to the bay or the edge of the box
    if (m.area_km2 > 20) BOOST_TEST(cells[m.code] * g.cell_area_km2() > 0.6 * m.area_km2);
    BOOST_TEST(cells[m.code] * g.cell_area_km2() < 1.2 * m.area_km2 + 2 * g.cell_area_km2());
  }
  BOOST_TEST(total == 14034861.0, boost::test_tools::tolerance(1e-4));  // TMG estimate, 1 Jan 2023
}

BOOST_AUTO_TEST_CASE(tokyo_station_cell_is_central_and_geo_referenced) {
  const Grid& g = tokyo();
  const int64_t cell = g.cell_at(35.6812, 139.7671);
  BOOST_REQUIRE(cell >= 0);
  BOOST_TEST(g.mesh_code[size_t(cell)] == 53394611ULL);
  BOOST_TEST((g.municipality[size_t(cell)] == 13101 || g.municipality[size_t(cell)] == 13102));  // Chiyoda or Chuo
  BOOST_TEST(g.cell_of_code(53394611ULL) == cell);
  // jobs are concentrated: the central cell has more day places than residents
  BOOST_TEST(g.day_places[size_t(cell)] > 2 * g.population[size_t(cell)]);
}

BOOST_AUTO_TEST_CASE(islands_are_inset_blocks_with_true_coordinates) {
  const Grid& g = tokyo();
  const int64_t hachijo = g.cell_at(33.112802, 139.789065);  // Hachijo town office
  BOOST_REQUIRE(hachijo >= 0);
  BOOST_TEST(g.municipality[size_t(hachijo)] == 13401);
  BOOST_TEST(g.row_of(size_t(hachijo)) > g.blocks[0].rows);  // placed below the mainland
  const int64_t chichijima = g.cell_at(27.09444444, 142.1919444);
  BOOST_REQUIRE(chichijima >= 0);
  BOOST_TEST(g.municipality[size_t(chichijima)] == 13421);
  // about 1,000 km from central Tokyo, whatever the array position
  BOOST_TEST(g.distance_km(size_t(chichijima), size_t(g.cell_at(35.6812, 139.7671))) > 950);
  BOOST_TEST(g.blocks.size() == 10u);  // mainland + 9 island municipalities
}

BOOST_AUTO_TEST_CASE(tokyo_bay_is_water_and_coast_distance_grows_inland) {
  const Grid& g = tokyo();
  const int64_t bay = g.cell_at(35.58, 139.86);
  BOOST_REQUIRE(bay >= 0);
  BOOST_TEST(int(g.water[size_t(bay)]) == 1);
  BOOST_TEST(g.municipality[size_t(bay)] == 0);
  const int64_t shinjuku = g.cell_at(35.6939, 139.7036), hachioji = g.cell_at(35.6667, 139.3158);
  BOOST_TEST(g.coast_km[size_t(shinjuku)] > 5.0f);
  BOOST_TEST(g.coast_km[size_t(hachioji)] > g.coast_km[size_t(shinjuku)]);
}

BOOST_AUTO_TEST_CASE(a_population_layer_csv_replaces_the_synthetic_one) {
  const auto dir = std::filesystem::temp_directory_path() / "citysim_test_city";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "pop.csv") << "mesh_code,value\n53394611,1200\n53394612,800\n99999999,5\n";
  Scenario sc = test::small_city(1, "[city.layers]\npopulation = \"" + (dir / "pop.csv").string() + "\"\n");
  const Grid g = build_city(CityParams::from(sc), 1);
  double total = 0;
  for (float p : g.population) total += p;
  BOOST_TEST(total == 2000.0);  // the code outside the grid is ignored
  BOOST_TEST(g.population[size_t(g.cell_of_code(53394611ULL))] == 1200.0f);
}

// a layer file that would build a wrong city is refused at the row that is wrong
BOOST_AUTO_TEST_CASE(a_layer_csv_with_a_bad_row_is_refused_naming_file_and_line) {
  const auto dir = std::filesystem::temp_directory_path() / "citysim_test_city";
  std::filesystem::create_directories(dir);
  const auto refused = [&](const std::string& layer, const std::string& rows) {
    const auto file = dir / (layer + ".csv");
    std::ofstream(file) << "mesh_code,value\n" << rows;
    Scenario sc = test::small_city(1, "[city.layers]\n" + layer + " = \"" + file.string() + "\"\n");
    try {
      build_city(CityParams::from(sc), 1);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string f = (dir / "population.csv").string();
  BOOST_TEST(refused("population", "53394611,1200\n53394612,-3\n") ==
             f + ":3: key 'city.layers.population': expected a count of people >= 0, got -3");
  BOOST_TEST(refused("population", "53394611,1200\n53394612,5\n53394611,7\n") ==
             f + ":4: key 'city.layers.population': mesh code 53394611 appears twice (first on line 2); "
                 "expected one row per cell");
  BOOST_TEST(refused("land_use", "53394611,9\n").find("land_use.csv:2: key 'city.layers.land_use': "
                                                      "expected a land-use class 0..7, got 9") != std::string::npos);
  BOOST_TEST(refused("building_year", "53394611,19700\n").find("expected a construction year") != std::string::npos);
  std::ofstream(dir / "no_header.csv") << "53394611,1200\n53394612,800\n";
  Scenario no_header = test::small_city(1, "[city.layers]\npopulation = \"" + (dir / "no_header.csv").string() + "\"\n");
  BOOST_CHECK_EXCEPTION(build_city(CityParams::from(no_header), 1), ScenarioError, [&](const ScenarioError& e) {
    return std::string(e.what()) == (dir / "no_header.csv").string() +
                                        ":1: key 'city.layers.population': expected a header 'mesh_code,value' (two "
                                        "columns) on the first line";
  });
  BOOST_TEST(refused("water", "53394611,2\n").find("expected a water share between 0 and 1, got 2") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(cities_are_identical_for_the_same_seed) {
  const Scenario sc = test::small_city();
  const Grid a = build_city(CityParams::from(sc), 5), b = build_city(CityParams::from(sc), 5);
  BOOST_TEST(a.population == b.population);
  BOOST_TEST(a.day_places == b.day_places);
}
