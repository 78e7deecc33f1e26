#define BOOST_TEST_MODULE watch
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <map>

#include "citysim/city.hpp"
#include "citysim/residents.hpp"
#include "modules/watch.hpp"
#include "support.hpp"

using namespace citysim;
namespace tt = boost::test_tools;

namespace {

// anomalies often enough to measure in a few simulated days: every watched person
// (about 870 in the small city) has a long-lie fall every ~5 days, and nobody calls for
// help themselves, so detections come from the channels under test
const std::string kFrequentFalls =
    "fall_rate_per_year = [73.0, 73.0, 73.0]\nlong_lie_share = [1.0, 1.0, 1.0]\n"
    "illness_rate_per_year = [0.0, 0.0, 0.0]\nno_sign_rate_per_year = [0.0, 0.0, 0.0]\nself_call_share = 0.0\n";

Scenario watch_city(double hours, const std::string& watch_keys, const std::string& start = "2026-08-03T00:00") {
  return test::small_city(hours, "[watch]\nenabled = true\n" + watch_keys, start);
}

// a supporter table in the build folder (with the optional route columns when `routes`); returns its path
std::string write_csv(const std::string& name, const std::string& rows, bool routes = false) {
  const std::string path = std::string(CITYSIM_BINARY_DIR) + "/" + name;
  std::ofstream(path) << "kind,partners,visits_per_week,visit_start_h,visit_end_h,coverage_share,notice_prob,app_adoption,reach"
                      << (routes ? ",area,schedule\n" : "\n") << rows;
  return path;
}
std::string table_keys(const std::string& csv) {
  return "supporters_file = \"" + csv + "\"\nfamily_contact_share = 0.0\ntrained_share = 0.0\n";
}

const Table& anomalies(const Simulation& sim) {
  const Table* t = sim.metrics().find_table("watch/anomalies");
  BOOST_REQUIRE(t);
  return *t;
}
size_t col(const Table& t, const std::string& name) {
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].name == name) return i;
  BOOST_FAIL("no column " + name);
  return 0;
}
double num(const Table& t, size_t row, const std::string& name) { return std::get<double>(t.at(row, col(t, name))); }
std::string text(const Table& t, size_t row, const std::string& name) { return std::get<std::string>(t.at(row, col(t, name))); }
double last(const Simulation& sim, const std::string& path, size_t column = 0) {
  const Series* s = sim.metrics().find_series(path);
  BOOST_REQUIRE(s);
  return s->history[s->history.size() - s->width() + column];
}

// the city and population of a scenario, with couplings the test controls (no residents
// module, so nobody goes out: shop staff never miss anyone)
struct Town {
  Scenario scenario;
  Grid grid;
  Residents residents;
  Clock clock;
  EventBus events;
  Metrics metrics;
  Couplings couplings;

  explicit Town(const Scenario& sc) : scenario(sc) {
    const CityParams city = CityParams::from(sc);
    const uint64_t seed = uint64_t(sc.get_int("run.seed"));
    grid = build_city(city, seed);
    residents = synthesize_residents(grid, ResidentsParams::from(sc), city.population_scale, seed);
    clock = Clock{sc.get_time("run.start"), 1, 0};
    metrics = Metrics(grid.size());
  }
  World world() { return World{grid, clock, residents, events, metrics, couplings, uint64_t(scenario.get_int("run.seed"))}; }
};

// the model's functions on their own state, so a test reads every anomaly (open ones too)
struct Model : Town {
  WatchParams params;
  WatchState state;
  explicit Model(const Scenario& sc) : Town(sc), params(WatchParams::from(sc)) {
    World w = world();
    init_watch(params, state, w);
  }
  void run_minutes(int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      events.rotate();
      ++clock.tick;
      World w = world();
      step_watch(params, state, w);
    }
  }
  size_t cells() const { return grid.size(); }
  float density(size_t kind, uint32_t cell) const { return state.route_density[kind * cells() + cell]; }
};

// the module on its own
struct Harness : Town {
  std::unique_ptr<Module> module;
  size_t sessions = 0;  // PrioritySessionEvents emitted

  explicit Harness(const Scenario& sc) : Town(sc), module(make_watch_module(sc, grid)) {
    World w = world();
    module->init(w);
  }
  void run_minutes(int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      events.rotate();
      sessions += events.previous_tick<PrioritySessionEvent>().size();
      ++clock.tick;
      World w = world();
      module->step(w);
    }
    World w = world();
    module->publish(w);
  }
  const Table& table() const { return *metrics.find_table("watch/anomalies"); }
  double current(const std::string& path, size_t column = 0) const { return metrics.find_series(path)->current[column]; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(severity_curve_matches_gurley_1996) {
  const WatchParams p;
  // people found helpless at home: 12% died when found within 1 h, 67% after 72 h
  BOOST_TEST(severe_probability(p, AnomalyKind::Fall, 1) == 0.12, tt::tolerance(0.01));
  BOOST_TEST(severe_probability(p, AnomalyKind::Fall, 72) == 0.67, tt::tolerance(0.01));
  BOOST_TEST(severe_probability(p, AnomalyKind::Fall, 0) == p.severe_base[0], tt::tolerance(1e-12));
  BOOST_TEST(severe_probability(p, AnomalyKind::Illness, 6) < severe_probability(p, AnomalyKind::Illness, 12));
  // heat illness: the heat module's severity scales the starting point
  BOOST_TEST(severe_probability(p, AnomalyKind::Heat, 0, 3) == 3 * p.severe_base[2], tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(the_desk_answers_in_office_hours_unless_it_runs_24h) {
  WatchParams p;  // weekdays 08:30-17:15
  const auto at = [](const char* s) { return *parse_datetime(s); };
  BOOST_TEST(desk_opens(p, at("2026-08-03T10:00")) == at("2026-08-03T10:00"));  // Monday morning
  BOOST_TEST(desk_opens(p, at("2026-08-03T07:00")) == at("2026-08-03T08:30"));
  BOOST_TEST(desk_opens(p, at("2026-08-03T22:00")) == at("2026-08-04T08:30"));  // night waits
  BOOST_TEST(desk_opens(p, at("2026-08-07T17:15")) == at("2026-08-10T08:30"));  // Friday close -> Monday
  BOOST_TEST(desk_opens(p, at("2026-08-08T10:00")) == at("2026-08-10T08:30"));  // Saturday
  p.desk_24h = true;
  BOOST_TEST(desk_opens(p, at("2026-08-08T03:00")) == at("2026-08-08T03:00"));
}

BOOST_AUTO_TEST_CASE(onset_rates_reproduce_the_configured_rates) {
  const WatchParams p;
  // published anchors of the defaults: WHO 28-35% of over-65s fall a year; 47% of fallers
  // cannot get up unaided (Tinetti 1993)
  BOOST_TEST(p.fall_rate_per_year[0] == 0.28);
  BOOST_TEST(p.long_lie_share[1] == 0.47);
  const Rng rng(11, Stream::Test);
  const uint32_t people = 20000, days = 100;  // 5,476 person-years per band
  for (int band = 0; band < kAgeBands; ++band) {
    const int age = 70 + 10 * band;
    std::array<double, kAnomalyKinds> count{};
    double second_sum = 0, n = 0;
    for (uint32_t r = 0; r < people; ++r)
      for (int64_t day = 20000; day < 20000 + days; ++day)
        if (const auto o = draw_onset(p, rng, r, age, day)) {
          ++count[size_t(o->kind)];
          second_sum += double(o->time - day * 86400);
          ++n;
        }
    const double years = double(people) * days / 365.25;
    for (int k = 0; k < kAnomalyKinds; ++k) {
      const double expected = p.rate_per_year(AnomalyKind(k), band) * years;
      BOOST_TEST_CONTEXT("band " << band << " kind " << anomaly_kind_name(AnomalyKind(k))) {
        BOOST_TEST(std::abs(count[size_t(k)] - expected) <= 4 * std::sqrt(expected) + 1e-9);
      }
    }
    BOOST_TEST(second_sum / n == 43200.0, tt::tolerance(0.06));  // uniform over the day
  }
}

BOOST_AUTO_TEST_CASE(without_supporters_detection_falls_to_the_family_contact_baseline) {
  // family calls at any hour, 4 a day, each noticing: a Poisson process, mean wait 6 h
  Simulation sim(watch_city(96, kFrequentFalls +
                                    "supporters_enabled = false\nfamily_contact_share = 1.0\n"
                                    "family_contact_interval_days = 0.25\nfamily_notice_prob = 1.0\n"
                                    "family_contact_start_h = 0.0\nfamily_contact_end_h = 24.0\n"),
                 2);
  sim.run();
  const Table& t = anomalies(sim);
  const LocalSeconds start = sim.run_params().start;
  double sum = 0, n = 0;
  for (size_t r = 0; r < t.rows; ++r) {
    BOOST_TEST(text(t, r, "detected_by") == "family");
    if (*parse_datetime(text(t, r, "onset")) - start < 72 * 3600) {  // onsets early enough to be found
      sum += num(t, r, "detection_h");
      ++n;
    }
  }
  BOOST_TEST_REQUIRE(n > 200);
  BOOST_TEST(sum / n == 6.0, tt::tolerance(4 / std::sqrt(n)));  // 4 standard errors
}

BOOST_AUTO_TEST_CASE(a_daily_visitor_who_always_notices_finds_every_anomaly_within_a_day) {
  const std::string csv = write_csv("test_watch_daily.csv", "daily_visit,1,7,9,9.0001,1.0,1.0,0.0,all\n");
  Simulation sim(watch_city(72, kFrequentFalls + "supporters_file = \"" + csv +
                                    "\"\nfamily_contact_share = 0.0\nsensor_share = 0.0\n"),
                 2);
  sim.run();
  const Table& t = anomalies(sim);
  BOOST_TEST_REQUIRE(t.rows > 100);
  for (size_t r = 0; r < t.rows; ++r) {
    BOOST_TEST(text(t, r, "detected_by") == "daily_visit");
    BOOST_TEST(num(t, r, "detection_h") < 24.0);
    BOOST_TEST(text(t, r, "reported_via") == "phone");  // nobody uses the app
  }
  BOOST_TEST(last(sim, "watch/undetected_24h") == 0.0);
  BOOST_TEST(last(sim, "watch/detections_by_channel", 0) > 0.0);
}

BOOST_AUTO_TEST_CASE(supporters_shorten_detection_against_the_baseline) {
  const auto run = [](const std::string& keys) {
    Simulation sim(watch_city(72, kFrequentFalls + keys), 2);
    sim.run();
    return std::tuple{last(sim, "watch/detection_delay_h", 0), last(sim, "watch/undetected_24h"),
                      last(sim, "watch/severe_expected")};
  };
  const auto [with_mean, with_24h, with_severe] = run("");
  const auto [without_mean, without_24h, without_severe] = run("supporters_enabled = false\n");
  BOOST_TEST(with_mean < without_mean);
  BOOST_TEST(with_24h < without_24h);
  BOOST_TEST(with_severe < without_severe);
}

BOOST_AUTO_TEST_CASE(an_outage_delays_app_reports_and_phone_fallback_works) {
  const std::string csv = write_csv("test_watch_app.csv", "daily_visit,1,7,0,24,1.0,1.0,1.0,all\n");
  const Scenario sc = watch_city(1, kFrequentFalls + "supporters_file = \"" + csv +
                                        "\"\nfamily_contact_share = 0.0\ndesk_24h = true\n");
  // network module off: every app report goes through at once
  Harness on(sc);
  on.run_minutes(36 * 60);
  BOOST_TEST_REQUIRE(on.table().rows > 50);
  for (size_t r = 0; r < on.table().rows; ++r) {
    BOOST_TEST(text(on.table(), r, "reported_via") == "app");
    BOOST_TEST(num(on.table(), r, "report_h") - num(on.table(), r, "detection_h") == 3.0 / 60, tt::tolerance(1e-9));
  }
  BOOST_TEST(on.current("watch/reports_delayed_network") == 0.0);
  // a total outage: the app retries for an hour, then the supporter phones (20 min)
  Harness off(sc);
  off.couplings.network_ok = [](uint32_t) { return 0.0f; };
  off.run_minutes(36 * 60);
  BOOST_TEST_REQUIRE(off.table().rows > 50);
  for (size_t r = 0; r < off.table().rows; ++r) {
    BOOST_TEST(text(off.table(), r, "reported_via") == "phone");
    BOOST_TEST(std::get<int64_t>(off.table().at(r, col(off.table(), "network_delayed"))) == 1);
    BOOST_TEST(num(off.table(), r, "report_h") - num(off.table(), r, "detection_h") == (3.0 + 60 + 20) / 60,
               tt::tolerance(1e-9));
  }
  BOOST_TEST(off.current("watch/reports_delayed_network") > 0.0);
  // every report and call asked the network for a priority session
  BOOST_TEST(on.sessions >= on.table().rows);
  BOOST_TEST(off.sessions >= off.table().rows);
}

BOOST_AUTO_TEST_CASE(night_reports_wait_for_the_desk_unless_it_runs_24h) {
  const std::string csv = write_csv("test_watch_night.csv", "night_round,1,7,0,24,1.0,1.0,0.0,all\n");
  for (const bool desk_24h : {false, true}) {
    const Scenario sc = watch_city(96, kFrequentFalls + "supporters_file = \"" + csv +
                                           "\"\nfamily_contact_share = 0.0\ndesk_24h = " +
                                           (desk_24h ? "true" : "false") + "\n",
                                   "2026-08-07T00:00");  // Friday to Tuesday
    Simulation sim(sc, 2);
    sim.run();
    const WatchParams p = WatchParams::from(sc);
    const Table& t = anomalies(sim);
    BOOST_TEST_REQUIRE(t.rows > 50);
    size_t waited = 0;
    for (size_t r = 0; r < t.rows; ++r) {
      const LocalSeconds onset = *parse_datetime(text(t, r, "onset"));
      const LocalSeconds reported = onset + std::llround(num(t, r, "report_h") * 3600);
      const LocalSeconds responded = onset + std::llround(num(t, r, "response_h") * 3600);
      BOOST_TEST(responded == desk_opens(p, reported) + 60 * 60);  // handle 30 + travel 30 min
      if (responded - reported > 2 * 3600) ++waited;
    }
    BOOST_TEST((waited > 0) == !desk_24h);
  }
}

BOOST_AUTO_TEST_CASE(heat_illness_at_home_of_a_watched_person_is_an_anomaly) {
  Harness h(watch_city(1, ""));
  const Residents& R = h.residents;
  int64_t watched = -1, other = -1;
  for (size_t i = 0; i < R.count && (watched < 0 || other < 0); ++i)
    (R.age[i] >= 65 && R.has(i, LivesAlone) ? watched : other) = int64_t(i);
  BOOST_TEST_REQUIRE(watched >= 0);
  const LocalSeconds t = h.clock.now();
  const auto ev = [&](int64_t r, bool home) { return HeatIllnessEvent{uint32_t(r), R.home_cell[size_t(r)], t, 31.0f, 2, home}; };
  h.events.emit(ev(other, true));     // not watched: no anomaly
  h.events.emit(ev(watched, false));  // ill outside: others are around
  h.events.emit(ev(watched, true));
  h.run_minutes(2);
  BOOST_TEST(h.current("watch/anomalies_by_kind", size_t(AnomalyKind::Heat)) == R.weight);
  BOOST_TEST(h.current("watch/undetected_now") >= R.weight);
}

BOOST_AUTO_TEST_CASE(results_are_identical_on_1_2_and_4_threads) {
  std::vector<std::vector<double>> runs;
  for (const int threads : {1, 2, 4}) {
    Simulation sim(watch_city(30, kFrequentFalls + "sensor_share = 0.1\n"), threads);
    sim.run();
    std::vector<double> all;
    for (const Series& s : sim.metrics().series())
      if (s.info.path.rfind("watch/", 0) == 0) all.insert(all.end(), s.history.begin(), s.history.end());
    for (const Field& f : sim.metrics().fields())  // NaN (no value) compared as a number of its own
      if (f.info.path.rfind("watch/", 0) == 0)
        for (float x : f.values) all.push_back(std::isnan(x) ? -1.0 : double(x));
    const Table& t = anomalies(sim);
    for (size_t r = 0; r < t.rows; ++r) all.push_back(num(t, r, "response_h"));
    runs.push_back(all);
  }
  BOOST_TEST(runs[0].size() > 100u);
  BOOST_TEST(runs[0] == runs[1], tt::per_element());
  BOOST_TEST(runs[0] == runs[2], tt::per_element());
}

BOOST_AUTO_TEST_CASE(invalid_supporter_tables_are_rejected_with_file_and_line) {
  const auto error_of = [](const std::string& name, const std::string& rows) -> std::string {
    const std::string path = write_csv(name, rows);
    try {
      WatchParams::from(watch_city(1, "supporters_file = \"" + path + "\"\n"));
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string ok = "newspaper,12,7,4,6,0.6,0.35,0.1,all\n";
  std::string e = error_of("test_watch_bad1.csv", ok + "delivery,18,2,9,19,0.35,1.5,0.1,all\n");
  BOOST_TEST(e.find("test_watch_bad1.csv:3") != std::string::npos, e);
  BOOST_TEST(e.find("notice_prob") != std::string::npos, e);
  e = error_of("test_watch_bad2.csv", ok + "delivery,18,2,9,19,0.35,0.6,0.1,everyone\n");
  BOOST_TEST(e.find("test_watch_bad2.csv:3") != std::string::npos, e);
  BOOST_TEST(e.find("all, registered or own_outing") != std::string::npos, e);
  e = error_of("test_watch_bad3.csv", ok + ok);
  BOOST_TEST(e.find("test_watch_bad3.csv:3") != std::string::npos, e);
  BOOST_TEST(e.find("listed twice") != std::string::npos, e);
  e = error_of("test_watch_bad4.csv", "postal,1,5,17,9,0.9,0.1,0.1,all\n");
  BOOST_TEST(e.find("test_watch_bad4.csv:2") != std::string::npos, e);
  BOOST_TEST(e.find("visit_end_h after visit_start_h") != std::string::npos, e);
  e = error_of("test_watch_bad5.csv", "postal,1,five,9,17,0.9,0.1,0.1,all\n");
  BOOST_TEST(e.find("test_watch_bad5.csv:2") != std::string::npos, e);
  const auto routes_error_of = [](const std::string& name, const std::string& rows) -> std::string {
    try {
      WatchParams::from(watch_city(1, "supporters_file = \"" + write_csv(name, rows, true) + "\"\n"));
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  };
  e = routes_error_of("test_watch_bad6.csv", "newspaper,12,7,4,6,0.6,0.35,0.1,all,homes,random\npostal,1,5,9,17,0.9,0.1,0.1,all,roads,random\n");
  BOOST_TEST(e.find("test_watch_bad6.csv:3") != std::string::npos, e);
  BOOST_TEST(e.find("area homes or land_use") != std::string::npos, e);
  e = routes_error_of("test_watch_bad7.csv", "shop,17,7,0,24,0.3,0.25,0.1,own_outing,homes,cycle\n");
  BOOST_TEST(e.find("test_watch_bad7.csv:2") != std::string::npos, e);
  BOOST_TEST(e.find("cycle schedule") != std::string::npos, e);
  // the bundled table: 62 partners
  const WatchParams p = WatchParams::from(watch_city(1, ""));
  int partners = 0;
  for (const auto& k : p.supporters) partners += k.partners;
  BOOST_TEST(partners == 62);
}

BOOST_AUTO_TEST_CASE(scenario_lists_must_have_one_value_per_band) {
  try {
    WatchParams::from(watch_city(1, "fall_rate_per_year = [0.3, 0.4]\n"));
    BOOST_FAIL("expected an error");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("small.toml") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("expected 3 values") != std::string::npos, e.what());
  }
}


BOOST_AUTO_TEST_CASE(an_app_campaign_on_the_timeline_moves_reports_to_the_app) {
  const std::string csv = write_csv("test_watch_campaign.csv", "daily_visit,1,7,0,24,1.0,1.0,0.0,all\n");
  Simulation sim(watch_city(48, kFrequentFalls + "supporters_file = \"" + csv +
                                    "\"\nfamily_contact_share = 0.0\ndesk_24h = true\n"
                                    "[[events]]\nkind = \"set\"\nat = \"2026-08-04T00:00\"\n"
                                    "key = \"watch.app_adoption\"\nvalue = \"1.0\"\n"),
                 2);
  sim.run();
  const Table& t = anomalies(sim);
  const LocalSeconds campaign = *parse_datetime("2026-08-04T00:00");
  size_t before = 0, after = 0;
  for (size_t r = 0; r < t.rows; ++r) {
    const LocalSeconds detected = *parse_datetime(text(t, r, "onset")) + std::llround(num(t, r, "detection_h") * 3600);
    const bool app = text(t, r, "reported_via") == "app";
    BOOST_TEST(app == (detected >= campaign));
    ++(detected >= campaign ? after : before);
  }
  BOOST_TEST(before > 20u);
  BOOST_TEST(after > 20u);
}

BOOST_AUTO_TEST_CASE(people_who_call_for_help_themselves_get_an_ambulance) {
  // every smartphone owner calls 119 15 minutes after the fall; the ambulance takes 10.3 min
  Simulation sim(watch_city(24, "fall_rate_per_year = [73.0, 73.0, 73.0]\nlong_lie_share = [1.0, 1.0, 1.0]\n"
                                "self_call_share = 1.0\nsupporters_enabled = false\nfamily_contact_share = 0.0\n"),
                 2);
  sim.run();
  const Table& t = anomalies(sim);
  BOOST_TEST_REQUIRE(t.rows > 20);
  for (size_t r = 0; r < t.rows; ++r) {
    if (text(t, r, "kind") != "fall") continue;
    BOOST_TEST(text(t, r, "detected_by") == "self");
    BOOST_TEST(text(t, r, "reported_via") == "emergency_call");
    BOOST_TEST(num(t, r, "detection_h") == 0.25, tt::tolerance(1e-9));
    BOOST_TEST(num(t, r, "response_h") == 0.25 + 10.3 / 60, tt::tolerance(1e-3));
  }
  // people without a smartphone are still lying undetected
  BOOST_TEST(last(sim, "watch/undetected_now") > 0.0);
}

BOOST_AUTO_TEST_CASE(breakdowns_add_up_to_their_totals) {
  Simulation sim(watch_city(36, kFrequentFalls + "sensor_share = 0.2\n"), 2);
  sim.run();
  const auto sum = [&](const std::string& path) {
    const Series* s = sim.metrics().find_series(path);
    double x = 0;
    for (size_t c = 0; c < s->width(); ++c) x += last(sim, path, c);
    return x;
  };
  BOOST_TEST(sum("watch/anomalies_by_municipality") == sum("watch/anomalies_by_kind"));
  BOOST_TEST(sum("watch/watched_by_municipality") == last(sim, "watch/watched"));
  BOOST_TEST(sum("watch/undetected_24h_by_municipality") == last(sim, "watch/undetected_24h"));
  const Field* field = sim.metrics().find_field("watch/undetected");
  double undetected = 0;
  for (float x : field->values) undetected += x;
  BOOST_TEST(undetected == last(sim, "watch/undetected_now"), tt::tolerance(1e-6));
  BOOST_TEST(sum("watch/detections_by_municipality") == sum("watch/detections_by_channel"));
  // the noticing-time map holds each municipality's mean on its cells
  const Field* detection_h = sim.metrics().find_field("watch/mean_detection_h");
  const Grid& g = sim.grid();
  size_t painted = 0;
  for (size_t c = 0; c < g.size(); ++c) {
    const int mi = g.municipality_index[c];
    if (mi < 0) {
      BOOST_TEST(std::isnan(detection_h->values[c]));
      continue;
    }
    BOOST_TEST(detection_h->values[c] == last(sim, "watch/mean_detection_h_by_municipality", size_t(mi)), tt::tolerance(1e-6));
    ++painted;
  }
  BOOST_TEST(painted > 20u);
  // the share on each kind's rounds is the table's coverage share
  const std::vector<double> coverage{0.6, 0.35, 0.9, 0.9, 0.3, 1.0};
  for (size_t k = 0; k < coverage.size(); ++k)
    BOOST_TEST(last(sim, "watch/route_coverage_by_kind", k) == coverage[k], tt::tolerance(1e-6));
  BOOST_TEST(last(sim, "watch/detections_by_channel", 6 + 1) > 0.0);  // the bundled table's 6 kinds, then family, sensor
  // every answered anomaly was detected first, and the table holds one row per answer
  BOOST_TEST(sum("watch/detections_by_channel") >= double(anomalies(sim).rows) * sim.residents().weight);
  BOOST_TEST(last(sim, "watch/watched") / sim.residents().weight > 500.0);
}

namespace {
constexpr int64_t kDayS = kSecondsPerDay;
// local day number (hour_of_day comes from clock.hpp)
int64_t day_number(LocalSeconds t) { return midnight_of(t) / kDayS; }
}  // namespace

BOOST_AUTO_TEST_CASE(noticing_rises_with_route_density_along_the_analytic_curve) {
  // one kind at one density everywhere, visiting a home on its round on 3 days in 7 at the
  // home's fixed place on the round, each visit noticing with probability 0.5: a home on
  // the round stays unnoticed n days with (1 - f p)^n = exp(-lambda n), lambda = -ln(1 - f p)
  // a day, so P(noticed within n days) = density x (1 - exp(-lambda n))
  const double f = 3.0 / 7, notice = 0.5, lambda = -std::log(1 - f * notice);
  std::vector<double> within_1d;
  for (const double density : {0.25, 0.5, 1.0}) {
    const std::string csv = write_csv("test_watch_density.csv",
                                      "round,1,3,8,18," + std::to_string(density) + ",0.5,0.0,all,homes,random\n", true);
    Model m(watch_city(1, kFrequentFalls + table_keys(csv)));
    for (size_t c = 0; c < m.cells(); ++c)
      if (m.grid.population[c] > 0) BOOST_TEST_REQUIRE(m.density(0, uint32_t(c)) == float(density));
    m.run_minutes(6 * 24 * 60);
    const LocalSeconds start = m.clock.start;
    double n = 0, found_1d = 0, found_2d = 0;
    for (const Anomaly& a : m.state.anomalies) {
      if (a.onset >= start + 4 * kDayS) continue;  // followed for 2 days at least
      ++n;
      if (a.detected < 0) continue;
      BOOST_TEST(a.channel == 0);
      found_1d += a.detected - a.onset < kDayS;
      found_2d += a.detected - a.onset < 2 * kDayS;
    }
    BOOST_TEST_REQUIRE(n > 400);
    for (const auto& [days, found] : {std::pair{1.0, found_1d}, std::pair{2.0, found_2d}}) {
      const double expected = density * (1 - std::exp(-lambda * days));
      BOOST_TEST_MESSAGE("density " << density << ", " << days << " days: noticed " << found / n << ", analytic "
                                    << expected << ", " << n << " anomalies");
      BOOST_TEST_CONTEXT("density " << density << ", " << days << " days, " << n << " anomalies") {
        BOOST_TEST(std::abs(found / n - expected) <= 3 * std::sqrt(expected * (1 - expected) / n));  // 3 binomial SE
      }
    }
    within_1d.push_back(found_1d / n);
    // the intensity map: density x visits a day x notice probability in every cell with homes
    Harness h(watch_city(1, kFrequentFalls + table_keys(csv)));
    h.run_minutes(1);
    const Field* rate = h.metrics.find_field("watch/supporter_notice_per_day");
    for (size_t c = 0; c < h.grid.size(); ++c)
      if (h.grid.population[c] > 0) BOOST_TEST(rate->values[c] == density * f * notice, tt::tolerance(1e-6));
      else BOOST_TEST(std::isnan(rate->values[c]));
  }
  BOOST_TEST(within_1d[0] < within_1d[1]);
  BOOST_TEST(within_1d[1] < within_1d[2]);
}

BOOST_AUTO_TEST_CASE(a_cell_without_a_round_gets_no_noticing_by_that_kind) {
  // rounds only in residential cells, noticing at every visit, nobody else watching
  const std::string csv = write_csv("test_watch_no_route.csv", "round,1,7,0,24,0.5,1.0,0.0,all,land_use,random\n", true);
  Model m(watch_city(1, kFrequentFalls + table_keys(csv) + "route_land_use_weight = [1.0, 0, 0, 0, 0, 0, 0]\n"));
  const auto residential = [&](uint32_t c) { return m.grid.land_use[c] == uint8_t(LandUse::Residential); };
  double watched = 0, on_rounds = 0;
  std::vector<float> per_cell(m.cells(), 0.0f);
  for (uint32_t r : m.state.watched) ++per_cell[m.residents.home_cell[r]];
  for (uint32_t c = 0; c < m.cells(); ++c) {
    if (!residential(c)) BOOST_TEST(m.density(0, c) == 0.0f);
    watched += per_cell[c];
    on_rounds += per_cell[c] * m.density(0, c);
  }
  BOOST_TEST(on_rounds / watched == 0.5, tt::tolerance(1e-6));  // the coverage share kept, on fewer cells
  m.run_minutes(3 * 24 * 60);
  size_t off_route = 0, found_on_route = 0;
  for (const Anomaly& a : m.state.anomalies) {
    if (residential(a.cell)) found_on_route += a.channel == 0;
    else {
      ++off_route;
      BOOST_TEST(a.detected == -1);
    }
  }
  BOOST_TEST_MESSAGE(off_route << " anomalies off the rounds, " << found_on_route << " found on them");
  BOOST_TEST_REQUIRE(off_route > 20u);
  BOOST_TEST(found_on_route > 20u);
}

BOOST_AUTO_TEST_CASE(delivery_rounds_follow_land_use_and_population_density) {
  Model m(watch_city(1, ""));
  const WatchParams& p = m.params;
  BOOST_TEST_REQUIRE(p.supporters[1].name == "delivery");
  BOOST_TEST_REQUIRE(int(p.supporters[1].area) == int(RouteArea::LandUse));
  std::vector<float> per_cell(m.cells(), 0.0f);
  for (uint32_t r : m.state.watched) ++per_cell[m.residents.home_cell[r]];
  double watched = 0, on_rounds = 0, scale = -1;
  size_t compared = 0;
  for (uint32_t c = 0; c < m.cells(); ++c) {
    watched += per_cell[c];
    on_rounds += per_cell[c] * m.density(1, c);
    if (m.grid.population[c] <= 0 || m.density(1, c) >= 1) continue;
    // density = scale x land-use weight x d / (d + 1000 per km2), one scale for every cell
    const double d = m.grid.population[c] / m.grid.cell_area_km2(c);
    const double weight = p.route_land_use_weight[m.grid.land_use[c] - 1u] * d / (d + p.route_half_density_per_km2);
    if (scale < 0) scale = m.density(1, c) / weight;
    BOOST_TEST(m.density(1, c) / weight == scale, tt::tolerance(1e-5));
    ++compared;
  }
  BOOST_TEST_MESSAGE(compared << " delivery cells below the cap, scale " << scale);
  BOOST_TEST(compared > 10u);
  BOOST_TEST(on_rounds / watched == 0.35, tt::tolerance(1e-6));  // the table's coverage share
  // weights over many decades (a cell with a trace of population beside dense ones) still
  // give the coverage share: 1e-34 x 0.5 + 100 d1 + 100 d2 = 0.35 x 201
  Grid g;
  g.rows = 1, g.cols = 3;
  g.population = {1e-30f, 5000, 20000};
  g.land_use.assign(3, uint8_t(LandUse::Residential));
  g.lat.assign(3, 35.7);
  const std::vector<float> few{1, 100, 100};
  const std::vector<float> d = route_densities(p, g, few);
  BOOST_TEST((d[1 * 3 + 0] * few[0] + d[1 * 3 + 1] * few[1] + d[1 * 3 + 2] * few[2]) / 201 == 0.35, tt::tolerance(1e-6));
  BOOST_TEST(d[1 * 3 + 0] < 1e-20f);
  BOOST_TEST(d[1 * 3 + 1] < d[1 * 3 + 2]);
  // every other kind covers every cell with homes at its coverage share
  for (uint32_t c = 0; c < m.cells(); ++c)
    if (m.grid.population[c] > 0) {
      BOOST_TEST(m.density(0, c) == 0.6f);  // newspaper
      BOOST_TEST(m.density(2, c) == 0.9f);  // meter readers
    }
}

BOOST_AUTO_TEST_CASE(meter_readers_visit_every_home_cell_once_a_cycle) {
  // once in every cycle, at any place on it, whole or fractional cycles
  for (const double phase : {0.0, 0.1, 0.5, 0.999})
    for (int64_t first = 20000; first < 20060; ++first) {
      int visits = 0;
      for (int64_t d = first; d < first + 30; ++d) visits += cycle_visit(phase, 30, d);
      BOOST_TEST(visits == 1);
    }
  // the bundled meter readers: 0.23 visits a week, a cycle of 30.4 days; every cell with homes
  // is read on days 30 or 31 apart, and each municipality's cells spread evenly over the cycle
  Model m(watch_city(1, ""));
  BOOST_TEST_REQUIRE(m.params.supporters[2].name == "utility");
  BOOST_TEST_REQUIRE(int(m.params.supporters[2].schedule) == int(RouteSchedule::Cycle));
  const double cycle = 7 / m.params.supporters[2].visits_per_week;
  BOOST_TEST(cycle == 30.43, tt::tolerance(0.001));
  const int64_t day0 = day_number(m.clock.start);
  std::map<std::pair<int, int64_t>, int> read;  // (municipality, day) -> cells read
  std::map<int, int> cells;
  for (uint32_t c = 0; c < m.cells(); ++c) {
    if (m.grid.population[c] <= 0) continue;
    ++cells[m.grid.municipality_index[c]];
    std::vector<int64_t> days;
    for (int64_t d = day0; d < day0 + 100; ++d)
      if (cycle_visit(m.state.cycle_phase[2 * m.cells() + c], cycle, d)) days.push_back(d), ++read[{m.grid.municipality_index[c], d}];
    BOOST_TEST_REQUIRE(days.size() >= 3u);
    BOOST_TEST(days[0] - day0 <= 30);
    for (size_t i = 1; i < days.size(); ++i) BOOST_TEST((days[i] - days[i - 1] == 30 || days[i] - days[i - 1] == 31));
  }
  for (const auto& [key, n] : read) BOOST_TEST(n <= int(std::ceil(cells[key.first] / cycle)) + 1);
}

BOOST_AUTO_TEST_CASE(a_cycle_round_finds_every_anomaly_within_its_cycle) {
  // a weekly round of every home that always notices: each anomaly is found on its cell's
  // next reading day, at most 7 days on, 3.5 days on average
  const std::string csv = write_csv("test_watch_cycle.csv", "reader,1,1,9,17,1.0,1.0,0.0,all,homes,cycle\n", true);
  Model m(watch_city(1, kFrequentFalls + table_keys(csv)));
  m.run_minutes(9 * 24 * 60);
  double sum_days = 0, count = 0;
  for (const Anomaly& a : m.state.anomalies) {
    if (a.onset >= m.clock.start + kDayS) continue;  // begun on the first day: followed a whole cycle
    BOOST_TEST_REQUIRE(a.detected >= 0);
    BOOST_TEST(a.channel == 0);
    BOOST_TEST(cycle_visit(m.state.cycle_phase[a.cell], 7, day_number(a.detected)));
    BOOST_TEST(hour_of_day(a.detected) >= 9.0);
    BOOST_TEST(hour_of_day(a.detected) < 17.0);
    // no reading day of the cell between the onset and the detection
    for (int64_t d = day_number(a.onset) + 1; d < day_number(a.detected); ++d) BOOST_TEST(!cycle_visit(m.state.cycle_phase[a.cell], 7, d));
    BOOST_TEST(a.detected - a.onset <= 7 * kDayS);
    sum_days += double(a.detected - a.onset) / kDayS;
    ++count;
  }
  BOOST_TEST_REQUIRE(count > 100);
  BOOST_TEST_MESSAGE("weekly round: mean " << sum_days / count << " days to notice, " << count << " anomalies");
  BOOST_TEST(sum_days / count == 3.5, tt::tolerance(4 * 7 / std::sqrt(12.0) / std::sqrt(count) / 3.5));  // 4 SE
}

BOOST_AUTO_TEST_CASE(newspaper_rounds_notice_only_in_the_morning) {
  // the bundled table: papers go out 04:00-06:00; each cell's round and each home's place in it fixed
  Model m(watch_city(1, kFrequentFalls + "family_contact_share = 0.0\n"));
  BOOST_TEST_REQUIRE(m.params.supporters[0].name == "newspaper");
  m.run_minutes(4 * 24 * 60);
  size_t by_paper = 0, others_at_dawn = 0;
  for (const Anomaly& a : m.state.anomalies) {
    if (a.detected < 0) continue;
    if (a.channel == 0) {
      ++by_paper;
      BOOST_TEST(hour_of_day(a.detected) >= 4.0);
      BOOST_TEST(hour_of_day(a.detected) < 6.0);
    } else {
      others_at_dawn += hour_of_day(a.detected) < 6.0;
    }
  }
  BOOST_TEST_MESSAGE(by_paper << " noticed by newspaper rounds");
  BOOST_TEST(by_paper > 50u);
  BOOST_TEST(others_at_dawn == 0u);  // the day's other rounds (deliveries, post, meters, welfare) start at 09:00 or later
}

BOOST_AUTO_TEST_CASE(more_partners_on_the_timeline_put_more_homes_on_the_rounds) {
  Simulation sim(watch_city(30, "[[events]]\nkind = \"set\"\nat = \"2026-08-04T00:00\"\nkey = \"watch.coverage_scale\"\n"
                                "value = \"1.5\"\n"),
                 2);
  sim.run();
  const Series* s = sim.metrics().find_series("watch/route_coverage_by_kind");
  const size_t width = s->width(), first = 0, final = s->history.size() - width;
  BOOST_TEST(s->history[first + 0] == 0.6, tt::tolerance(1e-6));   // newspaper
  BOOST_TEST(s->history[first + 1] == 0.35, tt::tolerance(1e-6));  // delivery
  BOOST_TEST(s->history[final + 0] == 0.9, tt::tolerance(1e-6));
  BOOST_TEST(s->history[final + 1] == 0.525, tt::tolerance(1e-6));
  BOOST_TEST(s->history[final + 2] == 1.0, tt::tolerance(1e-6));  // 0.9 x 1.5, capped
}
