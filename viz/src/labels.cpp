#include "labels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>

namespace citysim::viz {

namespace {

bool mentions(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return text.find(w) != std::string::npos; });
}

}  // namespace

std::string unit_label(const std::string& units, const std::string& description) {
  if (units != "1") return units;
  if (mentions(description, {"probability"})) return "probability";
  if (mentions(description, {"share", "fraction", "utilisation", "over capacity"})) return "share";
  return "";
}

std::string unit_suffix(const std::string& units, const std::string& description) {
  const std::string u = unit_label(units, description);
  return u.empty() ? "" : "  [" + u + "]";
}

std::string scale_top_label(double hi, bool clipped) { return (clipped ? "≥ " : "") + format_value(hi); }

std::string run_status(bool live, bool at_last_sample, bool complete, LocalSeconds last_sample) {
  std::string s = live ? "live" : "replay";
  if (at_last_sample && (live || complete)) s += "  ·  end of run";
  else if (at_last_sample) s += "  ·  interrupted at " + format_datetime(last_sample).replace(10, 1, " ").substr(0, 16);
  return s;
}

LocalSeconds clamp_to_run(LocalSeconds t, LocalSeconds start, LocalSeconds end) { return std::clamp(t, start, std::max(start, end)); }

std::vector<TimeTick> time_ticks(LocalSeconds start, LocalSeconds end, int max_ticks) {
  std::vector<TimeTick> ticks;
  if (end <= start || max_ticks < 1) return ticks;
  static constexpr std::array<int64_t, 8> steps_h = {1, 2, 3, 6, 12, 24, 48, 168};
  int64_t step = steps_h.back() * 3600;
  for (int64_t h : steps_h)
    if ((end - start) / (h * 3600) + 1 <= max_ticks) {
      step = h * 3600;
      break;
    }
  // LocalSeconds are Tokyo wall-clock seconds: multiples of the step fall on round hours
  static const char* days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  for (LocalSeconds t = (start + step - 1) / step * step; t <= end; t += step) {
    const CivilTime c = civil(t);
    char buf[16];
    if (c.hour == 0) std::snprintf(buf, sizeof buf, "%s %d", days[c.weekday], c.day);
    else std::snprintf(buf, sizeof buf, "%02d:00", c.hour);
    ticks.push_back({t, buf});
  }
  return ticks;
}

ScaleBar scale_bar(double metres_per_pixel, float max_pixels) {
  ScaleBar bar;
  if (!(metres_per_pixel > 0) || !(max_pixels > 0)) return bar;
  const double most = metres_per_pixel * max_pixels;
  const double mag = std::pow(10.0, std::floor(std::log10(most)));
  for (double m : {5.0, 2.0, 1.0})
    if (m * mag <= most) {
      bar.metres = m * mag;
      break;
    }
  bar.pixels = float(bar.metres / metres_per_pixel);
  char buf[32];
  if (bar.metres >= 1000) std::snprintf(buf, sizeof buf, "%g km", bar.metres / 1000);
  else std::snprintf(buf, sizeof buf, "%g m", bar.metres);
  bar.label = buf;
  return bar;
}

Rgba state_color(const std::string& state, size_t table_index) {
  // none of these is within 80 of an activity colour (Okabe-Ito orange, yellow, green...)
  constexpr Rgba kBad{215, 25, 60, 255}, kMeanwhile{170, 110, 255, 255}, kDone{235, 235, 235, 255};
  static const std::map<std::string, Rgba> known = {
      {"undetected", kBad},      {"down", kBad},           {"open", kBad},
      {"detected", kMeanwhile},  {"backup", kMeanwhile},   {"on_backup", kMeanwhile}, {"battery", kMeanwhile},
      {"answered", kDone},       {"up", kDone},            {"resolved", kDone},
  };
  static constexpr std::array<Rgba, 6> tables = {
      {kBad, {0, 90, 200, 255}, {130, 60, 200, 255}, kDone, {140, 80, 40, 255}, {0, 200, 200, 255}}};
  const auto it = known.find(state);
  return it != known.end() ? it->second : tables[table_index % tables.size()];
}

double color_distance(Rgba a, Rgba b) {
  const double dr = a.r - b.r, dg = a.g - b.g, db = a.b - b.b;
  return std::sqrt(dr * dr + dg * dg + db * db);
}

}  // namespace citysim::viz
