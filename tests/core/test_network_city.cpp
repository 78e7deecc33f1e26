#define BOOST_TEST_MODULE network_city
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <array>
#include <cstring>

#include "modules/network.hpp"
#include "support.hpp"

using namespace citysim;

namespace {

double at(const Simulation& sim, const std::string& path, size_t sample, size_t col = 0) {
  const Series* s = sim.metrics().find_series(path);
  BOOST_REQUIRE(s);
  return s->history[sample * s->width() + col];
}

// an afternoon earthquake in the small city: power cut in Chiyoda and Chuo, a surge,
// half of Taito's sites destroyed, satellites after 1 h, restoration from 16:00
const std::string kQuake =
    "[network]\nenabled = true\n"
    "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T14:46\"\nmunicipalities = [\"Chiyoda\", \"13102\"]\n"
    "[[events]]\nkind = \"network_surge\"\nat = \"2026-08-03T14:46\"\nmultiplier = 6\ndecay_hours = 1\n"
    "[[events]]\nkind = \"site_destruction\"\nat = \"2026-08-03T14:46\"\nmunicipalities = [\"Taito\"]\nshare = 0.5\n"
    "[[events]]\nkind = \"satellite_deployment\"\nat = \"2026-08-03T14:46\"\ndelay_hours = 1\n"
    "[[events]]\nkind = \"restoration\"\nat = \"2026-08-03T16:00\"\nmunicipalities = [\"Chiyoda\", \"Chuo\", \"Taito\"]\n"
    "share_per_hour = 1\n";

}  // namespace

BOOST_AUTO_TEST_CASE(an_earthquake_blocks_sessions_until_restoration) {
  // 14:00 to 18:00, hourly samples: 0 = 14:00, 1 = 15:00 ...
  Simulation sim(test::small_city(4, kQuake, "2026-08-03T14:00"), 2);
  sim.run();
  const size_t wifi = size_t(SiteKind::Wifi), nr_high = size_t(SiteKind::NrHigh), lte = size_t(SiteKind::Lte);
  // Wi-Fi and small cells have no battery: down at once; macro cells on battery
  BOOST_TEST(at(sim, "network/sites_down", 1, wifi) > 0.0);
  BOOST_TEST(at(sim, "network/sites_down", 1, nr_high) > 0.0);
  BOOST_TEST(at(sim, "network/sites_on_backup", 1, lte) > 0.0);
  // the surge meets fewer sites: blocking jumps, then falls after restoration
  BOOST_TEST(at(sim, "network/blocking", 1) > 10 * at(sim, "network/blocking", 0) + 0.01);
  BOOST_TEST(at(sim, "network/blocking", 4) < 0.5 * at(sim, "network/blocking", 1));
  BOOST_TEST(at(sim, "network/sites_down", 4, wifi) == 0.0);
  BOOST_TEST(at(sim, "network/dropped", 1) > 0.0);
  BOOST_TEST(at(sim, "network/sites_up", 2, size_t(SiteKind::Satellite)) > 0.0);
  // Wi-Fi outages are seen an hour later (the default monitoring delay)
  BOOST_TEST(at(sim, "network/outages_unseen", 1) > 0.0);
  BOOST_TEST(at(sim, "network/outage_seen_delay_min", 2) > 30.0);
  // the coupling: new sessions are carried less often while the surge lasts
  const Field* ok = sim.metrics().find_field("network/ok");
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->values.size() == sim.grid().size());
}

BOOST_AUTO_TEST_CASE(same_seed_same_network_on_1_2_and_4_threads) {
  const auto run = [](int threads) {
    Simulation sim(test::small_city(2, kQuake, "2026-08-03T14:30"), threads);
    sim.run();
    std::vector<std::vector<double>> out;
    for (const auto& s : sim.metrics().series())
      if (s.info.path.rfind("network/", 0) == 0) out.push_back(s.history);
    for (const auto& f : sim.metrics().fields())
      if (f.info.path.rfind("network/", 0) == 0) out.emplace_back(f.values.begin(), f.values.end());
    auto& ok = out.emplace_back();
    for (uint32_t c = 0; c < sim.grid().size(); ++c) ok.push_back(sim.couplings().network_ok(c));
    return out;
  };
  const auto one = run(1), two = run(2), four = run(4);
  BOOST_REQUIRE(one.size() > 20u);
  // NaN != NaN: compare bit patterns
  const auto same = [](const auto& a, const auto& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(double)) != 0) return false;
    return true;
  };
  BOOST_TEST(same(one, two));
  BOOST_TEST(same(one, four));
}

BOOST_AUTO_TEST_CASE(priority_sessions_from_other_modules_are_served) {
  Scenario sc = test::small_city(0.1, "[network]\nenabled = true\n", "2026-08-03T14:00");
  Simulation sim(sc, 2);
  sim.step(1);
  const uint32_t chiyoda = uint32_t(sim.grid().cell_at(35.6940, 139.7536));
  for (int i = 0; i < 10; ++i) sim.events().emit(PrioritySessionEvent{chiyoda, sim.clock().now(), 5.0f});
  sim.run();
  BOOST_TEST(at(sim, "network/priority_offered", 1) >= 10.0);
  BOOST_TEST(at(sim, "network/priority_blocked", 1) == 0.0);
  BOOST_TEST(sim.couplings().network_ok(chiyoda) > 0.99f);
}

BOOST_AUTO_TEST_CASE(the_earthquake_scenario_loads_and_runs) {
  // all of Tokyo at 0.5%, from 12:00 to 15:00 (samples every 15 min)
  const Scenario sc = io::load_scenario(CITYSIM_SOURCE_DIR "/scenarios/earthquake-network.toml", {"city.population_scale=0.005"});
  Simulation sim(sc, 2);
  sim.step(180);
  BOOST_TEST(at(sim, "network/sites_down", 12, size_t(SiteKind::Wifi)) > 0.0);  // after the 14:46 power cut
  BOOST_TEST(at(sim, "network/blocking", 12) > 0.2);                            // the surge
  BOOST_TEST(at(sim, "network/blocking", 11) < 0.01);                           // 14:30-14:45
}

BOOST_AUTO_TEST_CASE(a_crowd_congests_its_cells_for_its_duration) {
  // 300,000 people around Asakusa (Taito) from 15:05 to 15:59
  Simulation sim(test::small_city(3, "[network]\nenabled = true\n[[events]]\nkind = \"crowd\"\nat = \"2026-08-03T15:05\"\n"
                                     "people = 300000\nlat = 35.7148\nlon = 139.7967\nradius_km = 0.6\nduration_hours = 0.9\n",
                                  "2026-08-03T14:00"),
                 2);
  sim.run();
  const Series* by_muni = sim.metrics().find_series("network/blocking_by_municipality");
  size_t taito = 0;
  for (size_t i = 0; i < by_muni->breakdown.labels.size(); ++i)
    if (by_muni->breakdown.labels[i].find("13106") != std::string::npos) taito = i;
  BOOST_TEST(at(sim, "network/blocking_by_municipality", 1, taito) < 0.01);  // 14:00-15:00
  BOOST_TEST(at(sim, "network/blocking_by_municipality", 2, taito) > 0.1);   // the crowd
  BOOST_TEST(at(sim, "network/blocking_by_municipality", 3, taito) < 0.01);  // gone
  BOOST_CHECK_EXCEPTION(Simulation(test::small_city(1, "[network]\nenabled = true\n[[events]]\nkind = \"crowd\"\n"
                                                       "at = \"2026-08-03T06:30\"\nlat = 34.0\nlon = 135.0\n"),
                                   1),
                        ScenarioError, [](const ScenarioError& e) {
                          return std::string(e.what()).find("outside the city grid") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(the_one_minute_step_agrees_with_short_sub_steps) {
  // a crowd congests Taito for an hour; the rest of the run is quiet
  const auto run = [](int substep_s) {
    Scenario sc = test::small_city(3, "[network]\nenabled = true\n[[events]]\nkind = \"crowd\"\nat = \"2026-08-03T15:05\"\n"
                                      "people = 200000\nlat = 35.7148\nlon = 139.7967\nradius_km = 0.6\nduration_hours = 0.9\n",
                                   "2026-08-03T14:00");
    sc.set("network.substep_s", int64_t(substep_s));
    Simulation sim(sc, 2);
    sim.run();
    return std::array<double, 4>{at(sim, "network/blocking", 2), at(sim, "network/carried", 2), at(sim, "network/carried", 3),
                                 at(sim, "network/blocking", 3)};
  };
  const auto fine = run(10), minute = run(60);
  BOOST_TEST_MESSAGE("blocking during the crowd: 10 s steps " << fine[0] << ", 60 s steps " << minute[0]);
  BOOST_TEST(fine[0] > 0.05);
  BOOST_TEST(minute[0] == fine[0], boost::test_tools::tolerance(0.05));
  BOOST_TEST(minute[1] == fine[1], boost::test_tools::tolerance(0.02));
  BOOST_TEST(minute[2] == fine[2], boost::test_tools::tolerance(0.02));
  BOOST_TEST(minute[3] < 0.001);
}
