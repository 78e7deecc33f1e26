// The live source without a window: the worker thread applies queued edits between
// steps, hands out consistent frames sharing the series' history, and leaves the results
// exactly as a headless run. An ensemble's bands equal the ensemble file's quantiles.
#define BOOST_TEST_MODULE viz_source
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "citysim/io/scenario_file.hpp"
#include "h5.hpp"
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
      const SeriesHistory& s = (*f->series)[i];
      std::vector<double> values;
      for (size_t t = 0; t < s.samples; ++t)
        for (size_t k = 0; k < s.width; ++k) values.push_back(s.at(t, k));
      BOOST_TEST(values == headless.metrics().series()[i].history, boost::test_tools::per_element());
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

BOOST_AUTO_TEST_CASE(frames_share_the_series_history_instead_of_copying_it) {
  // a sample a minute: more samples than a block holds, so later frames must reuse the
  // first block rather than copy every series' whole history again (issue #24)
  const Scenario sc = io::load_scenario(CITYSIM_SOURCE_DIR "/tests/viz/small.toml",
                                        {"run.duration_hours=5", "run.output_every_minutes=1"});
  Simulation headless(sc, 1);
  headless.run();
  LiveSource live(sc, 1, 100);
  live.start();
  live.set_speed(0);
  live.play(true);
  const auto early = wait_for(live, [](const Frame& fr) { return fr.sample_times->size() > SeriesHistory::kBlockSamples + 1; });
  const auto last = wait_for(live, [](const Frame& fr) { return fr.finished; });
  BOOST_REQUIRE(last->finished);
  BOOST_REQUIRE(early->sample_times->size() > SeriesHistory::kBlockSamples + 1);
  BOOST_REQUIRE(early->series->size() == last->series->size());
  for (size_t i = 0; i < last->series->size(); ++i) {
    const SeriesHistory& a = (*early->series)[i];
    const SeriesHistory& b = (*last->series)[i];
    BOOST_TEST_CONTEXT(b.path) {
      BOOST_TEST(a.blocks.front().get() == b.blocks.front().get());  // one copy of the full block
      BOOST_TEST(a.samples == early->sample_times->size());
      // the blocks hold exactly the headless run's history
      const auto& history = headless.metrics().series()[i].history;
      BOOST_REQUIRE(b.samples * b.width == history.size());
      bool same = true;
      for (size_t t = 0; t < b.samples; ++t)
        for (size_t k = 0; k < b.width; ++k) same = same && b.at(t, k) == history[t * b.width + k];
      BOOST_TEST(same);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_ensemble_shows_each_variants_median_and_5_95_band_as_the_ensemble_file_has_them) {
  namespace fs = std::filesystem;
  namespace h5 = io::h5;
  const fs::path dir = fs::absolute("viz_ensemble");
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(CITYSIM_SOURCE_DIR "/tests/ensemble/tiny.toml", dir / "tiny.toml");
  std::ofstream(dir / "plan.ens.toml") << "name = \"viz\"\nbase = \"tiny.toml\"\nseed = 3\nreplicates = 3\n"
                                          "[[variant]]\nname = \"base\"\n"
                                          "[[variant]]\nname = \"outreach\"\nset = { \"heat.shelters.outreach_share\" = 0.6 }\n"
                                          "[[metric]]\npath = \"heat/expected_cases_total\"\n"
                                          "[[metric]]\npath = \"residents/travelling\"\nreduce = \"max\"\n";
  const std::string file = (dir / "plan.ens.h5").string();
  const std::string command = std::string(CITYSIM_CLI) + " ensemble " + (dir / "plan.ens.toml").string() + " -o " + file +
                              " --jobs 2 -q";
  BOOST_REQUIRE(std::system(command.c_str()) == 0);
  BOOST_REQUIRE(is_ensemble_file(file));
  BOOST_TEST(!is_ensemble_file(CITYSIM_SOURCE_DIR "/tests/viz/small.toml"));
  EnsembleSource e(file);
  BOOST_REQUIRE(e.variants().size() == 2u);
  // the file's quantiles per (variant, time) of each metric, summed over its breakdown
  struct Quantiles {
    std::string path;
    size_t variants = 0, times = 0;
    std::vector<double> q05, q50, q95;
  };
  std::vector<Quantiles> expected;
  h5::guarded(file, [&] {
    h5::Handle f(h5::check(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "open"), H5Fclose);
    h5::Handle summaries = h5::open_group(f, "summaries");
    for (const auto& id : h5::members(summaries)) {
      h5::Handle g = h5::open_group(summaries, id);
      h5::Handle q50 = h5::open_dataset(g, "q50");
      const auto shape = h5::shape(q50);
      expected.push_back({h5::attr_text(g, "path"), shape.at(0), shape.at(1), h5::read_all<double>(h5::open_dataset(g, "q05")),
                          h5::read_all<double>(q50), h5::read_all<double>(h5::open_dataset(g, "q95"))});
    }
  });
  BOOST_REQUIRE(expected.size() == 2u);
  size_t compared = 0;
  bool spread = false;  // replicates differ, so the band has a width somewhere
  for (size_t v = 0; v < 2; ++v) {
    e.set_variant(v);
    const auto frame = e.frame();
    BOOST_TEST(frame->variant == e.variants()[v]);
    BOOST_TEST(e.member_shown().ends_with(e.variants()[v] + "/r000.h5"));
    for (const Quantiles& q : expected) {
      BOOST_TEST_CONTEXT(e.variants()[v] << " " << q.path) {
        const Band* band = frame->band(q.path);
        BOOST_REQUIRE(band);
        BOOST_TEST(band->replicates == 3);
        BOOST_REQUIRE(band->q50.size() == q.times);
        for (size_t t = 0; t < q.times; ++t) {
          BOOST_TEST(band->q05[t] == q.q05[v * q.times + t]);
          BOOST_TEST(band->q50[t] == q.q50[v * q.times + t]);
          BOOST_TEST(band->q95[t] == q.q95[v * q.times + t]);
          spread = spread || band->q95[t] > band->q05[t];
          ++compared;
        }
      }
    }
  }
  BOOST_TEST(compared > 10u);
  BOOST_TEST(spread);
}
