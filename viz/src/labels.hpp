// The words and numbers people read on the viewer's screen: units, the colour scale's
// top, the run's status, the time axis of charts, the map's scale bar, marker colours.
// Pure functions, no window, unit tested.
#pragma once
#include <string>
#include <vector>

#include "citysim/clock.hpp"
#include "colormap.hpp"

namespace citysim::viz {

// a metric's units as a person reads them: the ratio unit "1" becomes "share" (shares,
// fractions, utilisation) or "probability", and a bare number otherwise ""; "%",
// "people", "°C" and the rest are kept as they are
std::string unit_label(const std::string& units, const std::string& description);
// "  [share]", or "" when there is no unit to show
std::string unit_suffix(const std::string& units, const std::string& description);

// the colour scale's top tick: "≥ 120" when values above it are clipped to its colour
std::string scale_top_label(double hi, bool clipped);

// what the run is doing: "live", "live · end of run", "replay", "replay · end of run",
// or "replay · interrupted at 2026-08-03 10:00" at the last sample of an incomplete file
std::string run_status(bool live, bool at_last_sample, bool complete, LocalSeconds last_sample);

// a time inside the run: t clamped to [start, end]
LocalSeconds clamp_to_run(LocalSeconds t, LocalSeconds start, LocalSeconds end);

// ticks of a time axis from start to end: round hours (1, 2, 3, 6 or 12 h apart, or
// days), at most `max_ticks`, labelled "14:00", or "Wed 3" at midnight
struct TimeTick {
  LocalSeconds t;
  std::string label;
};
std::vector<TimeTick> time_ticks(LocalSeconds start, LocalSeconds end, int max_ticks);

// the map's scale bar: the longest round length (1, 2 or 5 times a power of ten
// metres) that fits in max_pixels, its length on screen and its label ("500 m", "2 km")
struct ScaleBar {
  double metres = 0;
  float pixels = 0;
  std::string label;
};
ScaleBar scale_bar(double metres_per_pixel, float max_pixels);

// a marker's colour by its row's state (down/undetected/open, backup/detected,
// up/answered/resolved); other values take the index-th of six colours.
// "down" is a magenta that no resident activity colour comes close to.
Rgba state_color(const std::string& state, size_t table_index);
// how far apart two colours look (Euclidean distance in RGB, 0..441)
double color_distance(Rgba a, Rgba b);

}  // namespace citysim::viz
