#define BOOST_TEST_MODULE vertiport
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <functional>

#include "modules/vertiport.hpp"
#include "core/vertiport_support.hpp"

using namespace citysim;
using namespace citysim::test;
namespace tt = boost::test_tools;

namespace {

// two sites about 6 km apart, Ariake and Marunouchi, 8 Joby S4 at each; extra site keys
std::string two_sites(const std::string& site_keys = "") {
  return "[vertiport.sites]\nnames = [\"Ariake\", \"Marunouchi\"]\n" + site_keys +
         "[vertiport.fleet]\ntypes = [\"joby_s4\", \"joby_s4\"]\nbases = [\"Ariake\", \"Marunouchi\"]\ncounts = [8, 8]\n";
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}


}  // namespace

BOOST_AUTO_TEST_CASE(erlang_c_matches_the_textbook) {
  // M/M/1: Wq = rho s / (1 - rho)
  BOOST_TEST(erlang_c_wait_min(1, 0.4, 2.0) == 0.8 * 2 / 0.2, tt::tolerance(1e-12));
  // M/M/2, lambda 1/min, s 1.5 min: a = 1.5, P(wait) = 4.5 / 7, Wq = P(wait) s / (c - a)
  BOOST_TEST(erlang_c_wait_min(2, 1.0, 1.5) == 4.5 / 7 * 1.5 / 0.5, tt::tolerance(1e-12));
  BOOST_TEST(std::isinf(erlang_c_wait_min(2, 1.0, 2.0)));
}

BOOST_AUTO_TEST_CASE(aircraft_defaults_reproduce_published_ranges_and_charge_time) {
  const auto types = default_aircraft_types();
  BOOST_REQUIRE(types.size() == 3);
  // SkyDrive SD-05 ~15 km, Joby S4 ~240 km, Archer Midnight ~160 km (MODELS.md)
  BOOST_TEST(types[0].seats == 2);
  BOOST_TEST(types[0].range_km() == 15.0, tt::tolerance(0.02));
  BOOST_TEST(types[1].range_km() == 240.0, tt::tolerance(0.02));
  BOOST_TEST(types[2].range_km() == 160.0, tt::tolerance(0.02));
  // Archer: ~10 min charge between back-to-back 20-mile (32 km) trips
  BOOST_TEST(types[2].flight_kwh(32.2) / types[2].charge_kw * 60 == 10.0, tt::tolerance(0.05));
}

BOOST_AUTO_TEST_CASE(checkin_and_security_reproduce_erlang_c) {
  // 72 passengers/h each way; 3 check-in counters at 2 min (rho 0.8), 2 security lanes
  // at 1 min (rho 0.6). Departures of an M/M/c queue are Poisson (Burke), so security is M/M/2 too.
  Simulation sim(vertiport_run(300, two_sites("checkin_counters = [3]\nsecurity_lanes = [2]\nstands = [20]\n") +
                                        "[vertiport.demand]\nod_per_h = [0, 72, 72, 0]\n"
                                        "[vertiport.terminal]\ncheckin_service_min = 2.0\nsecurity_service_min = 1.0\n"
                                        "patience_min = 100000\n"),
                 1);
  sim.run();
  const Table& j = table(sim, "vertiport/journeys");
  const size_t from = column(j, "from"), checkin = column(j, "checkin_wait_min"), security = column(j, "security_wait_min");
  double sum_c = 0, sum_s = 0;
  size_t n = 0;
  for (size_t r = 0; r < j.rows; ++r) {
    if (std::get<std::string>(j.at(r, from)) != "Ariake") continue;
    sum_c += std::get<double>(j.at(r, checkin));
    sum_s += std::get<double>(j.at(r, security));
    ++n;
  }
  BOOST_TEST(n > 20000u);
  const double lambda = 72.0 / 60;
  BOOST_TEST_MESSAGE("check-in " << sum_c / double(n) << " vs " << erlang_c_wait_min(3, lambda, 2.0) << ", security "
                                 << sum_s / double(n) << " vs " << erlang_c_wait_min(2, lambda, 1.0));
  BOOST_TEST(sum_c / double(n) == erlang_c_wait_min(3, lambda, 2.0), tt::tolerance(0.10));
  BOOST_TEST(sum_s / double(n) == erlang_c_wait_min(2, lambda, 1.0), tt::tolerance(0.10));
}

BOOST_AUTO_TEST_CASE(site_arrays_must_match_the_site_names) {
  const std::string msg = message_of([] {
    VertiportParams::from(vertiport_run(1, "[vertiport.sites]\nnames = [\"A\", \"B\"]\nlat = [35.6, 35.7]\nlon = [139.7]\n"));
  });
  BOOST_TEST(msg.find("small.toml:18") != std::string::npos, msg);
  BOOST_TEST(msg.find("vertiport.sites.lon") != std::string::npos, msg);
  BOOST_TEST(msg.find("expected 2 values") != std::string::npos, msg);
  // a site name without built-in coordinates needs lat/lon
  const std::string no_coords = message_of([] { VertiportParams::from(vertiport_run(1, "[vertiport.sites]\nnames = [\"Odaiba\"]\n")); });
  BOOST_TEST(no_coords.find("no built-in value for site \"Odaiba\"") != std::string::npos, no_coords);
  const std::string pads = message_of([] { VertiportParams::from(vertiport_run(1, "[vertiport.sites]\npads = [2, 0.5]\n")); });
  BOOST_TEST(pads.find("small.toml:16") != std::string::npos, pads);
  const std::string base = message_of([] {
    VertiportParams::from(vertiport_run(1, "[vertiport.fleet]\ntypes = [\"sd05\"]\nbases = [\"Osaka\"]\ncounts = [1]\n"));
  });
  BOOST_TEST(base.find("small.toml:17") != std::string::npos, base);
  BOOST_TEST(base.find("unknown site \"Osaka\"") != std::string::npos, base);
  const std::string od = message_of([] { VertiportParams::from(vertiport_run(1, "[vertiport.demand]\nod_per_h = [1, 2, 3]\n")); });
  BOOST_TEST(od.find("expected 25 values (5 sites x 5)") != std::string::npos, od);
  // [[vertiport.sites]] entries become the parallel arrays; a key that is not a site column is rejected with its line
  const std::string aot = message_of([] { vertiport_run(1, "[[vertiport.sites]]\nname = \"A\"\n"); });
  BOOST_TEST(aot.find("small.toml:") != std::string::npos, aot);
}

BOOST_AUTO_TEST_CASE(sites_csv_is_read_and_bad_rows_name_file_and_line) {
  const std::string good = CITYSIM_BINARY_DIR "/vertiport_sites_good.csv", bad = CITYSIM_BINARY_DIR "/vertiport_sites_bad.csv";
  const std::string header = "name,lat,lon,pads,gates,stands,chargers,charger_kw,checkin_counters,security_lanes,open_h,close_h\n";
  std::ofstream(good) << "# two sites\n" << header << "Bay,35.63,139.79,3,6,10,4,150,2,1,7,22\nAirport,35.55,139.78,2,4,8,2,350,2,2,0,24\n";
  std::ofstream(bad) << header << "Bay,35.63,139.79,3,6,10,4,150,2,1,7,22\nAirport,35.55,139.78,two,4,8,2,350,2,2,0,24\n";
  const auto sites = read_sites_csv(good);
  BOOST_REQUIRE(sites.size() == 2u);
  BOOST_TEST(sites[0].pads == 3);
  BOOST_TEST(sites[0].open_h == 7.0);
  BOOST_TEST(sites[1].charger_kw == 350.0);
  const std::string msg = message_of([&] { read_sites_csv(bad); });
  BOOST_TEST(msg.find("vertiport_sites_bad.csv:3") != std::string::npos, msg);
  BOOST_TEST(msg.find("column 'pads'") != std::string::npos, msg);
}
