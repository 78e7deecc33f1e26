// Colour maps, WBGT risk bands, ticks and PNG round trips: no window needed.
#define BOOST_TEST_MODULE viz_colormap
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <vector>

#include "colormap.hpp"
#include "map_gl.hpp"
#include "png_io.hpp"

using namespace citysim::viz;

BOOST_AUTO_TEST_CASE(viridis_endpoints_and_midpoint_are_matplotlibs) {
  // matplotlib viridis: #440154 at 0, #21908d at 0.5, #fde725 at 1
  BOOST_TEST((viridis(0) == Rgba{68, 1, 84, 255}));
  BOOST_TEST((viridis(0.5) == Rgba{33, 144, 141, 255}));
  BOOST_TEST((viridis(1) == Rgba{253, 231, 37, 255}));
  BOOST_TEST((viridis(-3) == viridis(0)));  // clamped
  BOOST_TEST((viridis(7) == viridis(1)));
  BOOST_TEST(viridis(std::nan("")).a == 0);  // no value: transparent
}

BOOST_AUTO_TEST_CASE(viridis_gets_lighter_monotonically) {
  // perceptual uniformity implies a monotone lightness ramp; luma is a proxy
  double last = -1;
  for (int i = 0; i <= 100; ++i) {
    const Rgba c = viridis(i / 100.0);
    const double luma = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    BOOST_TEST(luma >= last - 0.5);
    last = luma;
  }
}

BOOST_AUTO_TEST_CASE(wbgt_bands_follow_the_official_thresholds) {
  // 暑さ指数: <21 almost safe, 21-25 caution, 25-28 warning, 28-31 severe warning, >=31 danger;
  // alerts at >=33 and >=35
  BOOST_TEST(wbgt_band(15) == 0);
  BOOST_TEST(wbgt_band(20.99) == 0);
  BOOST_TEST(wbgt_band(21) == 1);
  BOOST_TEST(wbgt_band(24.9) == 1);
  BOOST_TEST(wbgt_band(25) == 2);
  BOOST_TEST(wbgt_band(28) == 3);
  BOOST_TEST(wbgt_band(30.99) == 3);
  BOOST_TEST(wbgt_band(31) == 4);
  BOOST_TEST(wbgt_band(33) == 5);
  BOOST_TEST(wbgt_band(35) == 6);
  BOOST_TEST(wbgt_band(40) == 6);
  BOOST_TEST(wbgt_band(std::nan("")) == -1);
  BOOST_TEST(wbgt_bands().size() == 7u);
  BOOST_TEST(std::string(wbgt_bands()[4].label_ja) == "危険");
}

BOOST_AUTO_TEST_CASE(wbgt_colours_are_the_ministry_legend) {
  // wbgt.env.go.jp legend: danger #FF2800, severe warning #FF9600, warning #FAF500,
  // caution #A0D2FF, almost safe #218CFF
  BOOST_TEST((wbgt_color(32) == Rgba{255, 40, 0, 255}));
  BOOST_TEST((wbgt_color(29) == Rgba{255, 150, 0, 255}));
  BOOST_TEST((wbgt_color(26) == Rgba{250, 245, 0, 255}));
  BOOST_TEST((wbgt_color(22) == Rgba{160, 210, 255, 255}));
  BOOST_TEST((wbgt_color(18) == Rgba{33, 140, 255, 255}));
  // every band has its own colour
  for (size_t i = 0; i < wbgt_bands().size(); ++i)
    for (size_t j = i + 1; j < wbgt_bands().size(); ++j) BOOST_TEST(!(wbgt_bands()[i].color == wbgt_bands()[j].color));
}

BOOST_AUTO_TEST_CASE(scale_for_picks_bands_for_wbgt_and_a_robust_range_otherwise) {
  const std::vector<float> wbgt = {20, 26, 32};
  const ColorScale w = scale_for("heat/wbgt", wbgt);
  BOOST_TEST(w.wbgt);
  BOOST_TEST((w(26) == wbgt_color(26)));
  // 200 cells of 0..199 plus one hot spot: the top of the scale ignores the outlier
  std::vector<float> people;
  for (int i = 0; i < 200; ++i) people.push_back(float(i));
  people.push_back(1e6f);
  people.push_back(std::numeric_limits<float>::quiet_NaN());
  const ColorScale p = scale_for("residents/present", people);
  BOOST_TEST(!p.wbgt);
  BOOST_TEST(p.lo == 0.0);
  BOOST_TEST(p.hi >= 195.0);
  BOOST_TEST(p.hi <= 200.0);
  BOOST_TEST((p(p.hi) == viridis(1)));
  BOOST_TEST((p(0) == viridis(0)));
  // negative values extend the scale below zero; a constant field still gets a range
  const std::vector<float> neg = {-5, 0, 5};
  BOOST_TEST(scale_for("x/y", neg).lo == -5.0);
  const std::vector<float> flat = {3, 3, 3};
  BOOST_TEST(scale_for("x/y", flat).hi > scale_for("x/y", flat).lo);
}

BOOST_AUTO_TEST_CASE(nice_ticks_are_round_and_cover_the_range) {
  const auto t = nice_ticks(0, 1234, 5);
  BOOST_TEST(t.front() == 0.0);
  BOOST_TEST(t.size() >= 4u);
  BOOST_TEST(t.size() <= 7u);
  for (size_t i = 1; i < t.size(); ++i) BOOST_TEST(t[i] - t[i - 1] == 250.0);
  const auto w = nice_ticks(18, 37, 5);
  BOOST_TEST(w.front() == 20.0);
  BOOST_TEST(w.back() == 35.0);
}

BOOST_AUTO_TEST_CASE(values_are_formatted_short) {
  BOOST_TEST(format_value(12) == "12");
  BOOST_TEST(format_value(0.4213) == "0.421");
  BOOST_TEST(format_value(12345) == "12.3k");
  BOOST_TEST(format_value(2500000) == "2.5M");
  BOOST_TEST(format_value(std::nan("")) == "n/a");
}

BOOST_AUTO_TEST_CASE(resident_colours_are_distinct_per_activity) {
  for (int a = 0; a < 5; ++a)
    for (int b = a + 1; b < 5; ++b) BOOST_TEST(!(activity_color(a) == activity_color(b)));
  // one colour per census age group, changing exactly at 15, 65 and 75
  BOOST_TEST((age_color(0) == age_color(14)));
  BOOST_TEST(!(age_color(14) == age_color(15)));
  BOOST_TEST((age_color(15) == age_color(64)));
  BOOST_TEST(!(age_color(64) == age_color(65)));
  BOOST_TEST(!(age_color(74) == age_color(75)));
  BOOST_TEST((age_color(75) == age_color(100)));
}

BOOST_AUTO_TEST_CASE(png_round_trip_keeps_every_pixel) {
  Image img{7, 3, {}};
  for (int i = 0; i < 21; ++i) {
    const Rgba c = viridis(i / 20.0);
    img.rgba.insert(img.rgba.end(), {c.r, c.g, c.b, 255});
  }
  const auto path = (std::filesystem::temp_directory_path() / "citysim_viz_roundtrip.png").string();
  write_png(path, img);
  const Image back = read_png(path);
  BOOST_TEST(back.width == 7);
  BOOST_TEST(back.height == 3);
  BOOST_TEST((back.rgba == img.rgba));
  std::filesystem::remove(path);
  BOOST_CHECK_THROW(read_png("/nonexistent/x.png"), std::runtime_error);
  BOOST_CHECK_THROW(write_png(path, Image{}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(an_offscreen_target_moves_but_never_copies) {
  // it owns GL framebuffer objects: a copy would delete them twice (issue #24)
  BOOST_TEST(!std::is_copy_constructible_v<OffscreenTarget>);
  BOOST_TEST(!std::is_copy_assignable_v<OffscreenTarget>);
  BOOST_TEST(std::is_nothrow_move_constructible_v<OffscreenTarget>);
  BOOST_TEST(std::is_nothrow_move_assignable_v<OffscreenTarget>);
}
