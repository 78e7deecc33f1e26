// Heat formulas, levels, alerts, sun and the weather CSV reader: values against
// hand-computed and published numbers, errors against the bad input that causes them.
#define BOOST_TEST_MODULE heat
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

#include "modules/heat.hpp"
#include "support.hpp"

using namespace citysim;
namespace tt = boost::test_tools;

namespace {
std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = std::string(CITYSIM_BINARY_DIR) + "/" + name;
  std::ofstream(path) << text;
  return path;
}
// the message of the ScenarioError that reading the CSV throws
std::string csv_error(const std::string& name, const std::string& text) {
  try {
    read_weather_csv(write_file(name, text), "heat.weather.file");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "no error";
}
const std::string kHeader = "datetime,temp_c,rh_pct,solar_mj_m2,wind_m_s\n";
}  // namespace

BOOST_AUTO_TEST_CASE(moe_wbgt_matches_hand_computed_values) {
  // 0.735·35 + 0.0374·50 + 0.00292·35·50 + 7.619·0.8 − 4.557·0.8² − 0.0572·2 − 4.064
  BOOST_TEST(wbgt_moe(35, 50, 0.8, 2) == 31.70532, tt::tolerance(1e-12));
  BOOST_TEST(wbgt_moe(30, 70, 0.5, 1) == 29.34905, tt::tolerance(1e-12));
  BOOST_TEST(wbgt_moe(28, 80, 0, 0) == 26.0488, tt::tolerance(1e-12));  // night, still air
}

BOOST_AUTO_TEST_CASE(iso_7243_globe_forms) {
  // ISO 7243 Table D.1 examples (no solar load form: 0.7 Tw + 0.3 Tg)
  BOOST_TEST(std::round(wbgt_iso_indoor(17.3, 40) * 10) / 10 == 24.1);
  BOOST_TEST(std::round(wbgt_iso_indoor(21.1, 55) * 10) / 10 == 31.3);
  // outdoors in sun: 0.7 Tw + 0.2 Tg + 0.1 Ta
  BOOST_TEST(wbgt_iso_outdoor(25, 50, 33) == 30.8, tt::tolerance(1e-12));
  // with the globe at air temperature the two forms agree
  BOOST_TEST(wbgt_iso_outdoor(24, 30, 30) == wbgt_iso_indoor(24, 30), tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(jma_radiation_units) {
  BOOST_TEST(solar_mj_h_to_kw_m2(3.6) == 1.0, tt::tolerance(1e-12));
  BOOST_TEST(solar_mj_h_to_kw_m2(1.0) == 1000.0 / 3600.0, tt::tolerance(1e-12));
  BOOST_TEST(solar_mj_h_to_kw_m2(0) == 0.0);
}

BOOST_AUTO_TEST_CASE(risk_band_and_heat_map_level_edges) {
  BOOST_TEST(heat_level(20.999) == 0);
  BOOST_TEST(heat_level(21.0) == 1);
  BOOST_TEST(heat_level(24.999) == 1);
  BOOST_TEST(heat_level(25.0) == 2);
  BOOST_TEST(heat_level(27.999) == 2);
  BOOST_TEST(heat_level(28.0) == 3);
  BOOST_TEST(heat_level(30.999) == 3);
  BOOST_TEST(heat_level(31.0) == 4);
  BOOST_TEST(heat_level(32.999) == 4);
  BOOST_TEST(heat_level(33.0) == 5);
  BOOST_TEST(heat_level(34.999) == 5);
  BOOST_TEST(heat_level(35.0) == 6);
  // the guideline's five bands: 31 and above is all "danger"
  BOOST_TEST(risk_band(31.0) == 4);
  BOOST_TEST(risk_band(36.0) == 4);
  BOOST_TEST(risk_band(30.99) == 3);
  BOOST_TEST(std::string(heat_level_name(6)) == ">=35");
}

BOOST_AUTO_TEST_CASE(alerts_fire_exactly_at_thresholds) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  BOOST_TEST(alert_level(std::vector<float>{32.99f, 30.0f}) == 0);
  BOOST_TEST(alert_level(std::vector<float>{33.0f, 20.0f}) == 1);   // any point >= 33
  BOOST_TEST(alert_level(std::vector<float>{35.0f, 34.99f}) == 1);  // not all >= 35
  BOOST_TEST(alert_level(std::vector<float>{35.0f, 35.0f, nan}) == 2);
  BOOST_TEST(alert_level(std::vector<float>{nan}) == 0);
}

BOOST_AUTO_TEST_CASE(sun_and_clear_sky) {
  // Tokyo on 3 August: solar noon about 11:47 JST, elevation 90 - 35.69 + 17.4 (declination)
  const LocalSeconds noon = *parse_datetime("2026-08-03T11:47");
  BOOST_TEST(sun_elevation_deg(noon, 35.69, 139.75) == 71.7, tt::tolerance(0.01));
  BOOST_TEST(sun_elevation_deg(noon, 35.69, 139.75) > sun_elevation_deg(noon - 3600, 35.69, 139.75));
  BOOST_TEST(sun_elevation_deg(noon, 35.69, 139.75) > sun_elevation_deg(noon + 3600, 35.69, 139.75));
  BOOST_TEST(sun_elevation_deg(*parse_datetime("2026-08-03T00:00"), 35.69, 139.75) < -30);
  // Haurwitz: 1.098 exp(-0.057) kW/m² with the sun overhead, nothing below the horizon
  BOOST_TEST(clear_sky_kw_m2(90) == 1.098 * std::exp(-0.057), tt::tolerance(1e-9));
  BOOST_TEST(clear_sky_kw_m2(-5) == 0.0);
  // Magnus: 42.4 hPa at 30 °C (WMO tables: 42.47)
  BOOST_TEST(saturation_vapour_pressure_hpa(30) == 42.47, tt::tolerance(0.003));
}

BOOST_AUTO_TEST_CASE(weather_csv_reads_jma_units_and_repeats_days) {
  std::string text = kHeader;
  for (int h = 0; h < 48; ++h)
    text += "2026-08-0" + std::to_string(3 + h / 24) + "T" + (h % 24 < 10 ? "0" : "") + std::to_string(h % 24) + ":00," +
            std::to_string(25 + h % 24 * 0.5) + ",60,1.8,2.0\n";
  const WeatherTable w = read_weather_csv(write_file("heat_ok.csv", text), "heat.weather.file");
  BOOST_REQUIRE(w.hours.size() == 48u);
  const LocalSeconds t0 = *parse_datetime("2026-08-03T00:00");
  BOOST_TEST(w.at(t0 + 5 * 3600).air_c == 27.5f);
  BOOST_TEST(w.at(t0 + 5 * 3600 + 1800).air_c == 27.5f);  // the latest row at or before
  BOOST_TEST(w.at(t0).solar_kw_m2 == 0.5f, tt::tolerance(1e-6f));
  BOOST_TEST(w.at(t0 + 72 * 3600 + 5 * 3600).air_c == 27.5f);  // beyond the end: the last day's hour
  BOOST_TEST(w.at(t0 - 19 * 3600).air_c == 27.5f);             // before the start: the first day's hour
}

BOOST_AUTO_TEST_CASE(bad_weather_csv_is_rejected_with_file_and_line) {
  std::string e = csv_error("heat_missing.csv", "datetime,temp_c,solar_mj_m2,wind_m_s\n2026-08-03T00:00,25,0,2\n");
  BOOST_TEST(e.find("heat_missing.csv:1:") != std::string::npos, e);
  BOOST_TEST(e.find("rh_pct") != std::string::npos, e);
  e = csv_error("heat_text.csv", kHeader + "2026-08-03T00:00,25,60,0,2\n2026-08-03T01:00,hot,60,0,2\n");
  BOOST_TEST(e.find("heat_text.csv:3:") != std::string::npos, e);
  BOOST_TEST(e.find("temp_c") != std::string::npos, e);
  BOOST_TEST(e.find("\"hot\"") != std::string::npos, e);
  e = csv_error("heat_rh.csv", kHeader + "2026-08-03T00:00,25,120,0,2\n");
  BOOST_TEST(e.find("heat_rh.csv:2:") != std::string::npos, e);
  BOOST_TEST(e.find("rh_pct' must be in 0..100, got 120") != std::string::npos, e);
  e = csv_error("heat_neg.csv", kHeader + "2026-08-03T00:00,25,-1,0,2\n");
  BOOST_TEST(e.find("heat_neg.csv:2:") != std::string::npos, e);
  e = csv_error("heat_gap.csv", kHeader + "2026-08-03T00:00,25,60,0,2\n2026-08-03T02:00,25,60,0,2\n");
  BOOST_TEST(e.find("heat_gap.csv:3:") != std::string::npos, e);
  BOOST_TEST(e.find("hourly") != std::string::npos, e);
  e = csv_error("heat_date.csv", kHeader + "yesterday,25,60,0,2\n");
  BOOST_TEST(e.find("heat_date.csv:2:") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(bad_heat_keys_are_rejected) {
  auto error = [](const std::string& extra) {
    try {
      const Scenario sc = test::small_city(1, extra);
      HeatParams::from(sc);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string e = error("[heat]\nenabled = true\n[heat.weather]\ntmax_c = [30, 20]\ntmin_c = [25]\n");
  BOOST_TEST(e.find("day 2: the maximum is below the minimum") != std::string::npos, e);
  e = error("[heat.illness]\nhazard_per_million_h = [1, 2]\n");
  BOOST_TEST(e.find("expected 4 values (ages 0-17, 18-64, 65-74, 75+), got 2") != std::string::npos, e);
  e = error("[heat.weather]\nsource = \"csv\"\n");
  BOOST_TEST(e.find("heat.weather.file") != std::string::npos, e);
  e = error("[heat.weather]\nrh_at_tmax_pct = 120\n");
  BOOST_TEST(e.find("small.toml:") != std::string::npos, e);
}
