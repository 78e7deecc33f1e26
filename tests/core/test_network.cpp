#define BOOST_TEST_MODULE network
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

#include "citysim/city.hpp"
#include "modules/network.hpp"
#include "support.hpp"

using namespace citysim;
namespace tt = boost::test_tools;

namespace {

// one 1 km cell at Tokyo Station
Grid one_cell() {
  Grid g;
  g.blocks.push_back({"test", mesh_index_from_code(53394611), 1, 1, 0, 0});
  g.rows = g.cols = 1;
  g.allocate_from_blocks();
  g.municipality.assign(1, 13101);
  g.municipality_index.assign(1, -1);
  return g;
}

// defaults except for the priority share and reserve; a short sub-step (h / 36) unless given
NetworkParams plain_params(double reserve = 0, double emergency = 0, int substep_s = 5) {
  Scenario sc;
  NetworkParams p = NetworkParams::from(sc);
  p.priority_reserve_share = reserve;
  p.emergency_share = emergency;
  p.substep_s = substep_s;
  return p;
}

struct Counts {
  double offered = 0, blocked = 0, priority_offered = 0, priority_blocked = 0;
  std::vector<double> mean_busy;  // per site
};

// Poisson arrivals at A / h per minute into one cell for `minutes`
Counts run_cell(const NetworkParams& p, const Grid& g, Sites sites, double erlangs, double minutes, uint64_t seed = 11) {
  NetworkState s = make_network_state(std::move(sites), g);
  const std::vector<double> rate = {erlangs / p.holding_min};
  const double dt = p.substep_s / 60.0;
  const int warm = int(10 * p.holding_min / dt), steps = int(minutes / dt);
  for (int k = 0; k < warm; ++k) serve_sessions(p, s, rate, dt, seed);
  s.counts = {};
  Counts c;
  c.mean_busy.assign(s.busy.size(), 0.0);
  for (int k = 0; k < steps; ++k) {
    serve_sessions(p, s, rate, dt, seed);
    for (size_t i = 0; i < s.busy.size(); ++i) c.mean_busy[i] += double(s.busy[i]) / steps;  // one pool per site here
  }
  c.offered = double(s.counts.offered);
  c.blocked = double(s.counts.blocked);
  c.priority_offered = double(s.counts.priority_offered);
  c.priority_blocked = double(s.counts.priority_blocked);
  return c;
}

Sites one_site(const Grid& g, int capacity, SiteKind kind = SiteKind::Lte, double radius_m = 1500) {
  Sites s;
  s.add(kind, 0, g.lat[0], g.lon[0], radius_m, capacity, 3, -1);
  return s;
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = std::string(CITYSIM_BINARY_DIR) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// a run of the small city from 06:00 with the network on these sites (CSV rows) and
// events, sampled every minute (sample k is 06:00 + k minutes)
std::unique_ptr<Simulation> run_sites(double hours, const std::string& name, const std::string& rows, const std::string& events) {
  const std::string csv = write_file(name, "kind,lat,lon,radius_m,capacity_sessions,backup_hours\n" + rows);
  Scenario sc = test::small_city(hours, "[network]\nenabled = true\nsites_file = \"" + csv + "\"\n" + events);
  sc.set("run.output_every_minutes", int64_t(1));
  auto sim = std::make_unique<Simulation>(sc, 2);
  sim->run();
  return sim;
}

double at(const Simulation& sim, const std::string& path, size_t sample, size_t col = 0) {
  const Series* s = sim.metrics().find_series(path);
  BOOST_REQUIRE(s);
  return s->history[sample * s->width() + col];
}

}  // namespace

BOOST_AUTO_TEST_CASE(erlang_formulas_match_published_values) {
  BOOST_TEST(erlang_b(1, 2) == 0.2, tt::tolerance(1e-12));
  // A = 10 erlangs needs 17 channels for blocking <= 2%
  BOOST_TEST(erlang_b(10, 17) == 0.0129, tt::tolerance(0.01));
  BOOST_TEST(erlang_b(10, 17) <= 0.02);
  BOOST_TEST(erlang_b(10, 16) > 0.02);
  BOOST_TEST(erlang_c(10, 14) == 0.174, tt::tolerance(0.01));
  BOOST_TEST(erlang_c(10, 10) == 1.0);
  // TS 38.306: 100 MHz (273 PRB at 30 kHz), 4 layers, 256QAM, FR1 DL overhead 0.14 -> about 2.3 Gbit/s
  BOOST_TEST(nr_peak_rate_mbps(4, 8, 1.0, 273, 1, 0.14) == 2337.0, tt::tolerance(0.01));
}

BOOST_AUTO_TEST_CASE(one_cell_reproduces_erlang_b) {
  const Grid g = one_cell();
  struct Case { double a; int c; };
  // each pool's step is an exact M/M/c/c transient, so the step length does not matter:
  // 3% on top of the sampling error at h / 36, h / 9 and the default h / 3
  for (const auto& [substep_s, bias] : {std::pair{5, 0.03}, std::pair{20, 0.03}, std::pair{60, 0.03}}) {
    const NetworkParams p = plain_params(0, 0, substep_s);
    for (const Case k : {Case{10, 17}, Case{1, 2}, Case{5, 8}, Case{20, 20}}) {
      const Counts c = run_cell(p, g, one_site(g, k.c), k.a, 12000);
      const double b = erlang_b(k.a, k.c), measured = c.blocked / c.offered;
      // sampling error of a proportion, inflated 1.5x for the correlation in time
      const double sigma = 1.5 * std::sqrt(b * (1 - b) / c.offered);
      BOOST_TEST_MESSAGE("substep " << substep_s << " s, A=" << k.a << " c=" << k.c << ": Erlang B " << b
                                    << ", simulated " << measured << " +- " << sigma);
      BOOST_TEST(std::abs(measured - b) <= 3 * sigma + bias * b);
      if (k.a == 10 && k.c == 17) BOOST_TEST(measured <= 0.02);
    }
  }
}

// blocking of one cell's single site over `batches` runs of `minutes` each at rate_per_min(t)
// (t in minutes since the start), stepped every dt_min: the ratio of sums, and its standard
// error from the batch means
struct Blocking { double measured, se, offered; };
template <class Rate>
Blocking blocking_in_batches(const NetworkParams& p, const Grid& g, int capacity, Rate rate_per_min, double dt_min,
                             int batches, double minutes, uint64_t seed) {
  NetworkState s = make_network_state(one_site(g, capacity), g);
  std::vector<double> rate(1);
  double t = 0;
  const auto run = [&](double span) {
    for (const double end = t + span - 1e-9; t < end; t += dt_min) {
      rate[0] = rate_per_min(t);
      serve_sessions(p, s, rate, dt_min, seed);
    }
  };
  run(10 * p.holding_min);  // from empty to the steady state
  std::vector<double> offered, blocked;
  for (int b = 0; b < batches; ++b) {
    s.counts = {};
    run(minutes);
    offered.push_back(double(s.counts.offered));
    blocked.push_back(double(s.counts.blocked));
  }
  double o = 0, x = 0;
  for (int b = 0; b < batches; ++b) o += offered[size_t(b)], x += blocked[size_t(b)];
  const double ratio = x / o;
  double var = 0;  // ratio estimator over batches (delta method)
  for (int b = 0; b < batches; ++b) var += std::pow(blocked[size_t(b)] - ratio * offered[size_t(b)], 2);
  var /= double(batches - 1) * batches * std::pow(o / batches, 2);
  return {ratio, std::sqrt(var), o};
}

BOOST_AUTO_TEST_CASE(default_step_reproduces_erlang_b_for_small_and_large_sites) {
  // issue #22: one-minute steps (h / 3), 10 to 400 sessions, 0.5 to 1.1 erlangs per session
  const Grid g = one_cell();
  const NetworkParams p = plain_params(0, 0, 60);
  uint64_t seed = 100;
  for (const int c : {10, 30, 50, 135, 400})
    for (const double load : {0.5, 0.7, 0.9, 1.0, 1.1}) {
      const double a = load * c, b = erlang_b(a, c);
      // batches of 5-10 h (many holding times), longer where blocking is rare
      const double minutes = std::clamp(600.0 / (a * b + 0.01), 300.0, 600.0);
      const Blocking m = blocking_in_batches(p, g, c, [&](double) { return a / p.holding_min; }, 1.0, 20, minutes, ++seed);
      // where blocking is so rare that no batch sees any, the binomial error stands in
      const double se = std::max(m.se, std::sqrt(b * (1 - b) / m.offered));
      BOOST_TEST_MESSAGE("c=" << c << " A=" << a << ": Erlang B " << b << ", simulated " << m.measured << " +- " << se
                              << " (" << m.offered << " offered)");
      BOOST_TEST(std::abs(m.measured - b) <= 3 * se + 0.03 * b, "c=" << c << " A=" << a << ": " << m.measured << " vs " << b);
    }
}

BOOST_AUTO_TEST_CASE(default_step_follows_a_load_changing_within_the_hour) {
  // 135 sessions under a load rising from 0.6c to 1.1c and back within each hour: the
  // one-minute step against a 2-second reference (the rate taken at each step's start,
  // as step_network does)
  const Grid g = one_cell();
  const double c = 135;
  const auto rate = [&](double t_min) {
    const double phase = std::fmod(t_min, 60.0) / 60.0;
    return c * (0.6 + 0.5 * (1 - std::abs(2 * phase - 1))) / 3.0;
  };
  const Blocking coarse = blocking_in_batches(plain_params(0, 0, 60), g, int(c), rate, 1.0, 20, 120, 7);
  const Blocking fine = blocking_in_batches(plain_params(0, 0, 2), g, int(c), rate, 2.0 / 60, 20, 120, 8);
  BOOST_TEST_MESSAGE("changing load: one-minute step " << coarse.measured << " +- " << coarse.se << ", 2 s steps "
                                                        << fine.measured << " +- " << fine.se);
  BOOST_TEST(std::abs(coarse.measured - fine.measured) <=
             3 * std::hypot(coarse.se, fine.se) + 0.03 * fine.measured);
}

BOOST_AUTO_TEST_CASE(sites_of_one_kind_in_one_cell_pool_their_capacity) {
  // two 4G sites of 10 sessions in the cell carry like one of 20: Erlang B(15, 20), not
  // overflow through two of 10
  const Grid g = one_cell();
  Sites two = one_site(g, 10);
  two.add(SiteKind::Lte, 0, g.lat[0], g.lon[0], 1500, 10, 3, -1);
  const NetworkState s = make_network_state(two, g);
  BOOST_TEST(s.busy.size() == 1u);
  BOOST_TEST(s.capacity[0] == 20);
  const Counts c = run_cell(plain_params(), g, two, 15, 6000);
  const double b = erlang_b(15, 20), sigma = 1.5 * std::sqrt(b * (1 - b) / c.offered);
  BOOST_TEST_MESSAGE("two pooled sites: blocking " << c.blocked / c.offered << ", Erlang B(15, 20) " << b);
  BOOST_TEST(std::abs(c.blocked / c.offered - b) <= 3 * sigma + 0.06 * b);
}

BOOST_AUTO_TEST_CASE(wifi_offload_takes_load_off_the_cell) {
  const Grid g = one_cell();
  const NetworkParams p = plain_params();
  const Counts alone = run_cell(p, g, one_site(g, 200), 30, 2000);
  Sites both = one_site(g, 200);
  both.add(SiteKind::Wifi, 0, g.lat[0], g.lon[0], 600, 25, 0, -1);  // reaches the whole cell
  const Counts offload = run_cell(p, g, both, 30, 2000);
  BOOST_TEST(alone.mean_busy[0] == 30.0, tt::tolerance(0.05));
  // the cell carries only the Wi-Fi overflow: A B(A, c_wifi) erlangs (overflow theory)
  BOOST_TEST(offload.mean_busy[0] == 30 * erlang_b(30, 25), tt::tolerance(0.15));
  BOOST_TEST_MESSAGE("cell load alone " << alone.mean_busy[0] << ", with Wi-Fi " << offload.mean_busy[0] << " (theory "
                                        << 30 * erlang_b(30, 25) << ")");
  BOOST_TEST(offload.mean_busy[0] < 0.5 * alone.mean_busy[0]);
  BOOST_TEST(offload.blocked == 0.0);
}

BOOST_AUTO_TEST_CASE(priority_reservation_protects_priority_sessions) {
  const Grid g = one_cell();
  // overload: 30 erlangs on 20 sessions, 5% of them emergency calls
  const Counts shared = run_cell(plain_params(0.0, 0.05), g, one_site(g, 20), 30, 3000);
  const Counts reserved = run_cell(plain_params(0.2, 0.05), g, one_site(g, 20), 30, 3000);
  const double prio_shared = shared.priority_blocked / shared.priority_offered;
  const double prio_reserved = reserved.priority_blocked / reserved.priority_offered;
  const double regular_reserved = (reserved.blocked - reserved.priority_blocked) / (reserved.offered - reserved.priority_offered);
  BOOST_TEST_MESSAGE("priority blocking without reserve " << prio_shared << ", with " << prio_reserved
                                                          << "; regular with reserve " << regular_reserved);
  BOOST_TEST(prio_shared > 0.05);  // overload without a reserve: priority sessions blocked too
  BOOST_TEST(regular_reserved > 0.3);
  BOOST_TEST(prio_reserved < 0.1 * prio_shared);
}

BOOST_AUTO_TEST_CASE(site_on_backup_goes_down_exactly_when_its_battery_runs_out) {
  // a 4G site near Chiyoda's office with a 2 h battery and a Wi-Fi site without one;
  // Wi-Fi outages seen after 15 min; power cut at 06:30, back at 09:00
  const auto run = run_sites(3.5, "network_one_site.csv",
                             "lte,35.6940,139.7536,1500,100,2\n"
                             "wifi,35.6940,139.7536,100,50,0\n",
                             "[[events]]\nkind = \"wifi_monitoring\"\nat = \"2026-08-03T06:00\"\ndelay_min = 15\n"
                             "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T06:30\"\nmunicipalities = [\"13101\"]\n"
                             "[[events]]\nkind = \"restoration\"\nat = \"2026-08-03T09:00\"\nmunicipalities = [\"Chiyoda\"]\n");
  const Simulation& sim = *run;
  const size_t wifi = size_t(SiteKind::Wifi);
  BOOST_TEST(at(sim, "network/sites_up", 29) == 1.0);
  BOOST_TEST(at(sim, "network/sites_on_backup", 30) == 1.0);
  BOOST_TEST(at(sim, "network/sites_on_backup", 149) == 1.0);
  BOOST_TEST(at(sim, "network/sites_down", 149) == 0.0);
  BOOST_TEST(at(sim, "network/sites_down", 150) == 1.0);
  BOOST_TEST(at(sim, "network/active", 150) == 0.0);
  BOOST_TEST(at(sim, "network/dropped", 150) > 0.0);
  BOOST_TEST(at(sim, "network/sites_up", 180) == 1.0);
  BOOST_TEST(at(sim, "network/sites_up", 180, wifi) == 1.0);
  // Wi-Fi down at once and seen 15 min later; the 4G site seen after the 1 min alarm delay
  BOOST_TEST(at(sim, "network/sites_down", 30, wifi) == 1.0);
  BOOST_TEST(at(sim, "network/outages_unseen", 44) == 1.0);
  BOOST_TEST(at(sim, "network/outages_unseen", 45) == 0.0);
  const Table* outages = sim.metrics().find_table("network/outages");
  BOOST_REQUIRE(outages);
  BOOST_TEST(outages->rows == 2u);
  BOOST_TEST(std::get<std::string>(outages->at(0, 2)) == "wifi");
  BOOST_TEST(std::get<double>(outages->at(0, 6)) == 15.0);
  BOOST_TEST(std::get<std::string>(outages->at(1, 5)) == "2026-08-03T08:30:00+09:00");
  BOOST_TEST(std::get<double>(outages->at(1, 6)) == 1.0);
  BOOST_TEST(at(sim, "network/outage_seen_delay_min", 151) == 1.0);
}

BOOST_AUTO_TEST_CASE(a_power_cut_with_a_duration_ends_by_itself) {
  // a 4G site with a 2 h battery; the power is off from 06:10 for 30 min
  const auto run = run_sites(1, "network_timed_cut.csv", "lte,35.6940,139.7536,1500,100,2\n",
                             "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T06:10\"\n"
                             "municipalities = [\"Chiyoda\"]\nduration_hours = 0.5\n");
  const Simulation& sim = *run;
  BOOST_TEST(at(sim, "network/sites_up", 9) == 1.0);
  BOOST_TEST(at(sim, "network/sites_on_backup", 10) == 1.0);
  BOOST_TEST(at(sim, "network/sites_on_backup", 39) == 1.0);
  BOOST_TEST(at(sim, "network/sites_up", 40) == 1.0);  // mains back at 06:40
}

BOOST_AUTO_TEST_CASE(a_pool_that_loses_one_of_two_sites_drops_half_its_sessions) {
  // two 4G sites 220 m apart in one cell, without batteries; the power goes off around one
  const auto run = run_sites(1, "network_pool.csv",
                             "lte,35.6940,139.7536,1500,400,0\n"
                             "lte,35.6960,139.7536,1500,400,0\n",
                             "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T06:30\"\n"
                             "lat = 35.6940\nlon = 139.7536\nradius_km = 0.1\n");
  const Simulation& sim = *run;
  const double before = at(sim, "network/active", 29), dropped = at(sim, "network/dropped", 30);
  BOOST_TEST_MESSAGE("sessions before the cut " << before << ", dropped " << dropped << ", after "
                                                 << at(sim, "network/active", 30));
  BOOST_TEST(at(sim, "network/sites_down", 30) == 1.0);
  BOOST_TEST(before > 20.0);
  BOOST_TEST(dropped == before / 2, tt::tolerance(0.01));
  // the pool goes on with the other site's 400 sessions, 5% of them kept for priority
  BOOST_TEST(at(sim, "network/active", 30) <= 400.0);
  BOOST_TEST(at(sim, "network/active", 31) > 0.0);
}

BOOST_AUTO_TEST_CASE(outage_areas_by_municipality_code_and_by_circle) {
  // a 4G site in Chiyoda, a 5G site in Taito (Ueno)
  const auto run = run_sites(0.5, "network_two_sites.csv",
                             "lte,35.6940,139.7536,1500,100,5\n"
                             "nr_low,35.7126,139.7800,1200,100,5\n",
                             "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T06:10\"\nmunicipalities = [\"Chiyoda\"]\n"
                             "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T06:20\"\n"
                             "lat = 35.7126\nlon = 139.7800\nradius_km = 0.5\n");
  const Simulation& sim = *run;
  const size_t lte = size_t(SiteKind::Lte), nr = size_t(SiteKind::NrLow);
  BOOST_TEST(at(sim, "network/sites_on_backup", 15, lte) == 1.0);
  BOOST_TEST(at(sim, "network/sites_on_backup", 15, nr) == 0.0);
  BOOST_TEST(at(sim, "network/sites_on_backup", 25, nr) == 1.0);
}

BOOST_AUTO_TEST_CASE(bad_areas_are_rejected_before_the_run) {
  const auto with_event = [](const std::string& event) {
    return test::small_city(1, "[network]\nenabled = true\n[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T06:10\"\n" + event);
  };
  BOOST_CHECK_EXCEPTION(Simulation(with_event("municipalities = [\"Atlantis\"]\n"), 1), ScenarioError,
                        [](const ScenarioError& e) { return std::string(e.what()).find("unknown municipality \"Atlantis\"") != std::string::npos; });
  BOOST_CHECK_EXCEPTION(Simulation(with_event(""), 1), ScenarioError, [](const ScenarioError& e) {
    return std::string(e.what()).find("small.toml:") != std::string::npos &&
           std::string(e.what()).find("needs municipalities or a circle") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(bad_site_csv_is_rejected_with_file_and_line) {
  const Grid g = one_cell();
  const auto error_of = [&](const std::string& name, const std::string& rows) {
    const std::string path = write_file(name, "kind,lat,lon,radius_m,capacity_sessions,backup_hours\n" + rows);
    try {
      load_sites(path, g);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string here = std::to_string(g.lat[0]) + "," + std::to_string(g.lon[0]);
  const std::string ok = "lte," + here + ",1500,100,3\n";
  const std::string kind = error_of("network_bad_kind.csv", ok + "tower," + here + ",1500,100,3\n");
  BOOST_TEST(kind.find("network_bad_kind.csv:3") != std::string::npos);
  BOOST_TEST(kind.find("expected kind lte, nr_low, nr_high, wifi or satellite, got \"tower\"") != std::string::npos);
  const std::string number = error_of("network_bad_number.csv", ok + ok + "wifi," + std::to_string(g.lat[0]) + ",east,100,10,0\n");
  BOOST_TEST(number.find("network_bad_number.csv:4") != std::string::npos);
  BOOST_TEST(number.find("expected a number in column 'lon'") != std::string::npos);
  const std::string outside = error_of("network_outside.csv", "lte,34.0,135.0,1500,100,3\n");
  BOOST_TEST(outside.find("network_outside.csv:2") != std::string::npos);
  BOOST_TEST(outside.find("outside the city grid") != std::string::npos);
  const std::string cap = error_of("network_bad_capacity.csv", "lte," + here + ",1500,2.5,3\n");
  BOOST_TEST(cap.find("capacity_sessions a whole number") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(generated_city_carries_the_day_and_satellites_wait_for_deployment) {
  Scenario sc = test::small_city(3, "[network]\nenabled = true\n[[events]]\nkind = \"satellite_deployment\"\n"
                                    "at = \"2026-08-03T06:00\"\ndelay_hours = 2\n");
  Simulation sim(sc, 2);
  sim.run();
  const size_t sat = size_t(SiteKind::Satellite), wifi = size_t(SiteKind::Wifi);
  // 4 municipal offices + the rest of the 77 at the busiest places, one per populated cell
  // (the 40 of these four wards), stored until 08:00
  BOOST_TEST(at(sim, "network/sites_up", 1, sat) == 0.0);
  BOOST_TEST(at(sim, "network/sites_up", 2, sat) == 44.0);
  BOOST_TEST(at(sim, "network/sites_up", 1, wifi) == 1600.0);
  BOOST_TEST(at(sim, "network/offered", 2) > 10000.0);
  BOOST_TEST(at(sim, "network/blocking", 2) < 0.01);
  BOOST_TEST(at(sim, "network/coverage", 2) > 0.99);
  BOOST_TEST(at(sim, "network/wifi_offload", 2) > 0.0);
  BOOST_TEST(at(sim, "network/carried", 2) == at(sim, "network/offered", 2), tt::tolerance(0.01));
}

BOOST_AUTO_TEST_CASE(the_whole_satellite_fleet_is_placed_in_a_city_of_a_few_wards) {
  // one terminal per municipal office, the rest (77 - offices) at the busiest places, one per
  // populated cell: four wards place 73 more, as many as they have cells (the rest used to
  // be counted as 77 - 62 = 15 whatever the city)
  const Scenario sc = test::small_city(1, "[network]\nenabled = true\nisland_satellite_wifi = 0\n");
  const Grid g = build_city(CityParams::from(sc), 1);
  const Sites sites = generate_sites(NetworkParams::from(sc), g, 1);
  int stored = 0, populated = 0;
  for (size_t i = 0; i < sites.size(); ++i) stored += SiteKind(sites.kind[i]) == SiteKind::Satellite && sites.deploy_at[i] == kNever;
  for (size_t c = 0; c < g.size(); ++c) populated += g.is_land(c) && std::max(g.population[c], g.day_places[c]) > 0;
  BOOST_TEST(g.municipalities.size() == 4u);
  BOOST_TEST(populated == 40);
  BOOST_TEST(stored == 4 + std::min(73, populated));
}

BOOST_AUTO_TEST_CASE(no_pool_reaches_two_tiles_that_attach_at_once) {
  // the tiles of one colour attach in parallel: a pool reached from two of them would be a
  // data race, and results would depend on the thread count. Whole Tokyo, generated sites.
  const Scenario sc = io::parse_scenario("[network]\nenabled = true\n", "tokyo.toml", CITYSIM_SOURCE_DIR "/tests");
  const Grid g = build_city(CityParams::from(sc), 1);
  const NetworkParams p = NetworkParams::from(sc);
  const NetworkState s = make_network_state(generate_sites(p, g, 1), g);
  BOOST_TEST(s.pool_kind.size() > 4000u);
  std::vector<uint32_t> cells_seen(g.size(), 0);
  size_t tiles = 0;
  for (const auto& colour : s.tiles_of_colour) {
    std::vector<int64_t> tile_of_pool(s.pool_kind.size(), -1);
    for (const uint32_t tile : colour) {
      ++tiles;
      for (uint32_t i = s.tile_start[tile]; i < s.tile_start[tile + 1]; ++i) {
        const uint32_t c = s.tile_cells[i];
        ++cells_seen[c];
        for (uint32_t l = s.pool_coverage.start[c]; l < s.pool_coverage.start[c + 1]; ++l) {
          int64_t& t = tile_of_pool[s.pool_coverage.to[l]];
          BOOST_REQUIRE(t == -1 || t == int64_t(tile));
          t = tile;
        }
      }
    }
  }
  BOOST_TEST(tiles == s.tile_start.size() - 1);
  BOOST_TEST(tiles / 4 > 64u);  // enough tiles per colour for 16 cores
  BOOST_TEST(std::all_of(cells_seen.begin(), cells_seen.end(), [](uint32_t n) { return n == 1; }));  // each cell once
}
