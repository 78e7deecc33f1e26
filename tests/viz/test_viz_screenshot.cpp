// citysim-viz end to end under Xvfb with Mesa's software renderer (ctest runs this
// under one xvfb-run, so DISPLAY is set): live and replay
// screenshots have the requested size, a map with many colours and a legend; bad input
// and a missing display give a clear message and exit code 2. The map's furniture and
// labels are checked in the pixels: the scale bar and north arrow, no toolbar in
// presentation mode, Japanese names, outage markers that leave the map visible, and an
// interrupted file said to be one.
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

#include <hdf5.h>

#include "colormap.hpp"
#include "labels.hpp"
#include "png_io.hpp"

using namespace citysim::viz;

namespace {

const std::string kSmall = CITYSIM_SOURCE_DIR "/tests/viz/small.toml";
const std::string kOutage = CITYSIM_SOURCE_DIR "/tests/viz/outage.toml";

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

const uint8_t* pixel(const Image& img, int x, int y) { return img.rgba.data() + (size_t(y) * size_t(img.width) + size_t(x)) * 4; }

bool near(const uint8_t* p, Rgba c, double tolerance) { return color_distance(Rgba{p[0], p[1], p[2], 255}, c) <= tolerance; }

// pixels of a colour in a rectangle
size_t count(const Image& img, Rgba c, double tolerance, int x0, int y0, int x1, int y1) {
  size_t n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) n += near(pixel(img, x, y), c, tolerance);
  return n;
}

// the longest run of pure white pixels in a rectangle, along rows (or columns)
int longest_white_run(const Image& img, int x0, int y0, int x1, int y1, bool vertical) {
  int best = 0;
  const Rgba white{255, 255, 255, 255};
  for (int a = vertical ? x0 : y0; a < (vertical ? x1 : y1); ++a) {
    int run = 0;
    for (int b = vertical ? y0 : x0; b < (vertical ? y1 : x1); ++b) {
      run = near(vertical ? pixel(img, a, b) : pixel(img, b, a), white, 1) ? run + 1 : 0;
      best = std::max(best, run);
    }
  }
  return best;
}

// pixels where two pictures of the same size differ
size_t differing(const Image& a, const Image& b) {
  size_t n = 0;
  for (size_t i = 0; i + 3 < a.rgba.size() && i + 3 < b.rgba.size(); i += 4)
    n += a.rgba[i] != b.rgba[i] || a.rgba[i + 1] != b.rgba[i + 1] || a.rgba[i + 2] != b.rgba[i + 2];
  return n;
}

// the small city's results, run once for the tests that replay it
const std::string& small_results() {
  static const std::string path = [] {
    const Result run = shell(std::string(CITYSIM_CLI) + " run " + kSmall + " -o small.h5 -q");
    BOOST_TEST_INFO(run.output);
    BOOST_REQUIRE(run.code == 0);
    return std::string("small.h5");
  }();
  return path;
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
  const Result r = viz(small_results() + " --screenshot replay.png --at 2026-08-03T10:00 --size 800x500 --layer residents/outdoors");
  BOOST_TEST_INFO(r.output);
  BOOST_TEST(r.code == 0);
  check_picture("replay.png", 800, 500);
  // a time outside the run is bad input
  const Result late = viz("small.h5 --screenshot late.png --at 2026-08-04T10:00");
  BOOST_TEST(late.code == 2);
  BOOST_TEST(late.output.find("outside the run") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(live_window_plays_frames_while_the_worker_simulates) {
  // the interactive loop: worker thread stepping, frames swapped in, points moving; the
  // 6-hour run lasts 22 s of wall time, so a loaded machine still draws 12 frames before its end
  const Result r = viz(kSmall + " --bench-frames 12 --agents 5000 --size 640x400 --speed 1000");
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

BOOST_AUTO_TEST_CASE(the_map_has_a_scale_bar_and_a_north_arrow) {
  const Result r = viz(small_results() + " --screenshot furniture.png --size 1280x800 --presentation");
  BOOST_TEST_INFO(r.output);
  BOOST_REQUIRE(r.code == 0);
  const Image img = read_png("furniture.png");
  // bottom right: the bar, solid white and a round length (80 to 160 px), and the
  // arrow's filled half, a vertical white edge
  const int bar = longest_white_run(img, 900, 600, 1280, 800, false);
  BOOST_TEST(bar >= 60);
  BOOST_TEST(bar <= 170);
  BOOST_TEST(longest_white_run(img, 1150, 560, 1280, 720, true) >= 20);
}

BOOST_AUTO_TEST_CASE(presentation_mode_hides_the_toolbar) {
  // the toolbar's buttons and scrubber in ImGui's dark style, over its window
  const Rgba button{35, 70, 111, 255}, frame{29, 47, 74, 255};
  const Result normal = viz(small_results() + " --screenshot toolbar.png --size 1280x800");
  const Result shown = viz(small_results() + " --screenshot presenting.png --size 1280x800 --presentation");
  BOOST_REQUIRE(normal.code == 0);
  BOOST_REQUIRE(shown.code == 0);
  const Image with = read_png("toolbar.png"), without = read_png("presenting.png");
  BOOST_TEST(count(with, button, 10, 0, 0, 1280, 75) + count(with, frame, 10, 0, 0, 1280, 75) > 5000u);
  BOOST_TEST(count(without, button, 10, 0, 0, 1280, 75) + count(without, frame, 10, 0, 0, 1280, 75) == 0u);
}

BOOST_AUTO_TEST_CASE(names_in_japanese_when_a_cjk_font_is_installed) {
  const bool cjk = std::filesystem::exists("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc") ||
                   std::filesystem::exists("/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf");
  const Result en = viz(small_results() + " --screenshot names-en.png --size 1280x800 --presentation --lang en");
  const Result ja = viz(small_results() + " --screenshot names-ja.png --size 1280x800 --presentation --lang ja");
  BOOST_TEST_INFO(ja.output);
  BOOST_REQUIRE(en.code == 0);
  BOOST_REQUIRE(ja.code == 0);
  const size_t changed = differing(read_png("names-en.png"), read_png("names-ja.png"));
  if (cjk) {
    // the five names changed and nothing else: hundreds of pixels, not the map
    BOOST_TEST(changed > 300u);
    BOOST_TEST(changed < 1280u * 800u / 50);
  } else {
    BOOST_TEST(changed == 0u);  // no CJK font: English names, and a note says why
    BOOST_TEST(ja.output.find("no CJK font") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(outage_markers_are_aggregated_so_the_map_stays_visible) {
  // thousands of outages in five wards, at city zoom
  const Result r = viz(kOutage + " --screenshot outages.png --at 2026-08-03T09:00 --size 1280x800 --agents 1 --layer network/ok");
  BOOST_TEST_INFO(r.output);
  BOOST_REQUIRE(r.code == 0);
  const Image img = read_png("outages.png");
  // the map between the panels: land is whatever is not the background
  const Rgba background{14, 20, 32, 255}, outage = state_color("down", 0);
  size_t land = 0;
  for (int y = 100; y < 640; ++y)
    for (int x = 345; x < 930; ++x) land += !near(pixel(img, x, y), background, 6);
  const size_t marked = count(img, outage, 45, 345, 100, 930, 640);
  BOOST_TEST_INFO("land " << land << " marked " << marked);
  BOOST_TEST(land > 50000u);
  BOOST_TEST(marked > 500u);  // the outages are shown...
  BOOST_TEST(double(marked) / double(land) < 0.3);  // ...and the map under them too
}

BOOST_AUTO_TEST_CASE(an_interrupted_file_says_so) {
  std::filesystem::copy_file(small_results(), "interrupted.h5", std::filesystem::copy_options::overwrite_existing);
  {  // as a run stopped early leaves it: /meta complete = 0
    const hid_t file = H5Fopen("interrupted.h5", H5F_ACC_RDWR, H5P_DEFAULT);
    BOOST_REQUIRE(file >= 0);
    const hid_t meta = H5Gopen2(file, "meta", H5P_DEFAULT);
    const hid_t attr = H5Aopen(meta, "complete", H5P_DEFAULT);
    const int32_t zero = 0;
    BOOST_REQUIRE(H5Awrite(attr, H5T_NATIVE_INT32, &zero) >= 0);
    H5Aclose(attr), H5Gclose(meta), H5Fclose(file);
  }
  const Result cut = viz("interrupted.h5 --screenshot interrupted.png --at 2026-08-03T12:00 --size 800x500");
  BOOST_TEST_INFO(cut.output);
  BOOST_TEST(cut.code == 0);
  BOOST_TEST(cut.output.find("interrupted at 2026-08-03 12:00") != std::string::npos);
  BOOST_TEST(cut.output.find("end of run") == std::string::npos);
  const Result whole = viz(small_results() + " --screenshot whole.png --at 2026-08-03T12:00 --size 800x500");
  BOOST_TEST(whole.output.find("end of run") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_replay_shows_the_rows_up_to_the_time_shown) {
  // network/outages has a down_at column: no outage before the 07:00 power cut
  const Result run = shell(std::string(CITYSIM_CLI) + " run " + kOutage + " -o outage.h5 -q");
  BOOST_REQUIRE(run.code == 0);
  const Rgba outage = state_color("down", 0);
  const Result before = viz("outage.h5 --screenshot before.png --at 2026-08-03T06:30 --size 1280x800 --layer network/ok");
  const Result after = viz("outage.h5 --screenshot after.png --at 2026-08-03T09:00 --size 1280x800 --layer network/ok");
  BOOST_REQUIRE(before.code == 0);
  BOOST_REQUIRE(after.code == 0);
  BOOST_TEST(count(read_png("before.png"), outage, 45, 345, 100, 930, 640) == 0u);
  BOOST_TEST(count(read_png("after.png"), outage, 45, 345, 100, 930, 640) > 500u);
}

BOOST_AUTO_TEST_CASE(aircraft_fly_between_vertiports) {
  // the results file lies away from the scenario, whose sites_file is a relative path:
  // the replay reads it from the scenario's folder that /meta records
  std::filesystem::create_directories("vertiport/a/b");
  const Result run = shell(std::string(CITYSIM_CLI) + " run " CITYSIM_SOURCE_DIR "/tests/viz/vertiport.toml -o vertiport/a/b/vp.h5 -q");
  BOOST_TEST_INFO(run.output);
  BOOST_REQUIRE(run.code == 0);
  const Rgba aircraft{255, 215, 0, 255};
  const auto shot = [&](const std::string& at, const std::string& png) {
    const Result r = viz("vertiport/a/b/vp.h5 --screenshot " + png + " --at 2026-08-03T" + at +
                         " --size 1280x800 --presentation --view 35.62,139.75,3");
    BOOST_TEST_INFO(r.output);
    BOOST_REQUIRE(r.code == 0);
    return read_png(png);
  };
  const Image early = shot("06:00", "vp-0600.png"), peak = shot("08:10", "vp-0810.png"), later = shot("08:12", "vp-0812.png");
  BOOST_TEST(count(early, aircraft, 20, 0, 0, 1280, 800) == 0u);  // nothing has flown yet
  const size_t in_air = count(peak, aircraft, 20, 0, 0, 1280, 800);
  BOOST_TEST(in_air > 40u);  // a few triangles of about 50 pixels each
  // between two samples (15 min apart) the aircraft move: the pictures differ where they are
  BOOST_TEST(count(later, aircraft, 20, 0, 0, 1280, 800) > 40u);
  BOOST_TEST(differing(peak, later) > 50u);
  BOOST_TEST(differing(peak, later) < 1280u * 800u / 50);
}

BOOST_AUTO_TEST_CASE(a_replay_finds_relative_data_files_wherever_the_results_are) {
  // a scenario with a relative sites_file and a --set with a relative path, run from one
  // folder, replayed from another: both resolve where the run resolved them
  std::filesystem::remove_all("relpath");
  std::filesystem::create_directories("relpath/run/sites");
  std::filesystem::create_directories("relpath/run/out");
  std::filesystem::create_directories("relpath/scenario/data");
  std::filesystem::copy_file(CITYSIM_SOURCE_DIR "/scenarios/data/vertiport_sites_tokyo.csv", "relpath/scenario/data/sites.csv");
  std::filesystem::copy_file(CITYSIM_SOURCE_DIR "/scenarios/data/vertiport_sites_tokyo.csv", "relpath/run/sites/mine.csv");
  {
    std::ifstream in(CITYSIM_SOURCE_DIR "/tests/viz/vertiport.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string toml = text.str();
    const std::string from = "../../scenarios/data/vertiport_sites_tokyo.csv";
    toml.replace(toml.find(from), from.size(), "data/sites.csv");
    std::ofstream("relpath/scenario/vp.toml") << toml;
  }
  const Rgba pad{0, 90, 200, 255};  // the vertiports' squares
  const std::string view = " --size 1280x800 --presentation --view 35.62,139.75,3 --at 2026-08-03T08:10";
  const Result file = shell("cd relpath/run && " + std::string(CITYSIM_CLI) + " run ../scenario/vp.toml -o out/vp.h5 -q");
  BOOST_TEST_INFO(file.output);
  BOOST_REQUIRE(file.code == 0);
  const Result shot = viz("relpath/run/out/vp.h5 --screenshot relpath-file.png" + view);
  BOOST_TEST_INFO(shot.output);
  BOOST_REQUIRE(shot.code == 0);  // was exit 2: "file not found: relpath/run/out/data/sites.csv"
  BOOST_TEST(count(read_png("relpath-file.png"), pad, 10, 0, 0, 1280, 800) > 300u);
  // the same sites from a --set path relative to the folder the run started in
  const Result set = shell("cd relpath/run && " + std::string(CITYSIM_CLI) +
                           " run ../scenario/vp.toml --set vertiport.sites_file=sites/mine.csv -o out/vp-set.h5 -q");
  BOOST_REQUIRE(set.code == 0);
  const Result set_shot = viz("relpath/run/out/vp-set.h5 --screenshot relpath-set.png" + view);
  BOOST_TEST_INFO(set_shot.output);
  BOOST_REQUIRE(set_shot.code == 0);
  BOOST_TEST(count(read_png("relpath-set.png"), pad, 10, 0, 0, 1280, 800) > 300u);
}

BOOST_AUTO_TEST_CASE(a_story_step_shows_its_caption) {
  const std::string story = " --story " CITYSIM_SOURCE_DIR "/tests/viz/story.toml --size 1280x720 --lang en";
  const Result with = viz(small_results() + " --screenshot story.png" + story);
  const Result without = viz(small_results() + " --screenshot no-story.png --presentation --size 1280x720 --at 2026-08-03T07:00");
  BOOST_TEST_INFO(with.output);
  BOOST_REQUIRE(with.code == 0);
  BOOST_REQUIRE(without.code == 0);
  // the first step's time, and its caption top right: big white letters on a dark box
  BOOST_TEST(with.output.find("2026-08-03T07:00") != std::string::npos);
  const Image img = read_png("story.png"), plain = read_png("no-story.png");
  const size_t letters = count(img, Rgba{255, 255, 255, 255}, 30, 700, 0, 1280, 70);
  BOOST_TEST(letters > 400u);
  BOOST_TEST(count(plain, Rgba{255, 255, 255, 255}, 30, 700, 0, 1280, 70) < letters / 10);
}

BOOST_AUTO_TEST_CASE(a_story_records_to_a_video) {
  const Result ffprobe = shell("command -v ffprobe && command -v ffmpeg");
  if (ffprobe.code != 0) {
    BOOST_TEST_MESSAGE("skipped: ffmpeg/ffprobe not installed (scripts/install-deps.sh installs them)");
    return;
  }
  std::filesystem::remove("story.mp4");
  const Result r = viz(small_results() + " --story " CITYSIM_SOURCE_DIR "/tests/viz/story.toml --record story.mp4 --size 640x360 --fps 10");
  BOOST_TEST_INFO(r.output);
  BOOST_REQUIRE(r.code == 0);
  const Result probe = shell("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                             "stream=nb_read_frames,width,height,duration -of default=nw=1 story.mp4");
  BOOST_TEST_INFO(probe.output);
  BOOST_REQUIRE(probe.code == 0);
  BOOST_TEST(probe.output.find("width=640") != std::string::npos);
  BOOST_TEST(probe.output.find("height=360") != std::string::npos);
  BOOST_TEST(probe.output.find("nb_read_frames=30") != std::string::npos);  // 3 s at 10 fps
  BOOST_TEST(probe.output.find("duration=3.0") != std::string::npos);
  // without ffmpeg on the PATH: a clear message, exit 2, no file
  const Result none = shell("env PATH=/nonexistent " + std::string(CITYSIM_VIZ) + " " + small_results() +
                            " --story " CITYSIM_SOURCE_DIR "/tests/viz/story.toml --record none.mp4 --size 640x360");
  BOOST_TEST(none.code == 2);
  BOOST_TEST(none.output.find("needs ffmpeg") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists("none.mp4"));
}

BOOST_AUTO_TEST_CASE(place_symbols_take_the_colour_and_size_of_chosen_columns) {
  const std::string common = kOutage + " --at 2026-08-03T09:00 --size 1280x800 --agents 1 --layer network/load";
  const Result plain = viz(common + " --screenshot place-plain.png");
  const Result by_kind = viz(common + " --screenshot place-kind.png --place network/outages:kind");
  const Result sized = viz(common + " --screenshot place-sized.png --place network/outages::seen_after_min");
  BOOST_TEST_INFO(by_kind.output);
  BOOST_REQUIRE(plain.code == 0);
  BOOST_REQUIRE(by_kind.code == 0);
  BOOST_REQUIRE(sized.code == 0);
  // one colour for every outage, or one per kind of site (lte, nr_high, nr_low, wifi)
  const Image one = read_png("place-plain.png"), kinds = read_png("place-kind.png");
  size_t colours = 0;
  for (size_t k = 0; k < 4; ++k) colours += count(kinds, state_color("kind", k), 45, 345, 100, 930, 640) > 50;
  BOOST_TEST(colours >= 3u);  // a block shows its most common kind: nr_high may win none
  BOOST_TEST(count(one, state_color("kind", 1), 45, 345, 100, 930, 640) < 50u);  // no second colour in the plain one
  // sized by how long operators took to see them: different symbols
  BOOST_TEST(differing(one, read_png("place-sized.png")) > 1000u);
}

namespace {
// a bundled story's step as a still: its scenario run (shortened, smaller) to just past
// the step, then the step replayed; the caption's big white letters top right and the
// step's charts (their dark plot areas) under it
Image story_still(const std::string& name, const std::string& sets, int step) {
  const std::string results = "story-" + name + ".h5", png = "story-" + name + ".png";
  const Result run = shell(std::string(CITYSIM_CLI) + " run " CITYSIM_SOURCE_DIR "/scenarios/" + name + ".toml " + sets + " -o " +
                           results + " -q");
  BOOST_TEST_INFO(run.output);
  BOOST_REQUIRE(run.code == 0);
  const Result shot = viz(results + " --story " CITYSIM_SOURCE_DIR "/viz/stories/" + name + ".toml --story-step " +
                          std::to_string(step) + " --screenshot " + png + " --size 1280x720 --lang en");
  BOOST_TEST_INFO(shot.output);
  BOOST_REQUIRE(shot.code == 0);
  const Image img = read_png(png);
  BOOST_TEST(count(img, Rgba{255, 255, 255, 255}, 30, 600, 0, 1280, 70) > 400u);  // the caption
  BOOST_TEST(count(img, Rgba{25, 30, 42, 255}, 4, 800, 90, 1280, 600) > 20000u);  // two charts' plot areas
  return img;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_heatwave_story_shows_wbgt_in_its_risk_bands_with_charts) {
  // 14:00 on the first day: the WBGT layer in the official bands, the highest WBGT and alert charts
  const Image img = story_still("heatwave-shelters", "--set city.population_scale=0.002 --set run.duration_hours=15", 2);
  size_t banded = 0;
  for (const auto& band : wbgt_bands()) banded += count(img, band.color, 3, 300, 100, 800, 650);
  BOOST_TEST(banded > 20000u);
}

BOOST_AUTO_TEST_CASE(the_vertiport_story_shows_aircraft_and_vertiports_with_charts) {
  // 08:00 in the morning peak: aircraft in the air between the vertiports
  const Image img = story_still("vertiport-network", "", 2);
  BOOST_TEST(count(img, Rgba{255, 215, 0, 255}, 20, 0, 0, 1280, 720) > 40u);   // aircraft
  BOOST_TEST(count(img, Rgba{0, 90, 200, 255}, 10, 0, 0, 1280, 720) > 300u);  // vertiports
}
