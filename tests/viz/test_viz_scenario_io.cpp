// Presentation tours and saved scenarios: what the viz reads and writes besides results.
#define BOOST_TEST_MODULE viz_scenario_io
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <tuple>

#include "citysim/io/scenario_file.hpp"
#include "scenario_io.hpp"

using namespace citysim;
using namespace citysim::viz;

namespace {
std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path) << text;
  return path;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_tour_reads_its_stops_with_defaults) {
  const std::string path = write_temp("viz_tour.toml",
                                      "[[stop]]\nat = \"2026-08-03T08:00\"\nlayer = \"residents/present\"\n"
                                      "lat = 35.68\nlon = 139.76\nzoom = 3.0\nhold_seconds = 5\n"
                                      "[[stop]]\nlayer = \"heat/wbgt\"\n");
  const auto stops = read_tour(path);
  BOOST_REQUIRE(stops.size() == 2u);
  BOOST_TEST(*stops[0].at == *parse_datetime("2026-08-03T08:00"));
  BOOST_TEST(stops[0].layer == "residents/present");
  BOOST_TEST(*stops[0].lat == 35.68);
  BOOST_TEST(stops[0].zoom == 3.0);
  BOOST_TEST(stops[0].hold_seconds == 5.0);
  BOOST_TEST(!stops[1].at.has_value());
  BOOST_TEST(!stops[1].lat.has_value());
  BOOST_TEST(stops[1].zoom == 1.0);
  BOOST_TEST(stops[1].hold_seconds == 8.0);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(bad_tours_name_the_file_and_the_problem) {
  const auto message = [](const std::string& text) {
    const std::string path = write_temp("viz_bad_tour.toml", text);
    try {
      read_tour(path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(message("title = 1\n").find("no [[stop]] (tour) or [[step]] (story) entries") != std::string::npos);
  BOOST_TEST(message("[[step]]\noverlays = [\"planes\"]\n").find("step 1: unknown overlay \"planes\"") != std::string::npos);
  BOOST_TEST(message("[[stop]]\nat = \"2026-02-30T08:00\"\n").find("stop 1: bad time") != std::string::npos);
  BOOST_TEST(message("[[stop]\n").find("viz_bad_tour.toml:1") != std::string::npos);
  BOOST_TEST(message("[[step]]\nspeed = -60\n").find("step 1: speed must be") != std::string::npos);
  BOOST_TEST(message("[[step]]\ncharts = [\"cases\"]\n").find("step 1: charts must be series paths") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_saved_scenario_loads_back_with_the_edits) {
  Scenario sc = io::load_scenario(CITYSIM_SOURCE_DIR "/tests/viz/small.toml");
  sc.set("residents.go_out_prob_75plus", 0.33);
  sc.set("residents.enabled", true);
  const std::string text = scenario_toml(sc, {"residents.go_out_prob_75plus", "residents.enabled"});
  const Scenario back = io::parse_scenario(text, "saved.toml", CITYSIM_SOURCE_DIR "/tests/viz");
  BOOST_TEST(back.get_double("residents.go_out_prob_75plus") == 0.33);
  BOOST_TEST(back.get_string("run.name") == "viz-small");
  BOOST_TEST(back.get_time("run.start") == sc.get_time("run.start"));
  BOOST_TEST(back.get_double("city.population_scale") == 0.02);
  BOOST_TEST(std::get<std::vector<std::string>>(back.get("city.municipalities")).size() == 5u);
  // keys neither in the file nor edited stay out, so defaults can evolve
  BOOST_TEST(text.find("walk_kmh") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_bundled_tour_is_valid) {
  const auto stops = read_tour(CITYSIM_SOURCE_DIR "/viz/tours/tokyo-heat.toml");
  BOOST_TEST(stops.size() == 5u);
  for (const auto& s : stops) {
    BOOST_TEST(s.at.has_value());
    BOOST_TEST(!s.layer.empty());
  }
}

BOOST_AUTO_TEST_CASE(a_story_has_overlays_and_captions_in_two_languages) {
  const auto steps = read_tour(CITYSIM_SOURCE_DIR "/tests/viz/story.toml");
  BOOST_TEST(steps.size() == 2u);
  BOOST_TEST(tour_seconds(steps) == 3.0);
  BOOST_TEST(steps[0].caption_en == "7:00: residents are still at home");
  BOOST_TEST(!steps[0].caption_ja.empty());
  BOOST_TEST((*steps[0].overlays == std::set<std::string>{"borders", "names"}));
  BOOST_TEST(steps[1].overlays->count("markers") == 1u);
}

BOOST_AUTO_TEST_CASE(the_bundled_earthquake_story_fits_its_scenario) {
  const auto steps = read_tour(CITYSIM_SOURCE_DIR "/viz/stories/earthquake-network.toml");
  const Scenario sc = io::load_scenario(CITYSIM_SOURCE_DIR "/scenarios/earthquake-network.toml");
  const LocalSeconds start = sc.get_time("run.start");
  const LocalSeconds end = start + LocalSeconds(sc.get_double("run.duration_hours") * 3600);
  BOOST_TEST(steps.size() >= 4u);
  for (const auto& s : steps) {
    BOOST_TEST((s.at && *s.at >= start && *s.at <= end));
    BOOST_TEST(s.layer.starts_with("network/"));
    BOOST_TEST((!s.caption_ja.empty() && !s.caption_en.empty()));
  }
}

BOOST_AUTO_TEST_CASE(saved_strings_are_escaped_so_they_read_back_as_written) {
  // quotes, backslashes and control characters in a text key and in an event's kind
  Scenario sc = io::load_scenario(CITYSIM_SOURCE_DIR "/tests/viz/small.toml");
  const std::string name = "say \"hi\" C:\\temp\\x\nnext\tline\x01 東京";
  sc.set("run.name", name);
  const std::string text = scenario_toml(sc, {"run.name"});
  const Scenario back = io::parse_scenario(text, "saved.toml", CITYSIM_SOURCE_DIR "/tests/viz");
  BOOST_TEST(back.get_string("run.name") == name);
  BOOST_TEST(toml_string("a\"b\\c\n\x7f") == "\"a\\\"b\\\\c\\n\\u007F\"");
  // numbers read back to the same double, the largest finite one and infinity included
  BOOST_TEST(toml_value(Value(0.1)) == "0.1");
  BOOST_TEST(toml_value(Value(3.0)) == "3.0");
  BOOST_TEST(std::stod(toml_value(Value(1.7976931348623157e308))) == 1.7976931348623157e308);
  BOOST_TEST(toml_value(Value(std::numeric_limits<double>::infinity())) == "inf");
  BOOST_TEST(toml_value(Value(std::vector<std::string>{"a\"b", "c"})) == "[\"a\\\"b\", \"c\"]");
}

BOOST_AUTO_TEST_CASE(structural_keys_are_offered_for_a_restart_not_as_live_knobs) {
  const auto sections = knob_sections(Scenario().schema());
  const auto find = [&](const std::string& module) -> const KnobSection& {
    const auto at = std::find_if(sections.begin(), sections.end(), [&](const KnobSection& s) { return s.module == module; });
    BOOST_REQUIRE(at != sections.end());
    return *at;
  };
  const auto has = [](const std::vector<const KeySpec*>& keys, const std::string& key) {
    return std::any_of(keys.begin(), keys.end(), [&](const KeySpec* k) { return k->key == key; });
  };
  // issue #24's examples: read only while the run is built
  BOOST_TEST(has(find("heat").restart, "heat.shelters.per_municipality"));
  BOOST_TEST(!has(find("heat").live, "heat.shelters.per_municipality"));
  BOOST_TEST(has(find("housing").restart, "housing.units_total"));
  BOOST_TEST(has(find("residents").live, "residents.go_out_prob_75plus"));
  // every module once, every key where the simulation would put it
  std::set<std::string> modules;
  size_t restart = 0;
  for (const KnobSection& s : sections) {
    BOOST_TEST(modules.insert(s.module).second);
    BOOST_TEST((s.module != "run" && s.module != "city"));
    for (const KeySpec* k : s.restart) BOOST_TEST(is_structural_key(k->key), k->key);
    restart += s.restart.size();
    for (const KeySpec* k : s.live) {
      BOOST_TEST(!is_structural_key(k->key), k->key);
      BOOST_TEST(!k->is_structural, k->key);
    }
  }
  BOOST_TEST(restart >= 5u);
}

BOOST_AUTO_TEST_CASE(the_bundled_heatwave_and_vertiport_stories_fit_their_scenarios) {
  for (const auto& [story, scenario, module] :
       {std::tuple{"heatwave-shelters", "heatwave-shelters", "heat/"}, std::tuple{"vertiport-network", "vertiport-network", "vertiport/"}}) {
    BOOST_TEST_CONTEXT(story) {
      const auto steps = read_tour(CITYSIM_SOURCE_DIR "/viz/stories/" + std::string(story) + ".toml");
      const Scenario sc = io::load_scenario(CITYSIM_SOURCE_DIR "/scenarios/" + std::string(scenario) + ".toml");
      const LocalSeconds start = sc.get_time("run.start");
      const LocalSeconds end = start + LocalSeconds(sc.get_double("run.duration_hours") * 3600);
      BOOST_TEST(steps.size() >= 4u);
      for (const auto& s : steps) {
        BOOST_TEST((s.at && *s.at >= start && *s.at <= end));
        BOOST_TEST((!s.caption_ja.empty() && !s.caption_en.empty()));
        BOOST_TEST(s.caption_en.find("CAPTION") == std::string::npos);
        BOOST_TEST((s.layer.empty() || s.layer.starts_with(module)));
        BOOST_TEST(!s.charts.empty());
        for (const auto& c : s.charts) BOOST_TEST(c.starts_with(module));
        BOOST_TEST(s.speed <= 120.0);  // a step that plays keeps close to its caption's time
      }
    }
  }
}
