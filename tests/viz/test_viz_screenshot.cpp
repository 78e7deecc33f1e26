// citysim-viz end to end under Xvfb with Mesa's software renderer (ctest runs this
// under one xvfb-run, so DISPLAY is set): live and replay
// screenshots have the requested size, a map with many colours and a legend; bad input
// and a missing display give a clear message and exit code 2.
#define BOOST_TEST_MODULE viz_screenshot
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "colormap.hpp"
#include "png_io.hpp"

using namespace citysim::viz;

namespace {

const std::string kSmall = CITYSIM_SOURCE_DIR "/tests/viz/small.toml";

struct Result {
  int code;
  std::string output;
};

// runs a shell command, returns its exit code and combined output
Result shell(const std::string& command) {
  const std::string log = "viz_test_" + std::to_string(std::rand()) + ".log";
  const int status = std::system((command + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(log);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

Result viz(const std::string& args, bool display = true) {
  const std::string cmd = std::string(CITYSIM_VIZ) + " " + args;
  return shell(display ? cmd : "env -u DISPLAY -u WAYLAND_DISPLAY " + cmd);
}

// squared distance from a pixel to the nearest colour of the viridis ramp
int viridis_distance2(const uint8_t* p) {
  static const std::vector<Rgba> ramp = [] {
    std::vector<Rgba> r;
    for (int i = 0; i <= 255; ++i) r.push_back(viridis(i / 255.0));
    return r;
  }();
  int best = 1 << 30;
  for (const Rgba& c : ramp) {
    const int dr = p[0] - c.r, dg = p[1] - c.g, db = p[2] - c.b;
    best = std::min(best, dr * dr + dg * dg + db * db);
  }
  return best;
}

// the legend's colour ramp: a horizontal run of >= 100 pixels on the viridis curve that
// starts near its dark end and finishes near its bright end
bool has_viridis_legend(const Image& img) {
  const Rgba lo = viridis(0), hi = viridis(1);
  const auto near = [](const uint8_t* p, Rgba c) {
    return std::abs(p[0] - c.r) + std::abs(p[1] - c.g) + std::abs(p[2] - c.b) < 30;
  };
  for (int y = 0; y < img.height; ++y) {
    int run_start = -1;
    for (int x = 0; x <= img.width; ++x) {
      const uint8_t* p = img.rgba.data() + (size_t(y) * size_t(img.width) + size_t(std::min(x, img.width - 1))) * 4;
      const bool on = x < img.width && viridis_distance2(p) < 60;
      if (on && run_start < 0) run_start = x;
      if (!on && run_start >= 0) {
        const uint8_t* first = img.rgba.data() + (size_t(y) * size_t(img.width) + size_t(run_start)) * 4;
        const uint8_t* last = img.rgba.data() + (size_t(y) * size_t(img.width) + size_t(x - 1)) * 4;
        if (x - run_start >= 100 && near(first, lo) && near(last, hi)) return true;
        run_start = -1;
      }
    }
  }
  return false;
}

// distinct colours in the middle of the picture, where the map is
size_t map_colours(const Image& img) {
  std::set<uint32_t> colours;
  for (int y = img.height / 4; y < img.height * 3 / 4; ++y)
    for (int x = img.width / 3; x < img.width * 2 / 3; ++x) {
      const uint8_t* p = img.rgba.data() + (size_t(y) * size_t(img.width) + size_t(x)) * 4;
      colours.insert(uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]);
    }
  return colours.size();
}

void check_picture(const std::string& path, int width, int height) {
  const Image img = read_png(path);
  BOOST_TEST(img.width == width);
  BOOST_TEST(img.height == height);
  // not blank: many colours in the map area, and not one colour dominating the picture
  BOOST_TEST(map_colours(img) >= 30u);
  double mean = 0, var = 0;
  for (size_t i = 0; i < img.rgba.size(); i += 4) mean += img.rgba[i + 1];
  mean /= double(img.rgba.size() / 4);
  for (size_t i = 0; i < img.rgba.size(); i += 4) var += (img.rgba[i + 1] - mean) * (img.rgba[i + 1] - mean);
  BOOST_TEST(std::sqrt(var / double(img.rgba.size() / 4)) > 10.0);
  BOOST_TEST(has_viridis_legend(img));
}

}  // namespace

BOOST_AUTO_TEST_CASE(live_screenshot_has_the_size_a_map_and_a_legend) {
  const Result r = viz(kSmall + " --screenshot live.png --at 2026-08-03T09:00 --size 900x560 --layer residents/present");
  BOOST_TEST_INFO(r.output);
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.output.find("2026-08-03T09:00") != std::string::npos);
  check_picture("live.png", 900, 560);
}

BOOST_AUTO_TEST_CASE(replay_screenshot_of_a_results_file) {
  const Result run = shell(std::string(CITYSIM_CLI) + " run " + kSmall + " -o small.h5 -q");
  BOOST_TEST_INFO(run.output);
  BOOST_REQUIRE(run.code == 0);
  const Result r = viz("small.h5 --screenshot replay.png --at 2026-08-03T10:00 --size 800x500 --layer residents/outdoors");
  BOOST_TEST_INFO(r.output);
  BOOST_TEST(r.code == 0);
  check_picture("replay.png", 800, 500);
  // a time outside the run is bad input
  const Result late = viz("small.h5 --screenshot late.png --at 2026-08-04T10:00");
  BOOST_TEST(late.code == 2);
  BOOST_TEST(late.output.find("outside the run") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(live_window_plays_frames_while_the_worker_simulates) {
  // the interactive loop: worker thread stepping, frames swapped in, points moving
  const Result r = viz(kSmall + " --bench-frames 12 --agents 5000 --size 640x400 --speed 6000");
  BOOST_TEST_INFO(r.output);
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.output.find("frames 12") != std::string::npos);
  BOOST_TEST(r.output.find("points 5000") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(presentation_plays_the_bundled_tour) {
  // the tour's layers need not exist in this city: missing ones just show no field
  const Result r = viz(kSmall + " --presentation --tour " CITYSIM_SOURCE_DIR "/viz/tours/tokyo-heat.toml" +
                       " --bench-frames 8 --agents 1000 --size 640x400");
  BOOST_TEST_INFO(r.output);
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.output.find("frames 8") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_exits_2_with_a_clear_message) {
  const Result missing = viz("no/such/scenario.toml --screenshot x.png");
  BOOST_TEST(missing.code == 2);
  BOOST_TEST(missing.output.find("no/such/scenario.toml: no such file") != std::string::npos);
  const Result bad_key = viz(kSmall + " --set residents.no_such_knob=1 --screenshot x.png");
  BOOST_TEST(bad_key.code == 2);
  BOOST_TEST(bad_key.output.find("no_such_knob") != std::string::npos);
  const Result bad_size = viz(kSmall + " --screenshot x.png --size huge");
  BOOST_TEST(bad_size.code == 2);
  BOOST_TEST(bad_size.output.find("expected WIDTHxHEIGHT") != std::string::npos);
  const Result bad_layer = viz(kSmall + " --screenshot x.png --layer heat/nothing");
  BOOST_TEST(bad_layer.code == 2);
  BOOST_TEST(bad_layer.output.find("fields: residents/present") != std::string::npos);
  const Result bad_tour = viz(kSmall + " --tour no_such_tour.toml --screenshot x.png");
  BOOST_TEST(bad_tour.code == 2);
  BOOST_TEST(bad_tour.output.find("no_such_tour.toml") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists("x.png"));
}

BOOST_AUTO_TEST_CASE(no_display_and_no_screenshot_exits_2_without_crashing) {
  const Result r = viz(kSmall, false);
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.output.find("no display") != std::string::npos);
  BOOST_TEST(r.output.find("xvfb-run") != std::string::npos);
}
