// Presentation tours and saved scenarios: what the viz reads and writes besides results.
#define BOOST_TEST_MODULE viz_scenario_io
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

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
