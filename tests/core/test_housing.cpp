#define BOOST_TEST_MODULE housing
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "modules/housing.hpp"
#include "support.hpp"

using namespace citysim;
namespace tt = boost::test_tools;

namespace {

// five municipalities (three east wards, a west ward, a Tama city), 20,000 units,
// daily ticks, residents off
Scenario housing_city(int days, const std::string& housing = "", const std::string& tail = "", int sample_days = 30) {
  const std::string text =
      "[run]\nseed = 5\nstart = \"2026-04-01T00:00\"\nduration_hours = " + std::to_string(days * 24) +
      "\ntick_minutes = 1440\noutput_every_minutes = " + std::to_string(sample_days * 1440) +
      "\n[city]\npopulation_scale = 0.01\nmunicipalities = [\"Adachi\", \"Katsushika\", \"Edogawa\", \"Setagaya\", \"Hachioji\"]\n"
      "[residents]\nenabled = false\n[housing]\nenabled = true\nunits_total = 20000\nestates_total = 130\n" +
      housing + "\n" + tail;
  return io::parse_scenario(text, "housing_city.toml", CITYSIM_SOURCE_DIR "/tests");
}

HousingModule& housing_of(Simulation& sim) {
  auto* h = dynamic_cast<HousingModule*>(sim.module("housing"));
  BOOST_REQUIRE(h);
  return *h;
}

// a series summed over its breakdown at one sample, or over all samples
double total(const Simulation& sim, const std::string& path, size_t sample) {
  const Series* s = sim.metrics().find_series(path);
  BOOST_REQUIRE(s);
  double sum = 0;
  for (size_t i = 0; i < s->width(); ++i) sum += s->history[sample * s->width() + i];
  return sum;
}
double total_all(const Simulation& sim, const std::string& path, size_t column = SIZE_MAX) {
  const Series* s = sim.metrics().find_series(path);
  BOOST_REQUIRE(s);
  double sum = 0;
  for (size_t k = 0; k < s->history.size(); ++k)
    if (column == SIZE_MAX || k % s->width() == column) sum += s->history[k];
  return sum;
}

// Kaplan-Meier survival of tenancies that began during the run, at `months` of tenure
double entrant_survival(const HousingState& st, int months) {
  std::vector<std::pair<int, bool>> spells;  // months, ended
  for (int m : st.entrant_tenure_months) spells.push_back({m, true});
  for (size_t u = 0; u < st.stock.units(); ++u)
    if (st.status[u] == uint8_t(UnitStatus::Occupied) && st.tenancy_start_day[u] >= 0)
      spells.push_back({st.stock.tenure_months[u], false});
  double s = 1;
  for (int t = 0; t < months; ++t) {
    double at_risk = 0, ended = 0;
    for (const auto& [m, end] : spells) {
      at_risk += m >= t;
      ended += m == t && end;
    }
    if (at_risk > 0) s *= 1 - ended / at_risk;
  }
  return s;
}

// only a voluntary move-out hazard at its reference level, no refills
const std::string kOnlyMoveOut =
    "death_rate_at_75 = 0\ncare_rate_at_80 = 0\nmove_out_age_log_odds_per_decade = 0\n"
    "move_out_mismatch_log_odds = 0\nmove_out_income_log_odds = 0\nmove_out_building_log_odds_per_decade = 0\n"
    "move_out_ku_log_odds = 0\nmove_out_tenure_odds = [1]\napplicants_per_round = 0\ninitial_vacant_share = 0\n";

}  // namespace

BOOST_AUTO_TEST_CASE(stock_is_placed_by_municipality_with_an_ageing_tenancy_mix) {
  Simulation sim(housing_city(1), 2);
  const HousingState& st = housing_of(sim).state();
  const HousingStock& s = st.stock;
  BOOST_TEST(s.units() == 20000u);
  BOOST_TEST(s.estates() == 130u);
  const Grid& g = sim.grid();
  std::map<std::string, double> units, people;
  for (size_t c = 0; c < g.size(); ++c)
    if (g.municipality_index[c] >= 0) people[g.municipalities[size_t(g.municipality_index[c])].name_en] += g.population[c];
  size_t over65 = 0, occupied = 0;
  for (size_t u = 0; u < s.units(); ++u) {
    const size_t e = s.estate[u];
    BOOST_TEST(g.municipality_index[s.estate_cell[e]] == s.estate_muni[e]);
    units[g.municipalities[size_t(s.estate_muni[e])].name_en] += 1;
    BOOST_TEST((s.building_year[u] >= 1960 && s.building_year[u] < 2020));
    BOOST_TEST(s.tenure_months[u] <= (2026 - s.building_year[u]) * 12 + 1);  // + the first month
    if (st.status[u] == uint8_t(UnitStatus::Occupied)) {
      ++occupied;
      over65 += s.head_age[u] >= 65;
    }
  }
  // east wards carry three times the stock per resident of the west; Tama 0.7 times
  BOOST_TEST(units["Adachi"] / people["Adachi"] == 3.0 * units["Setagaya"] / people["Setagaya"], tt::tolerance(0.01));
  BOOST_TEST(units["Hachioji"] / people["Hachioji"] == 0.7 * units["Setagaya"] / people["Setagaya"], tt::tolerance(0.01));
  // about 70% of tenant heads aged 65+ (TMG 2025), 0.8% of units empty
  BOOST_TEST(double(over65) / double(occupied) == 0.70, tt::tolerance(0.03));
  BOOST_TEST(double(s.units() - occupied) / double(s.units()) == 0.008, tt::tolerance(0.25));
}

BOOST_AUTO_TEST_CASE(hazard_intercepts_are_the_configured_annual_rates) {
  HousingParams p;
  HousingStock s;
  // one reference household: head 75 (death), 40 (move-out) in a 2DK
  s.estate = {0}; s.plan = {1}; s.area_m2 = {45}; s.floor = {1}; s.elevator = {1}; s.building_year = {2026};
  s.rent_band = {0}; s.ku = {0}; s.head_age = {75}; s.birth_month = {1}; s.size = {3}; s.income_band = {0};
  s.tenure_months = {60}; s.care_need = {0};
  p.move_out_tenure_odds = {1};
  const ExitHazard at75(p);
  auto prob = at75.probabilities(s, 0, 2026);
  BOOST_TEST(1 - std::pow(1 - prob[0], 12) == p.death_rate_at_75, tt::tolerance(1e-9));
  BOOST_TEST(1 - std::pow(1 - prob[3], 12) == p.eviction_rate, tt::tolerance(1e-9));
  BOOST_TEST(prob[1] < monthly_from_annual(p.care_rate_at_80));  // care is referenced at 80
  s.head_age = {40};
  prob = at75.probabilities(s, 0, 2026);
  BOOST_TEST(1 - std::pow(1 - prob[2], 12) == p.move_out_rate_at_40, tt::tolerance(1e-9));
  BOOST_TEST(prob[1] == 0.0);
  // Gompertz: mortality log-odds rise 0.09 per year of age
  s.head_age = {85};
  const double ratio = at75.probabilities(s, 0, 2026)[0] / monthly_from_annual(p.death_rate_at_75);
  BOOST_TEST(ratio == std::exp(0.9), tt::tolerance(0.01));
  // a certified care need multiplies the odds of death by e^1.0 and of a move into care by e^1.5
  const auto before = at75.probabilities(s, 0, 2026);
  s.care_need = {1};
  const auto after = at75.probabilities(s, 0, 2026);
  const auto odds = [](double q) { return q / (1 - q); };
  BOOST_TEST(odds(after[0]) / odds(before[0]) == std::exp(p.care_need_death_log_odds), tt::tolerance(1e-9));
  BOOST_TEST(odds(after[1]) / odds(before[1]) == std::exp(p.care_need_care_log_odds), tt::tolerance(1e-9));
  s.care_need = {0};
  // a rent change shifts the move-out log-odds
  s.head_age = {40};
  const double shifted = ExitHazard(p, std::log(2.0)).probabilities(s, 0, 2026)[2];
  BOOST_TEST(shifted / (1 - shifted) == 2 * prob[2] / (1 - prob[2]), tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(long_runs_reproduce_the_configured_annual_rate) {
  // occupied units after two years: N (1 - r)^2 with r = 8% a year
  Simulation sim(housing_city(730, kOnlyMoveOut + "move_out_rate_at_40 = 0.08\neviction_rate = 0\n", "", 365), 2);
  sim.run();
  const double start = total(sim, "housing/occupied", 0), end = total(sim, "housing/occupied", 2);
  BOOST_TEST(start == 20000.0);
  BOOST_TEST(end / start == std::pow(0.92, 2), tt::tolerance(0.01));  // 3 sd is 0.6%
  BOOST_TEST(total_all(sim, "housing/move_outs") == start - end);
}

BOOST_AUTO_TEST_CASE(competing_reasons_share_the_exits_in_proportion) {
  Simulation sim(housing_city(365, kOnlyMoveOut + "move_out_rate_at_40 = 0.06\neviction_rate = 0.02\n", "", 365), 2);
  sim.run();
  const double moves = total_all(sim, "housing/move_outs_by_reason", size_t(ExitReason::MoveOut));
  const double evictions = total_all(sim, "housing/move_outs_by_reason", size_t(ExitReason::Eviction));
  const double pm = monthly_from_annual(0.06), pe = monthly_from_annual(0.02);
  BOOST_TEST(evictions / (moves + evictions) == pe / (pm + pe), tt::tolerance(0.08));
  BOOST_TEST((moves + evictions) / 20000 == 1 - std::pow((1 - pm) * (1 - pe), 12), tt::tolerance(0.04));
}

BOOST_AUTO_TEST_CASE(tokyo_defaults_give_long_tenancies_ended_mostly_by_age) {
  Simulation sim(housing_city(3652), 2);
  sim.run();
  const HousingState& st = housing_of(sim).state();
  BOOST_TEST(housing_of(sim).check_invariants() == "");
  // >90% of new tenancies last through year 1 (MODELS.md); Tokyo tenancies are long:
  // more than half of new tenants are still there after 5 years
  BOOST_TEST(entrant_survival(st, 12) > 0.9);
  BOOST_TEST(entrant_survival(st, 60) > 0.5);
  BOOST_TEST(entrant_survival(st, 60) < entrant_survival(st, 24));
  // turnover of 4-7% a year; most leavers are 65+ and leave by death or into care
  const double exits = total_all(sim, "housing/move_outs");
  BOOST_TEST(exits / 10 / 20000 > 0.04);
  BOOST_TEST(exits / 10 / 20000 < 0.07);
  const double aged = total_all(sim, "housing/move_outs_by_reason", 0) + total_all(sim, "housing/move_outs_by_reason", 1);
  BOOST_TEST(aged / exits > 0.4);
}

BOOST_AUTO_TEST_CASE(us_public_housing_survival_with_hud_like_parameters) {
  // HUD (McClure 2017): >90% stay through year 1, ~50% gone by years 4-6, ~80% by 9-11;
  // a faster move-out hazard peaking in years 2-3 (Deng, Gabriel & Nothaft 2003)
  Simulation sim(housing_city(3652,
                              "move_out_rate_at_40 = 0.11\nmove_out_age_log_odds_per_decade = -0.1\n"
                              "move_out_income_log_odds = 0\nmove_out_ku_log_odds = 0\n"
                              "move_out_tenure_odds = [0.5, 1.3, 1.4, 1.1, 1.0, 0.9]\n"),
                 2);
  sim.run();
  const HousingState& st = housing_of(sim).state();
  BOOST_TEST(entrant_survival(st, 12) > 0.9);
  BOOST_TEST(entrant_survival(st, 48) > 0.45);  // half have left between years 4 and 6
  BOOST_TEST(entrant_survival(st, 72) < 0.5);
  BOOST_TEST(1 - entrant_survival(st, 120) == 0.8, tt::tolerance(0.08));
}

BOOST_AUTO_TEST_CASE(lottery_win_rates_equal_units_over_applicants) {
  const Rng rng(42, Stream::Test);
  // equal chances: everyone wins with probability k / n
  const size_t n = 400, k = 50, rounds = 4000;
  std::vector<int> wins(n, 0);
  for (size_t r = 0; r < rounds; ++r)
    for (uint32_t i : lottery_winners(std::vector<float>(n, 1.0f), k, rng, r << 20)) ++wins[i];
  const double p = double(k) / n, sd = std::sqrt(p * (1 - p) / rounds);
  double chi2 = 0;
  for (size_t i = 0; i < n; ++i) {
    BOOST_TEST(std::abs(double(wins[i]) / rounds - p) < 4.5 * sd);
    chi2 += std::pow(wins[i] - rounds * p, 2) / (rounds * p * (1 - p));
  }
  BOOST_TEST(chi2 / n == 1.0, tt::tolerance(0.2));  // chi-square per degree of freedom
  // extra chances: one unit, win rate = chances / total chances (a x5 priority applicant)
  std::vector<float> chances = {5, 1, 1, 1, 1, 1};
  std::vector<int> first(chances.size(), 0);
  const size_t draws = 40000;
  for (size_t r = 0; r < draws; ++r) ++first[lottery_winners(chances, 1, rng, (1ull << 36) + (r << 8))[0]];
  BOOST_TEST(double(first[0]) / draws == 0.5, tt::tolerance(0.02));
  BOOST_TEST(double(first[3]) / draws == 0.1, tt::tolerance(0.06));
  // never more winners than applicants, each drawn once
  const auto all = lottery_winners(std::vector<float>(10, 1.0f), 25, rng, 7);
  BOOST_TEST(all.size() == 10u);
  BOOST_TEST(std::set<uint32_t>(all.begin(), all.end()).size() == 10u);
}

BOOST_AUTO_TEST_CASE(policy_b_offers_at_least_as_many_units_without_double_lets) {
  const std::string b = "policy = \"predicted\"\nprediction_threshold = 0.09\n";
  Simulation a(housing_city(1095)), pb(housing_city(1095, b));
  a.run();
  for (int month = 0; month < 36; ++month) {
    pb.step(30);
    BOOST_TEST(housing_of(pb).check_invariants() == "");
  }
  pb.run();
  const double offered_a = total_all(a, "housing/offered"), offered_b = total_all(pb, "housing/offered");
  BOOST_TEST(total_all(a, "housing/offered", 1) == 0.0);
  BOOST_TEST(total_all(pb, "housing/offered", 1) > 0.0);
  BOOST_TEST(offered_b >= offered_a);
  BOOST_TEST(total_all(pb, "housing/offered_by_municipality") == offered_b);
  // a predicted unit is let while occupied: it stands empty for the repair only
  const auto rounds = pb.metrics().find_table("housing/rounds");
  BOOST_TEST(rounds->rows == 12u);
  BOOST_TEST(total_all(pb, "housing/housed") >= total_all(a, "housing/housed"));
  const HousingState& st = housing_of(pb).state();
  BOOST_TEST(st.predicted_resolved > 0);
  BOOST_TEST(st.predicted_in_time <= st.predicted_resolved);
}

BOOST_AUTO_TEST_CASE(units_held_back_from_the_rounds_are_let_directly) {
  // a share of vacated units let outside the rounds: rounds offer that much fewer, the
  // units are still relet (more of them straight after the repair), the tenancies ending
  // are the same draws; under policy B no held-back unit is a double let
  const std::string held = "held_back_share = 0.5\n";
  Simulation a(housing_city(1095)), h(housing_city(1095, held)), hb(housing_city(1095, held + "policy = \"predicted\"\nprediction_threshold = 0.09\n"));
  a.run();
  for (int month = 0; month < 36; ++month) {
    h.step(30), hb.step(30);
    BOOST_TEST(housing_of(h).check_invariants() == "");
    BOOST_TEST(housing_of(hb).check_invariants() == "");
  }
  h.run(), hb.run();
  const double offered_a = total_all(a, "housing/offered", 0), offered_h = total_all(h, "housing/offered", 0);
  BOOST_TEST_MESSAGE("vacant offers " << offered_a << " -> " << offered_h << " with half held back");
  BOOST_TEST(offered_h < 0.7 * offered_a);
  BOOST_TEST(offered_h > 0.3 * offered_a);
  BOOST_TEST(total_all(h, "housing/housed") >= 0.9 * total_all(a, "housing/housed"));
  BOOST_TEST(total_all(h, "housing/move_outs") > 0.9 * total_all(a, "housing/move_outs"));
  BOOST_TEST(total_all(h, "housing/move_outs") < 1.1 * total_all(a, "housing/move_outs"));
  // the share 0 default makes no draw: the same run as without the key
  Scenario zero = housing_city(365, "held_back_share = 0\n");
  Simulation z(zero), plain(housing_city(365));
  z.run(), plain.run();
  BOOST_TEST(total_all(z, "housing/offered") == total_all(plain, "housing/offered"));
  BOOST_TEST(total_all(z, "housing/housed") == total_all(plain, "housing/housed"));
}

BOOST_AUTO_TEST_CASE(identical_results_on_1_2_and_4_threads) {
  const std::string b = "policy = \"predicted\"\nprediction_threshold = 0.09\n";
  const std::string events = "[[events]]\nkind = \"housing_reconstruction\"\nat = \"2027-01-10T00:00\"\nunits = 800\n";
  std::vector<std::vector<double>> runs;
  for (int threads : {1, 2, 4}) {
    Simulation sim(housing_city(730, b, events), threads);
    sim.run();
    std::vector<double> all;
    for (const auto& s : sim.metrics().series()) all.insert(all.end(), s.history.begin(), s.history.end());
    runs.push_back(all);
  }
  BOOST_TEST(runs[0].size() > 1000u);
  BOOST_TEST((runs[0] == runs[1]));
  BOOST_TEST((runs[0] == runs[2]));
}

BOOST_AUTO_TEST_CASE(reconstruction_empties_the_oldest_estates_then_reopens_them) {
  const std::string events =
      "[[events]]\nkind = \"housing_reconstruction\"\nat = \"2026-06-01T00:00\"\nunits = 1500\n"
      "municipality = \"Adachi\"\nclosed_months = 12\n";
  Simulation sim(housing_city(600, "applicants_per_round = 0\n", events), 2);
  const HousingState& st = housing_of(sim).state();
  const HousingStock& s = st.stock;
  std::vector<int> built(s.estates());
  for (size_t e = 0; e < s.estates(); ++e) built[e] = s.building_year[s.estate_first[e]];
  sim.step(61);  // the day of the event
  size_t closed = 0;
  int newest_closed = 0, oldest_open = 3000;
  for (size_t e = 0; e < s.estates(); ++e) {
    if (sim.grid().municipalities[size_t(s.estate_muni[e])].name_en != "Adachi") continue;
    const bool shut = st.status[s.estate_first[e]] == uint8_t(UnitStatus::Closed);
    for (uint32_t u = s.estate_first[e]; u < s.estate_first[e + 1]; ++u) {
      BOOST_TEST((st.status[u] == uint8_t(UnitStatus::Closed)) == shut);  // whole estates
      if (shut) BOOST_TEST(s.size[u] == 0);
    }
    if (shut) {
      closed += s.estate_first[e + 1] - s.estate_first[e];
      newest_closed = std::max(newest_closed, built[e]);
    } else {
      oldest_open = std::min(oldest_open, built[e]);
    }
  }
  BOOST_TEST(closed >= 1500u);
  BOOST_TEST(newest_closed <= oldest_open);  // oldest first
  sim.run();
  BOOST_TEST(total_all(sim, "housing/move_outs_by_reason", size_t(ExitReason::Reconstruction)) > 1000.0);
  size_t still_closed = 0;
  for (size_t u = 0; u < st.stock.units(); ++u) still_closed += st.status[u] == uint8_t(UnitStatus::Closed);
  BOOST_TEST(still_closed == 0u);  // rebuilt after 12 months and ready to let
}

BOOST_AUTO_TEST_CASE(a_rent_rise_raises_move_outs) {
  const std::string rise = "[[events]]\nkind = \"housing_rent_change\"\nat = \"2026-04-01T00:00\"\nmove_out_log_odds = 1.0\n";
  Simulation base(housing_city(365, "applicants_per_round = 0\n"), 2), raised(housing_city(365, "applicants_per_round = 0\n", rise), 2);
  base.run();
  raised.run();
  const double m0 = total_all(base, "housing/move_outs_by_reason", size_t(ExitReason::MoveOut));
  const double m1 = total_all(raised, "housing/move_outs_by_reason", size_t(ExitReason::MoveOut));
  BOOST_TEST(m1 / m0 == std::exp(1.0), tt::tolerance(0.15));  // odds x e, hazards are small
}

BOOST_AUTO_TEST_CASE(bad_estate_csv_is_rejected_with_file_and_line) {
  const auto dir = std::filesystem::temp_directory_path() / "citysim_housing_test";
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  const auto error_of = [&](const std::string& path) -> std::string {
    try {
      Simulation sim(housing_city(1, "estates_file = \"" + path + "\"\n"), 1);
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "";
  };
  const std::string header = "estate_id,mesh_code,units,building_year,floors,elevator\n";
  std::string land;
  {
    Simulation probe(housing_city(1), 1);
    const Grid& g = probe.grid();
    for (size_t c = 0; c < g.size() && land.empty(); ++c)
      if (g.municipality_index[c] >= 0) land = std::to_string(g.mesh_code[c]);
  }
  const std::string good = write("good.csv", header + "1," + land + ",120,1972,5,0\n2," + land + ",80,1995,10,1\n");
  Simulation sim(housing_city(1, "estates_file = \"" + good + "\"\n"), 1);
  BOOST_TEST(housing_of(sim).state().stock.units() == 200u);
  const std::string sea = error_of(write("sea.csv", header + "1," + land + ",120,1972,5,0\n2,53390000,80,1995,10,1\n"));
  BOOST_TEST(sea.find("sea.csv:3") != std::string::npos);
  BOOST_TEST(sea.find("not a land cell") != std::string::npos);
  const std::string units = error_of(write("units.csv", header + "1," + land + ",-5,1972,5,0\n"));
  BOOST_TEST(units.find("units.csv:2") != std::string::npos);
  BOOST_TEST(units.find("whole number of units") != std::string::npos);
  const std::string text = error_of(write("text.csv", header + "1," + land + ",12,old,5,0\n"));
  BOOST_TEST(text.find("text.csv:2") != std::string::npos);
  BOOST_TEST(text.find("building_year") != std::string::npos);
  const std::string column = error_of(write("column.csv", "estate_id,mesh_code,units,building_year,floors\n1," + land + ",1,1972,5\n"));
  BOOST_TEST(column.find("column.csv:1") != std::string::npos);
  BOOST_TEST(column.find("elevator") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(policy_b_without_a_model_for_the_horizon_stops_before_the_run) {
  try {
    Simulation sim(housing_city(1, "policy = \"predicted\"\nprediction_horizon_months = 5\n"), 1);
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("no vacancy model for a horizon of 5 months") != std::string::npos);
  }
  // a switch to policy B on the timeline is checked up front too
  try {
    Simulation sim(housing_city(400, "prediction_horizon_months = 5\n",
                                "[[events]]\nkind = \"set\"\nat = \"2027-01-01T00:00\"\nkey = \"housing.policy\"\nvalue = \"predicted\"\n"),
                   1);
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(e.key() == "housing.prediction_horizon_months");
  }
  // and so is a change of horizon
  try {
    Simulation sim(housing_city(400, "",
                                "[[events]]\nkind = \"set\"\nat = \"2027-01-01T00:00\"\nkey = \"housing.prediction_horizon_months\"\nvalue = \"7\"\n"),
                   1);
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("no vacancy model for a horizon of 7 months") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_reconstruction_in_an_unknown_municipality_stops_before_the_run) {
  try {
    Simulation sim(housing_city(30, "", "[[events]]\nkind = \"housing_reconstruction\"\nat = \"2026-04-10T00:00\"\nmunicipality = \"Atlantis\"\n"), 1);
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("housing_city.toml:") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("no municipality 'Atlantis'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_policy_switch_on_the_timeline_starts_predicted_offers) {
  const std::string at = "[[events]]\nkind = \"set\"\nat = \"2027-01-01T00:00\"\nkey = \"housing.policy\"\nvalue = \"predicted\"\n";
  Simulation sim(housing_city(730, "prediction_threshold = 0.09\n", at), 2);
  sim.run();
  const Table* rounds = sim.metrics().find_table("housing/rounds");
  BOOST_REQUIRE(rounds);
  BOOST_TEST(rounds->rows == 8u);  // Feb, May, Aug, Nov over two years from April
  for (size_t r = 0; r < rounds->rows; ++r) {
    const std::string date = std::get<std::string>(rounds->at(r, 0));
    const bool after = date >= "2027-01-01";
    BOOST_TEST(std::get<std::string>(rounds->at(r, 1)) == (after ? "predicted" : "vacant_only"));
    if (!after) BOOST_TEST(std::get<int64_t>(rounds->at(r, 3)) == 0);
  }
  BOOST_TEST(std::get<int64_t>(rounds->at(3, 3)) > 0);  // the first round under policy B (Feb 2027)
}

BOOST_AUTO_TEST_CASE(the_bundled_housing_scenarios_load) {
  for (const char* name : {"housing-baseline", "housing-predictive", "housing-reconstruction"}) {
    BOOST_TEST_CONTEXT(name) {
      Simulation sim(io::load_scenario(std::string(CITYSIM_SOURCE_DIR "/scenarios/") + name + ".toml"), 1);
      BOOST_TEST(housing_of(sim).state().stock.units() == 250000u);
      BOOST_TEST(sim.total_ticks() == 3652);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_tick_that_does_not_divide_a_day_is_rejected) {
  Scenario sc = housing_city(10);
  try {
    sc.set("run.tick_minutes", int64_t(100), SourceLoc{"housing_city.toml", 4});  // divides the 10 days, not a day
    Simulation sim(sc, 1);
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(e.key() == "run.tick_minutes");
    BOOST_TEST(std::string(e.what()).find("housing_city.toml:4") != std::string::npos);
  }
}
