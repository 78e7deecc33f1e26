// What people read on the viewer: units, the clipped scale top, the run's status, time
// ticks, the scale bar, marker colours. No window needed.
#define BOOST_TEST_MODULE viz_labels
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "colormap.hpp"
#include "labels.hpp"

using namespace citysim;
using namespace citysim::viz;

BOOST_AUTO_TEST_CASE(units_are_spelled_for_people) {
  BOOST_TEST(unit_label("1", "share of fleet time airborne over the sample") == "share");
  BOOST_TEST(unit_label("1", "sessions in progress over capacity of the working sites") == "share");
  BOOST_TEST(unit_label("1", "probability a session started in the cell now is carried") == "probability");
  BOOST_TEST(unit_label("1", "today's alert: 0 none, 1, 2") == "");  // a plain number: no "[1]"
  BOOST_TEST(unit_label("%", "city-wide relative humidity") == "%");
  BOOST_TEST(unit_label("people", "residents present") == "people");
  BOOST_TEST(unit_label("°C", "outdoor WBGT") == "°C");
  BOOST_TEST(unit_suffix("°C", "") == "  [°C]");
  BOOST_TEST(unit_suffix("1", "level") == "");
  BOOST_TEST(unit_suffix("", "anything") == "");
}

BOOST_AUTO_TEST_CASE(a_clipped_scale_top_says_at_least) {
  std::vector<float> values(1000, 1.0f);
  values[0] = 500;  // one hot spot above the 99th percentile
  const ColorScale s = scale_for("residents/present", values);
  BOOST_TEST(s.clipped);
  BOOST_TEST(s.hi == 1.0);
  BOOST_TEST(scale_top_label(s.hi, s.clipped) == "≥ 1");
  const std::vector<float> even = {0, 1, 2, 3};
  const ColorScale e = scale_for("residents/present", even);
  BOOST_TEST(!e.clipped);
  BOOST_TEST(scale_top_label(e.hi, e.clipped) == "3");
  // the minimum is the data's, not whatever nth_element left in front
  const std::vector<float> negative = {5, -2, 3, 4};
  BOOST_TEST(scale_for("x/y", negative).lo == -2.0);
}

BOOST_AUTO_TEST_CASE(an_interrupted_file_is_not_the_end_of_the_run) {
  const LocalSeconds t = *parse_datetime("2026-08-03T10:00");
  BOOST_TEST(run_status(false, true, false, t) == "replay  ·  interrupted at 2026-08-03 10:00");
  BOOST_TEST(run_status(false, true, true, t) == "replay  ·  end of run");
  BOOST_TEST(run_status(false, false, false, t) == "replay");
  BOOST_TEST(run_status(true, true, true, t) == "live  ·  end of run");
}

BOOST_AUTO_TEST_CASE(times_are_kept_inside_the_run) {
  const LocalSeconds a = *parse_datetime("2026-08-03T15:00"), b = *parse_datetime("2026-08-03T21:00");
  BOOST_TEST(clamp_to_run(*parse_datetime("2026-08-03T14:00"), a, b) == a);
  BOOST_TEST(clamp_to_run(*parse_datetime("2026-08-04T14:00"), a, b) == b);
  BOOST_TEST(clamp_to_run(a + 60, a, b) == a + 60);
}

BOOST_AUTO_TEST_CASE(time_ticks_fall_on_round_hours_inside_the_axis) {
  const LocalSeconds a = *parse_datetime("2026-08-03T06:00"), b = *parse_datetime("2026-08-03T12:00");
  const auto ticks = time_ticks(a, b, 7);
  BOOST_TEST(ticks.size() == 7u);  // hourly
  BOOST_TEST(ticks.front().label == "06:00");
  BOOST_TEST(ticks.back().label == "12:00");
  // 60 hours in at most 6 ticks: 12 h apart, midnight named by its day
  const LocalSeconds q = *parse_datetime("2026-03-11T12:00"), e = *parse_datetime("2026-03-14T00:00");
  const auto days = time_ticks(q, e, 6);
  BOOST_TEST(days.size() == 6u);
  BOOST_TEST(days[0].label == "12:00");
  BOOST_TEST(days[1].label == "Thu 12");
  for (const auto& t : days) BOOST_TEST((t.t >= q && t.t <= e && t.t % (12 * 3600) == 0));
  BOOST_TEST(time_ticks(e, q, 5).empty());
}

BOOST_AUTO_TEST_CASE(the_scale_bar_is_a_round_length_that_fits) {
  const ScaleBar bar = scale_bar(25.0, 160);  // 25 m a pixel: at most 4 km
  BOOST_TEST(bar.metres == 2000.0);
  BOOST_TEST(bar.pixels == 80.0f);
  BOOST_TEST(bar.label == "2 km");
  BOOST_TEST(scale_bar(3.0, 160).label == "200 m");
  BOOST_TEST(scale_bar(50.0, 100).label == "5 km");
  BOOST_TEST(scale_bar(0, 100).pixels == 0.0f);
}

BOOST_AUTO_TEST_CASE(no_marker_colour_looks_like_an_activity) {
  // the earthquake's outages were orange like the "work" residents
  for (const char* state : {"", "down", "undetected", "open", "backup", "on_backup", "battery", "detected", "up",
                            "answered", "resolved", "something else"})
    for (size_t table = 0; table < 8; ++table)
      for (int a = 0; a < 5; ++a) {
        BOOST_TEST_INFO(state << " table " << table << " activity " << a);
        BOOST_TEST(color_distance(state_color(state, table), activity_color(a)) >= 80.0);
      }
  // and the three states differ from each other
  BOOST_TEST(color_distance(state_color("down", 0), state_color("backup", 0)) >= 80.0);
  BOOST_TEST(color_distance(state_color("down", 0), state_color("up", 0)) >= 80.0);
  BOOST_TEST(color_distance(state_color("backup", 0), state_color("up", 0)) >= 80.0);
}
