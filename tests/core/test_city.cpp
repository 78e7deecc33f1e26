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
// a folder for the files a test writes
std::filesystem::path scratch() {
  const auto dir = std::filesystem::temp_directory_path() / "citysim_test_city";
  std::filesystem::create_directories(dir);
  return dir;
}

const Grid& tokyo() {
  static const Grid g = build_city(CityParams::from(Scenario()), 1);
  return g;
}
}  // namespace

// land on the grid per municipality: the land share of its cells times their area
std::map<int, double> land_km2(const Grid& g) {
  std::map<int, double> km2;
  for (size_t c = 0; c < g.size(); ++c)
    if (g.municipality[c]) km2[g.municipality[c]] += g.land_share[c] * g.cell_area_km2(c);
  return km2;
}

BOOST_AUTO_TEST_CASE(tokyo_has_62_municipalities_with_their_population_and_area) {
  const Grid& g = tokyo();
  BOOST_TEST(g.municipalities.size() == 62u);
  std::map<int, double> pop;
  for (size_t c = 0; c < g.size(); ++c)
    if (g.municipality[c]) pop[g.municipality[c]] += g.population[c];
  BOOST_TEST(pop.size() == 62u);
  double total = 0;
  for (const auto& m : g.municipalities) {
    BOOST_TEST(pop[m.code] == m.population, boost::test_tools::tolerance(1e-3));
    total += pop[m.code];
  }
  BOOST_TEST(total == 14034861.0, boost::test_tools::tolerance(1e-4));  // TMG estimate, 1 Jan 2023
}

// the MLIT boundaries give every municipality its official area (くらしと統計2023): within
// 10% for 10 km² or more, within one cell for the small ones; the 23 wards within 2%
BOOST_AUTO_TEST_CASE(municipal_areas_on_the_grid_match_the_official_areas) {
  for (const int cell_m : {1000, 250}) {
    CityParams p = CityParams::from(Scenario());
    p.cell_m = cell_m;
    const Grid g = cell_m == 1000 ? tokyo() : build_city(p, 1);
    const std::map<int, double> km2 = land_km2(g);
    double wards = 0, wards_official = 0;
    for (const auto& m : g.municipalities) {
      const double on_grid = km2.at(m.code);
      if (m.area_km2 >= 10) BOOST_TEST(std::abs(on_grid / m.area_km2 - 1) < 0.10, m.name_en << ": " << on_grid);
      else BOOST_TEST(std::abs(on_grid - m.area_km2) < 1.3 * g.cell_area_km2(), m.name_en << ": " << on_grid);
      if (m.area == "ku") wards += on_grid, wards_official += m.area_km2;
    }
    BOOST_TEST(std::abs(wards / wards_official - 1) < 0.02, "23 wards at " << cell_m << " m: " << wards);
    // Nakano once had half its area and Toshima 0.64 (synthetic Voronoi municipalities)
    BOOST_TEST(km2.at(13114) / 15.59 > 0.9);
    BOOST_TEST(km2.at(13116) / 13.01 > 0.9);
  }
}

BOOST_AUTO_TEST_CASE(landmarks_lie_in_their_real_municipality) {
  const Grid& g = tokyo();
  const auto muni_at = [&](double lat, double lon) {
    const int64_t cell = g.cell_at(lat, lon);
    return cell < 0 ? -1 : g.municipality[size_t(cell)];
  };
  BOOST_TEST(muni_at(35.5494, 139.7798) == 13111);  // Haneda Airport, Ota (reclaimed land)
  BOOST_TEST(muni_at(35.6298, 139.7942) == 13108);  // Tokyo Big Sight, Ariake, Koto
  BOOST_TEST(muni_at(35.6300, 139.7740) == 13103);  // Odaiba, Minato
  BOOST_TEST(muni_at(35.6812, 139.7671) == 13101);  // Tokyo Station, Chiyoda
  BOOST_TEST(muni_at(35.5485, 139.4466) == 13209);  // Machida: joined to the mainland grid
  BOOST_TEST(muni_at(35.8, 139.1) == 13308);        // Okutama
  BOOST_TEST(muni_at(35.75, 139.9) == 0);           // Matsudo, Chiba: outside Tokyo, land
  BOOST_TEST(int(g.water[size_t(g.cell_at(35.75, 139.9))]) == 0);
}

BOOST_AUTO_TEST_CASE(another_city_builds_from_its_own_boundaries) {
  // two rectangles standing in for Osaka's Kita and Chuo wards (tests/data/osaka)
  Scenario sc = io::parse_scenario("[city]\npopulation_scale = 0.01\nmunicipalities_file = \"data/osaka/municipalities.csv\"\n"
                                   "boundaries_file = \"data/osaka/boundaries.geojson\"\n",
                                   "osaka.toml", CITYSIM_SOURCE_DIR "/tests");
  const Grid g = build_city(CityParams::from(sc), 1);
  BOOST_TEST(g.municipalities.size() == 2u);
  BOOST_TEST(g.blocks.size() == 1u);
  const std::map<int, double> km2 = land_km2(g);
  BOOST_TEST(km2.at(27127) == 11.97, boost::test_tools::tolerance(0.10));
  BOOST_TEST(km2.at(27128) == 14.88, boost::test_tools::tolerance(0.10));
  BOOST_TEST(g.municipality[size_t(g.cell_at(34.7025, 135.4959))] == 27127);  // Umeda
  BOOST_TEST(g.municipality[size_t(g.cell_at(34.6687, 135.5013))] == 27128);  // Namba
  double pop = 0;
  for (float x : g.population) pop += x;
  BOOST_TEST(pop == 246000.0, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(g.credit.empty());  // the MLIT credit line is for the bundled Tokyo file
}

namespace {
// the error a boundaries file gives, with the test's path shortened to its name
std::string boundaries_error(const std::string& name, const std::string& text) {
  const auto dir = scratch();
  std::ofstream(dir / name) << text;
  CityParams p = CityParams::from(Scenario());
  p.boundaries_file = (dir / name).string();
  try {
    build_city(p, 1);
  } catch (const ScenarioError& e) {
    std::string what = e.what();
    return what.substr(what.find(name));
  }
  return "accepted";
}
std::string feature(const std::string& props, const std::string& coords, const char* type = "Polygon") {
  return "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":" + props +
         ",\"geometry\":{\"type\":\"" + type + "\",\"coordinates\":" + coords + "}}]}";
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_bad_boundaries_file_is_refused_naming_file_feature_and_key) {
  const std::string square = "[[[139.7,35.6],[139.8,35.6],[139.8,35.7],[139.7,35.7],[139.7,35.6]]]";
  BOOST_TEST(boundaries_error("a.geojson", "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {oops}]}")
                 .find("a.geojson:3: key 'city.boundaries_file': not GeoJSON: ") == 0u);
  BOOST_TEST(boundaries_error("b.geojson", "{\"type\": \"Topology\"}") ==
             "b.geojson:1: key 'city.boundaries_file': expected a GeoJSON FeatureCollection with a \"features\" array");
  BOOST_TEST(boundaries_error("c.geojson", feature("{\"name\":\"Somewhere\"}", square)) ==
             "c.geojson: key 'city.boundaries_file': feature 0 (Somewhere): expected a municipality code in the "
             "property N03_007 or code (only 所属未定地, undecided land, may have none)");
  BOOST_TEST(boundaries_error("d.geojson", feature("{\"code\":\"27127\"}", square)) ==
             "d.geojson: key 'city.boundaries_file': feature 0: code 27127 is not among the municipalities "
             "(city.municipalities_file)");
  BOOST_TEST(boundaries_error("e.geojson", feature("{\"code\":13101}",
                                                   "[[[139.7,35.6],[139.8,35.7],[139.8,35.6],[139.7,35.65],[139.7,35.6]]]")) ==
             "e.geojson: key 'city.boundaries_file': feature 0: self-intersecting ring: the edge from point 0 (lon "
             "139.7, lat 35.6) crosses another edge");
  BOOST_TEST(boundaries_error("f.geojson", feature("{\"code\":13101}", "[[[139.7,35.6],[139.8,35.6],[139.7,35.6]]]")) ==
             "f.geojson: key 'city.boundaries_file': feature 0: empty polygon ring (expected at least 4 points, "
             "closed, enclosing an area)");
  BOOST_TEST(boundaries_error("g.geojson", feature("{\"code\":13101}", "[]")) ==
             "g.geojson: key 'city.boundaries_file': feature 0: empty polygon");
  BOOST_TEST(boundaries_error("h.geojson", feature("{\"code\":13101}",
                                                   "[[[39.7,35.6],[39.8,35.6],[39.8,35.7],[39.7,35.7],[39.7,35.6]]]")) ==
             "h.geojson: key 'city.boundaries_file': feature 0: point (lon 39.7, lat 35.6) is outside the JIS mesh "
             "range of Japan (lat 20..46, lon 122..154.5)");
  // a valid file that lacks a municipality of the table
  BOOST_TEST(boundaries_error("i.geojson", feature("{\"code\":13101}", square)) ==
             "i.geojson: key 'city.boundaries_file': no boundary for Chuo (13102); expected a feature with that code");
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
  // one inset per group of islands: 9 island municipalities, Ogasawara's groups apart
  // (Chichijima, Hahajima, the Iwo islands, Minamitorishima, Okinotorishima...)
  size_t ogasawara = 0;
  for (const GridBlock& b : g.blocks) ogasawara += b.name.rfind("Ogasawara", 0) == 0;
  BOOST_TEST(ogasawara >= 5u);
  BOOST_TEST(g.blocks.size() == 1 + 8 + ogasawara);
  BOOST_TEST(g.municipality[size_t(g.cell_at(24.2867, 153.9807))] == 13421);  // Minamitorishima
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
  const auto dir = scratch();
  std::ofstream(dir / "pop.csv") << "mesh_code,value\n53394611,1200\n53394612,800\n99999999,5\n";
  Scenario sc = test::small_city(1, "[city.layers]\npopulation = \"" + (dir / "pop.csv").string() + "\"\n");
  const Grid g = build_city(CityParams::from(sc), 1);
  double total = 0;
  for (float p : g.population) total += p;
  BOOST_TEST(total == 2000.0);  // the code outside the grid is ignored
  BOOST_TEST(g.population[size_t(g.cell_of_code(53394611ULL))] == 1200.0f);
}

// e-Stat's mesh statistics as downloaded (国勢調査 2020, 人口及び世帯, tblT001140S5339.txt):
// KEY_CODE and three secrecy columns, a second header line of labels in Shift_JIS, "*"
// for a hidden cell (its people are counted in the neighbour HTKSAKI names)
BOOST_AUTO_TEST_CASE(an_estat_mesh_population_file_replaces_the_synthetic_layer) {
  const auto dir = scratch();
  // "人口（総数）" and "男" in Shift_JIS
  const std::string labels = ",,,,\x90\x6c\x8c\xfb\x81\x69\x91\x8d\x90\x94\x81\x6a,\x92\x6a\r\n";
  std::ofstream(dir / "tblT001140S5339.txt", std::ios::binary)
      << "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001140001,T001140002\r\n" << labels
      << "53394611,0,,,1342,650\r\n53394612,0,,,2281,1100\r\n53394621,2,53394611,,*,*\r\n";
  Scenario sc = test::small_city(1, "[city.layers]\npopulation = \"" + (dir / "tblT001140S5339.txt").string() + "\"\n");
  const Grid g = build_city(CityParams::from(sc), 1);
  double total = 0;
  for (float x : g.population) total += x;
  BOOST_TEST(total == 1342.0 + 2281.0);  // the total column, not the men
  BOOST_TEST(g.population[size_t(g.cell_of_code(53394611ULL))] == 1342.0f);
  BOOST_TEST(g.population[size_t(g.cell_of_code(53394621ULL))] == 0.0f);  // hidden: counted in 53394611
}

BOOST_AUTO_TEST_CASE(a_mesh_file_of_another_level_is_refused_naming_the_level) {
  const auto dir = scratch();
  std::ofstream(dir / "half.csv") << "mesh_code,value\n533946111,20\n";
  Scenario sc = test::small_city(1, "[city.layers]\npopulation = \"" + (dir / "half.csv").string() + "\"\n");
  BOOST_CHECK_EXCEPTION(build_city(CityParams::from(sc), 1), ScenarioError, [&](const ScenarioError& e) {
    return std::string(e.what()) == (dir / "half.csv").string() +
                                        ":2: key 'city.layers.population': mesh code 533946111 is of another mesh "
                                        "level; expected 8-digit codes for city.cell_m = 1000";
  });
}

// a layer file that would build a wrong city is refused at the row that is wrong
BOOST_AUTO_TEST_CASE(a_layer_csv_with_a_bad_row_is_refused_naming_file_and_line) {
  const auto dir = scratch();
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
                                        "columns) or e-Stat's 'KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,...' on the first line";
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
