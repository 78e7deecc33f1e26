#define BOOST_TEST_MODULE residents
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <numeric>

#include "citysim/city.hpp"
#include "citysim/residents.hpp"
#include "support.hpp"

using namespace citysim;
namespace tt = boost::test_tools;

namespace {
// all of Tokyo at 1%: about 140,000 residents
Scenario tokyo_1pct(double hours, const std::string& start = "2026-08-03T00:00") {
  return io::parse_scenario("[run]\nseed = 3\nstart = \"" + start + "\"\nduration_hours = " + std::to_string(hours) +
                                "\n[city]\npopulation_scale = 0.01\n",
                            "tokyo_1pct.toml", ".");
}
double series_at(const Simulation& sim, const std::string& path, size_t sample, size_t col = 0) {
  const Series* s = sim.metrics().find_series(path);
  BOOST_REQUIRE(s);
  return s->history[sample * s->width() + col];
}
}  // namespace

BOOST_AUTO_TEST_CASE(population_matches_census_shares) {
  Simulation sim(tokyo_1pct(1), 2);
  const Residents& R = sim.residents();
  const double total = double(R.first_commuter) * R.weight;  // Tokyo's residents, not the in-commuters
  BOOST_TEST(total == 14034861.0, tt::tolerance(0.02));
  size_t over65 = 0, over65_alone = 0;
  for (size_t i = 0; i < R.first_commuter; ++i)
    if (R.age[i] >= 65) {
      ++over65;
      if (R.has(i, LivesAlone)) ++over65_alone;
    }
  // 2020 census: 22.8% aged 65+; 811,408 one-person 65+ households = 26% of over-65s
  BOOST_TEST(double(over65) / double(R.first_commuter) == 0.228, tt::tolerance(0.08));
  BOOST_TEST(double(over65_alone) / double(over65) == 0.26, tt::tolerance(0.12));
}

BOOST_AUTO_TEST_CASE(everyone_is_home_at_3am_and_the_centre_fills_by_day) {
  Simulation sim(tokyo_1pct(15), 2);  // Monday 00:00 to 15:00, hourly samples
  sim.run();
  const double total = double(sim.residents().count) * sim.residents().weight;
  BOOST_TEST(series_at(sim, "residents/at_home", 3) == total);
  BOOST_TEST(series_at(sim, "residents/travelling", 3) == 0.0);
  BOOST_TEST(series_at(sim, "residents/at_day_place", 14) > 0.35 * total);
  // central business wards: daytime population several times the night population
  const Series* by_muni = sim.metrics().find_series("residents/present_by_municipality");
  size_t chiyoda = 0;
  for (size_t i = 0; i < by_muni->breakdown.labels.size(); ++i)
    if (by_muni->breakdown.labels[i].find("13101") != std::string::npos) chiyoda = i;
  const double night = series_at(sim, "residents/present_by_municipality", 3, chiyoda);
  const double day = series_at(sim, "residents/present_by_municipality", 14, chiyoda);
  BOOST_TEST(day > 5 * night);
  // the morning peak: many trips start between 07:00 and 09:00, most by rail
  const Series* trips = sim.metrics().find_series("residents/trips");
  double rail = 0, all = 0;
  for (size_t s = 8; s <= 9; ++s)
    for (size_t m = 0; m < trips->width(); ++m) {
      all += trips->history[s * trips->width() + m];
      if (trips->breakdown.labels[m] == "rail") rail += trips->history[s * trips->width() + m];
    }
  BOOST_TEST(all > 0.25 * total);
  BOOST_TEST(rail / all > 0.4);
}

BOOST_AUTO_TEST_CASE(occupancy_is_conserved_at_every_sample) {
  Simulation sim(test::small_city(18), 2);
  sim.run();
  const auto& m = sim.metrics();
  const double total = double(sim.residents().count) * sim.residents().weight;
  const auto* present = m.find_field("residents/present");
  const auto* outdoors = m.find_field("residents/outdoors");
  double sum = 0, out = 0;
  for (size_t c = 0; c < present->values.size(); ++c) {
    sum += present->values[c];
    out += outdoors->values[c];
    BOOST_TEST(outdoors->values[c] <= present->values[c]);
  }
  // the field counts the city's cells: residents, and the in-commuters not at home outside it
  const size_t last = m.sample_times().size() - 1;
  BOOST_TEST(sum == double(sim.residents().first_commuter) * sim.residents().weight +
                        series_at(sim, "residents/commuters_in_city", last),
             tt::tolerance(1e-6));
  for (size_t s = 0; s < m.sample_times().size(); ++s) {
    const double parts = series_at(sim, "residents/at_home", s) + series_at(sim, "residents/at_day_place", s) +
                         series_at(sim, "residents/at_errand", s) + series_at(sim, "residents/travelling", s);
    BOOST_TEST(parts == total, tt::tolerance(1e-9));
  }
  BOOST_TEST(out == series_at(sim, "residents/outdoors_total", m.sample_times().size() - 1), tt::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(travel_time_formulas) {
  const ResidentsParams p;
  // rail: 8 min walk + 4 min wait + 10 km x 1.3 at 32 km/h + 6 min walk
  BOOST_TEST(travel_minutes(p, 10, Mode::Rail) == 8 + 4 + 13.0 / 32 * 60 + 6, tt::tolerance(1e-12));
  BOOST_TEST(travel_minutes(p, 1, Mode::Walk) == 1.3 / 4.8 * 60, tt::tolerance(1e-12));
  BOOST_TEST(travel_minutes(p, 0.1, Mode::Walk) == 3.0);  // at least 3 minutes
  BOOST_TEST(travel_minutes(p, 5, Mode::Car) == 5 + 6.5 / 22 * 60, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(plans_expand_to_increasing_segments_that_end_at_home) {
  Simulation sim(test::small_city(1), 1);
  const Residents& R = sim.residents();
  Segment seg[kMaxSegments];
  size_t with_trips = 0;
  for (size_t i = 0; i < R.count; ++i) {
    const int n = expand_plan(R.plan[i], R.home_cell[i], R.day_cell[i], Role(R.role[i]), seg);
    if (n == 0) continue;
    ++with_trips;
    BOOST_TEST(seg[0].trip_start);
    for (int k = 1; k < n; ++k) BOOST_TEST(seg[k].minute > seg[k - 1].minute);
    BOOST_TEST(seg[n - 1].minute <= 1439);
    BOOST_TEST(int(seg[n - 1].activity) == int(Activity::Home));
    BOOST_TEST(seg[n - 1].cell == R.home_cell[i]);
  }
  BOOST_TEST(with_trips > R.count / 2);  // most people leave home on a weekday
}

BOOST_AUTO_TEST_CASE(holidays_have_fewer_commuters) {
  Simulation weekday(test::small_city(12, "", "2026-08-03T00:00"), 2);   // Monday
  Simulation holiday(test::small_city(12, "", "2026-08-08T00:00"), 2);   // Saturday
  weekday.run();
  holiday.run();
  BOOST_TEST(series_at(holiday, "residents/at_day_place", 11) < 0.4 * series_at(weekday, "residents/at_day_place", 11));
}

BOOST_AUTO_TEST_CASE(a_run_started_mid_day_sees_people_already_out) {
  Simulation sim(test::small_city(1, "", "2026-08-03T11:00"), 2);
  BOOST_TEST(sim.residents().by_activity[size_t(Activity::Work)] > 0);
  BOOST_TEST(sim.residents().trips_started[size_t(Mode::Rail)] == 0);  // the catch-up does not count trips
}

BOOST_AUTO_TEST_CASE(the_65plus_alone_subset_keeps_only_older_people_living_alone) {
  Scenario all = test::small_city(2), subset = test::small_city(2);
  subset.set("residents.subset", std::string("65plus_alone"));
  Simulation a(all, 2), b(subset, 2);
  size_t expected = 0;
  for (size_t i = 0; i < a.residents().count; ++i) expected += a.residents().age[i] >= 65 && a.residents().has(i, LivesAlone);
  BOOST_TEST(b.residents().count == expected);  // the same people, drawn the same way
  for (size_t i = 0; i < b.residents().count; ++i) {
    BOOST_TEST(b.residents().age[i] >= 65);
    BOOST_TEST(b.residents().has(i, LivesAlone));
  }
  b.run();
  const double total = double(b.residents().count) * b.residents().weight;
  BOOST_TEST(series_at(b, "residents/at_home", 0) == total);
}

// in-commuters from Kanagawa, Saitama and Chiba: none in the city at night, about 2.9
// million (2010 census) by day, living at their corridor's cell outside Tokyo
BOOST_AUTO_TEST_CASE(in_commuters_enter_by_day_and_leave_by_night) {
  Simulation sim(tokyo_1pct(28, "2026-06-03T00:00"), 2);  // Wednesday 00:00 to Thursday 04:00
  sim.run();
  const Residents& R = sim.residents();
  BOOST_TEST(double(R.count - R.first_commuter) * R.weight == 2.9e6, tt::tolerance(0.01));
  for (size_t r = R.first_commuter; r < R.count; ++r) {
    BOOST_TEST_REQUIRE(!sim.grid().is_land(R.home_cell[r]));
    BOOST_TEST_REQUIRE(sim.grid().is_land(R.day_cell[r]));
  }
  BOOST_TEST(series_at(sim, "residents/commuters_in_city", 3) == 0.0);
  BOOST_TEST(series_at(sim, "residents/commuters_in_city", 27) == 0.0);  // Thursday 03:00
  // by 14:00 all but the few who do not work that day (none on a weekday) are in
  BOOST_TEST(series_at(sim, "residents/commuters_in_city", 14) > 0.9 * 2.9e6);
}

// the simulated weekday 14:00 population of each municipality against the census
// daytime/night-time ratio (scenarios/data/tokyo_daytime_population.csv; docs/city.md)
BOOST_AUTO_TEST_CASE(daytime_population_matches_the_census_ratios) {
  Simulation sim(tokyo_1pct(15, "2026-06-03T00:00"), 2);
  sim.run();
  const Grid& g = sim.grid();
  std::map<std::string, double> day, night;  // by area name
  for (size_t i = 0; i < g.municipalities.size(); ++i) {
    const Municipality& m = g.municipalities[i];
    const double d = series_at(sim, "residents/present_by_municipality", 14, i);
    const std::string part = m.area == "ku" ? "23 wards" : m.area == "tama" ? "Tama" : "islands";
    for (const std::string& area : {std::string("Tokyo"), part, m.name_en}) day[area] += d, night[area] += m.population;
  }
  const auto ratio = [&](const std::string& area) { return 100 * day.at(area) / night.at(area); };
  const CsvTable census = read_csv(CITYSIM_SOURCE_DIR "/scenarios/data/tokyo_daytime_population.csv", "census");
  std::map<std::string, double> r2010, r2020;
  for (size_t r = 0; r < census.rows.size(); ++r)
    (census.rows[r][2] == "2010" ? r2010 : r2020)[census.rows[r][0]] = census.number(r, census.column("ratio_pct", "census"), "census");
  // the year of the in-commuter count (2.9 million, 2010); 2020 has Tokyo 119.2%, the wards 126.8%
  BOOST_TEST(std::abs(ratio("Tokyo") - r2010.at("Tokyo")) < 5);        // 118.4%
  BOOST_TEST(std::abs(ratio("23 wards") - r2010.at("23 wards")) < 5);  // 130.9%
  BOOST_TEST(std::abs(ratio("Chiyoda") / r2020.at("Chiyoda") - 1) < 0.25);  // 1,753.7%
  BOOST_TEST(std::abs(ratio("Tama") - r2010.at("Tama")) < 5);          // 91.5%
  for (const char* centre : {"Chiyoda", "Chuo", "Minato"})  // 1,738.8%, 493.6%, 432.0%
    BOOST_TEST(std::abs(ratio(centre) / r2010.at(centre) - 1) < 0.25, centre << ": " << ratio(centre));
  for (const char* other : {"Setagaya", "Hachioji", "Machida", "Tachikawa", "Musashino"})
    BOOST_TEST(std::abs(ratio(other) - r2010.at(other)) < 10, other << ": " << ratio(other));
}
