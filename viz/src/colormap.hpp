// Colour maps and legends for map layers: pure functions, no window, unit tested.
//   - sequential fields use viridis (perceptually uniform, colour-blind safe)
//   - heat/wbgt uses the official WBGT risk-band colours (Japan Ministry of the Environment)
//   - residents are coloured by activity (categorical) or age (sequential)
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace citysim::viz {

struct Rgba {
  uint8_t r = 0, g = 0, b = 0, a = 255;
  bool operator==(const Rgba&) const = default;
  uint32_t packed() const { return uint32_t(r) | uint32_t(g) << 8 | uint32_t(b) << 16 | uint32_t(a) << 24; }  // ImGui order
};

// viridis at t in [0, 1] (clamped); NaN gives transparent
Rgba viridis(double t);

// WBGT risk bands: 暑さ指数 guideline of the Japanese Society of Biometeorology used by the
// Ministry of the Environment (wbgt.env.go.jp), plus the heat-stroke alert (WBGT >= 33,
// 熱中症警戒アラート) and special alert (WBGT >= 35, 熱中症特別警戒アラート, from 2024) levels.
struct WbgtBand {
  double lower_c;        // inclusive lower bound, °C (-inf for the first band)
  const char* label;     // English label
  const char* label_ja;  // official Japanese label
  Rgba color;
};
const std::vector<WbgtBand>& wbgt_bands();
// index into wbgt_bands() of a WBGT value; -1 for NaN
int wbgt_band(double wbgt_c);
Rgba wbgt_color(double wbgt_c);

// how a field is coloured: bands for WBGT, viridis between lo and hi otherwise
struct ColorScale {
  bool wbgt = false;
  double lo = 0, hi = 1;
  bool clipped = false;  // some values lie above hi and take its colour (the legend says "≥")
  Rgba operator()(double value) const;
};
// the scale for a field path and its values: WBGT bands for "heat/wbgt" (and any
// path ending in "wbgt"), else viridis from 0 (or the minimum when negative) to a
// robust maximum (99th percentile of the finite values, so one hot spot does not wash
// out the map)
ColorScale scale_for(const std::string& path, std::span<const float> values);

// "nice" round tick values covering [lo, hi] (about `count` of them)
std::vector<double> nice_ticks(double lo, double hi, int count = 5);
// short text of a value for legends and tooltips ("12.3k", "0.42", "1.2M")
std::string format_value(double value);

// residents
Rgba activity_color(int activity);  // Home, Work, School, Errand, Travel
Rgba age_color(int age_years);      // census groups 0-14, 15-64, 65-74, 75+

// a categorical palette for chart lines (Okabe-Ito, colour-blind safe)
Rgba category_color(size_t index);

}  // namespace citysim::viz
