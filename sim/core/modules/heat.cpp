// Heat: the [heat] keys, the hourly step (weather, forecasts, alerts, exposure,
// illness, shelters) and the module. The model and its sources: docs/models/heat.md.
//
// [SECTION] params      keys and [[events]] kinds
// [SECTION] shelters    generated per municipality or read from a CSV; walking catchments
// [SECTION] forecasts   48-hour hourly and 7-day daily-max forecasts, alerts
// [SECTION] step        exposure, dose, illness, shelter trips (parallel, deterministic)
// [SECTION] module      init, events, metrics
#include "modules/heat.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "citysim/areas.hpp"
#include "citysim/city.hpp"

namespace citysim {

// ---- [SECTION] params ---------------------------------------------------------------

void HeatParams::keys(ParamKeys& k) {
  const char* ages = "ages 0-17, 18-64, 65-74, 75+";
  k.section("heat", "Heatwaves: weather and WBGT on the grid, forecasts and alerts, resident exposure, heat illness, cooling shelters.");
  k.key("heat.enabled", enabled, "simulate heat exposure and illness");
  k.key("heat.weather.source", weather_source,
        "profile: daily max/min temperature, humidity and sky below; csv: hourly observations from heat.weather.file")
      .one_of({"profile", "csv"});
  k.path("heat.weather.file", weather_csv,
         "hourly weather `datetime,temp_c,rh_pct,solar_mj_m2,wind_m_s` (JMA units: °C, %, MJ/m² in the hour, m/s)");
  k.key("heat.weather.tmax_c", tmax_c, "daily maximum air temperature, one per day of the run (the last repeats)")
      .units("°C").range(-20, 50);
  k.key("heat.weather.tmin_c", tmin_c, "daily minimum air temperature, one per day of the run (the last repeats)")
      .units("°C").range(-30, 40);
  k.key("heat.weather.tmax_hour", tmax_hour, "local hour of the daily maximum (Tokyo summer: about 14)").units("h").range(10, 18);
  k.key("heat.weather.tmin_hour", tmin_hour, "local hour of the daily minimum (about sunrise)").units("h").range(2, 8);
  k.key("heat.weather.rh_at_tmax_pct", rh_at_tmax_pct,
        "relative humidity at the daily maximum; the vapour pressure is held for the day, so nights are more humid")
      .units("%").range(1, 100);
  k.key("heat.weather.cloud_cover", cloud_cover, "cloud cover, 0 clear .. 1 overcast (reduces sun by 1 - 0.75 N^3.4)").range(0, 1);
  k.key("heat.weather.wind_m_s", wind_m_s, "wind speed").units("m/s").range(0, 40);
  k.key("heat.islands.tmax_c", islands_tmax_c, "island municipalities: daily maximum (their own profile; Hachijojima August normal about 30)").units("°C").range(-20, 50);
  k.key("heat.islands.tmin_c", islands_tmin_c, "island municipalities: daily minimum").units("°C").range(-30, 40);
  k.key("heat.islands.csv_offset_c", islands_csv_offset_c, "island municipalities: offset added to the CSV temperature").units("°C").range(-15, 15);
  k.key("heat.uhi.day_c", uhi_day_c, "urban heat island by day in the densest built-up cells").units("°C").range(0, 6);
  k.key("heat.uhi.night_c", uhi_night_c, "urban heat island at night in the densest built-up cells").units("°C").range(0, 8);
  k.key("heat.uhi.density_ref_per_km2", uhi_density_ref_per_km2,
        "residents + jobs per km² at which a built-up cell gets the full heat island").units("people/km²").above(0);
  k.key("heat.park_cooling_c", park_cooling_c, "parks and forest are cooler than their surroundings").units("°C").range(0, 5);
  k.key("heat.water_cooling_c", water_cooling_c, "water cells are cooler").units("°C").range(0, 5);
  k.key("heat.sea_breeze_c", sea_breeze_c, "daytime sea-breeze cooling at the coast").units("°C").range(0, 5);
  k.key("heat.sea_breeze_km", sea_breeze_km, "e-folding distance of the sea breeze inland").units("km").above(0);
  k.key("heat.indoor.ac_wbgt_c", ac_wbgt_c, "WBGT in air-conditioned rooms and shelters (28 °C at 50-60% RH without sun: about 23)").units("°C").range(15, 30);
  k.key("heat.indoor.ac_use_share", ac_use_share, "share of residents with air conditioning at home who run it in hot weather").range(0, 1);
  k.key("heat.indoor.lag_h", indoor_lag_h, "time constant of indoor air temperature following the outdoors, rooms without AC").units("h").above(0);
  k.key("heat.indoor.gain_c", indoor_gain_c, "indoor air above the outdoor air it follows (sun on walls and roof, people, appliances)").units("°C").range(-5, 10);
  k.key("heat.dose.threshold_c", dose_threshold_c, "WBGT above which heat dose accumulates (警戒 warning level)").units("°C").range(15, 35);
  k.key("heat.dose.recovery_h", dose_recovery_h, "time constant over which accumulated dose recovers").units("h").above(0);
  k.list("heat.illness.hazard_per_million_h", hazard_per_million_h, kHeatAgeGroups, ages,
         "hourly heat-illness hazard at WBGT 28 and no dose, per million people, for ages 0-17, 18-64, 65-74, 75+ (calibrated to Tokyo Fire Department transports)")
      .at_least(0);
  k.list("heat.illness.outdoor_factor", outdoor_factor, kHeatAgeGroups, ages,
         "hazard multiplier for hours outdoors (exertion, sun, outdoor work and sport that day plans do not show), ages 0-17, 18-64, 65-74, 75+; calibrated to TFD's at-home shares")
      .at_least(0);
  k.key("heat.illness.slope_per_c", hazard_slope_per_c, "exponential rise of the hazard per °C of WBGT (Ueno et al. 2021 shape)").units("1/°C").range(0, 2);
  k.key("heat.illness.min_wbgt_c", hazard_min_wbgt_c, "no heat illness below this WBGT").units("°C").range(10, 35);
  k.key("heat.illness.dose_ref_c_h", hazard_dose_ref_c_h, "accumulated dose that doubles the hazard").units("°C·h").above(0);
  k.key("heat.illness.transport_share", transport_share, "share of cases taken to hospital by ambulance (the rest mild, treated where they are)").range(0, 1);
  k.key("heat.illness.severe_share", severe_share, "share of transported cases that are severe (TFD: about 3%)").range(0, 1);
  k.key("heat.forecast.bias_c", forecast_bias_c, "mean forecast error of WBGT (forecast - truth)").units("°C").range(-5, 5);
  k.key("heat.forecast.sd_1h_c", forecast_sd_1h_c, "spread of the WBGT forecast error one hour ahead").units("°C").range(0, 10);
  k.key("heat.forecast.sd_48h_c", forecast_sd_48h_c, "spread of the WBGT forecast error 48 hours ahead").units("°C").range(0, 10);
  k.key("heat.forecast.sd_per_day_c", forecast_sd_per_day_c, "growth of the daily-max forecast error spread per day of lead").units("°C").range(0, 5);
  k.path("heat.shelters.file", shelters_csv, "cooling shelters `lat,lon,capacity_people,open_hour,close_hour`; empty = generated per municipality").structural();
  k.key("heat.shelters.per_municipality", shelters_per_municipality, "generated cooling shelters (クーリングシェルター) per municipality, placed where people live").range(0, 10000).structural();
  k.key("heat.shelters.capacity_people", shelter_capacity_people, "places in each generated shelter").units("people").at_least(0).structural();
  k.key("heat.shelters.open_hour", shelter_open_hour, "generated shelters open at").units("h").range(0, 24);
  k.key("heat.shelters.close_hour", shelter_close_hour, "generated shelters close at").units("h").range(0, 24);
  k.key("heat.shelters.walk_km", shelter_walk_km, "farthest shelter a resident walks to (cell centre to cell centre)").units("km").at_least(0).structural();
  k.key("heat.shelters.outreach_share", outreach_share,
        "share of vulnerable residents (65+, no working AC) at home who go to a shelter on an alert day")
      .range(0, 1);
}

void HeatParams::describe(Schema& s) {
  describe_keys<HeatParams>(s);

  auto& wave = s.event("heat_wave", "heat: a heatwave, air temperature raised everywhere for a period (known to the forecasts)");
  wave.key("offset_c", ValueKind::Float, 2.0, "added to the air temperature").units("°C").range(-15, 15);
  wave.key("duration_hours", ValueKind::Float, 72.0, "length").units("h").above(0);
  auto& hours = s.event("heat_shelter_hours", "heat: every cooling shelter opens at new hours for a period (extended hours)");
  hours.key("open_hour", ValueKind::Float, 8.0, "open from").units("h").range(0, 24);
  hours.key("close_hour", ValueKind::Float, 21.0, "close at").units("h").range(0, 24);
  hours.key("duration_hours", ValueKind::Float, 72.0, "how long the new hours last").units("h").above(0);
  auto& reach = s.event("heat_outreach", "heat: an outreach campaign (calls, visits, neighbourhood associations) raises shelter use");
  reach.key("share", ValueKind::Float, 0.3, "share of vulnerable residents at home who go on an alert day while it runs").range(0, 1);
  reach.key("duration_hours", ValueKind::Float, 72.0, "how long it runs").units("h").above(0);
}

HeatParams HeatParams::from(const Scenario& sc) {
  HeatParams p = read_keys<HeatParams>(sc);
  if (p.weather_source == "csv" && p.weather_csv.empty())
    throw ScenarioError(sc.loc_of("heat.weather.source"), "heat.weather.file", "weather source csv needs a file in heat.weather.file");
  for (const auto& [key, temps] : {std::pair{"heat.weather.tmax_c", &p.tmax_c}, std::pair{"heat.weather.tmin_c", &p.tmin_c}})
    if (temps->empty()) throw ScenarioError(sc.loc_of(key), key, "expected at least one temperature");
  for (size_t d = 0; d < std::max(p.tmax_c.size(), p.tmin_c.size()); ++d)
    if (p.tmax_c[std::min(d, p.tmax_c.size() - 1)] < p.tmin_c[std::min(d, p.tmin_c.size() - 1)])
      throw ScenarioError(sc.loc_of("heat.weather.tmax_c"), "heat.weather.tmax_c",
                          "day " + std::to_string(d + 1) + ": the maximum is below the minimum");
  sc.require_after("heat.shelters.open_hour", "heat.shelters.close_hour", "shelters must close after they open");
  return p;
}

namespace {

// entities of the Heat stream's draws besides residents (whose index is below 2^32)
constexpr uint64_t kForecastEntity = 1ull << 40, kShelterEntity = 2ull << 40;
constexpr uint32_t kTraitsTick = 0xFFFFFFFFu, kShelterTripTick = 0x80000000u, kRestoreTick = 0x40000000u;
constexpr size_t kBlock = 1 << 14;


bool shelter_open(const HeatState& s, const Shelter& sh, LocalSeconds now) {
  const bool override = now < s.hours_until;
  const double h = hour_of_day(now);
  return h >= (override ? s.open_hour_now : sh.open_hour) && h < (override ? s.close_hour_now : sh.close_hour);
}

// ---- [SECTION] shelters -------------------------------------------------------------

std::vector<Shelter> make_shelters(const HeatParams& p, const Grid& g, double weight, uint64_t seed) {
  std::vector<Shelter> out;
  const Rng rng(seed, Stream::Heat);
  if (!p.shelters_csv.empty()) {
    const std::string key = "heat.shelters.file";
    const CsvTable t = read_csv(p.shelters_csv, key);
    const int c_lat = t.column("lat", key), c_lon = t.column("lon", key), c_cap = t.column("capacity_people", key);
    const int c_open = t.column("open_hour", key), c_close = t.column("close_hour", key);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      Shelter s;
      const double lat = t.number(r, c_lat, key), lon = t.number(r, c_lon, key);
      if (!in_tokyo_extent(lat, lon))
        throw ScenarioError({t.path, t.lines[r]}, key,
                            std::string("expected a shelter inside Tokyo (") + tokyo_extent_text + "), got " +
                                format_number(lat) + ", " + format_number(lon));
      const int64_t cell = g.cell_at(lat, lon);
      s.capacity_people = t.number(r, c_cap, key);
      s.open_hour = t.number(r, c_open, key);
      s.close_hour = t.number(r, c_close, key);
      if (s.capacity_people < 0 || s.open_hour < 0 || s.close_hour > 24 || s.close_hour <= s.open_hour)
        throw ScenarioError({t.path, t.lines[r]}, key, "expected capacity_people >= 0 and 0 <= open_hour < close_hour <= 24");
      // a city-wide list serves runs of a few municipalities: shelters elsewhere are skipped
      if (cell < 0 || !g.is_land(size_t(cell))) continue;
      s.cell = uint32_t(cell);
      out.push_back(s);
    }
  } else {
    // per municipality, cells drawn in proportion to the people living there
    std::vector<std::vector<uint32_t>> cells(g.municipalities.size());
    for (size_t c = 0; c < g.size(); ++c)
      if (g.municipality_index[c] >= 0 && g.population[c] > 0) cells[size_t(g.municipality_index[c])].push_back(uint32_t(c));
    for (size_t m = 0; m < cells.size(); ++m) {
      if (cells[m].empty()) continue;
      std::vector<double> cum;
      double total = 0;
      for (uint32_t c : cells[m]) cum.push_back(total += g.population[c]);
      Draws d(rng, kShelterEntity + m, 0);
      for (int k = 0; k < p.shelters_per_municipality; ++k) {
        Shelter s;
        s.cell = cells[m][sample_cdf(cum, d.uniform())];
        s.capacity_people = p.shelter_capacity_people;
        s.open_hour = p.shelter_open_hour;
        s.close_hour = p.shelter_close_hour;
        out.push_back(s);
      }
    }
  }
  // places for simulated residents: stochastic rounding keeps the expected capacity
  for (size_t i = 0; i < out.size(); ++i) {
    Draws d(rng, kShelterEntity + (1ull << 20) + i, 0);
    out[i].capacity = int(std::floor(out[i].capacity_people / weight + d.uniform()));
  }
  return out;
}

// each cell's shelters within walking distance, nearest first (CSR)
void walking_catchments(const Grid& g, double walk_km, const std::vector<Shelter>& shelters, HeatState& s) {
  s.near_start.assign(g.size() + 1, 0);
  s.near_shelters.clear();
  std::vector<std::pair<double, uint32_t>> near;
  for (size_t c = 0; c < g.size(); ++c) {
    s.near_start[c] = uint32_t(s.near_shelters.size());
    if (!g.is_land(c)) continue;
    near.clear();
    for (size_t i = 0; i < shelters.size(); ++i) {
      if (std::abs(g.lat[c] - g.lat[shelters[i].cell]) > walk_km / 100) continue;  // 1° lat > 110 km
      const double km = g.distance_km(c, shelters[i].cell);
      if (km <= walk_km) near.push_back({km, uint32_t(i)});
    }
    std::sort(near.begin(), near.end());
    for (const auto& [km, i] : near) s.near_shelters.push_back(i);
  }
  s.near_start[g.size()] = uint32_t(s.near_shelters.size());
}

// ---- [SECTION] forecasts ------------------------------------------------------------

// hourly forecasts from the truth plus a city-wide error that grows with lead time (a
// random walk whose spread goes from sd_1h to sd_48h); daily maxima likewise by day
void update_forecasts(const HeatParams& p, HeatState& s, World& w, bool first) {
  const Grid& g = w.grid;
  const size_t n = g.size();
  const LocalSeconds now = w.clock.now(), today = midnight_of(now);
  const Rng rng(w.seed, Stream::Heat);
  Draws d(rng, kForecastEntity, uint32_t(s.hour));
  auto mainland = [&](size_t c) { return g.is_land(c) && !s.weather.is_island(c); };
  double err = p.forecast_bias_c, prev_sd = 0;
  s.forecast_48h_max_c.assign(48, 0);
  for (int lead = 1; lead <= 48; ++lead) {
    const double sd = p.forecast_sd_1h_c + (p.forecast_sd_48h_c - p.forecast_sd_1h_c) * (lead - 1) / 47.0;
    err += std::sqrt(std::max(0.0, sd * sd - prev_sd * prev_sd)) * d.normal();
    prev_sd = sd;
    const auto truth = s.weather.wbgt_at(now + lead * 3600);
    float mx = -std::numeric_limits<float>::infinity();
    for (size_t c = 0; c < n; ++c)
      if (mainland(c)) mx = std::max(mx, truth[c]);
    s.forecast_48h_max_c[size_t(lead - 1)] = float(mx + err);
  }
  // daily maxima of the truth, per cell, recomputed when the day changes
  s.forecast_7d_max_c.assign(7, 0);
  std::vector<float>& truth_max = s.daily_truth_max_c;
  if (s.daily_truth_day != today) {
    truth_max.assign(7 * n, -std::numeric_limits<float>::infinity());
    for (int k = 0; k < 7; ++k)
      for (int h = 0; h < 24; ++h) {
        const auto wb = s.weather.wbgt_at(today + k * 86400 + h * 3600);
        for (size_t c = 0; c < n; ++c) truth_max[size_t(k) * n + c] = std::max(truth_max[size_t(k) * n + c], wb[c]);
      }
    s.daily_truth_day = today;
  }
  err = p.forecast_bias_c;
  prev_sd = 0;
  s.forecast_today_c.resize(n);
  s.forecast_tomorrow_c.resize(n);
  for (int k = 0; k < 7; ++k) {
    const double sd = p.forecast_sd_1h_c + p.forecast_sd_per_day_c * k;
    err += std::sqrt(std::max(0.0, sd * sd - prev_sd * prev_sd)) * d.normal();
    prev_sd = sd;
    float mx = -std::numeric_limits<float>::infinity();
    for (size_t c = 0; c < n; ++c) {
      const float f = mainland(c) ? float(truth_max[size_t(k) * n + c] + err) : std::numeric_limits<float>::quiet_NaN();
      if (mainland(c)) mx = std::max(mx, f);
      if (k == 0) s.forecast_today_c[c] = f;
      if (k == 1) s.forecast_tomorrow_c[c] = f;
    }
    s.forecast_7d_max_c[size_t(k)] = mx;
  }
  // alerts: issued at 17:00 for the next day and at 05:00 for the same day (MoE practice);
  // a run that starts later in the day gets the ones already issued
  const int hour = int(hour_of_day(now));
  auto issue = [&](int level, LocalSeconds day) {
    if (level > 0) s.new_alerts.push_back({now, day, level});
  };
  if (first || hour == 5) {
    const int level = alert_level(s.forecast_today_c);
    if (level > s.alert_today) issue(level, today);
    s.alert_today = std::max(s.alert_today, level);
  }
  if (hour == 17 || (first && hour > 17)) {
    s.alert_tomorrow = alert_level(s.forecast_tomorrow_c);
    issue(s.alert_tomorrow, today + 86400);
  }
}

}  // namespace

// ---- [SECTION] step -----------------------------------------------------------------

void step_heat(const HeatParams& p, HeatState& s, World& w) {
  const Grid& g = w.grid;
  Residents& R = w.residents;
  const size_t n_cells = g.size();
  const LocalSeconds now = w.clock.now();
  const bool first = s.hour < 0;
  s.hour = w.clock.elapsed_minutes() / 60;
  // a new day: yesterday evening's alert covers today
  if (!first && midnight_of(now) != midnight_of(now - 3600)) {
    s.alert_today = s.alert_tomorrow;
    s.alert_tomorrow = 0;
  }
  // weather now; rooms without AC follow the outdoor air with a lag
  s.weather.cells(now, s.air_c, s.rh_pct, s.wbgt_c);
  s.city = s.weather.base(now, false);
  const double follow = 1 - std::exp(-1.0 / p.indoor_lag_h);
  for (size_t c = 0; c < n_cells; ++c) {
    if (std::isnan(s.air_c[c])) { s.indoor_wbgt_c[c] = s.indoor_c[c] = s.air_c[c]; continue; }
    if (std::isnan(s.indoor_c[c]) || first) s.indoor_c[c] = float(s.air_c[c] + p.indoor_gain_c);
    else s.indoor_c[c] += float((s.air_c[c] + p.indoor_gain_c - s.indoor_c[c]) * follow);
    const double vapour = s.rh_pct[c] / 100 * saturation_vapour_pressure_hpa(s.air_c[c]);
    const double rh_in = std::min(100.0, 100 * vapour / saturation_vapour_pressure_hpa(s.indoor_c[c]));
    s.indoor_wbgt_c[c] = float(wbgt_moe(s.indoor_c[c], rh_in, 0, 0));  // shade, still air
  }
  // where a resident can be, per cell: cool (air conditioning or a shelter), indoors
  // without AC, outdoors; the hour's WBGT, risk level and relative risk exp(b·(WBGT − 28))
  // of each (0 below the minimum)
  enum Place : uint8_t { kCool = 0, kWarmIndoors = 1, kOutdoors = 2 };
  auto risk = [&](double wbgt) { return wbgt >= p.hazard_min_wbgt_c ? std::exp(p.hazard_slope_per_c * (wbgt - 28)) : 0.0; };
  const double ac_risk = risk(p.ac_wbgt_c);
  s.place_wbgt.resize(n_cells * 3);
  s.place_risk.resize(n_cells * 3);
  s.place_level.resize(n_cells * 3);
  for (size_t c = 0; c < n_cells; ++c) {
    const double wbgt[3] = {p.ac_wbgt_c, s.indoor_wbgt_c[c], s.wbgt_c[c]};
    for (size_t k = 0; k < 3; ++k) {
      s.place_wbgt[c * 3 + k] = wbgt[k];
      s.place_risk[c * 3 + k] = k == kCool ? ac_risk : std::isnan(wbgt[k]) ? 0.0 : double(float(risk(wbgt[k])));
      s.place_level[c * 3 + k] = uint8_t(heat_level(wbgt[k]));
    }
  }
  w.couplings.wbgt_c = s.wbgt_c;
  w.couplings.wind_m_s = s.city.wind_m_s;
  update_forecasts(p, s, w, first);
  w.couplings.heat_alert_level = s.alert_today;
  w.couplings.heat_alert_tomorrow = s.alert_tomorrow;
  w.couplings.heat_alert_day = w.clock.day_index();
  for (const auto& a : s.new_alerts) w.events.emit(a);
  if (first) return;  // the initial state: no hour has passed yet

  // residents: the past hour's exposure, dose and illness; shelter leavers and seekers
  const int64_t today = w.clock.day_index();
  const double share_now = now < s.outreach_until ? s.outreach_share_now : p.outreach_share;
  bool any_open = false;
  for (const Shelter& sh : s.shelters) any_open = any_open || shelter_open(s, sh, now);
  const bool seek = s.alert_today >= 1 && any_open && share_now > 0;
  const double open_h = now < s.hours_until ? s.close_hour_now - s.open_hour_now : p.shelter_close_hour - p.shelter_open_hour;
  const double trip_prob_h = 1 - std::pow(1 - share_now, 1 / std::max(1.0, open_h));
  const double decay = std::exp(-1.0 / p.dose_recovery_h), per_dose = 1 / p.hazard_dose_ref_c_h;
  const bool any_cut = std::any_of(s.power_cut_until.begin(), s.power_cut_until.end(), [&](LocalSeconds t) { return t > now; });
  const Rng rng(w.seed, Stream::Heat);
  struct BlockOut {
    std::vector<HeatIllnessEvent> cases;
    std::vector<uint32_t> seekers;
    std::array<std::array<int64_t, kHeatLevels>, kHeatAgeGroups> person_hours{};
    std::array<int64_t, kDoseBins> dose{};
    std::array<double, kHeatAgeGroups> expected{}, expected_at_home{};
  };
  // hazard per hour at relative risk 1 and no dose, by age group and place
  std::array<std::array<double, 3>, kHeatAgeGroups> base_hazard{};
  for (size_t a = 0; a < size_t(kHeatAgeGroups); ++a)
    for (size_t k = 0; k < 3; ++k) base_hazard[a][k] = p.hazard_per_million_h[a] * 1e-6 * (k == kOutdoors ? p.outdoor_factor[a] : 1.0);
  std::array<uint8_t, 256> group_of_age{};
  for (size_t age = 0; age < group_of_age.size(); ++age) group_of_age[age] = uint8_t(heat_age_group(int(age)));
  const size_t n = R.count, blocks = (n + kBlock - 1) / kBlock;
  std::vector<BlockOut> out(blocks);
  s.block_has_dose.resize(blocks, 1);
  const bool any_sheltered = std::any_of(s.shelters.begin(), s.shelters.end(), [](const Shelter& sh) { return sh.occupancy > 0; });
  tbb::parallel_for(size_t(0), blocks, [&](size_t b) {
    BlockOut& o = out[b];
    // local pointers: the stores below cannot make the compiler reload them
    const uint8_t *age = R.age.data(), *activity = R.activity.data(), *flags = R.flags.data(), *traits = s.traits.data();
    const uint32_t* cell_of = R.cell.data();
    const double *place_wbgt = s.place_wbgt.data(), *place_risk = s.place_risk.data();
    const uint8_t* place_level = s.place_level.data();
    float* dose_c_h = s.dose_c_h.data();
    double* hazard_left = s.hazard_left.data();
    const double threshold = p.dose_threshold_c;
    const bool quiet_cool = ac_risk == 0 && p.ac_wbgt_c <= threshold && !seek;
    const bool block_dose = s.block_has_dose[b];  // anyone in the block carried a dose an hour ago
    bool dose_now = false;
    for (size_t r = b * kBlock; r < std::min(n, (b + 1) * kBlock); ++r) {
      const bool home = activity[r] == uint8_t(Activity::Home);
      const bool powered = !any_cut || s.power_cut_until[cell_of[r]] <= now;
      const int32_t sh = any_sheltered ? s.shelter_of[r] : -1;
      // where they were: a shelter and AC are cool; homes without AC follow the outdoors
      const bool ac_home = (traits[r] & kAcWorks) && powered;
      size_t place = kCool;
      if (sh >= 0) {
        if (!home || !shelter_open(s, s.shelters[size_t(sh)], now)) {
          std::atomic_ref<int>(s.shelters[size_t(sh)].occupancy).fetch_sub(1, std::memory_order_relaxed);
          s.shelter_of[r] = -1;
        }
      } else if (flags[r] & Outdoors) {
        place = kOutdoors;
      } else if (home ? !ac_home && !(flags[r] & Commuter) : !powered) {
        // workplaces, shops and trains have AC unless the power is cut; in-commuters at
        // home are outside the city, their heat there is not the city's
        place = kWarmIndoors;
      }
      // most people are somewhere cool (no risk, no dose added): at most their dose decays
      if (place == kCool && quiet_cool) {
        float& dose = dose_c_h[r];
        if (block_dose && dose > 0) {
          dose = float(dose * decay);
          const double d = dose;
          dose_now |= d > 0;
          ++o.dose[size_t((d > 0) + (d > 10) + (d > 30) + (d > 60) + (d > 100))];
        }
        continue;
      }
      const size_t group = group_of_age[age[r]];
      const uint32_t cell = cell_of[r];
      const size_t at = cell * 3 + place;
      const double wbgt = place_wbgt[at], heat_risk = place_risk[at];
      // the cool are counted as everyone less the others, after the loop
      if (place != kCool) ++o.person_hours[group][place_level[at]];
      // most people carry no dose: keep their hour to one comparison (bin 0 is counted
      // as everyone less the other bins)
      float& dose = dose_c_h[r];
      double d = 0;
      if (dose > 0 || wbgt > threshold) {
        dose = float(dose * decay + std::max(0.0, wbgt - threshold));
        d = dose;
        dose_now |= d > 0;
        ++o.dose[size_t((d > 0) + (d > 10) + (d > 30) + (d > 60) + (d > 100))];
      }
      if (heat_risk > 0) {
        // the hour's cumulative hazard runs down an Exp(1) clock: a case when it runs out
        // (the same law as an hourly Bernoulli draw, with one draw per case instead of per hour)
        const double hazard = base_hazard[group][place] * heat_risk * (1 + d * per_dose);
        o.expected[group] += hazard;
        if (home && sh < 0) o.expected_at_home[group] += hazard;
        double& left = hazard_left[r];
        left -= hazard;
        if (left <= 0) {
          Draws draw(rng, r, uint32_t(s.hour));
          left += draw.exponential(1.0);
          const bool transported = draw.uniform() < p.transport_share;
          const uint8_t severity = !transported ? 1 : draw.uniform() < p.severe_share ? 3 : 2;
          o.cases.push_back({uint32_t(r), sh >= 0 ? s.shelters[size_t(sh)].cell : cell, now, float(wbgt), severity,
                             home && sh < 0});
        }
      }
      // vulnerable residents at home may set off for a shelter for the coming hours
      if (seek && s.shelter_of[r] < 0 && home && cell == R.home_cell[r] && age[r] >= 65 && !ac_home && s.visit_day[r] != today &&
          s.near_start[cell] < s.near_start[cell + 1] && Draws(rng, r, kShelterTripTick | uint32_t(s.hour)).bernoulli(trip_prob_h))
        o.seekers.push_back(uint32_t(r));
    }
    s.block_has_dose[b] = dose_now;
  });
  // the cool: everyone in the age group less those counted elsewhere; dose bin 0 likewise
  const size_t cool_level = size_t(heat_level(p.ac_wbgt_c));
  std::array<int64_t, kHeatAgeGroups> cool = s.residents_by_group;
  int64_t no_dose = int64_t(n);
  for (const BlockOut& o : out) {
    for (size_t a = 0; a < size_t(kHeatAgeGroups); ++a)
      for (int64_t x : o.person_hours[a]) cool[a] -= x;
    for (int64_t x : o.dose) no_dose -= x;
  }
  for (size_t a = 0; a < size_t(kHeatAgeGroups); ++a) s.person_hours[a][cool_level] += cool[a];
  // merge in block order; seats go first come (resident order) first served
  for (BlockOut& o : out) {
    for (int a = 0; a < kHeatAgeGroups; ++a) {
      for (int l = 0; l < kHeatLevels; ++l) s.person_hours[size_t(a)][size_t(l)] += o.person_hours[size_t(a)][size_t(l)];
      s.expected_total[size_t(a)] += o.expected[size_t(a)];
      s.expected_at_home_total[size_t(a)] += o.expected_at_home[size_t(a)];
    }
    for (const HeatIllnessEvent& e : o.cases) {
      const size_t group = size_t(heat_age_group(R.age[e.resident]));
      ++s.cases[group];
      ++s.cases_total[group];
      if (e.at_home) ++s.cases_at_home[group];
      if (e.severity >= 2) {
        ++s.transports[group];
        if (g.municipality_index[e.cell] >= 0) ++s.transports_by_muni[size_t(g.municipality_index[e.cell])];
      }
      s.new_cases.push_back(e);
      w.events.emit(e);
    }
    for (uint32_t r : o.seekers) {
      const uint32_t cell = R.home_cell[r];
      s.visit_day[r] = int16_t(today);
      for (uint32_t k = s.near_start[cell]; k < s.near_start[cell + 1]; ++k) {
        Shelter& sh = s.shelters[s.near_shelters[k]];
        if (!shelter_open(s, sh, now)) continue;
        if (sh.occupancy < sh.capacity) {
          ++sh.occupancy;
          s.shelter_of[r] = int32_t(s.near_shelters[k]);
          if (!(s.traits[r] & kReached)) ++s.reached;
          s.traits[r] |= kReached;
        } else {
          ++s.turned_away;  // the nearest open shelter is full
        }
        break;
      }
    }
  }
  s.dose_histogram.assign(kDoseBins, 0);
  s.dose_histogram[0] = no_dose;
  for (const BlockOut& o : out)
    for (int i = 1; i < kDoseBins; ++i) s.dose_histogram[size_t(i)] += o.dose[size_t(i)];
}

// ---- [SECTION] module ---------------------------------------------------------------

void archive(StateArchive& ar, HeatWeather& w) {
  // the rest is built from the scenario; the cache changes what later draws see only by
  // its contents, which are a pure function of it, but listing it keeps a resume exact
  ar(w.slot_time_, w.slot_wbgt_);
}

void archive(StateArchive& ar, HeatState& s) {
  CITYSIM_ARCHIVE_COVERS(HeatState, 1504);
  ar(s.hour, s.weather, s.air_c, s.rh_pct, s.wbgt_c, s.indoor_c, s.indoor_wbgt_c, s.place_wbgt, s.place_risk,
     s.place_level, s.residents_by_group, s.block_has_dose, s.city, s.forecast_48h_max_c, s.forecast_7d_max_c,
     s.forecast_today_c, s.forecast_tomorrow_c, s.daily_truth_max_c, s.daily_truth_day, s.alert_today,
     s.alert_tomorrow, s.power_cut_until, s.dose_c_h, s.hazard_left, s.shelter_of, s.visit_day, s.traits, s.shelters);
  ar(s.near_start, s.near_shelters, s.person_hours, s.cases, s.transports, s.cases_at_home, s.transports_by_muni,
     s.turned_away, s.cases_total, s.expected_total, s.expected_at_home_total, s.dose_histogram, s.vulnerable,
     s.reached, s.outreach_until, s.hours_until, s.outreach_share_now, s.open_hour_now, s.close_hour_now,
     s.new_cases, s.new_alerts);
}

namespace {

class HeatModule final : public Module {
 public:
  HeatModule(const Scenario& sc, const Grid& g) : params_(HeatParams::from(sc)), grid_(g) {
    for (const TimelineEvent& ev : sc.events()) {
      if (is_power_event(ev.kind)) area_of(ev, g);  // a bad area stops the run before it starts
      if (ev.kind == "heat_wave")
        heatwaves_.push_back({ev.at, ev.at + LocalSeconds(ev.get_double("duration_hours") * 3600), ev.get_double("offset_c")});
      if (ev.kind == "heat_shelter_hours" && ev.get_double("close_hour") <= ev.get_double("open_hour"))
        throw ScenarioError(ev.loc, "close_hour", "shelters must close after they open");
    }
  }
  const char* name() const override { return "heat"; }
  int cadence_minutes() const override { return 60; }
  const HeatState& state() const { return state_; }

  void init(World& w) override {
    w.events.declare<HeatIllnessEvent>(), w.events.declare<HeatAlertEvent>();  // for snapshots
    const Residents& R = w.residents;
    const size_t n = R.count, cells = grid_.size();
    run_start_ = w.clock.start;
    metrics_ = &w.metrics;
    residents_ = &w.residents;
    HeatState& s = state_;
    s.weather = HeatWeather(params_, grid_, run_start_, heatwaves_);
    for (auto* v : {&s.air_c, &s.rh_pct, &s.wbgt_c, &s.indoor_c, &s.indoor_wbgt_c})
      v->assign(cells, std::numeric_limits<float>::quiet_NaN());
    s.power_cut_until.assign(cells, std::numeric_limits<LocalSeconds>::min());
    s.dose_c_h.assign(n, 0);
    s.hazard_left.assign(n, 0);
    s.shelter_of.assign(n, -1);
    s.visit_day.assign(n, -1);
    s.traits.assign(n, 0);
    const Rng rng(w.seed, Stream::Heat);
    tbb::parallel_for(size_t(0), n, [&](size_t r) {
      Draws d(rng, r, kTraitsTick);
      if (d.bernoulli(params_.ac_use_share) && R.has(r, AirConditioning)) s.traits[r] = kAcWorks;
      s.hazard_left[r] = d.exponential(1.0);
    });
    for (size_t r = 0; r < n; ++r) {
      if (R.age[r] >= 65 && !(s.traits[r] & kAcWorks)) ++s.vulnerable;
      ++s.residents_by_group[size_t(heat_age_group(R.age[r]))];
    }
    s.shelters = make_shelters(params_, grid_, R.weight, w.seed);
    walking_catchments(grid_, params_.shelter_walk_km, s.shelters, s);
    s.transports_by_muni.assign(grid_.municipalities.size(), 0);
    s.dose_histogram.assign(kDoseBins, 0);
    s.dose_histogram[0] = int64_t(n);
    // rooms without AC start from two days of following the outdoor air
    const double follow = 1 - std::exp(-1.0 / params_.indoor_lag_h);
    for (LocalSeconds t = w.clock.now() - 48 * 3600; t < w.clock.now(); t += 3600) {
      s.weather.cells(t, s.air_c, s.rh_pct, s.wbgt_c);
      for (size_t c = 0; c < cells; ++c)
        s.indoor_c[c] = std::isnan(s.indoor_c[c]) ? float(s.air_c[c] + params_.indoor_gain_c)
                                                  : s.indoor_c[c] + float((s.air_c[c] + params_.indoor_gain_c - s.indoor_c[c]) * follow);
    }
    register_metrics(w);
    step_heat(params_, s, w);  // weather, forecasts and alerts for the start time
    record_tables();
  }

  void step(World& w) override {
    step_heat(params_, state_, w);
    record_tables();
  }

  void on_event(const TimelineEvent& ev, World& w) override {
    HeatState& s = state_;
    // a power cut stops the air conditioners of the area's cells until its duration ends
    // or a restoration reaches them (the core's events, which the network reacts to too)
    if (ev.kind == "power_cut") {
      const double hours = ev.get_double("duration_hours");
      const LocalSeconds back =
          hours > 0 ? ev.at + LocalSeconds(std::llround(hours * 3600)) : std::numeric_limits<LocalSeconds>::max();
      const Area area = area_of(ev, grid_);
      for (size_t c = 0; c < grid_.size(); ++c)
        if (area.contains_cell(grid_, c)) s.power_cut_until[c] = std::max(s.power_cut_until[c], back);
      return;
    }
    if (ev.kind == "restoration") {
      const Area area = area_of(ev, grid_);
      const Rng rng(w.seed, Stream::Heat);
      for (size_t c = 0; c < grid_.size(); ++c)
        if (s.power_cut_until[c] > ev.at && area.contains_cell(grid_, c))
          s.power_cut_until[c] = restored_at(ev, Draws(rng, c, kRestoreTick | uint32_t(ev.index)).uniform());
      return;
    }
    if (ev.kind != "heat_shelter_hours" && ev.kind != "heat_outreach") return;
    const LocalSeconds until = ev.at + LocalSeconds(ev.get_double("duration_hours") * 3600);
    if (ev.kind == "heat_shelter_hours") {
      s.open_hour_now = ev.get_double("open_hour");
      s.close_hour_now = ev.get_double("close_hour");
      s.hours_until = until;
    } else if (ev.kind == "heat_outreach") {
      s.outreach_share_now = ev.get_double("share");
      s.outreach_until = until;
    }
  }

  void publish(World& w) override {
    HeatState& s = state_;
    const double wt = w.residents.weight;
    auto copy = [&](FieldId id, const std::vector<float>& v) { std::copy(v.begin(), v.end(), w.metrics.field(id).begin()); };
    copy(f_wbgt_, s.wbgt_c);
    copy(f_indoor_, s.indoor_wbgt_c);
    copy(f_today_, s.forecast_today_c);
    copy(f_tomorrow_, s.forecast_tomorrow_c);
    w.metrics.set(s_air_, s.city.air_c);
    w.metrics.set(s_rh_, s.city.rh_pct);
    w.metrics.set(s_solar_, s.city.solar_kw_m2);
    w.metrics.set(s_wind_, s.city.wind_m_s);
    double mx = -1e9;
    for (size_t c = 0; c < grid_.size(); ++c)
      if (grid_.is_land(c)) mx = std::max(mx, double(s.wbgt_c[c]));
    w.metrics.set(s_wbgt_max_, mx);
    w.metrics.set(s_alert_, s.alert_today);
    w.metrics.set(s_alert_tomorrow_, s.alert_tomorrow);
    std::copy(s.forecast_48h_max_c.begin(), s.forecast_48h_max_c.end(), w.metrics.values(s_fc48_).begin());
    std::copy(s.forecast_7d_max_c.begin(), s.forecast_7d_max_c.end(), w.metrics.values(s_fc7_).begin());
    auto ph = w.metrics.values(s_person_hours_);
    for (int a = 0; a < kHeatAgeGroups; ++a)
      for (int l = 0; l < kHeatLevels; ++l) ph[size_t(a * kHeatLevels + l)] = double(s.person_hours[size_t(a)][size_t(l)]) * wt;
    auto per_age = [&](SeriesId id, std::array<int64_t, kHeatAgeGroups>& v) {
      auto out = w.metrics.values(id);
      for (int a = 0; a < kHeatAgeGroups; ++a) out[size_t(a)] = double(v[size_t(a)]) * wt;
    };
    per_age(s_cases_, s.cases);
    per_age(s_transports_, s.transports);
    per_age(s_at_home_, s.cases_at_home);
    per_age(s_cases_total_, s.cases_total);
    auto expected = w.metrics.values(s_expected_), expected_home = w.metrics.values(s_expected_home_);
    for (int a = 0; a < kHeatAgeGroups; ++a) {
      expected[size_t(a)] = s.expected_total[size_t(a)] * wt;
      expected_home[size_t(a)] = s.expected_at_home_total[size_t(a)] * wt;
    }
    auto muni = w.metrics.values(s_by_muni_);
    for (size_t i = 0; i < s.transports_by_muni.size(); ++i) muni[i] = double(s.transports_by_muni[i]) * wt;
    auto dose = w.metrics.values(s_dose_);
    for (int i = 0; i < kDoseBins; ++i) dose[size_t(i)] = double(s.dose_histogram[size_t(i)]) * wt;
    int64_t occupancy = 0;
    for (const Shelter& sh : s.shelters) occupancy += sh.occupancy;
    w.metrics.set(s_occupancy_, double(occupancy) * wt);
    w.metrics.set(s_turned_away_, double(s.turned_away) * wt);
    w.metrics.set(s_reached_, s.vulnerable > 0 ? double(s.reached) / double(s.vulnerable) : 0.0);
    // counts since the previous sample start again
    s.person_hours = {};
    s.cases = s.transports = s.cases_at_home = {};
    std::fill(s.transports_by_muni.begin(), s.transports_by_muni.end(), 0);
    s.turned_away = 0;
  }

  void archive(StateArchive& ar) override { citysim::archive(ar, state_); }

  void update_params(const Scenario& sc) override {
    params_ = HeatParams::from(sc);
    state_.weather = HeatWeather(params_, grid_, run_start_, heatwaves_);
    state_.daily_truth_day = std::numeric_limits<LocalSeconds>::min();
  }

 private:
  void register_metrics(World& w) {
    auto& m = w.metrics;
    f_wbgt_ = m.add_field({"heat/wbgt", "°C", "outdoor WBGT (暑さ指数), MoE estimate from the cell's weather"});
    f_indoor_ = m.add_field({"heat/indoor_wbgt_no_ac", "°C", "WBGT indoors without air conditioning"});
    f_today_ = m.add_field({"heat/forecast_max_today", "°C", "forecast daily maximum WBGT for today (mainland cells)"});
    f_tomorrow_ = m.add_field({"heat/forecast_max_tomorrow", "°C", "forecast daily maximum WBGT for tomorrow (mainland cells)"});
    s_air_ = m.add_series({"heat/air_temp_c", "°C", "city-wide air temperature (before the heat island)"});
    s_rh_ = m.add_series({"heat/rh_pct", "%", "city-wide relative humidity"});
    s_solar_ = m.add_series({"heat/solar_kw_m2", "kW/m²", "global solar radiation, mean over the past hour"});
    s_wind_ = m.add_series({"heat/wind_m_s", "m/s", "wind speed"});
    s_wbgt_max_ = m.add_series({"heat/wbgt_max_c", "°C", "highest outdoor WBGT on land"});
    s_alert_ = m.add_series({"heat/alert_level", "1", "today's alert: 0 none, 1 熱中症警戒アラート, 2 熱中症特別警戒アラート"});
    s_alert_tomorrow_ = m.add_series({"heat/alert_level_tomorrow", "1", "alert issued at 17:00 for tomorrow"});
    std::vector<std::string> leads, days, ages, age_levels;
    const std::vector<std::string> munis = grid_.municipality_labels();
    auto label = [](const char* a, const std::string& b, const char* c) { return std::string(a).append(b).append(c); };
    for (int l = 1; l <= 48; ++l) leads.push_back(label("+", std::to_string(l), "h"));
    for (int d = 0; d < 7; ++d) days.push_back(label("+", std::to_string(d), "d"));
    for (int a = 0; a < kHeatAgeGroups; ++a) {
      ages.push_back(heat_age_group_name(a));
      for (int l = 0; l < kHeatLevels; ++l) age_levels.push_back(label(heat_age_group_name(a), " ", heat_level_name(l)));
    }
    s_fc48_ = m.add_series({"heat/forecast_48h_max_c", "°C", "hourly forecast of the highest mainland WBGT, 1-48 h ahead"}, {"lead", leads});
    s_fc7_ = m.add_series({"heat/forecast_7d_max_c", "°C", "forecast of the highest mainland daily maximum WBGT, today to 6 days ahead"}, {"lead", days});
    s_person_hours_ = m.add_series({"heat/person_hours", "person-hours", "hours spent at each WBGT level by age group since the previous sample"},
                                   {"age_level", age_levels});
    s_dose_ = m.add_series({"heat/dose", "people", "residents by accumulated heat dose, °C·h above the threshold"},
                           {"dose_c_h", {"0", "0-10", "10-30", "30-60", "60-100", ">100"}});
    s_cases_ = m.add_series({"heat/cases", "people", "heat illness cases since the previous sample"}, {"age_group", ages});
    s_transports_ = m.add_series({"heat/transports", "people", "ambulance transports for heat illness since the previous sample"}, {"age_group", ages});
    s_at_home_ = m.add_series({"heat/cases_at_home", "people", "cases that happened at home since the previous sample"}, {"age_group", ages});
    s_cases_total_ = m.add_series({"heat/cases_total", "people", "heat illness cases since the start of the run"}, {"age_group", ages});
    s_expected_ = m.add_series({"heat/expected_cases_total", "people", "expected cases since the start (sum of hourly probabilities: no sampling noise)"},
                               {"age_group", ages});
    s_expected_home_ = m.add_series({"heat/expected_cases_at_home_total", "people", "expected cases at home since the start"}, {"age_group", ages});
    s_by_muni_ = m.add_series({"heat/transports_by_municipality", "people", "ambulance transports since the previous sample, where the case happened"},
                              {"municipality", munis});
    s_occupancy_ = m.add_series({"heat/shelter_occupancy", "people", "people in cooling shelters"});
    s_turned_away_ = m.add_series({"heat/shelter_turned_away", "people", "people turned away by a full shelter since the previous sample"});
    s_reached_ = m.add_series({"heat/vulnerable_reached_share", "1", "share of vulnerable residents (65+, no working AC) who have used a shelter"});
    t_cases_ = m.add_table({"heat/case_events", "", "heat illness cases"},
                           {{"onset", ColumnType::Text, ""}, {"resident", ColumnType::Int, ""}, {"mesh_code", ColumnType::Int, ""},
                            {"municipality", ColumnType::Int, ""}, {"age", ColumnType::Int, "years"}, {"at_home", ColumnType::Int, ""},
                            {"severity", ColumnType::Int, ""}, {"wbgt_c", ColumnType::Float, "°C"}});
    t_alerts_ = m.add_table({"heat/alerts", "", "heat-stroke alerts issued from the forecast"},
                            {{"issued", ColumnType::Text, ""}, {"for_day", ColumnType::Text, ""}, {"level", ColumnType::Int, ""}});
  }

  void record_tables() {
    HeatState& s = state_;
    for (const HeatIllnessEvent& e : s.new_cases)
      metrics_->table(t_cases_).append({format_datetime(e.time), int64_t(e.resident), int64_t(grid_.mesh_code[e.cell]),
                                        int64_t(grid_.municipality[e.cell]), int64_t(residents_->age[e.resident]),
                                        int64_t(e.at_home), int64_t(e.severity), double(e.wbgt_c)});
    for (const HeatAlertEvent& a : s.new_alerts)
      metrics_->table(t_alerts_).append({format_datetime(a.issued), format_datetime(a.for_day).substr(0, 10), int64_t(a.level)});
    s.new_cases.clear();
    s.new_alerts.clear();
  }

  HeatParams params_;
  const Grid& grid_;
  std::vector<Heatwave> heatwaves_;
  LocalSeconds run_start_ = 0;
  HeatState state_;
  Metrics* metrics_ = nullptr;
  const Residents* residents_ = nullptr;
  FieldId f_wbgt_ = 0, f_indoor_ = 0, f_today_ = 0, f_tomorrow_ = 0;
  SeriesId s_air_ = 0, s_rh_ = 0, s_solar_ = 0, s_wind_ = 0, s_wbgt_max_ = 0, s_alert_ = 0, s_alert_tomorrow_ = 0, s_fc48_ = 0,
           s_fc7_ = 0, s_person_hours_ = 0, s_dose_ = 0, s_cases_ = 0, s_transports_ = 0, s_at_home_ = 0, s_cases_total_ = 0,
           s_by_muni_ = 0, s_expected_ = 0, s_expected_home_ = 0, s_occupancy_ = 0, s_turned_away_ = 0, s_reached_ = 0;
  TableId t_cases_ = 0, t_alerts_ = 0;
};

}  // namespace

std::unique_ptr<Module> make_heat_module(const Scenario& sc, const Grid& g) { return std::make_unique<HeatModule>(sc, g); }
void describe_heat(Schema& s) { HeatParams::describe(s); }

const HeatState* heat_state_of(const Module* m) {
  const auto* h = dynamic_cast<const HeatModule*>(m);
  return h ? &h->state() : nullptr;
}

}  // namespace citysim
