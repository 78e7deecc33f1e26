#define BOOST_TEST_MODULE determinism
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace citysim;

BOOST_AUTO_TEST_CASE(same_seed_same_results_on_1_2_and_4_threads) {
  const test::Published one = test::expect_thread_invariant(test::small_city(10, "", "2026-08-03T05:00"), {1, 2, 4});
  BOOST_TEST(one.values > 10000u);
}

BOOST_AUTO_TEST_CASE(a_different_seed_gives_different_results) {
  Simulation a(test::small_city(4, "", "2026-08-03T06:00"), 2);
  a.run();
  Scenario sc = test::small_city(4, "", "2026-08-03T06:00");
  sc.set("run.seed", int64_t(8));
  Simulation c(sc, 2);
  c.run();
  BOOST_TEST(a.metrics().find_series("residents/travelling")->history !=
             c.metrics().find_series("residents/travelling")->history);
}

BOOST_AUTO_TEST_CASE(an_event_scheduled_mid_run_equals_the_same_event_in_the_file) {
  // a power cut at 09:00 with the network on: in the scenario file, or scheduled at 08:00
  const std::string cut = "[[events]]\nkind = \"power_cut\"\nat = \"2026-08-03T09:00\"\nmunicipalities = [\"Chiyoda\"]\n";
  Simulation in_file(test::small_city(4, "[network]\nenabled = true\n" + cut, "2026-08-03T06:00"), 2);
  in_file.run();
  Simulation scheduled(test::small_city(4, "[network]\nenabled = true\n", "2026-08-03T06:00"), 2);
  scheduled.run(120);  // 08:00
  BOOST_TEST(scheduled.pending_events().empty());
  scheduled.schedule("power_cut", "2026-08-03T09:00", {{"municipalities", std::vector<std::string>{"Chiyoda"}}}, {"schedule", 0});
  BOOST_REQUIRE(scheduled.pending_events().size() == 1u);
  BOOST_TEST(scheduled.pending_events()[0].kind == "power_cut");
  scheduled.run();
  BOOST_TEST(scheduled.pending_events().empty());
  for (const char* path : {"network/sites_on_backup", "network/blocking", "residents/travelling"})
    BOOST_TEST(scheduled.metrics().find_series(path)->history == in_file.metrics().find_series(path)->history);
  // the past, after the run, an unknown kind or a bad value: refused, the timeline unchanged
  Simulation sim(test::small_city(4, "", "2026-08-03T06:00"), 1);
  sim.run(60);
  const auto refused = [&](const std::string& kind, const std::string& at, std::map<std::string, Value> values, const char* says) {
    try {
      sim.schedule(kind, at, std::move(values), {"schedule", 0});
    } catch (const ScenarioError& e) {
      BOOST_TEST_MESSAGE(e.what());
      return std::string(e.what()).find(says) != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(refused("set", "2026-08-03T06:30", {{"key", std::string("residents.go_out_prob_75plus")}, {"value", std::string("0.1")}},
                     "expected a time after the current simulation time"));
  BOOST_TEST(refused("set", "2026-08-03T11:00", {{"key", std::string("residents.go_out_prob_75plus")}, {"value", std::string("0.1")}},
                     "within the run"));
  BOOST_TEST(refused("meteor", "2026-08-03T08:00", {}, "unknown event kind \"meteor\""));
  BOOST_TEST(refused("set", "2026-08-03T08:00", {{"key", std::string("residents.go_out_prob_75plus")}, {"value", std::string("2")}},
                     "residents.go_out_prob_75plus"));
  BOOST_TEST(sim.pending_events().empty());
}
