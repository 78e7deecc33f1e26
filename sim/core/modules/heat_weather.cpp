// Heat: formulas (WBGT, levels, alerts, sun, humidity) and the weather on the grid.
//
// [SECTION] formulas   pure functions, tested against published values
// [SECTION] csv        JMA-style hourly observations
// [SECTION] weather    profile or CSV, then per-cell heat island, cooling and sea breeze
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "citysim/city.hpp"
#include "modules/heat.hpp"

namespace citysim {

// ---- [SECTION] formulas -------------------------------------------------------------

double wbgt_moe(double ta, double rh, double sr, double ws) {
  // Ono & Tonouchi, Jpn. J. Biometeorol. 50(4):147-157, 2014 (MoE heat-illness site)
  return 0.735 * ta + 0.0374 * rh + 0.00292 * ta * rh + 7.619 * sr - 4.557 * sr * sr - 0.0572 * ws - 4.064;
}

// ISO 7243:2017 eq. 1 and 2
double wbgt_iso_outdoor(double tw, double tg, double ta) { return 0.7 * tw + 0.2 * tg + 0.1 * ta; }
double wbgt_iso_indoor(double tw, double tg) { return 0.7 * tw + 0.3 * tg; }

double solar_mj_h_to_kw_m2(double mj) { return mj * 1000.0 / 3600.0; }

int risk_band(double w) { return std::min(heat_level(w), 4); }

const char* heat_level_name(int level) {
  static const char* names[] = {"<21", "21-25", "25-28", "28-31", "31-33", "33-35", ">=35"};
  return names[level];
}
const char* heat_age_group_name(int g) {
  static const char* names[] = {"0-17", "18-64", "65-74", "75+"};
  return names[g];
}

int alert_level(std::span<const float> daily_max) {
  // MoE: 熱中症警戒アラート when any point is forecast >= 33; 特別警戒アラート when all are >= 35
  bool any33 = false, all35 = true, seen = false;
  for (float w : daily_max) {
    if (std::isnan(w)) continue;
    seen = true;
    any33 = any33 || w >= 33.0f;
    all35 = all35 && w >= 35.0f;
  }
  return !seen ? 0 : all35 ? 2 : any33 ? 1 : 0;
}

double saturation_vapour_pressure_hpa(double t) { return 6.1094 * std::exp(17.625 * t / (t + 243.04)); }

double sun_elevation_deg(LocalSeconds t, double lat, double lon) {
  constexpr double deg = std::numbers::pi / 180;
  const CivilTime c = civil(t);
  const int doy = day_of_year(c);
  // declination (Cooper 1969) and equation of time (Spencer 1971 approximation), minutes
  const double decl = 23.45 * deg * std::sin(2 * std::numbers::pi * (284 + doy) / 365.0);
  const double b = 2 * std::numbers::pi * (doy - 81) / 364.0;
  const double eot_min = 9.87 * std::sin(2 * b) - 7.53 * std::cos(b) - 1.5 * std::sin(b);
  // Japan Standard Time is the mean solar time of 135°E
  const double clock_h = c.hour + c.minute / 60.0 + c.second / 3600.0;
  const double solar_h = clock_h + (4 * (lon - 135) + eot_min) / 60.0;
  const double hour_angle = 15 * deg * (solar_h - 12);
  const double s = std::sin(lat * deg) * std::sin(decl) + std::cos(lat * deg) * std::cos(decl) * std::cos(hour_angle);
  return std::asin(std::clamp(s, -1.0, 1.0)) / deg;
}

double clear_sky_kw_m2(double elevation) {
  if (elevation <= 0) return 0;
  // Haurwitz (1945): G = 1098 cos z exp(-0.057 / cos z) W/m²
  const double cz = std::sin(elevation * std::numbers::pi / 180);
  return 1.098 * cz * std::exp(-0.057 / cz);
}

// ---- [SECTION] csv ------------------------------------------------------------------

WeatherTable read_weather_csv(const std::string& path, const std::string& key) {
  const CsvTable t = read_csv(path, key);
  const int c_time = t.column("datetime", key), c_temp = t.column("temp_c", key), c_rh = t.column("rh_pct", key);
  const int c_solar = t.column("solar_mj_m2", key), c_wind = t.column("wind_m_s", key);
  if (t.rows.empty()) throw ScenarioError({path, 1}, key, "expected at least one hourly row after the header");
  WeatherTable w;
  auto bad = [&](size_t r, const std::string& what) { throw ScenarioError({path, t.lines[r]}, key, what); };
  auto in_range = [&](size_t r, int col, double lo, double hi) {
    const double x = t.number(r, col, key);
    if (!(x >= lo && x <= hi))
      bad(r, "column '" + t.header[size_t(col)] + "' must be in " + std::to_string(int(lo)) + ".." + std::to_string(int(hi)) +
                 ", got " + t.rows[r][size_t(col)]);
    return float(x);
  };
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto time = parse_datetime(t.rows[r][size_t(c_time)]);
    if (!time) bad(r, "expected a datetime like 2026-08-03T14:00 in column 'datetime', got \"" + t.rows[r][size_t(c_time)] + "\"");
    if (r == 0) w.first = *time;
    else if (*time != w.first + LocalSeconds(r) * 3600)
      bad(r, "expected hourly rows without gaps: this row should be " + format_datetime(w.first + LocalSeconds(r) * 3600));
    WeatherHour h;
    h.air_c = in_range(r, c_temp, -50, 60);
    h.rh_pct = in_range(r, c_rh, 0, 100);
    h.solar_kw_m2 = float(solar_mj_h_to_kw_m2(in_range(r, c_solar, 0, 5)));
    h.wind_m_s = in_range(r, c_wind, 0, 80);
    w.hours.push_back(h);
  }
  return w;
}

const WeatherHour& WeatherTable::at(LocalSeconds t) const {
  const int64_t n = int64_t(hours.size());
  int64_t i = (t - first) >= 0 ? (t - first) / 3600 : -((first - t + 3599) / 3600);
  // outside the table: the same hour of its first or last whole day
  if (i >= n) i = n >= 24 ? n - 24 + (i - n) % 24 : n - 1;
  if (i < 0) i = std::min(n - 1, ((i % 24) + 24) % 24);
  return hours[size_t(i)];
}

// ---- [SECTION] weather --------------------------------------------------------------

namespace {
double half_cosine(double x) { return (1 - std::cos(std::numbers::pi * std::clamp(x, 0.0, 1.0))) / 2; }
// Tokyo (the JMA Otemachi/Kitanomaru station), for the city-wide sun
constexpr double kTokyoLat = 35.69, kTokyoLon = 139.75;
}  // namespace

HeatWeather::HeatWeather(const HeatParams& p, const Grid& g, LocalSeconds run_start, std::vector<Heatwave> heatwaves)
    : params_(std::make_shared<HeatParams>(p)), grid_(&g), heatwaves_(std::move(heatwaves)),
      first_midnight_(midnight_of(run_start)) {
  if (p.weather_source == "csv") table_ = read_weather_csv(p.weather_csv, "heat.weather.file");
  const size_t n = g.size();
  urban_.assign(n, 0);
  cooling_c_.assign(n, 0);
  coast_weight_.assign(n, 0);
  island_.assign(n, 0);
  on_grid_.assign(n, 0);
  const double cell_km2 = g.cell_area_km2();
  for (size_t c = 0; c < n; ++c) {
    if (g.mesh_code[c] == 0) continue;
    on_grid_[c] = 1;
    const int mi = g.municipality_index[c];
    island_[c] = mi >= 0 && g.municipalities[size_t(mi)].area == "islands";
    // urban heat island: built-up land use scaled by how many people live and work there
    const auto use = LandUse(g.land_use[c]);
    const double built = use == LandUse::Commercial ? 1.0 : use == LandUse::Industrial ? 0.9
                       : use == LandUse::Residential ? 0.8 : use == LandUse::Agricultural ? 0.2 : 0.0;
    const double density = (g.population[c] + g.day_places[c]) / cell_km2;
    urban_[c] = float(built * std::min(1.0, density / p.uhi_density_ref_per_km2));
    cooling_c_[c] = float(use == LandUse::Park || use == LandUse::Forest ? p.park_cooling_c
                          : use == LandUse::Water || g.water[c] ? p.water_cooling_c : 0.0);
    coast_weight_[c] = island_[c] ? 0.0f : float(std::exp(-double(g.coast_km[c]) / p.sea_breeze_km));
  }
  slot_time_.assign(kSlots, std::numeric_limits<LocalSeconds>::min());
  slot_wbgt_.assign(size_t(kSlots) * n, 0);
  scratch_air_.assign(n, 0);
  scratch_rh_.assign(n, 0);
}

double HeatWeather::heatwave_offset_c(LocalSeconds t) const {
  double off = 0;
  for (const Heatwave& h : heatwaves_)
    if (t >= h.from && t < h.to) off += h.offset_c;
  return off;
}

// a half-cosine rise from the min (tmin_hour) to the max (tmax_hour) and a half-cosine
// fall to the next day's min; days beyond the lists repeat the last value
double HeatWeather::profile_air_c(LocalSeconds t, bool islands) const {
  const HeatParams& p = *params_;
  auto tmax = [&](int64_t d) {
    if (islands) return p.islands_tmax_c;
    return p.tmax_c[size_t(std::clamp<int64_t>(d, 0, int64_t(p.tmax_c.size()) - 1))];
  };
  auto tmin = [&](int64_t d) {
    if (islands) return p.islands_tmin_c;
    return p.tmin_c[size_t(std::clamp<int64_t>(d, 0, int64_t(p.tmin_c.size()) - 1))];
  };
  const LocalSeconds midnight = midnight_of(t);
  const int64_t day = (midnight - first_midnight_) / 86400;
  const double h = double(t - midnight) / 3600.0;
  if (h < p.tmin_hour)  // falling from yesterday's max
    return tmax(day - 1) + (tmin(day) - tmax(day - 1)) * half_cosine((h + 24 - p.tmax_hour) / (24 - p.tmax_hour + p.tmin_hour));
  if (h < p.tmax_hour)
    return tmin(day) + (tmax(day) - tmin(day)) * half_cosine((h - p.tmin_hour) / (p.tmax_hour - p.tmin_hour));
  return tmax(day) + (tmin(day + 1) - tmax(day)) * half_cosine((h - p.tmax_hour) / (24 - p.tmax_hour + p.tmin_hour));
}

WeatherHour HeatWeather::base(LocalSeconds t, bool islands) const {
  const HeatParams& p = *params_;
  WeatherHour w;
  if (p.weather_source == "csv") {
    w = table_.at(t);
    if (islands) w.air_c += float(p.islands_csv_offset_c);
  } else {
    w.air_c = float(profile_air_c(t, islands));
    // the day's vapour pressure is set by the humidity at the daily max
    const LocalSeconds midnight = midnight_of(t);
    const double t_at_max = profile_air_c(midnight + LocalSeconds(p.tmax_hour * 3600), islands);
    const double vapour_hpa = p.rh_at_tmax_pct / 100 * saturation_vapour_pressure_hpa(t_at_max);
    w.rh_pct = float(std::min(100.0, 100 * vapour_hpa / saturation_vapour_pressure_hpa(w.air_c)));
    // radiation over the past hour: the sun at its middle; cloud (Kasten & Czeplak 1980)
    const double sun = sun_elevation_deg(t - 1800, kTokyoLat, kTokyoLon);
    w.solar_kw_m2 = float(clear_sky_kw_m2(sun) * (1 - 0.75 * std::pow(p.cloud_cover, 3.4)));
    w.wind_m_s = float(p.wind_m_s);
  }
  w.air_c += float(heatwave_offset_c(t));
  return w;
}

void HeatWeather::cells(LocalSeconds t, std::span<float> air, std::span<float> rh, std::span<float> wbgt) const {
  const HeatParams& p = *params_;
  const WeatherHour main = base(t, false), isl = base(t, true);
  // day/night weights of the heat island and the sea breeze follow the sun
  const double sun = sun_elevation_deg(t, kTokyoLat, kTokyoLon);
  const double night = std::clamp(1 - sun / 10, 0.0, 1.0), breeze = std::clamp(sun / 30, 0.0, 1.0);
  const double uhi_c = p.uhi_day_c + (p.uhi_night_c - p.uhi_day_c) * night;
  const double vapour_main = main.rh_pct / 100 * saturation_vapour_pressure_hpa(main.air_c);
  const double vapour_isl = isl.rh_pct / 100 * saturation_vapour_pressure_hpa(isl.air_c);
  for (size_t c = 0; c < air.size(); ++c) {
    if (!on_grid_[c]) {
      air[c] = rh[c] = wbgt[c] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    const WeatherHour& w = island_[c] ? isl : main;
    const double ta = w.air_c + urban_[c] * uhi_c - cooling_c_[c] - coast_weight_[c] * p.sea_breeze_c * breeze;
    // the air mass keeps its vapour pressure: warmer cells are drier
    const double r = std::min(100.0, 100 * (island_[c] ? vapour_isl : vapour_main) / saturation_vapour_pressure_hpa(ta));
    air[c] = float(ta);
    rh[c] = float(r);
    wbgt[c] = float(wbgt_moe(ta, r, w.solar_kw_m2, w.wind_m_s));
  }
}

std::span<const float> HeatWeather::wbgt_at(LocalSeconds t) {
  const size_t n = grid_->size();
  const size_t slot = size_t(((t / 3600) % kSlots + kSlots) % kSlots);
  std::span<float> out(&slot_wbgt_[slot * n], n);
  if (slot_time_[slot] != t) {
    cells(t, scratch_air_, scratch_rh_, out);
    slot_time_[slot] = t;
  }
  return out;
}

}  // namespace citysim
