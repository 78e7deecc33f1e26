#define BOOST_TEST_MODULE vertiport_access
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>

#include "modules/vertiport.hpp"
#include "core/vertiport_support.hpp"

using namespace citysim;
using namespace citysim::test;
namespace tt = boost::test_tools;

// Issue #22, item 3: residents' trips by air door to door. Chiyoda and Chuo at full scale
// (one simulated resident per person, so every passenger is a resident in the sample),
// three sites at the centres of their grid cells (so that the ground distance between the
// sites' cells is the distance flown): Kanda, Nihonbashi one cell (0.93 km) to the south
// and Harumi 4.8 km to the south-south-east. Terminal and flight times are fixed (deterministic service, a flight leaves
// as soon as a passenger boards, ample aircraft), so a trip without queueing takes
//   door to door = access + (check-in + security + walk to the gate) + flight(D) + egress,
//   flight(D) = boarding + taxi + pad + climb + D / cruise + approach + pad + taxi + deboarding.
namespace {

constexpr double kCheckin = 2, kSecurity = 1, kWalk = 2;                 // min
constexpr double kBoarding = 3, kTaxi = 1, kDeboarding = 2, kPad_s = 45;  // min, s
constexpr double kJobyKmh = 320, kJobyClimb_s = 90, kJobyApproach_s = 90;

struct SiteXY { const char* name; double lat, lon; };
constexpr SiteXY kSites[] = {{"Kanda", 35.695833, 139.76875}, {"Nihonbashi", 35.6875, 139.76875}, {"Harumi", 35.654167, 139.78125}};

Scenario access_city(double hours, double share = 0.1) {
  std::string names, lats, lons;
  for (const auto& s : kSites) {
    names += std::string(names.empty() ? "" : ", ") + "\"" + s.name + "\"";
    lats += (lats.empty() ? "" : ", ") + std::to_string(s.lat);
    lons += (lons.empty() ? "" : ", ") + std::to_string(s.lon);
  }
  const std::string text =
      "[run]\nname = \"access\"\nseed = 7\nstart = \"2026-08-03T00:00\"\nduration_hours = " + std::to_string(hours) +
      "\ntick_minutes = 1\noutput_every_minutes = 60\n"
      "[city]\npopulation_scale = 1.0\nmunicipalities = [\"Chiyoda\", \"Chuo\"]\n"
      "[residents]\nin_commuters = 0\n"
      "[vertiport]\nenabled = true\n"
      "[vertiport.sites]\nnames = [" + names + "]\nlat = [" + lats + "]\nlon = [" + lons + "]\n"
      "pads = [4]\ngates = [40]\nstands = [300]\nchargers = [20]\ncheckin_counters = [40]\nsecurity_lanes = [40]\n"
      "[vertiport.fleet]\ntypes = [\"joby_s4\", \"joby_s4\", \"joby_s4\"]\nbases = [\"Kanda\", \"Nihonbashi\", \"Harumi\"]\n"
      "counts = [100, 100, 100]\n"
      "[vertiport.demand]\nsource = \"residents\"\nreach_km = 1.0\nmin_trip_km = 0.5\nresidents_share = " +
      std::to_string(share) + "\n"
      "[vertiport.terminal]\nservice_distribution = \"deterministic\"\ncheckin_service_min = 2.0\n"
      "security_service_min = 1.0\nwalk_to_gate_min = 2.0\npatience_min = 600\n"
      "[vertiport.ops]\nmax_hold_min = 0\nboarding_min = 3\ntaxi_min = 1\ndeboarding_min = 2\n"
      "pad_departure_s = 45\npad_arrival_s = 45\npad_clearance_s = 0\ncorridor_separation_s = 0\nbalance_max_per_h = 0\n";
  return io::parse_scenario(text, "access.toml", CITYSIM_SOURCE_DIR "/tests");
}

double site_km(const std::string& a, const std::string& b) {
  const auto at = [](const std::string& n) {
    for (const auto& s : kSites)
      if (n == s.name) return s;
    BOOST_FAIL("no site " + n);
    return kSites[0];
  };
  const SiteXY x = at(a), y = at(b);
  return haversine_km(x.lat, x.lon, y.lat, y.lon);
}
double terminal_min() { return kCheckin + kSecurity + kWalk; }
Mode mode_of(const std::string& name) {
  for (int m = 0; m < kModes; ++m)
    if (name == mode_name(Mode(m))) return Mode(m);
  BOOST_FAIL("no mode " + name);
  return Mode::None;
}
double flight_min(double km) {
  return kBoarding + kTaxi + kPad_s / 60 + (kJobyClimb_s + km / kJobyKmh * 3600 + kJobyApproach_s) / 60 + kPad_s / 60 +
         kTaxi + kDeboarding;
}
}  // namespace

BOOST_AUTO_TEST_CASE(door_to_door_is_access_wait_flight_egress_by_the_residents_rules) {
  const Scenario sc = access_city(20);
  Simulation sim(sc, 2);
  sim.run();
  const Table& trips = table(sim, "vertiport/trips");
  const Grid& g = sim.grid();
  const Residents& R = sim.residents();
  const ResidentsParams rp = ResidentsParams::from(sc);
  std::map<std::string, uint32_t> cell_of;
  for (const auto& s : kSites) cell_of[s.name] = uint32_t(g.cell_at(s.lat, s.lon));
  // the residents' rule for one leg: the mode resident r takes for that distance, and its minutes
  const auto rule = [&](size_t r, uint32_t a, uint32_t b, const std::string& mode, double minutes) {
    const double km = g.distance_km(a, b);
    const Mode m = resident_mode(rp, g, R, 7, r, km);
    BOOST_TEST(mode == mode_name(m));
    BOOST_TEST(minutes == double(trip_minutes(rp, km, m)));
    BOOST_TEST(minutes == double(std::clamp(std::lround(travel_minutes(rp, km, m)), 1L, 240L)));
  };
  size_t flown = 0, unqueued = 0, to_work_checked = 0;
  // trips next to both sites (on foot 3 min each way), by pair distance and ground mode: (air faster, all)
  std::map<std::pair<double, std::string>, std::pair<int, int>> near_both;
  for (size_t i = 0; i < trips.rows; ++i) {
    if (text(trips, i, "outcome") != "flown") continue;
    ++flown;
    const size_t r = size_t(num(trips, i, "resident"));
    BOOST_TEST(num(trips, i, "in_sample") == 1.0);  // full scale: every passenger is a resident
    const bool home = text(trips, i, "direction") == "home";
    const uint32_t origin = home ? R.day_cell[r] : R.home_cell[r], dest = home ? R.home_cell[r] : R.day_cell[r];
    const std::string from = text(trips, i, "from"), to = text(trips, i, "to");
    const double access = num(trips, i, "access_min"), wait = num(trips, i, "wait_min");
    const double flight = num(trips, i, "flight_min"), egress = num(trips, i, "egress_min");
    const double d2d = num(trips, i, "door_to_door_min"), ground = num(trips, i, "ground_min");
    // the sum, and each leg by the residents' rule
    BOOST_TEST(d2d == access + wait + flight + egress, tt::tolerance(1e-9));
    rule(r, origin, cell_of[from], text(trips, i, "access_mode"), access);
    rule(r, cell_of[to], dest, text(trips, i, "egress_mode"), egress);
    rule(r, origin, dest, text(trips, i, "ground_mode"), ground);
    // the ground-only trip to work is the resident's own plan today
    if (!home) {
      BOOST_TEST(ground == double(R.plan[r].travel_out_min));
      BOOST_TEST(text(trips, i, "ground_mode") == mode_name(Mode(R.plan[r].mode_out)));
      ++to_work_checked;
    }
    // without queueing the terminal and the flight take the fixed times
    const double km = site_km(from, to);
    if (std::abs(wait - terminal_min()) < 1e-9 && std::abs(flight - flight_min(km)) < 1e-9) ++unqueued;
    if (access == 3 && egress == 3) {
      BOOST_TEST(g.distance_km(cell_of[from], cell_of[to]) == km, tt::tolerance(0.002));  // sites at cell centres
      auto& [faster, all] = near_both[{std::round(km * 100) / 100, text(trips, i, "ground_mode")}];
      faster += ground > d2d;
      ++all;
    }
  }
  BOOST_TEST_MESSAGE(flown << " trips flown, " << unqueued << " without queueing");
  BOOST_TEST(flown > 100u);
  BOOST_TEST(to_work_checked > 50u);
  BOOST_TEST(double(unqueued) > 0.9 * double(flown));
  // next to both sites air takes 3 + 5 + flight(D) + 3 = 22.5 + 0.1875 D min. On the ground,
  // rail takes 18 + 2.4375 D (8 + 4 + 6 min at the stations, 32 km/h on 1.3 D) and loses
  // beyond D* = 4.5 / 2.25 = 2.0 km; walking (16.25 D) beyond 1.4 km, the bicycle
  // (2 + 5.57 D) beyond 3.8 km, the car (5 + 3.55 D) beyond 5.2 km
  const double air_fixed = 3 + terminal_min() + flight_min(0) + 3, air_per_km = 60 / kJobyKmh;
  const double rail_fixed = rp.rail_access_min + rp.rail_wait_min + rp.rail_egress_min;
  const double rail_per_km = rp.detour_factor / rp.rail_kmh * 60;
  BOOST_TEST(air_fixed == 22.5, tt::tolerance(1e-12));
  BOOST_TEST((air_fixed - rail_fixed) / (rail_per_km - air_per_km) == 2.0, tt::tolerance(1e-12));
  int short_trips = 0, long_rail = 0, long_car = 0;
  for (const auto& [key, counts] : near_both) {
    const auto& [km, mode] = key;
    const bool air_wins = trip_minutes(rp, km, mode_of(mode)) > air_fixed + air_per_km * km;
    BOOST_TEST_MESSAGE(km << " km apart, ground by " << mode << ": air faster in " << counts.first << " of "
                          << counts.second << " (formulas: " << (air_wins ? "air" : "ground") << ")");
    BOOST_TEST(counts.first == (air_wins ? counts.second : 0));
    if (km < 1) {  // 0.93 km: the ground wins by any mode
      short_trips += counts.second;
      BOOST_TEST(!air_wins);
    }
    if (km > 2 && mode == "rail") {
      long_rail += counts.second;
      BOOST_TEST(air_wins);
    }
    if (km > 2 && mode == "car") {  // below 5.2 km
      long_car += counts.second;
      BOOST_TEST(!air_wins);
    }
  }
  BOOST_TEST(short_trips > 0);
  BOOST_TEST(long_rail > 10);
  BOOST_TEST(long_car > 0);
  // the series over the run: the trips ended, the share faster by air
  const Series* n = sim.metrics().find_series("vertiport/door_to_door_trips");
  double total = 0;
  for (double x : n->history) total += x;
  BOOST_TEST(total == double(flown));
}

BOOST_AUTO_TEST_CASE(passengers_on_their_legs_are_outdoors_in_the_cells_they_pass) {
  // the trips of a first run, then the same run again minute by minute (it is deterministic)
  const Scenario sc = access_city(11);
  Simulation first(sc, 1);
  first.run();
  const Table& trips = table(first, "vertiport/trips");
  std::multimap<int64_t, size_t> check_at;  // minute after the run start -> trip row
  for (size_t i = 0; i < trips.rows; ++i)
    if (text(trips, i, "direction") == "to_work" && text(trips, i, "outcome") == "flown")
      check_at.insert({int64_t(std::llround(num(trips, i, "leave_min"))) + 1, i});
  BOOST_REQUIRE(check_at.size() > 50u);
  Simulation sim(sc, 1);
  const Residents& R = sim.residents();
  size_t outdoors = 0, indoors = 0;
  for (int64_t minute = 1; minute <= 11 * 60; ++minute) {
    sim.step(1);
    const auto [begin, end] = check_at.equal_range(minute);
    for (auto it = begin; it != end; ++it) {
      const size_t r = size_t(num(trips, it->second, "resident"));
      // a minute into the access leg: away from its plan, travelling, in its home cell
      BOOST_TEST(R.has(r, Away));
      BOOST_TEST(R.activity[r] == uint8_t(Activity::Travel));
      BOOST_TEST(R.cell[r] == R.home_cell[r]);
      // walking, cycling and the walk to the station are outdoors, a car is not
      const bool open_air = text(trips, it->second, "access_mode") != "car";
      BOOST_TEST(R.has(r, Outdoors) == open_air);
      // and the cell's outdoors count (the field residents/outdoors) holds everyone outdoors there
      int32_t there = 0;
      for (size_t q = 0; q < R.count; ++q) there += R.cell[q] == R.cell[r] && R.has(q, Outdoors);
      BOOST_TEST(R.outdoors[R.cell[r]] == there);
      (open_air ? outdoors : indoors) += 1;
    }
  }
  BOOST_TEST_MESSAGE(outdoors << " passengers checked outdoors on their access leg, " << indoors << " in cars");
  BOOST_TEST(outdoors > 50u);
  // by the end of the morning everyone who flew to work is at work and back on its plan
  for (size_t i = 0; i < trips.rows; ++i)
    if (text(trips, i, "direction") == "to_work" && text(trips, i, "outcome") == "flown") {
      const size_t r = size_t(num(trips, i, "resident"));
      BOOST_TEST((R.activity[r] == uint8_t(Activity::Work) || R.activity[r] == uint8_t(Activity::Travel)));
    }
}

BOOST_AUTO_TEST_CASE(residents_trips_are_the_same_on_1_and_2_threads) {
  const auto run = [](int threads) {
    Simulation sim(access_city(14, 0.1), threads);
    sim.run();
    std::vector<std::vector<double>> out;
    for (const auto& s : sim.metrics().series()) out.push_back(s.history);
    const Table& t = table(sim, "vertiport/trips");
    for (const auto& column : t.floats) out.push_back(column);
    out.push_back({double(t.rows)});
    return out;
  };
  const auto one = run(1), two = run(2);
  BOOST_TEST(one.back()[0] > 50);
  BOOST_TEST((one == two));
}
