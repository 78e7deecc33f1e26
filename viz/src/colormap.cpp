#include "colormap.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace citysim::viz {

namespace {
// matplotlib's viridis sampled at t = 0, 1/8, ..., 1 (van der Walt & Smith 2015)
constexpr std::array<Rgba, 9> kViridis = {{{68, 1, 84, 255},
                                           {71, 44, 122, 255},
                                           {59, 81, 139, 255},
                                           {44, 113, 142, 255},
                                           {33, 144, 141, 255},
                                           {39, 173, 129, 255},
                                           {92, 200, 99, 255},
                                           {170, 220, 50, 255},
                                           {253, 231, 37, 255}}};

uint8_t lerp8(uint8_t a, uint8_t b, double t) { return uint8_t(std::lround(a + (double(b) - a) * t)); }
}  // namespace

Rgba viridis(double t) {
  if (std::isnan(t)) return Rgba{0, 0, 0, 0};
  t = std::clamp(t, 0.0, 1.0) * double(kViridis.size() - 1);
  const size_t i = std::min(size_t(t), kViridis.size() - 2);
  const double f = t - double(i);
  const Rgba& a = kViridis[i];
  const Rgba& b = kViridis[i + 1];
  return Rgba{lerp8(a.r, b.r, f), lerp8(a.g, b.g, f), lerp8(a.b, b.b, f), 255};
}

const std::vector<WbgtBand>& wbgt_bands() {
  constexpr double inf = std::numeric_limits<double>::infinity();
  // legend colours of the Ministry of the Environment heat illness prevention site;
  // the two alert levels above 33 and 35 °C get purples (the site marks alerts apart)
  static const std::vector<WbgtBand> bands = {
      {-inf, "almost safe (<21)", "ほぼ安全", {33, 140, 255, 255}},
      {21, "caution (21-25)", "注意", {160, 210, 255, 255}},
      {25, "warning (25-28)", "警戒", {250, 245, 0, 255}},
      {28, "severe warning (28-31)", "厳重警戒", {255, 150, 0, 255}},
      {31, "danger (31-33)", "危険", {255, 40, 0, 255}},
      {33, "heat-stroke alert (33-35)", "熱中症警戒アラート", {180, 0, 140, 255}},
      {35, "special alert (>=35)", "熱中症特別警戒アラート", {100, 0, 90, 255}},
  };
  return bands;
}

int wbgt_band(double wbgt_c) {
  if (std::isnan(wbgt_c)) return -1;
  const auto& bands = wbgt_bands();
  int band = 0;
  for (size_t i = 1; i < bands.size(); ++i)
    if (wbgt_c >= bands[i].lower_c) band = int(i);
  return band;
}

Rgba wbgt_color(double wbgt_c) {
  const int band = wbgt_band(wbgt_c);
  return band < 0 ? Rgba{0, 0, 0, 0} : wbgt_bands()[size_t(band)].color;
}

Rgba ColorScale::operator()(double value) const {
  if (wbgt) return wbgt_color(value);
  if (std::isnan(value)) return Rgba{0, 0, 0, 0};
  return viridis(hi > lo ? (value - lo) / (hi - lo) : 0.0);
}

ColorScale scale_for(const std::string& path, std::span<const float> values) {
  ColorScale s;
  const std::string tail = path.substr(path.find_last_of('/') + 1);
  if (path == "heat/wbgt" || tail == "wbgt") {
    s.wbgt = true;
    s.lo = 18, s.hi = 37;
    return s;
  }
  std::vector<float> finite;
  finite.reserve(values.size());
  for (float v : values)
    if (std::isfinite(v)) finite.push_back(v);
  if (finite.empty()) return s;
  const auto [mn_at, mx_at] = std::minmax_element(finite.begin(), finite.end());
  const double mn = *mn_at, mx = *mx_at;  // copies: nth_element reorders `finite`
  const size_t k = std::min(finite.size() - 1, size_t(std::floor(0.99 * double(finite.size() - 1) + 0.5)));
  std::nth_element(finite.begin(), finite.begin() + long(k), finite.end());
  double robust_max = finite[k];
  s.lo = std::min(0.0, mn);
  if (robust_max <= s.lo) robust_max = mx;
  s.hi = robust_max > s.lo ? robust_max : s.lo + 1.0;
  s.clipped = mx > s.hi;
  return s;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  std::vector<double> ticks;
  if (!(hi > lo) || count < 2) return {lo};
  // the round step (1, 2, 2.5 or 5 times a power of ten) giving closest to `count` ticks
  const double mag = std::pow(10.0, std::floor(std::log10((hi - lo) / double(count - 1))));
  double step = mag;
  int best = std::numeric_limits<int>::max();
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    const double s = m * mag;
    const int n = int(std::floor(hi / s + 1e-9) - std::ceil(lo / s - 1e-9)) + 1;
    if (std::abs(n - count) <= best) best = std::abs(n - count), step = s;
  }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  const double a = std::abs(v);
  if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else if (a >= 100 || v == std::round(v)) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

Rgba activity_color(int activity) {
  // Okabe-Ito: home sky blue, work orange, school green, errand pink, travel yellow
  static constexpr std::array<Rgba, 5> colors = {
      {{86, 180, 233, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255}, {240, 228, 66, 255}}};
  return colors[size_t(std::clamp(activity, 0, 4))];
}

Rgba age_color(int age_years) {
  // the census age groups, the older ones in warm colours (they matter most in heat)
  if (age_years < 15) return {0, 158, 115, 255};
  if (age_years < 65) return {86, 180, 233, 255};
  if (age_years < 75) return {230, 159, 0, 255};
  return {213, 94, 0, 255};
}

Rgba category_color(size_t index) {
  static constexpr std::array<Rgba, 8> colors = {{{230, 159, 0, 255},
                                                  {86, 180, 233, 255},
                                                  {0, 158, 115, 255},
                                                  {240, 228, 66, 255},
                                                  {0, 114, 178, 255},
                                                  {213, 94, 0, 255},
                                                  {204, 121, 167, 255},
                                                  {200, 200, 200, 255}}};
  return colors[index % colors.size()];
}

}  // namespace citysim::viz
