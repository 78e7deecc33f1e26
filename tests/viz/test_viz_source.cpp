// The live source without a window: the worker thread applies queued edits between
// steps, hands out consistent frames, and leaves the results exactly as a headless run.
#define BOOST_TEST_MODULE viz_source
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "citysim/io/scenario_file.hpp"
#include "source.hpp"

using namespace citysim;
using namespace citysim::viz;

namespace {
Scenario small() { return io::load_scenario(CITYSIM_SOURCE_DIR "/tests/viz/small.toml", {"run.duration_hours=3"}); }

// waits for a condition on the latest frame, up to 20 s
template <class F>
std::shared_ptr<const Frame> wait_for(LiveSource& live, F&& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    auto f = live.frame();
    if (done(*f) || std::chrono::steady_clock::now() > until) return f;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_watched_run_gives_the_same_series_as_a_headless_one) {
  Simulation headless(small(), 2);
  headless.run();
  LiveSource live(small(), 2, 1000);
  live.start();
  live.set_speed(0);  // as fast as it goes
  live.play(true);
  const auto f = wait_for(live, [](const Frame& fr) { return fr.finished; });
  BOOST_REQUIRE(f->finished);
  BOOST_TEST(f->tick == headless.total_ticks());
  BOOST_REQUIRE(f->series->size() == headless.metrics().series().size());
  for (size_t i = 0; i < f->series->size(); ++i) {
    BOOST_TEST_CONTEXT((*f->series)[i].path) {
      BOOST_TEST((*f->series)[i].values == headless.metrics().series()[i].history, boost::test_tools::per_element());
    }
  }
  BOOST_TEST(f->agents.cell.size() == 1000u);
  // the step times of the modules the run has, in phase order, for the speed tooltip
  BOOST_REQUIRE(f->step_seconds.size() == headless.module_names().size());
  for (size_t i = 0; i < f->step_seconds.size(); ++i) BOOST_TEST(f->step_seconds[i].first == headless.module_names()[i]);
  BOOST_TEST(f->step_seconds.front().second > 0.0);
  BOOST_TEST(f->sample_times->size() == headless.metrics().sample_times().size());
}

BOOST_AUTO_TEST_CASE(steps_seeks_and_edits_are_applied_between_steps) {
  LiveSource live(small(), 1, 500);
  const auto first = live.frame();
  BOOST_TEST(first->tick == 0);
  live.start();
  live.step();
  live.step();
  auto f = wait_for(live, [](const Frame& fr) { return fr.tick >= 2; });
  BOOST_TEST(f->tick == 2);
  // a jump forward runs to it; a jump back starts again and runs to it
  live.seek(first->start + 90 * 60);
  f = wait_for(live, [](const Frame& fr) { return fr.tick == 90; });
  BOOST_TEST(f->tick == 90);
  live.seek(first->start + 30 * 60);
  f = wait_for(live, [](const Frame& fr) { return fr.tick == 30; });
  BOOST_TEST(f->tick == 30);
  // a bad edit comes back as an error naming the key; the run goes on
  live.set_param("residents.go_out_prob_75plus", Value(7.0));
  live.step();
  f = wait_for(live, [](const Frame& fr) { return fr.tick == 31; });
  BOOST_TEST(f->tick == 31);
  BOOST_TEST(live.last_error().find("go_out_prob_75plus") != std::string::npos);
  // frames only grow newer
  BOOST_TEST(f->serial > first->serial);
}

BOOST_AUTO_TEST_CASE(a_restart_uses_the_new_settings) {
  LiveSource live(small(), 1, 0);
  live.start();
  Scenario edited = small();
  edited.set("run.duration_hours", 1.0);
  live.restart(edited);
  live.set_speed(0);
  live.play(true);
  const auto f = wait_for(live, [](const Frame& fr) { return fr.finished; });
  BOOST_TEST(f->tick == 60);
  BOOST_TEST(f->agents.cell.empty());
}
