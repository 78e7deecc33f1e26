// Heat: weather on the grid, WBGT, forecasts and alerts, resident exposure, heat
// illness and cooling shelters. The model and its sources: docs/models/heat.md.
//
// [SECTION] formulas   WBGT (MoE estimate, ISO 7243), risk levels, alerts, sun, humidity
// [SECTION] weather    hourly weather from a profile or a JMA-style CSV, per cell
// [SECTION] params     the [heat] keys
// [SECTION] state      what changes, and the module
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "citysim/module.hpp"
#include "citysim/residents.hpp"

namespace citysim {

// ---- [SECTION] formulas -------------------------------------------------------------

// Ministry of the Environment estimate (Ono & Tonouchi 2014): air temperature °C,
// relative humidity %, global solar radiation kW/m², wind speed m/s -> WBGT °C
double wbgt_moe(double air_c, double rh_pct, double solar_kw_m2, double wind_m_s);
// ISO 7243 from natural wet-bulb, globe and air temperature (°C): outdoors in sun, indoors
double wbgt_iso_outdoor(double wet_bulb_c, double globe_c, double air_c);
double wbgt_iso_indoor(double wet_bulb_c, double globe_c);
// JMA hourly radiation, MJ/m² in the hour -> mean irradiance kW/m²
double solar_mj_h_to_kw_m2(double mj_m2_h);

// Tokyo heat map levels 0..6: <21, 21-25, 25-28, 28-31, 31-33, 33-35, >=35 (lower edges inclusive)
constexpr int kHeatLevels = 7;
inline int heat_level(double w) { return (w >= 21) + (w >= 25) + (w >= 28) + (w >= 31) + (w >= 33) + (w >= 35); }
// MoE / JSB guideline bands 0..4: almost safe, caution, warning, severe warning, danger
int risk_band(double wbgt_c);
const char* heat_level_name(int level);
// heat-stroke alerts from forecast daily maxima over the alert area's cells:
// 1 when any cell >= 33, 2 when every cell >= 35, else 0 (NaN cells are skipped)
int alert_level(std::span<const float> daily_max_wbgt_c);

// saturation vapour pressure over water, hPa (Magnus form, Alduchov & Eskridge 1996)
double saturation_vapour_pressure_hpa(double air_c);
// sun elevation above the horizon, degrees, at a local Tokyo time and place
double sun_elevation_deg(LocalSeconds t, double lat_deg, double lon_deg);
// clear-sky global horizontal irradiance, kW/m² (Haurwitz 1945)
double clear_sky_kw_m2(double sun_elevation_deg);

// age groups for exposure and illness
constexpr int kHeatAgeGroups = 4;  // 0-17, 18-64, 65-74, 75+
inline int heat_age_group(int age) { return age < 18 ? 0 : age < 65 ? 1 : age < 75 ? 2 : 3; }
const char* heat_age_group_name(int group);

// ---- [SECTION] weather --------------------------------------------------------------

struct WeatherHour {
  float air_c = 0, rh_pct = 0, solar_kw_m2 = 0, wind_m_s = 0;
};

// hourly observations from a CSV `datetime,temp_c,rh_pct,solar_mj_m2,wind_m_s`
// (JMA units); bad rows throw ScenarioError with file:line
struct WeatherTable {
  LocalSeconds first = 0;          // time of the first row
  std::vector<WeatherHour> hours;  // one per hour from `first`
  // the row for time t (the latest at or before t); beyond the end the same hour of
  // the last day repeats, before the start the first day repeats
  const WeatherHour& at(LocalSeconds t) const;
};
WeatherTable read_weather_csv(const std::string& path, const std::string& key);

struct HeatParams;

// a [[events]] heat_wave: air temperature offset over a period
struct Heatwave {
  LocalSeconds from = 0, to = 0;
  double offset_c = 0;
};

// the weather on the grid: city-wide hourly weather plus each cell's urban heat
// island, park/water cooling and sea breeze; outdoor WBGT per cell, cached by hour
// for the forecasts
class HeatWeather {
 public:
  HeatWeather() = default;
  HeatWeather(const HeatParams& params, const Grid& grid, LocalSeconds run_start, std::vector<Heatwave> heatwaves);
  // city-wide weather at t: the mainland's or the islands'
  WeatherHour base(LocalSeconds t, bool islands) const;
  // every cell's air temperature (°C), humidity (%) and outdoor WBGT (°C) at t; NaN off the grid
  void cells(LocalSeconds t, std::span<float> air_c, std::span<float> rh_pct, std::span<float> wbgt_c) const;
  // outdoor WBGT of every cell at t (cached; valid until the next call for another hour)
  std::span<const float> wbgt_at(LocalSeconds t);
  // the urban heat island of a cell, 0..1 (land use x density)
  float urban_share(size_t cell) const { return urban_[cell]; }
  bool is_island(size_t cell) const { return island_[cell] != 0; }
  bool on_grid(size_t cell) const { return on_grid_[cell] != 0; }

 private:
  friend void archive(StateArchive& ar, HeatWeather& w);  // its forecast cache
  double profile_air_c(LocalSeconds t, bool islands) const;
  double heatwave_offset_c(LocalSeconds t) const;
  std::shared_ptr<const HeatParams> params_;
  const Grid* grid_ = nullptr;
  WeatherTable table_;
  std::vector<Heatwave> heatwaves_;
  LocalSeconds first_midnight_ = 0;  // day 0 of the profile: the run's first day
  std::vector<float> urban_, cooling_c_, coast_weight_;
  std::vector<uint8_t> island_, on_grid_;
  static constexpr int kSlots = 192;  // 8 days of hours
  std::vector<LocalSeconds> slot_time_;
  std::vector<float> slot_wbgt_;       // kSlots x cells
  std::vector<float> scratch_air_, scratch_rh_;
};

// ---- [SECTION] params ---------------------------------------------------------------

struct HeatParams {
  bool enabled = false;
  // weather
  std::string weather_source = "profile";   // profile or csv
  std::string weather_csv;                  // resolved path
  std::vector<double> tmax_c = {34}, tmin_c = {26};  // per day of the run, the last repeats
  double tmax_hour = 14, tmin_hour = 5;     // local hours of the daily max and min
  double rh_at_tmax_pct = 55;               // humidity at the daily max (vapour pressure is held for the day)
  double cloud_cover = 0.2;                 // 0 clear .. 1 overcast
  double wind_m_s = 2.5;
  double islands_tmax_c = 31, islands_tmin_c = 26, islands_csv_offset_c = -2;
  // spatial variation
  double uhi_day_c = 1.0, uhi_night_c = 2.5, uhi_density_ref_per_km2 = 20000;
  double park_cooling_c = 1.5, water_cooling_c = 1.0;
  double sea_breeze_c = 1.5, sea_breeze_km = 4;
  // indoors
  double ac_wbgt_c = 23;                    // air-conditioned rooms and shelters
  double ac_use_share = 0.85;               // homes with AC that run it in hot weather
  double indoor_lag_h = 4, indoor_gain_c = 1.5;
  // dose and illness
  double dose_threshold_c = 25, dose_recovery_h = 24;
  std::vector<double> hazard_per_million_h = {0.21, 0.21, 0.63, 1.93};  // at WBGT 28 with no dose, by age group
  std::vector<double> outdoor_factor = {15, 12, 4, 4};  // hazard multiplier outdoors, by age group
  double hazard_slope_per_c = 0.3, hazard_min_wbgt_c = 25, hazard_dose_ref_c_h = 100;
  double transport_share = 1.0, severe_share = 0.03;
  // forecasts
  double forecast_bias_c = 0, forecast_sd_1h_c = 0.3, forecast_sd_48h_c = 1.2, forecast_sd_per_day_c = 0.6;
  // shelters
  std::string shelters_csv;                 // resolved path; "" = generated
  int shelters_per_municipality = 10;
  double shelter_capacity_people = 40, shelter_open_hour = 9, shelter_close_hour = 18;
  double shelter_walk_km = 1.5;
  double outreach_share = 0.05;             // vulnerable residents at home who go on an alert day

  void keys(ParamKeys& keys);  // every [heat] key, once (describe and from use it)
  static void describe(Schema& schema);
  static HeatParams from(const Scenario& scenario);
};

// ---- [SECTION] state ----------------------------------------------------------------

struct Shelter {
  uint32_t cell = 0;
  double capacity_people = 0;
  int capacity = 0;                       // simulated residents (capacity_people / weight, rounded)
  double open_hour = 9, close_hour = 18;  // local hours
  int occupancy = 0;                      // simulated residents inside now
};

// heat -> anyone: an alert issued from the forecast
struct HeatAlertEvent {
  LocalSeconds issued;
  LocalSeconds for_day;  // local midnight of the day it covers
  int level;             // 1 alert, 2 special alert
};

struct HeatState {
  int64_t hour = -1;                  // hours since the run start of the last step
  HeatWeather weather;
  // weather now (cells)
  std::vector<float> air_c, rh_pct, wbgt_c, indoor_c, indoor_wbgt_c;
  // per cell x place (cool, indoors without AC, outdoors), this hour: WBGT, relative risk, level
  std::vector<double> place_wbgt, place_risk;
  std::vector<uint8_t> place_level;
  std::array<int64_t, kHeatAgeGroups> residents_by_group{};  // ages do not change during a run
  std::vector<uint8_t> block_has_dose;  // per block of residents: anyone with a dose after the last hour
  WeatherHour city;                   // city-wide mainland weather now
  // forecasts issued at the last step
  std::vector<float> forecast_48h_max_c;   // city max of the hourly forecast per lead hour 1..48
  std::vector<float> forecast_7d_max_c;    // city max of the daily-max forecast, today .. +6 days
  std::vector<float> forecast_today_c, forecast_tomorrow_c;  // daily-max forecast (cells)
  std::vector<float> daily_truth_max_c;    // true daily max WBGT, today .. +6 days (7 x cells)
  LocalSeconds daily_truth_day = INT64_MIN;  // the midnight daily_truth_max_c starts from
  int alert_today = 0, alert_tomorrow = 0;
  // areas without power (cells): local time until which air conditioners are off
  std::vector<LocalSeconds> power_cut_until;
  // residents (n)
  std::vector<float> dose_c_h;        // accumulated heat dose, °C·h above the threshold
  std::vector<double> hazard_left;    // cumulative hazard still to go before the next case (an Exp(1) clock)
  std::vector<int32_t> shelter_of;    // shelter index, -1 = not in a shelter
  std::vector<int16_t> visit_day;     // day index of the last shelter trip (or turn-away), -1 never
  std::vector<uint8_t> traits;        // kAcWorks | kReached
  // shelters
  std::vector<Shelter> shelters;
  std::vector<uint32_t> near_start, near_shelters;  // per cell, shelters within walking distance by distance (CSR)
  // counts since the last sample (simulated residents, unweighted)
  std::array<std::array<int64_t, kHeatLevels>, kHeatAgeGroups> person_hours{};
  std::array<int64_t, kHeatAgeGroups> cases{}, transports{}, cases_at_home{};
  std::vector<int64_t> transports_by_muni;
  int64_t turned_away = 0;
  // run totals
  std::array<int64_t, kHeatAgeGroups> cases_total{};
  // expected cases (sums of the hourly hazards): the same totals without sampling noise
  std::array<double, kHeatAgeGroups> expected_total{}, expected_at_home_total{};
  std::vector<int64_t> dose_histogram;  // residents per dose bin after the last step
  int64_t vulnerable = 0, reached = 0;
  // campaigns and hour changes from the timeline
  LocalSeconds outreach_until = 0, hours_until = 0;
  double outreach_share_now = 0, open_hour_now = 0, close_hour_now = 0;
  // what the last step produced, for the tables (cleared by the module)
  std::vector<HeatIllnessEvent> new_cases;
  std::vector<HeatAlertEvent> new_alerts;
};
constexpr uint8_t kAcWorks = 1, kReached = 2;
// dose bins, °C·h: 0, (0,10], (10,30], (30,60], (60,100], >100
constexpr int kDoseBins = 6;

void step_heat(const HeatParams& params, HeatState& state, World& world);

std::unique_ptr<Module> make_heat_module(const Scenario& scenario, const Grid& grid);
void describe_heat(Schema& schema);  // HeatParams::describe, for the module list
// the state of a heat module made by make_heat_module (nullptr for any other module)
const HeatState* heat_state_of(const Module* module);

}  // namespace citysim
