// Heat in a running simulation: forecasts, alerts, shelters, illness, determinism.
#define BOOST_TEST_MODULE heat_sim
#include <boost/test/unit_test.hpp>

#include <array>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "modules/heat.hpp"
#include "support.hpp"

using namespace citysim;
namespace tt = boost::test_tools;

namespace {
const std::string kHot =
    "[heat]\nenabled = true\n[heat.weather]\ntmax_c = [37]\ntmin_c = [28]\nrh_at_tmax_pct = 50\ncloud_cover = 0.1\n";

double at(const Simulation& sim, const std::string& path, size_t sample, size_t col = 0) {
  const Series* s = sim.metrics().find_series(path);
  BOOST_REQUIRE(s);
  return s->history[sample * s->width() + col];
}
const HeatState& heat(Simulation& sim) {
  const HeatState* s = heat_state_of(sim.module("heat"));
  BOOST_REQUIRE(s);
  return *s;
}
// weather only (no residents), hourly ticks: cheap for long runs
Scenario weather_only(double hours, const std::string& extra, const std::string& start = "2026-08-03T00:00") {
  return test::small_city(hours, "[residents]\nenabled = false\n" + extra, start);
}
}  // namespace

BOOST_AUTO_TEST_CASE(heat_island_parks_and_the_diurnal_cycle) {
  Scenario sc = weather_only(24, kHot);
  sc.set("run.tick_minutes", int64_t(60));
  Simulation sim(sc, 2);
  sim.run();
  const Grid& g = sim.grid();
  const Field* wbgt = sim.metrics().find_field("heat/wbgt");
  BOOST_REQUIRE(wbgt);
  // the city-wide air follows the profile: 28 °C at 05:00 and 37 °C at 14:00
  BOOST_TEST(at(sim, "heat/air_temp_c", 5) == 28.0, tt::tolerance(1e-5));
  BOOST_TEST(at(sim, "heat/air_temp_c", 14) == 37.0, tt::tolerance(1e-5));
  BOOST_TEST(at(sim, "heat/solar_kw_m2", 2) == 0.0);
  BOOST_TEST(at(sim, "heat/solar_kw_m2", 12) > 0.8);
  BOOST_TEST(at(sim, "heat/wbgt_max_c", 14) > 33.0);  // an alert-level afternoon
  BOOST_TEST(at(sim, "heat/wbgt_max_c", 4) < 30.0);
  // at midnight (last sample) built-up cells are warmer than parks
  double built = -1e9, park = 1e9;
  for (size_t c = 0; c < g.size(); ++c) {
    if (!g.is_land(c)) continue;
    if (LandUse(g.land_use[c]) == LandUse::Commercial) built = std::max(built, double(wbgt->values[c]));
    if (LandUse(g.land_use[c]) == LandUse::Park) park = std::min(park, double(wbgt->values[c]));
  }
  if (park < 1e9) BOOST_TEST(built > park + 1.0);
}

BOOST_AUTO_TEST_CASE(weather_from_a_csv_and_shelters_from_a_list) {
  const std::string data = CITYSIM_SOURCE_DIR "/scenarios/data/";
  Simulation sim(test::small_city(24, "[heat]\nenabled = true\n[heat.weather]\nsource = \"csv\"\nfile = \"" + data +
                                          "heat_weather_sample.csv\"\n[heat.shelters]\nfile = \"" + data + "heat_shelters_wards.csv\"\n",
                                  "2026-08-04T00:00"),
                 2);
  sim.run();
  // the sample's 14:00 row: 36.0 °C, 50%, 3.24 MJ/m² in the hour, 2.5 m/s
  BOOST_TEST(at(sim, "heat/air_temp_c", 14) == 36.0, tt::tolerance(1e-6));
  BOOST_TEST(at(sim, "heat/rh_pct", 14) == 50.0, tt::tolerance(1e-6));
  BOOST_TEST(at(sim, "heat/solar_kw_m2", 14) == 0.9, tt::tolerance(1e-6));
  BOOST_TEST(sim.couplings().wind_m_s == 1.5f);
  // the four wards of the small city keep their ward-office shelters, 60 places each
  const HeatState& s = heat(sim);
  BOOST_TEST(s.shelters.size() == 4u);
  for (const Shelter& sh : s.shelters) BOOST_TEST(sh.capacity_people == 60.0);
}

BOOST_AUTO_TEST_CASE(bad_shelter_list_is_rejected_with_file_and_line) {
  const std::string path = CITYSIM_BINARY_DIR "/heat_bad_shelters.csv";
  std::ofstream(path) << "lat,lon,capacity_people,open_hour,close_hour\n35.69,139.75,50,9,18\n35.69,139.75,50,18,9\n";
  try {
    Simulation sim(test::small_city(1, "[heat]\nenabled = true\n[heat.shelters]\nfile = \"" + path + "\"\n"), 1);
    BOOST_FAIL("no error");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("heat_bad_shelters.csv:3:") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("open_hour < close_hour") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(timeline_heatwave_and_outreach) {
  const std::string wave = "[[events]]\nkind = \"heat_wave\"\nat = \"2026-08-03T12:00\"\noffset_c = 3\nduration_hours = 6\n";
  Scenario sc = weather_only(24, kHot + wave);
  sc.set("run.tick_minutes", int64_t(60));
  Simulation sim(sc, 2);
  sim.run();
  BOOST_TEST(at(sim, "heat/air_temp_c", 11) < 37.0);
  BOOST_TEST(at(sim, "heat/air_temp_c", 14) == 40.0, tt::tolerance(1e-5));  // 37 + 3
  BOOST_TEST(at(sim, "heat/air_temp_c", 18) < 36.0);                        // over at 18:00
  // an outreach campaign sends more vulnerable residents to shelters
  const std::string campaign = "[[events]]\nkind = \"heat_outreach\"\nat = \"2026-08-03T08:00\"\nshare = 0.8\nduration_hours = 24\n";
  Simulation quiet(test::small_city(6, kHot, "2026-08-03T08:00"), 2), reached(test::small_city(6, kHot + campaign, "2026-08-03T08:00"), 2);
  quiet.run();
  reached.run();
  BOOST_TEST(at(reached, "heat/vulnerable_reached_share", 6) > 2 * at(quiet, "heat/vulnerable_reached_share", 6));
}

BOOST_AUTO_TEST_CASE(shelter_hours_must_make_sense) {
  try {
    Simulation sim(test::small_city(1, kHot + "[[events]]\nkind = \"heat_shelter_hours\"\nat = \"2026-08-03T06:30\"\nopen_hour = 20\nclose_hour = 8\n"), 1);
    BOOST_FAIL("no error");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("small.toml:") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("shelters must close after they open") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(forecast_error_grows_with_lead_time) {
  Scenario sc = weather_only(24 * 12, kHot);
  sc.set("run.tick_minutes", int64_t(60));
  Simulation sim(sc, 2);
  sim.run();
  const Series* fc = sim.metrics().find_series("heat/forecast_48h_max_c");
  const size_t samples = sim.metrics().sample_times().size();
  auto rmse = [&](int lead) {
    double sum = 0;
    int k = 0;
    for (size_t t = 0; t + size_t(lead) < samples; ++t, ++k) {
      const double e = fc->history[t * 48 + size_t(lead - 1)] - at(sim, "heat/wbgt_max_c", t + size_t(lead));
      sum += e * e;
    }
    return std::sqrt(sum / k);
  };
  const double e1 = rmse(1), e24 = rmse(24), e48 = rmse(48);
  BOOST_TEST_MESSAGE("rmse 1h " << e1 << " 24h " << e24 << " 48h " << e48);
  BOOST_TEST(e1 < e24);
  BOOST_TEST(e24 < e48);
  BOOST_TEST(e1 == 0.3, tt::tolerance(0.25));   // the scenario's spreads
  BOOST_TEST(e48 == 1.2, tt::tolerance(0.3));
}

BOOST_AUTO_TEST_CASE(daily_max_forecast_error_grows_with_lead_days) {
  Scenario sc = weather_only(24 * 40, kHot);
  sc.set("run.tick_minutes", int64_t(60));
  Simulation sim(sc, 2);
  sim.run();
  const Series* fc = sim.metrics().find_series("heat/forecast_7d_max_c");
  const size_t days = sim.metrics().sample_times().size() / 24;
  std::vector<double> truth(days, -1e9);  // the day's highest hourly WBGT (samples at 00:00 .. 23:00)
  for (size_t t = 0; t < days * 24; ++t) truth[t / 24] = std::max(truth[t / 24], at(sim, "heat/wbgt_max_c", t));
  auto rmse = [&](size_t lead_days) {
    double sum = 0;
    int k = 0;
    for (size_t t = 0; t / 24 + lead_days < days; t += 24, ++k) {  // issued at midnight
      const double e = fc->history[t * 7 + lead_days] - truth[t / 24 + lead_days];
      sum += e * e;
    }
    return std::sqrt(sum / k);
  };
  BOOST_TEST_MESSAGE("daily rmse +1d " << rmse(1) << " +3d " << rmse(3) << " +6d " << rmse(6));
  BOOST_TEST(rmse(1) < rmse(3));
  BOOST_TEST(rmse(3) < rmse(6));
  BOOST_TEST(rmse(6) == 0.3 + 0.6 * 6, tt::tolerance(0.4));
}

BOOST_AUTO_TEST_CASE(alert_issued_the_evening_before_a_hot_day) {
  // a mild day, then a hot one; perfect forecasts
  Scenario sc = weather_only(48, "[heat]\nenabled = true\n[heat.weather]\ntmax_c = [29, 37]\ntmin_c = [23, 27]\n"
                                 "[heat.forecast]\nsd_1h_c = 0\nsd_48h_c = 0\nsd_per_day_c = 0\n");
  sc.set("run.tick_minutes", int64_t(60));
  Simulation sim(sc, 2);
  sim.run();
  BOOST_TEST(at(sim, "heat/alert_level", 12) == 0.0);
  BOOST_TEST(at(sim, "heat/alert_level_tomorrow", 16) == 0.0);
  BOOST_TEST(at(sim, "heat/alert_level_tomorrow", 17) == 1.0);  // issued at 17:00
  BOOST_TEST(at(sim, "heat/alert_level", 24) == 1.0);           // in force from midnight
  BOOST_TEST(sim.couplings().heat_alert_level == 1);
  const Table* alerts = sim.metrics().find_table("heat/alerts");
  BOOST_REQUIRE(alerts);
  BOOST_REQUIRE(alerts->rows >= 1u);
  BOOST_TEST(std::get<std::string>(alerts->at(0, 1)) == "2026-08-03T17:00:00+09:00");
  BOOST_TEST(std::get<std::string>(alerts->at(0, 2)) == "2026-08-04");
}

BOOST_AUTO_TEST_CASE(on_alert_days_residents_stay_in_as_far_as_the_scenario_says) {
  // a mild day, then a hot one with an alert issued the evening before (perfect forecasts)
  const auto run = [](double stay_home_65plus, double indoor_share) {
    Scenario sc = test::small_city(48, "[heat]\nenabled = true\n[heat.weather]\ntmax_c = [29, 37]\ntmin_c = [23, 27]\n"
                                       "[heat.forecast]\nsd_1h_c = 0\nsd_48h_c = 0\nsd_per_day_c = 0\n",
                                   "2026-08-03T00:00");
    sc.set("residents.alert_stay_home_65plus", stay_home_65plus);
    sc.set("residents.alert_indoor_share", indoor_share);
    Simulation sim(sc, 2);
    sim.run();
    BOOST_TEST(at(sim, "heat/alert_level", 30) == 1.0);
    const auto day = [&](const std::string& path, size_t d) {
      double sum = 0;
      for (size_t h = 24 * d + 1; h <= 24 * (d + 1); ++h) sum += at(sim, path, h);
      return sum;
    };
    return std::array<double, 4>{day("residents/at_errand", 0), day("residents/at_errand", 1),
                                 day("residents/outdoors_total", 0), day("residents/outdoors_total", 1)};
  };
  const auto as_usual = run(0, 0), stay_home = run(1, 0), indoors = run(0, 1);
  BOOST_TEST_MESSAGE("errand person-hours on the alert day: as usual " << as_usual[1] << ", 65+ staying home "
                                                                      << stay_home[1] << "; outdoors " << as_usual[3]
                                                                      << ", errands moved indoors " << indoors[3]);
  // the day before the alert is the same person for person
  BOOST_TEST(stay_home[0] == as_usual[0]);
  BOOST_TEST(indoors[2] == as_usual[2]);
  // on the alert day: fewer outings (people 65+ not in work are about a third of them), less time outdoors
  BOOST_TEST(stay_home[1] < 0.85 * as_usual[1]);
  BOOST_TEST(stay_home[1] > 0.3 * as_usual[1]);
  BOOST_TEST(indoors[1] == as_usual[1]);
  BOOST_TEST(indoors[3] < 0.9 * as_usual[3]);
}

BOOST_AUTO_TEST_CASE(shelters_never_exceed_capacity_and_shelter_time_adds_no_dose) {
  Simulation sim(test::small_city(10, kHot + "[heat.shelters]\nper_municipality = 3\ncapacity_people = 150\noutreach_share = 1.0\nwalk_km = 3\n",
                                  "2026-08-03T08:00"),
                 2);
  const HeatState& s = heat(sim);
  BOOST_REQUIRE(s.alert_today >= 1);
  const double decay = std::exp(-1.0 / 24);
  int64_t sheltered_hours = 0;
  for (int h = 0; h < 10; ++h) {
    std::vector<int32_t> before = s.shelter_of;
    std::vector<float> dose = s.dose_c_h;
    sim.step(60);
    for (const Shelter& sh : s.shelters) {
      BOOST_TEST(sh.occupancy <= sh.capacity);
      BOOST_TEST(sh.occupancy >= 0);
    }
    for (size_t r = 0; r < before.size(); ++r)
      if (before[r] >= 0) {
        ++sheltered_hours;
        BOOST_TEST(s.dose_c_h[r] == float(dose[r] * decay));  // cool indoors: no dose added
      }
  }
  BOOST_TEST(sheltered_hours > 0);
  double turned_away = 0;
  for (size_t t = 0; t < sim.metrics().sample_times().size(); ++t) turned_away += at(sim, "heat/shelter_turned_away", t);
  BOOST_TEST(turned_away > 0);  // small shelters fill up
  BOOST_TEST(at(sim, "heat/vulnerable_reached_share", 10) > 0.0);
  BOOST_TEST(at(sim, "heat/shelter_occupancy", 9) > 0.0);
  BOOST_TEST(at(sim, "heat/shelter_occupancy", 10) == 0.0);  // all out at 18:00
}

BOOST_AUTO_TEST_CASE(person_hours_match_an_independent_count_of_where_residents_were) {
  // the module counts the cool as everyone less the others; here every resident is placed
  // from their own state at each hourly heat step (outdoors, at home without working AC,
  // in a shelter, elsewhere) and the hours are counted by age group and WBGT level
  Simulation sim(test::small_city(3, kHot, "2026-08-03T11:00"), 2);
  const HeatState& s = heat(sim);
  const Residents& R = sim.residents();
  const size_t cool_level = size_t(heat_level(HeatParams{}.ac_wbgt_c));
  std::array<std::array<double, kHeatLevels>, kHeatAgeGroups> counted{};
  int hours = 0;
  for (int tick = 0; tick < 3 * 60; ++tick) {
    const int64_t hour_before = s.hour;
    const std::vector<int32_t> sheltered = s.shelter_of;
    sim.step(1);
    if (s.hour == hour_before || hour_before < 0) continue;  // heat did not step, or its first step counts nothing
    ++hours;
    for (size_t r = 0; r < R.count; ++r) {
      const bool home = R.activity[r] == uint8_t(Activity::Home);
      const bool ac_home = (s.traits[r] & kAcWorks) != 0;
      size_t level = cool_level;
      if (sheltered[r] < 0 && R.has(r, Outdoors)) level = s.place_level[R.cell[r] * 3 + 2];
      else if (sheltered[r] < 0 && home && !ac_home && !R.has(r, Commuter)) level = s.place_level[R.cell[r] * 3 + 1];
      counted[size_t(heat_age_group(R.age[r]))][level] += R.weight;
    }
  }
  BOOST_TEST(hours == 3);
  double reported_total = 0, counted_total = 0, warm = 0;
  for (size_t a = 0; a < size_t(kHeatAgeGroups); ++a)
    for (size_t l = 0; l < size_t(kHeatLevels); ++l) {
      double reported = 0;
      for (size_t t = 0; t < sim.metrics().sample_times().size(); ++t) reported += at(sim, "heat/person_hours", t, a * kHeatLevels + l);
      BOOST_TEST(reported == counted[a][l], tt::tolerance(1e-9));
      reported_total += reported;
      counted_total += counted[a][l];
      if (l > cool_level) warm += counted[a][l];
    }
  // every resident once an hour, and a hot afternoon puts some of them above the AC level
  BOOST_TEST(counted_total == 3 * double(R.count) * R.weight, tt::tolerance(1e-9));
  BOOST_TEST(warm > 0);
}

BOOST_AUTO_TEST_CASE(dose_bins_match_the_residents_doses) {
  // bin 0 is counted by the module as everyone less the other bins; here from each dose
  Simulation sim(test::small_city(3, kHot, "2026-08-03T11:00"), 2);
  sim.run();
  const HeatState& s = heat(sim);
  const Residents& R = sim.residents();
  std::array<double, kDoseBins> counted{};
  for (size_t r = 0; r < R.count; ++r) {
    const double d = s.dose_c_h[r];
    counted[size_t((d > 0) + (d > 10) + (d > 30) + (d > 60) + (d > 100))] += R.weight;
  }
  const size_t last = sim.metrics().sample_times().size() - 1;
  for (size_t c = 0; c < kDoseBins; ++c) BOOST_TEST(at(sim, "heat/dose", last, c) == counted[c], tt::tolerance(1e-9));
  BOOST_TEST(counted[0] < double(R.count) * R.weight);  // a hot afternoon leaves some with a dose
}

BOOST_AUTO_TEST_CASE(a_power_cut_stops_air_conditioners_in_its_area) {
  const std::string cut = "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T00:00\"\nlat = 35.69\nlon = 139.76\nradius_km = 20\n"
                          "duration_hours = 12\n";
  Simulation base(test::small_city(6, kHot, "2026-08-03T00:00"), 2), failed(test::small_city(6, kHot + cut, "2026-08-03T00:00"), 2);
  base.run();
  failed.run();
  const double e_base = at(base, "heat/expected_cases_total", 6, 3), e_failed = at(failed, "heat/expected_cases_total", 6, 3);
  BOOST_TEST(e_failed > 1.5 * e_base);
}

BOOST_AUTO_TEST_CASE(restoration_brings_the_air_conditioners_back) {
  // the same cut without an end, then power back at 02:00 (all at once) or spread over 02:00-06:00
  const std::string cut = "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T00:00\"\nlat = 35.69\nlon = 139.76\nradius_km = 20\n";
  const auto restore = [](double per_hour) {
    return "[[events]]\nkind = \"restoration\"\nat = \"2026-08-03T02:00\"\nlat = 35.69\nlon = 139.76\nradius_km = 20\n"
           "share_per_hour = " + std::to_string(per_hour) + "\n";
  };
  const auto expected = [](const std::string& events) {
    Simulation sim(test::small_city(6, kHot + events, "2026-08-03T00:00"), 2);
    sim.run();
    return at(sim, "heat/expected_cases_total", 6, 3);
  };
  const double base = expected(""), cut_only = expected(cut), at_once = expected(cut + restore(0)), spread = expected(cut + restore(0.25));
  BOOST_TEST_MESSAGE("expected cases 75+ by 06:00: no cut " << base << ", cut " << cut_only << ", back at 02:00 " << at_once
                                                              << ", back over 02:00-06:00 " << spread);
  BOOST_TEST(base < at_once);
  BOOST_TEST(at_once < spread);
  BOOST_TEST(spread < cut_only);
}

BOOST_AUTO_TEST_CASE(cases_go_to_the_event_stream_for_watch_over) {
  Simulation sim(test::small_city(3, kHot + "[heat.illness]\nhazard_per_million_h = [2000, 2000, 8000, 16000]\n", "2026-08-03T11:00"), 2);
  sim.step(60);
  const auto events = sim.events().read<HeatIllnessEvent>();
  const Table* table = sim.metrics().find_table("heat/case_events");
  BOOST_TEST(events.size() > 5u);
  BOOST_TEST(table->rows == events.size());
  const Residents& R = sim.residents();
  for (size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(std::get<int64_t>(table->at(i, 2)) == int64_t(events[i].resident));
    BOOST_TEST(std::get<int64_t>(table->at(i, 5)) == int64_t(R.age[events[i].resident]));
    BOOST_TEST(events[i].time == sim.clock().now());
    BOOST_TEST(events[i].wbgt_c >= 25.0f);  // no illness below the minimum
    if (events[i].at_home) BOOST_TEST(events[i].cell == R.home_cell[events[i].resident]);
  }
}

BOOST_AUTO_TEST_CASE(a_hot_tokyo_day_has_tfd_shares) {
  // all Tokyo at 1%, one 36 °C day: TFD 2023 shares are 51.9% aged 65+, 53.7% of them at home
  Simulation sim(io::parse_scenario("[run]\nseed = 5\nstart = \"2026-08-04T00:00\"\nduration_hours = 24\n[city]\npopulation_scale = 0.01\n"
                                    "[heat]\nenabled = true\n[heat.weather]\ntmax_c = [36]\ntmin_c = [27]\nrh_at_tmax_pct = 50\ncloud_cover = 0.1\n",
                                    "hot.toml", "."),
                 2);
  sim.run();
  const size_t last = sim.metrics().sample_times().size() - 1;
  double all = 0, old = 0, home = 0, old_home = 0;
  for (size_t g = 0; g < kHeatAgeGroups; ++g) {
    all += at(sim, "heat/expected_cases_total", last, g);
    home += at(sim, "heat/expected_cases_at_home_total", last, g);
    if (g >= 2) old += at(sim, "heat/expected_cases_total", last, g), old_home += at(sim, "heat/expected_cases_at_home_total", last, g);
  }
  BOOST_TEST_MESSAGE("cases " << all << " 65+ " << old / all << " at home " << home / all << " 65+ at home " << old_home / old);
  BOOST_TEST(all > 60.0);   // a hot day: about 120 transports in all Tokyo
  BOOST_TEST(all < 250.0);
  BOOST_TEST(old / all == 0.52, tt::tolerance(0.15));
  BOOST_TEST(old_home / old == 0.54, tt::tolerance(0.2));
}

BOOST_AUTO_TEST_CASE(same_results_on_1_2_and_4_threads) {
  // hazards raised a thousandfold so that a short run has many cases
  const Scenario sc = test::small_city(10, kHot + "[heat.illness]\nhazard_per_million_h = [500, 500, 2000, 4000]\n"
                                                  "[heat.shelters]\noutreach_share = 0.5\ncapacity_people = 200\n",
                                       "2026-08-03T07:00");
  BOOST_TEST(test::expect_thread_invariant(sc, {1, 2, 4}).rows.at("heat/case_events") > 20u);
}
