// The state of a run: the archive that saves and loads it, fork(), and checks made on the way.
#define BOOST_TEST_MODULE state
#include <boost/test/unit_test.hpp>

#include <deque>
#include <queue>

#include "citysim/archive.hpp"
#include "support.hpp"

using namespace citysim;

namespace {
struct Inner {
  std::vector<int> xs;
  std::string name;
};
void archive(StateArchive& ar, Inner& s) { ar(s.xs, s.name); }
struct Outer {
  int64_t a = 0;
  std::vector<Inner> inner;
  std::deque<std::pair<double, uint16_t>> queue;
  std::priority_queue<int> heap;
  std::array<std::vector<uint32_t>, 2> arrays;
  std::vector<bool> bits;
  Value value;
};
void archive(StateArchive& ar, Outer& s) { ar(s.a, s.inner, s.queue, s.heap, s.arrays, s.bits, s.value); }

Outer sample() {
  Outer o;
  o.a = -7;
  o.inner = {{{1, 2, 3}, "x"}, {{}, "yz"}};
  o.queue = {{0.5, 3}, {1.5, 9}};
  for (int x : {5, 1, 9, 3}) o.heap.push(x);
  o.arrays = {std::vector<uint32_t>{1, 2}, std::vector<uint32_t>{}};
  o.bits = {true, false, true};
  o.value = std::vector<std::string>{"a", "b"};
  return o;
}
}  // namespace

BOOST_AUTO_TEST_CASE(an_archive_loads_what_it_saved) {
  Outer o = sample(), back;
  StateArchive out;
  archive(out, o);
  StateArchive in(out.bytes().data(), out.bytes().size());
  archive(in, back);
  in.expect_end("outer");
  BOOST_TEST(back.a == -7);
  BOOST_TEST(back.inner.size() == 2u);
  BOOST_TEST(back.inner[0].xs == std::vector<int>({1, 2, 3}));
  BOOST_TEST(back.inner[1].name == "yz");
  BOOST_TEST(back.queue.back().second == 9);
  BOOST_TEST(back.arrays[0] == std::vector<uint32_t>({1, 2}));
  BOOST_TEST(back.bits == std::vector<bool>({true, false, true}));
  BOOST_TEST((std::get<std::vector<std::string>>(back.value) == std::vector<std::string>{"a", "b"}));
  // the heap pops in the same order as the original
  std::vector<int> a, b;
  for (; !o.heap.empty(); o.heap.pop()) a.push_back(o.heap.top());
  for (; !back.heap.empty(); back.heap.pop()) b.push_back(back.heap.top());
  BOOST_TEST(a == b);
}

BOOST_AUTO_TEST_CASE(a_layout_depends_on_the_types_not_the_data) {
  Outer small, big = sample();
  StateArchive l1 = StateArchive::layout(), l2 = StateArchive::layout();
  archive(l1, small);
  archive(l2, big);
  BOOST_TEST(l1.shape() == l2.shape());
  BOOST_TEST(l1.bytes().empty());
  BOOST_TEST(l1.shape().find(typeid(std::deque<std::pair<double, uint16_t>>).name()) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_truncated_or_corrupted_archive_is_refused_not_misread) {
  Outer o = sample(), back;
  StateArchive out;
  archive(out, o);
  std::vector<uint8_t> bytes = out.bytes();
  StateArchive cut(bytes.data(), bytes.size() / 2);
  BOOST_CHECK_THROW(archive(cut, back), SnapshotError);
  // a count of 2^60 elements: refused before anything is allocated
  bytes[8] = 0xFF, bytes[15] = 0x10;
  StateArchive bad(bytes.data(), bytes.size());
  BOOST_CHECK_THROW(archive(bad, back), SnapshotError);
  // bytes left over: the reader's list is shorter than the writer's
  StateArchive more(out.bytes().data(), out.bytes().size());
  int64_t a = 0;
  more(a);
  BOOST_CHECK_THROW(more.expect_end("outer"), SnapshotError);
}

BOOST_AUTO_TEST_CASE(a_fork_steps_on_its_own_and_equals_the_original) {
  Simulation sim(test::small_city(4, "[heat]\nenabled = true\n[network]\nenabled = true\n[watch]\nenabled = true\n"), 2);
  sim.step(150);
  auto copy = sim.fork(1);
  auto changed = sim.fork();
  changed->set_param("network.sessions_per_hour_by_age", std::vector<double>{3, 12, 9, 6, 3.6, 1.8});
  BOOST_TEST(copy->clock().tick == 150);
  sim.run();
  copy->run();
  changed->run();
  for (const char* path : {"residents/travelling", "heat/expected_cases_total", "network/offered", "watch/undetected_now"})
    BOOST_TEST(sim.metrics().find_series(path)->history == copy->metrics().find_series(path)->history, path);
  const auto& a = sim.metrics().find_series("network/offered")->history;
  const auto& b = changed->metrics().find_series("network/offered")->history;
  BOOST_TEST(a[2] == b[2]);          // 08:00, before the fork
  BOOST_TEST(b.back() > 2 * a.back());  // after it, three times the demand
  BOOST_TEST(changed->changes().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_cadence_the_tick_does_not_divide_is_refused) {
  // heat steps hourly and counts each step as an hour of dose: 45-minute ticks would make it
  // step every 180 minutes
  const Scenario sc = io::parse_scenario(
      "[run]\nstart = \"2026-08-03T06:00\"\nduration_hours = 9\ntick_minutes = 45\noutput_every_minutes = 90\n[city]\npopulation_scale = 0.01\n"
      "municipalities = [\"Chiyoda\"]\n[heat]\nenabled = true\n",
      "tick.toml", CITYSIM_SOURCE_DIR "/tests");
  try {
    Simulation sim(sc, 1);
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "tick.toml:4: key 'run.tick_minutes': the heat module steps every 60 min, which 45-minute ticks do not "
               "divide; expected a tick that divides 60");
  }
}

BOOST_AUTO_TEST_CASE(a_table_refuses_a_cell_of_the_wrong_type_by_name) {
  Table t;
  t.info.path = "m/t";
  t.columns = {{"x", ColumnType::Float, ""}, {"s", ColumnType::Text, ""}};
  t.floats.resize(1), t.texts.resize(1), t.index = {0, 0};
  t.append({1.5, std::string("ok")});
  try {
    t.append({std::string("1.5"), std::string("no")});  // used to throw std::bad_variant_access
    BOOST_FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "m/t: column x takes a number");
  }
  BOOST_TEST(t.rows == 1u);
}

BOOST_AUTO_TEST_CASE(a_scheduled_event_is_returned_as_a_copy_that_outlives_later_ones) {
  Simulation sim(test::small_city(4), 1);
  const TimelineEvent first = sim.schedule("set", "2026-08-03T07:00", {{"key", std::string("residents.go_out_prob_75plus")},
                                                                       {"value", std::string("0.3")}}, {"test", 1});
  for (int i = 0; i < 50; ++i)
    sim.schedule("set", "2026-08-03T08:00", {{"key", std::string("residents.go_out_prob_75plus")}, {"value", std::string("0.4")}},
                 {"test", 2});
  BOOST_TEST(first.get_string("value") == "0.3");
  BOOST_TEST(sim.pending_events().size() == 51u);
}

BOOST_AUTO_TEST_CASE(a_key_read_only_while_the_run_is_built_is_refused_mid_run) {
  // the shelters are placed when heat is built: a new count mid-run used to be accepted and ignored
  Simulation sim(test::small_city(2, "[heat]\nenabled = true\n"), 1);
  sim.step(10);
  try {
    sim.set_param("heat.shelters.per_municipality", int64_t(20));
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("'heat.shelters.per_municipality' cannot change during a run (it is read only "
                                          "while the run is built") != std::string::npos, e.what());
  }
  sim.set_param("heat.shelters.outreach_share", 0.5);  // a live key still changes
  BOOST_TEST(sim.scenario().get_double("heat.shelters.outreach_share") == 0.5);
  BOOST_TEST(is_structural_key("network.lte.sectors"));
  BOOST_TEST(!is_structural_key("network.sessions_per_hour_by_age"));
  BOOST_TEST(scenario_schema().markdown().find("sectors per site (an integer in [1, 12]); read when the run is built, not live") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_fork_after_a_parameter_change_keeps_the_plans_drawn_before_it) {
  // today's plans are drawn again on a load unless a parameter changed since they were drawn:
  // then they are copied, so the copy goes on as the original
  Simulation sim(test::small_city(6, "[heat]\nenabled = true\n"), 2);
  sim.step(100);
  sim.set_param("residents.go_out_prob_75plus", 0.1);
  sim.step(50);
  auto copy = sim.fork(1);
  sim.run();
  copy->run();
  for (const char* path : {"residents/travelling", "residents/at_errand", "heat/expected_cases_total"})
    BOOST_TEST(sim.metrics().find_series(path)->history == copy->metrics().find_series(path)->history, path);
}
