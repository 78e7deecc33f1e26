// Public-housing turnover (都営住宅). Model, defaults and sources: docs/models/housing.md.
//
// [SECTION] names, params   enums and the [housing] keys and events
// [SECTION] stock          estates per municipality (or from a CSV), units, initial tenants
// [SECTION] hazard         monthly exit probabilities by reason, features
// [SECTION] lottery        weighted draws without replacement, predictor file
// [SECTION] module         monthly hazards, the daily agenda, rounds, events, metrics
#include "modules/housing.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <queue>

#include "citysim/city.hpp"

namespace citysim {

// ---- [SECTION] names, params --------------------------------------------------------

const char* exit_reason_name(ExitReason r) {
  static const char* names[] = {"death", "care_or_family", "move_out", "eviction", "reconstruction"};
  return names[int(r)];
}
const char* transfer_reason_name(int bit_index) {
  static const char* names[] = {"overcrowded", "under_occupied", "stairs"};
  return names[bit_index];
}
const char* floor_plan_name(int plan) {
  static const char* names[] = {"1DK", "2DK", "3DK", "4DK"};
  return names[plan];
}

void HousingParams::keys(ParamKeys& k) {
  k.section("housing", "Public-housing turnover (都営住宅): estates, tenants, move-outs, recruitment rounds and predicted vacancies.");
  auto rate = [&](const char* key, double& v, const char* doc) {
    k.key(key, v, doc).units("1/year").range(0, 0.9);
  };
  auto log_odds = [&](const char* key, double& v, const char* doc) { k.key(key, v, doc).range(-5, 5); };
  k.key("housing.enabled", enabled, "simulate public-housing turnover (run daily: run.tick_minutes = 1440)");
  k.key("housing.units_total", units_total, "units in the simulated municipalities (TMG: about 254,000 at the end of FY2024)").at_least(1).structural();
  k.key("housing.estates_total", estates_total, "estates the units are spread over (about 1,600)").at_least(1).structural();
  k.path("housing.estates_file", estates_file,
         "CSV of estates (estate_id,mesh_code,units,building_year,floors,elevator) instead of the synthetic stock");
  k.key("housing.east_north_weight", east_north_weight, "stock per resident in the east and north wards relative to other wards").at_least(0);
  k.key("housing.tama_weight", tama_weight, "stock per resident in Tama relative to the wards").at_least(0);
  k.key("housing.islands_weight", islands_weight, "stock per resident on the islands relative to the wards").at_least(0);
  k.key("housing.share_head_65plus", share_head_65plus, "share of tenant heads aged 65+ at the start (TMG 2025: about 70%)").range(0, 1);
  k.key("housing.share_elderly_alone", share_elderly_alone, "share of households with a head aged 65+ who live alone").range(0, 1);
  k.key("housing.initial_vacant_share", initial_vacant_share, "share of units empty at the start").range(0, 0.5);
  rate("housing.death_rate_at_75", death_rate_at_75, "annual death rate of a tenant head aged 75 (Japan life table 2022, both sexes, raised for low income)");
  k.key("housing.death_log_odds_per_year", death_log_odds_per_year, "Gompertz slope of mortality per year of age (doubling every ~8 years)").range(0, 0.3);
  rate("housing.care_rate_at_80", care_rate_at_80, "annual rate at which a head aged 80 without a care need moves into care or to family");
  k.key("housing.care_log_odds_per_year", care_log_odds_per_year, "increase of the care move log-odds per year of age").range(0, 0.3);
  log_odds("housing.care_alone_log_odds", care_alone_log_odds, "extra care move log-odds for an older person living alone");
  rate("housing.care_need_onset_rate_at_80", care_need_onset_rate_at_80, "annual rate at which a head aged 80 is certified as needing long-term care (要介護; MHLW: about 20% of 80-84 year olds certified)");
  k.key("housing.care_need_onset_log_odds_per_year", care_need_onset_log_odds_per_year, "increase of the care-need onset log-odds per year of age").range(0, 0.3);
  log_odds("housing.care_need_death_log_odds", care_need_death_log_odds, "extra death log-odds of a head with a care need");
  log_odds("housing.care_need_care_log_odds", care_need_care_log_odds, "extra log-odds of a move into care of a head with a care need");
  rate("housing.move_out_rate_at_40", move_out_rate_at_40, "annual voluntary move-out rate of a head aged 40 (income rise, job, size)");
  log_odds("housing.move_out_age_log_odds_per_decade", move_out_age_log_odds_per_decade, "change of the move-out log-odds per decade of age");
  log_odds("housing.move_out_mismatch_log_odds", move_out_mismatch_log_odds, "move-out log-odds per person of mismatch between household size and rooms + 1");
  log_odds("housing.move_out_income_log_odds", move_out_income_log_odds, "move-out log-odds per income band above the lowest");
  log_odds("housing.move_out_building_log_odds_per_decade", move_out_building_log_odds_per_decade, "move-out log-odds per decade of building age");
  log_odds("housing.move_out_ku_log_odds", move_out_ku_log_odds, "move-out log-odds of a unit in the 23 wards (central location keeps tenants)");
  k.key("housing.move_out_tenure_odds", move_out_tenure_odds,
        "move-out odds multipliers by year of tenure 1, 2, ..., the last applies after (peak near 3 years: Deng, Gabriel & Nothaft 2003)")
      .range(0, 10);
  rate("housing.eviction_rate", eviction_rate, "annual rate of tenancies ended for arrears or breach");
  rate("housing.birth_rate_under_45", birth_rate_under_45, "annual rate of a birth in a household of 2+ with a head under 45");
  rate("housing.child_leave_rate", child_leave_rate, "annual rate at which a grown child leaves a household of 3+ with a head aged 45-69");
  k.key("housing.repair_days_base", repair_days_base, "repair days of a vacated unit in a new building (England relets: median 29 days empty)").units("d").at_least(0);
  k.key("housing.repair_days_per_decade", repair_days_per_decade, "extra repair days per decade of building age").units("d").at_least(0);
  k.key("housing.held_back_share", held_back_share,
        "share of vacated units let outside the recruitment rounds once repaired (relocation of tenants from estates being "
        "rebuilt, special-purpose allocations); 0 = every vacated unit is offered in a round")
      .range(0, 0.95);
  std::string policy_name = policy == HousingPolicy::Predicted ? "predicted" : "vacant_only";
  k.key("housing.policy", policy_name,
        "what a round offers: vacant_only (policy A) or predicted (policy B: also units predicted to fall vacant before the move-in date)")
      .one_of({"vacant_only", "predicted"});
  policy = policy_name == "predicted" ? HousingPolicy::Predicted : HousingPolicy::VacantOnly;
  k.key("housing.round_months", round_months, "months with a recruitment round on the 1st (TMG: February, May, August, November)").range(1, 12);
  k.key("housing.applicants_per_round", applicants_per_round,
        "mean new applicants per round; the earlier rounds' losers who apply again come on top (Nov 2023: 26,994 applicants "
        "in all for 3,281 units)")
      .at_least(0);
  k.key("housing.reapply_probability_per_round", reapply_probability_per_round,
        "probability that a losing applicant applies again in the next round (each round lost; the rest leave the waiting "
        "list); 0.44 gives about 8.2 applicants per unit in November rounds with the defaults (Nov 2023: 26,994 for 3,281)")
      .range(0, 0.99);
  k.key("housing.ku_popularity", ku_popularity, "applicants per unit of stock in the wards relative to elsewhere").above(0);
  k.key("housing.priority_share", priority_share, "share of applicants in a priority category (elderly, disabled, single parents)").range(0, 1);
  k.key("housing.priority_chances", priority_chances, "lottery chances of a priority applicant (TMG 優遇抽せん: 5 or 7 times)").range(1, 20);
  k.key("housing.move_in_days", move_in_days, "days from the round to the move-in date").units("d").range(1, 730);
  k.key("housing.prediction_horizon_months", prediction_horizon_months,
        "horizon of the vacancy model used for predicted offers (a model for it must be in the predictor file)").units("months").range(1, 36);
  k.key("housing.prediction_threshold", prediction_threshold, "predicted probability of falling vacant at which a unit is offered").range(0, 1);
  k.path("housing.predictor_file", predictor_file,
         "vacancy model coefficients written by citysim-calibrate housing (\"\" = scenarios/data/housing_predictor.csv)");
  rate("housing.transfer_overcrowded_per_year", transfer_overcrowded_per_year,
       "annual rate at which a household below the minimum floor area (最低居住面積水準: 25 m² alone, 10 m² x persons + 10 m²) "
       "applies for a transfer (TMG 住宅変更 reason 1; the rate is an assumption)");
  rate("housing.transfer_underoccupied_per_year", transfer_underoccupied_per_year,
       "annual rate at which an under-occupying household (TMG 住宅変更 reason 2: 4DK over 66 m² with 3 or fewer, 3DK over 56 m² "
       "with 2 or fewer, 3DK over 50 m² alone) applies for a smaller unit (assumption)");
  rate("housing.transfer_stairs_per_year", transfer_stairs_per_year,
       "annual rate at which an older head on an upper floor without a lift applies for a ground-floor or lift unit "
       "(TMG 住宅変更 reason 3, 階段昇降困難; assumption)");
  k.key("housing.transfer_stairs_min_age_years", transfer_stairs_min_age_years, "head's age from which the stairs reason applies")
      .units("years").range(0, 110);
  k.key("housing.transfer_stairs_min_floor", transfer_stairs_min_floor,
        "lowest walk-up floor (1 = ground) from which the stairs reason applies; lower floors and lift buildings are step-free")
      .range(2, 60);
  k.key("housing.transfer_quota_share", transfer_quota_share,
        "share of a round's empty units served first to tenants' transfers, before the lottery (assumption; 0 = no transfers)")
      .range(0, 1);
}

void HousingParams::describe(Schema& s) {
  describe_keys<HousingParams>(s);

  auto& rc = s.event("housing_reconstruction", "a reconstruction programme empties whole estates, oldest first; tenants are relocated");
  rc.key("units", ValueKind::Int, int64_t(1000), "units to empty (whole estates until reached)");
  rc.key("municipality", ValueKind::String, std::string(""), "municipality code or English name (\"\" = anywhere)");
  rc.key("closed_months", ValueKind::Int, int64_t(36), "months until the rebuilt units open (empty, ready to let)");
  auto& rent = s.event("housing_rent_change", "a rent or eligibility change that shifts move-out and eviction hazards");
  rent.key("move_out_log_odds", ValueKind::Float, 0.0, "added to the move-out log-odds of every tenancy");
  rent.key("eviction_log_odds", ValueKind::Float, 0.0, "added to the eviction log-odds of every tenancy");
}

HousingParams HousingParams::from(const Scenario& sc) {
  HousingParams p = read_keys<HousingParams>(sc);
  if (p.enabled && 1440 % sc.get_int("run.tick_minutes") != 0)
    throw ScenarioError(sc.loc_of("run.tick_minutes"), "run.tick_minutes",
                        "housing steps once a day: expected a tick that divides 1440 minutes (1440 for multi-year runs)");
  if (p.move_out_tenure_odds.empty())
    throw ScenarioError(sc.loc_of("housing.move_out_tenure_odds"), "housing.move_out_tenure_odds",
                        "expected at least one odds multiplier (year 1 of tenure)");
  for (double m : p.round_months)
    if (m != std::floor(m))
      throw ScenarioError(sc.loc_of("housing.round_months"), "housing.round_months",
                          "expected whole month numbers 1..12, got " + std::to_string(m));
  if (p.predictor_file.empty()) p.predictor_file = data_dir() + "/housing_predictor.csv";
  return p;
}

// ---- [SECTION] stock ----------------------------------------------------------------

namespace {

// east and north wards, where most metropolitan housing stands (Koto, Sumida, Kita,
// Arakawa, Itabashi, Nerima, Adachi, Katsushika, Edogawa)
bool east_or_north_ward(int code) {
  static const int codes[] = {13107, 13108, 13117, 13118, 13119, 13120, 13121, 13122, 13123};
  return std::find(std::begin(codes), std::end(codes), code) != std::end(codes);
}

// entity ranges of the housing stream: units use their index
constexpr uint64_t kEstateEntity = 1ull << 40, kRoundEntity = 2ull << 40, kApplicantEntity = 3ull << 40,
                   kLotteryEntity = 4ull << 40, kTransferLotteryEntity = 5ull << 40, kReapplyEntity = 6ull << 40;
// ticks of the units' draws: months count from 0, transfer applications by round
constexpr uint32_t kSynthesisTick = 0xFFFFFFF0u, kRepairTick = 0x80000000u, kTransferTick = 0x40000000u;

struct EstateSpec {
  uint32_t cell;
  int16_t muni;
  int32_t units;
  int building_year;
  int floors;
  bool elevator;
};

// synthetic estates: counts by municipality weight, sizes lognormal, building years
// mostly from the 1965-1980 building boom
std::vector<EstateSpec> synthetic_estates(const Grid& g, const HousingParams& p, uint64_t seed) {
  const size_t M = g.municipalities.size();
  std::vector<std::vector<uint32_t>> cells(M);
  std::vector<std::vector<double>> cdf(M);
  std::vector<double> weight(M, 0.0);
  for (size_t c = 0; c < g.size(); ++c) {
    const int m = g.municipality_index[c];
    if (m < 0 || g.water[c] || g.population[c] <= 0) continue;
    cells[size_t(m)].push_back(uint32_t(c));
    cdf[size_t(m)].push_back((cdf[size_t(m)].empty() ? 0 : cdf[size_t(m)].back()) + g.population[c]);
    weight[size_t(m)] += g.population[c];
  }
  for (size_t m = 0; m < M; ++m) {
    const auto& mu = g.municipalities[m];
    weight[m] *= mu.area == "islands" ? p.islands_weight : mu.area == "tama" ? p.tama_weight
                 : east_or_north_ward(mu.code) ? p.east_north_weight : 1.0;
  }
  const double total_weight = std::accumulate(weight.begin(), weight.end(), 0.0);
  if (total_weight <= 0) return {};
  const Rng rng(seed, Stream::Housing);
  // estates and units per municipality by largest remainder, so the totals are exact
  const auto apportion = [&](int64_t total) {
    std::vector<int64_t> out(M, 0);
    std::vector<std::pair<double, size_t>> rest;
    int64_t given = 0;
    for (size_t m = 0; m < M; ++m) {
      const double x = double(total) * weight[m] / total_weight;
      out[m] = int64_t(std::floor(x));
      given += out[m];
      rest.push_back({-(x - std::floor(x)), m});
    }
    std::sort(rest.begin(), rest.end());
    for (size_t i = 0; given < total && i < rest.size(); ++i, ++given) ++out[rest[i].second];
    return out;
  };
  const auto estates_of = apportion(p.estates_total), units_of = apportion(p.units_total);
  std::vector<EstateSpec> out;
  for (size_t m = 0; m < M; ++m) {
    const int64_t n_units = units_of[m];
    const int64_t n_estates = std::min(n_units, std::max<int64_t>(n_units > 0 ? 1 : 0, estates_of[m]));
    if (n_estates == 0 || cells[m].empty()) continue;
    std::vector<double> size(static_cast<size_t>(n_estates));
    const size_t first = out.size();
    for (int64_t e = 0; e < n_estates; ++e) {
      Draws d(rng, kEstateEntity + out.size(), kSynthesisTick);
      EstateSpec es{};
      es.cell = cells[m][sample_cdf(cdf[m], d.uniform())];
      es.muni = int16_t(m);
      const double u = d.uniform();
      const int decade = u < 0.15 ? 1960 : u < 0.50 ? 1970 : u < 0.70 ? 1980 : u < 0.85 ? 1990 : u < 0.95 ? 2000 : 2010;
      es.building_year = decade + int(d.below(10));
      es.floors = es.building_year < 1975 ? 5 : d.bernoulli(0.5) ? 5 : 8 + int(d.below(7));
      es.elevator = es.floors > 5 || es.building_year >= 1990;
      size[size_t(e)] = std::exp(0.8 * d.normal());
      out.push_back(es);
    }
    // at least one unit per estate, the rest in proportion to the drawn sizes
    const double sum = std::accumulate(size.begin(), size.end(), 0.0);
    int64_t given = 0;
    for (int64_t e = 0; e < n_estates; ++e) {
      auto& es = out[first + size_t(e)];
      es.units = int32_t(1 + std::floor(double(n_units - n_estates) * size[size_t(e)] / sum));
      given += es.units;
    }
    for (int64_t e = 0; given < n_units; e = (e + 1) % n_estates, ++given) ++out[first + size_t(e)].units;
  }
  return out;
}

// estates from a CSV; every row checked, errors name file and line
std::vector<EstateSpec> read_estates(const Grid& g, const std::string& path) {
  const std::string key = "housing.estates_file";
  const CsvTable t = read_csv(path, key);
  const int c_code = t.column("mesh_code", key), c_units = t.column("units", key);
  const int c_year = t.column("building_year", key), c_floors = t.column("floors", key);
  const int c_lift = t.column("elevator", key);
  std::vector<EstateSpec> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto bad = [&](const std::string& what) { throw ScenarioError({path, t.lines[r]}, key, what); };
    const double code = t.number(r, c_code, key), units = t.number(r, c_units, key);
    const double year = t.number(r, c_year, key), floors = t.number(r, c_floors, key), lift = t.number(r, c_lift, key);
    const int64_t cell = code > 0 && code == std::floor(code) ? g.cell_of_code(uint64_t(code)) : -1;
    if (cell < 0 || g.municipality_index[size_t(cell)] < 0)
      bad("mesh code " + t.rows[r][size_t(c_code)] + " is not a land cell of the grid");
    if (units < 1 || units > 20000 || units != std::floor(units)) bad("expected a whole number of units in 1..20000, got " + t.rows[r][size_t(c_units)]);
    if (year < 1945 || year > 2100 || year != std::floor(year)) bad("expected a building year in 1945..2100, got " + t.rows[r][size_t(c_year)]);
    if (floors < 1 || floors > 60 || floors != std::floor(floors)) bad("expected floors in 1..60, got " + t.rows[r][size_t(c_floors)]);
    if (lift != 0 && lift != 1) bad("expected elevator 0 or 1, got " + t.rows[r][size_t(c_lift)]);
    out.push_back({uint32_t(cell), g.municipality_index[size_t(cell)], int32_t(units), int(year), int(floors), lift == 1});
  }
  if (out.empty()) throw ScenarioError({path, 0}, key, "expected at least one estate row");
  return out;
}

// a household drawn for a unit: head's age, size, income band
struct Household {
  int age, size, income;
};
Household initial_household(const HousingParams& p, int rooms, Draws& d) {
  Household h{};
  if (d.bernoulli(p.share_head_65plus)) {
    const double u = d.uniform();
    h.age = u < 0.40 ? 65 + int(d.below(10)) : u < 0.82 ? 75 + int(d.below(10)) : 85 + int(std::min(19.0, d.exponential(5)));
    h.size = d.bernoulli(p.share_elderly_alone) ? 1 : d.bernoulli(0.9) ? 2 : 3;
    h.income = d.bernoulli(0.8) ? 0 : d.bernoulli(0.9) ? 1 : 2;
  } else {
    h.age = 25 + int(d.below(40));
    const double u = d.uniform();
    h.size = u < 0.25 ? 1 : u < 0.50 ? 2 : u < 0.75 ? 3 : u < 0.93 ? 4 : 5;
    h.income = d.bernoulli(0.5) ? 0 : d.bernoulli(0.7) ? 1 : 2;
  }
  if (rooms == 1) h.size = std::min(h.size, 2);  // 1DK units are let to singles and couples
  return h;
}

}  // namespace

HousingStock synthesize_housing(const Grid& g, const HousingParams& p, int year, uint64_t seed) {
  const std::vector<EstateSpec> estates = p.estates_file.empty() ? synthetic_estates(g, p, seed) : read_estates(g, p.estates_file);
  HousingStock s;
  const size_t E = estates.size();
  s.estate_cell.resize(E);
  s.estate_muni.resize(E);
  s.estate_first.assign(E + 1, 0);
  for (size_t e = 0; e < E; ++e) {
    s.estate_cell[e] = estates[e].cell;
    s.estate_muni[e] = estates[e].muni;
    s.estate_first[e + 1] = s.estate_first[e] + uint32_t(estates[e].units);
  }
  const size_t n = s.estate_first[E];
  s.estate.resize(n); s.plan.resize(n); s.area_m2.resize(n); s.floor.resize(n); s.elevator.resize(n);
  s.building_year.resize(n); s.rent_band.resize(n); s.ku.resize(n);
  s.head_age.resize(n); s.birth_month.resize(n); s.size.resize(n); s.income_band.resize(n); s.tenure_months.resize(n);
  s.care_need.resize(n);
  const Rng rng(seed, Stream::Housing);
  tbb::parallel_for(size_t(0), E, [&](size_t e) {
    const EstateSpec& es = estates[e];
    const bool ku = g.municipalities[size_t(es.muni)].area == "ku";
    for (uint32_t u = s.estate_first[e]; u < s.estate_first[e + 1]; ++u) {
      Draws d(rng, u, kSynthesisTick);
      const double x = d.uniform();
      // older estates are mostly 2DK; later ones have more 1DK and 3DK
      const int plan = es.building_year < 1975 ? (x < 0.10 ? 0 : x < 0.70 ? 1 : 2)
                                               : (x < 0.20 ? 0 : x < 0.60 ? 1 : x < 0.95 ? 2 : 3);
      static const float area_lo[] = {30, 40, 55, 70}, area_span[] = {8, 10, 13, 10};
      s.estate[u] = uint32_t(e);
      s.plan[u] = uint8_t(plan);
      s.area_m2[u] = area_lo[plan] + area_span[plan] * float(d.uniform());
      s.floor[u] = uint8_t(1 + d.below(uint32_t(es.floors)));
      s.elevator[u] = es.elevator;
      s.building_year[u] = uint16_t(es.building_year);
      s.ku[u] = ku;
      s.rent_band[u] = uint8_t(std::min(3, int(s.area_m2[u] > 50) + int(ku) + int(es.building_year >= 1990)));
      const Household h = initial_household(p, plan + 1, d);
      s.head_age[u] = uint8_t(h.age);
      s.birth_month[u] = uint8_t(1 + d.below(12));
      s.size[u] = uint8_t(h.size);
      s.income_band[u] = uint8_t(h.income);
      // certified care need by age: about 5% at 70, 20% at 80, 55% at 90 (MHLW 介護保険事業状況報告)
      s.care_need[u] = d.bernoulli(1 / (1 + std::exp(3.0 - 0.16 * (h.age - 70))));
      // older tenants have lived longer in the estate; nobody longer than the building stands
      const double years = h.age >= 65 ? 5 + d.exponential(15) : d.exponential(7);
      const int max_months = std::max(1, (year - es.building_year) * 12);
      s.tenure_months[u] = uint16_t(std::min<double>(max_months, years * 12 + d.below(12)));
    }
  });
  return s;
}

// ---- [SECTION] hazard ---------------------------------------------------------------

double monthly_from_annual(double annual_rate) { return 1 - std::pow(1 - annual_rate, 1.0 / 12); }

namespace {
double logit(double p) { return std::log(p / (1 - p)); }
// monthly log-odds at reference covariates of an annual rate; -inf for a zero rate
double monthly_log_odds(double annual_rate) {
  return annual_rate <= 0 ? -INFINITY : logit(monthly_from_annual(annual_rate));
}
double logistic(double x) { return 1 / (1 + std::exp(-x)); }
int mismatch(int size, int rooms) { return std::abs(size - (rooms + 1)) > 1 ? std::abs(size - (rooms + 1)) - 1 : 0; }
}  // namespace

ExitHazard::ExitHazard(const HousingParams& params, double move_out_shift, double eviction_shift)
    : p(params),
      death0(monthly_log_odds(params.death_rate_at_75)),
      care0(monthly_log_odds(params.care_rate_at_80)),
      move0(monthly_log_odds(params.move_out_rate_at_40) + move_out_shift),
      eviction0(monthly_log_odds(params.eviction_rate) + eviction_shift) {
  for (double odds : params.move_out_tenure_odds) tenure_log_odds.push_back(odds > 0 ? std::log(odds) : -INFINITY);
  // death and care depend on age (and living alone) only: tabulate them once
  for (int age = 0; age < kAges; ++age) {
    death_by_age[size_t(age)] = logistic(death0 + p.death_log_odds_per_year * (age - 75));
    for (int alone = 0; alone < 2; ++alone)
      care_by_age[size_t(age)][size_t(alone)] =
          age < 65 ? 0 : logistic(care0 + p.care_log_odds_per_year * (age - 80) + (alone ? p.care_alone_log_odds : 0));
  }
  eviction = logistic(eviction0);
  const double onset0 = monthly_log_odds(params.care_need_onset_rate_at_80);
  for (int age = 0; age < kAges; ++age)
    onset_by_age[size_t(age)] = age < 65 ? 0 : logistic(onset0 + p.care_need_onset_log_odds_per_year * (age - 80));
}

std::array<double, 4> ExitHazard::probabilities(const HousingStock& s, size_t u, int year) const {
  const int age = s.head_age[u], size = s.size[u], rooms = s.plan[u] + 1;
  const bool alone = size == 1;
  const double building_decades = std::max(0, year - int(s.building_year[u])) / 10.0;
  const size_t tenure_year = std::min<size_t>(s.tenure_months[u] / 12, tenure_log_odds.size() - 1);
  std::array<double, 4> prob{};
  const size_t a = size_t(std::min(age, kAges - 1));
  prob[0] = death_by_age[a];
  prob[1] = care_by_age[a][alone];
  if (s.care_need[u]) {  // odds ratios on top of the tabulated probabilities
    const auto raise = [](double q, double log_odds) { return q <= 0 ? q : logistic(std::log(q / (1 - q)) + log_odds); };
    prob[0] = raise(prob[0], p.care_need_death_log_odds);
    prob[1] = raise(prob[1], p.care_need_care_log_odds);
  }
  prob[2] = logistic(move0 + p.move_out_age_log_odds_per_decade * (age - 40) / 10.0 +
                     p.move_out_mismatch_log_odds * mismatch(size, rooms) + p.move_out_income_log_odds * s.income_band[u] +
                     p.move_out_building_log_odds_per_decade * building_decades + (s.ku[u] ? p.move_out_ku_log_odds : 0) +
                     tenure_log_odds[tenure_year]);
  prob[3] = eviction;
  return prob;
}

const char* const kHousingFeatureNames[kHousingFeatures] = {
    "intercept", "age_10y", "age_over75_10y", "alone", "log_tenure_years", "tenure_under3",
    "size_mismatch", "building_age_10y", "income_band", "ku", "walkup_above_3f", "care_need"};

void housing_features(const HousingStock& s, size_t u, int year, float* x) {
  const int age = s.head_age[u];
  const double tenure_years = s.tenure_months[u] / 12.0;
  x[0] = 1;
  x[1] = float((age - 65) / 10.0);
  x[2] = float(std::max(0, age - 75) / 10.0);
  x[3] = s.size[u] == 1;
  x[4] = float(std::log1p(tenure_years));
  x[5] = tenure_years < 3;
  x[6] = float(mismatch(s.size[u], s.plan[u] + 1));
  x[7] = float(std::max(0, year - int(s.building_year[u])) / 10.0);
  x[8] = s.income_band[u];
  x[9] = s.ku[u];
  x[10] = s.floor[u] > 3 && !s.elevator[u];
  x[11] = s.care_need[u];
}

namespace {
// 最低居住面積水準 (住生活基本計画, MLIT 2021): 25 m² for one person, 10 m² x persons + 10 m² for more
double minimum_area_m2(int size) { return size <= 1 ? 25.0 : 10.0 * size + 10.0; }
// TMG 住宅変更の要件 (2): a 4DK over 66 m² with 3 or fewer, a 3DK over 56 m² with 2 or fewer, over 50 m² alone
bool under_occupied(int plan, float area_m2, int size) {
  const int rooms = plan + 1;
  return (rooms >= 4 && area_m2 > 66 && size <= 3) || (rooms == 3 && area_m2 > 56 && size <= 2) ||
         (rooms == 3 && area_m2 > 50 && size <= 1);
}
bool upper_walkup(const HousingStock& s, const HousingParams& p, size_t u) {
  return !s.elevator[u] && s.floor[u] >= p.transfer_stairs_min_floor;
}
}  // namespace

uint8_t transfer_needs(const HousingStock& s, const HousingParams& p, size_t u) {
  const int size = s.size[u];
  return uint8_t((s.area_m2[u] < minimum_area_m2(size) ? kOvercrowded : 0) |
                 (under_occupied(s.plan[u], s.area_m2[u], size) ? kUnderOccupied : 0) |
                 (s.head_age[u] >= p.transfer_stairs_min_age_years && upper_walkup(s, p, u) ? kStairs : 0));
}

bool transfer_fits(const HousingStock& s, const HousingParams& p, size_t u, int size, int age) {
  return s.area_m2[u] >= minimum_area_m2(size) && !under_occupied(s.plan[u], s.area_m2[u], size) &&
         !(age >= p.transfer_stairs_min_age_years && upper_walkup(s, p, u));
}

// ---- [SECTION] lottery --------------------------------------------------------------

std::vector<uint32_t> lottery_winners(const std::vector<float>& chances, size_t k, const Rng& rng, uint64_t entity_base) {
  // key log(u) / w: the k largest keys are k successive draws without replacement with
  // probabilities proportional to w (Efraimidis & Spirakis 2006)
  std::vector<std::pair<double, uint32_t>> keys(chances.size());
  for (size_t i = 0; i < chances.size(); ++i) {
    Draws d(rng, entity_base + i, 0);
    keys[i] = {std::log(1 - d.uniform()) / std::max(1e-9f, chances[i]), uint32_t(i)};
  }
  k = std::min(k, keys.size());
  const auto better = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  std::partial_sort(keys.begin(), keys.begin() + std::ptrdiff_t(k), keys.end(), better);
  std::vector<uint32_t> out(k);
  for (size_t i = 0; i < k; ++i) out[i] = keys[i].second;
  return out;
}

double VacancyModel::predict(const float* x) const {
  double eta = 0;
  for (int j = 0; j < kHousingFeatures; ++j) eta += coef[size_t(j)] * x[j];
  return 1 / (1 + std::exp(-eta));
}

std::vector<VacancyModel> read_vacancy_models(const std::string& path, const std::string& key) {
  const CsvTable t = read_csv(path, key);
  const int c_h = t.column("horizon_months", key);
  std::array<int, kHousingFeatures> cols{};
  for (int j = 0; j < kHousingFeatures; ++j) cols[size_t(j)] = t.column(kHousingFeatureNames[j], key);
  std::vector<VacancyModel> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    VacancyModel m;
    const double h = t.number(r, c_h, key);
    if (h < 1 || h > 36 || h != std::floor(h))
      throw ScenarioError({path, t.lines[r]}, key, "expected horizon_months a whole number in 1..36, got " + t.rows[r][size_t(c_h)]);
    m.horizon_months = int(h);
    for (int j = 0; j < kHousingFeatures; ++j) {
      m.coef[size_t(j)] = t.number(r, cols[size_t(j)], key);
      if (!std::isfinite(m.coef[size_t(j)]))
        throw ScenarioError({path, t.lines[r]}, key, std::string("expected a finite coefficient for ") + kHousingFeatureNames[j]);
    }
    out.push_back(m);
  }
  if (out.empty()) throw ScenarioError({path, 0}, key, "expected at least one model row");
  return out;
}

// ---- [SECTION] module ---------------------------------------------------------------

namespace {
enum AgendaKind : uint64_t { kExit = 0, kReady = 1, kMoveIn = 2 };
uint64_t agenda_item(int32_t day, AgendaKind kind, uint32_t unit) {
  return uint64_t(day) << 34 | uint64_t(kind) << 32 | unit;
}
// pools an applicant chooses among: wards or elsewhere x single (1DK) or family units
constexpr int kPools = 4;
int pool_of(const HousingStock& s, size_t u) { return s.ku[u] * 2 + (s.plan[u] > 0 ? 1 : 0); }
// municipality code of a code or English name ("" = anywhere: 0); -1 when unknown
int municipality_code(const Grid& g, const std::string& where) {
  if (where.empty()) return 0;
  for (const auto& mu : g.municipalities)
    if (where == std::to_string(mu.code) || where == mu.name_en) return mu.code;
  return -1;
}
}  // namespace

HousingModule::HousingModule(const Scenario& sc, const Grid& g) : params_(HousingParams::from(sc)), grid_(g) {
  // timeline events are checked before the run starts: a switch to policy B needs the
  // model, a reconstruction programme a municipality of the simulated city
  bool predicted_later = false;
  std::vector<std::pair<int, SourceLoc>> horizons_later;
  for (const auto& ev : sc.events()) {
    if (ev.kind == "set" && ev.get_string("key") == "housing.policy" && ev.get_string("value") == "predicted") predicted_later = true;
    if (ev.kind == "set" && ev.get_string("key") == "housing.prediction_horizon_months")
      horizons_later.push_back({std::atoi(ev.get_string("value").c_str()), ev.loc});
    if (ev.kind == "housing_reconstruction" && municipality_code(g, ev.get_string("municipality")) < 0)
      throw ScenarioError(ev.loc, "municipality",
                          "no municipality '" + ev.get_string("municipality") + "' (code or English name) in the simulated city");
  }
  load_model(predicted_later || !horizons_later.empty());
  for (const auto& [h, loc] : horizons_later)
    if (std::none_of(models_.begin(), models_.end(), [h = h](const VacancyModel& m) { return m.horizon_months == h; }))
      throw ScenarioError(loc, "housing.prediction_horizon_months",
                          "no vacancy model for a horizon of " + std::to_string(h) + " months in " + params_.predictor_file);
}

// the model for the current horizon, needed under policy B; bad or missing files stop
// the run before it starts
void HousingModule::load_model(bool needed) {
  if (!needed && params_.policy != HousingPolicy::Predicted) return;
  if (models_.empty()) models_ = read_vacancy_models(params_.predictor_file, "housing.predictor_file");
  for (size_t i = 0; i < models_.size(); ++i)
    if (models_[i].horizon_months == params_.prediction_horizon_months) {
      model_ = i;
      return;
    }
  throw ScenarioError({params_.predictor_file, 0}, "housing.prediction_horizon_months",
                      "no vacancy model for a horizon of " + std::to_string(params_.prediction_horizon_months) +
                          " months in the predictor file (train one with citysim-calibrate housing)");
}

void HousingModule::update_params(const Scenario& sc) {
  const std::string file = params_.predictor_file;
  params_ = HousingParams::from(sc);
  if (params_.predictor_file != file) models_.clear();
  load_model(false);
}

void HousingModule::init(World& w) {
  const CivilTime now = civil(w.clock.now());
  HousingState& st = state_;
  seed_ = w.seed;
  st.stock = synthesize_housing(grid_, params_, now.year, w.seed);
  const size_t n = st.stock.units(), M = grid_.municipalities.size();
  st.status.assign(n, uint8_t(UnitStatus::Occupied));
  st.let.assign(n, 0);
  st.predicted_offer.assign(n, 0);
  st.exit_reason.assign(n, 0);
  st.exit_day.assign(n, -1);
  st.ready_day.assign(n, -1);
  st.move_in_day.assign(n, -1);
  st.vacated_day.assign(n, -1);
  st.tenancies_ended.assign(n, 0);
  st.tenancy_start_day.assign(n, 0);
  st.next_age.assign(n, 0);
  st.next_size.assign(n, 0);
  st.next_income.assign(n, 0);
  st.transfer_to.assign(n, -1);
  st.transfer_from.assign(n, -1);
  st.move_outs_by_muni.assign(M, 0);
  st.housed_by_muni.assign(M, 0);
  st.offered_by_muni.assign(M, 0);
  // units empty at the start: ready, or still under repair
  const Rng rng(w.seed, Stream::Housing);
  for (uint32_t u = 0; u < n; ++u) {
    st.tenancy_start_day[u] = -int32_t(st.stock.tenure_months[u]) * 30 - 1;
    Draws d(rng, u, kSynthesisTick + 1);
    if (!d.bernoulli(params_.initial_vacant_share)) continue;
    st.stock.size[u] = 0;
    st.vacated_day[u] = -int32_t(d.below(90));
    if (d.bernoulli(0.4)) {
      st.status[u] = uint8_t(UnitStatus::Repair);
      st.ready_day[u] = int32_t(d.below(30));
      st.agenda.push_back(agenda_item(st.ready_day[u], kReady, u));
    } else {
      st.status[u] = uint8_t(UnitStatus::Vacant);
    }
  }
  std::make_heap(st.agenda.begin(), st.agenda.end(), std::greater<>());
  st.household.assign(n, 0);
  for (uint32_t u = 0; u < n; ++u)
    if (st.status[u] == uint8_t(UnitStatus::Occupied)) st.household[u] = ++st.households_created;

  auto& m = w.metrics;
  const std::vector<std::string> munis = grid_.municipality_labels();
  const Breakdown by_muni{"municipality", munis};
  s_occupied_ = m.add_series({"housing/occupied", "units", "units with a tenant household"}, by_muni);
  s_vacant_ = m.add_series({"housing/vacant", "units", "units empty and ready to let (let or not)"}, by_muni);
  s_repair_ = m.add_series({"housing/under_repair", "units", "vacated units being repaired before they can be let"}, by_muni);
  s_move_outs_ = m.add_series({"housing/move_outs", "tenancies", "tenancies ended since the previous sample"}, by_muni);
  s_housed_ = m.add_series({"housing/housed", "households", "households that moved in since the previous sample"}, by_muni);
  s_offered_muni_ = m.add_series({"housing/offered_by_municipality", "units", "units offered in rounds since the previous sample (vacant and predicted)"}, by_muni);
  std::vector<std::string> reasons;
  for (int r = 0; r < kExitReasons; ++r) reasons.push_back(exit_reason_name(ExitReason(r)));
  s_reasons_ = m.add_series({"housing/move_outs_by_reason", "tenancies", "tenancies ended since the previous sample, by reason"},
                            {"reason", reasons});
  s_offered_ = m.add_series({"housing/offered", "units", "units offered in rounds since the previous sample: vacant now, or predicted to fall vacant"},
                            {"source", {"vacant", "predicted"}});
  s_applicants_ = m.add_series({"housing/applicants", "households", "applicants in rounds since the previous sample"});
  s_unsuccessful_ = m.add_series({"housing/unsuccessful", "households", "applicants not drawn in rounds since the previous sample (still waiting for housing)"});
  s_per_unit_ = m.add_series({"housing/applicants_per_unit", "1", "applicants per unit offered in rounds since the previous sample (0 without a round)"});
  s_waiting_ = m.add_series({"housing/winners_waiting", "households", "winners past their move-in date whose unit is not ready"});
  s_fp_ = m.add_series({"housing/false_positive_offers", "units", "predicted units still occupied on the move-in date, since the previous sample"});
  s_empty_mean_ = m.add_series({"housing/days_empty_mean", "d", "mean days between tenants of units relet since the previous sample (0 if none)"});
  s_empty_median_ = m.add_series({"housing/days_empty_median", "d", "median days between tenants of units relet since the previous sample (0 if none)"});
  s_elderly_ = m.add_series({"housing/leavers_65plus_share", "1", "share of ended tenancies with a head aged 65+, since the previous sample"});
  s_precision_ = m.add_series({"housing/prediction_precision", "1", "share of predicted offers vacant by their move-in date, since the start"});
  s_waiting_list_ = m.add_series({"housing/waiting_list", "households", "losing applicants who will apply again in the next round"});
  s_reapplicants_ = m.add_series({"housing/reapplicants", "households", "applicants in rounds since the previous sample who had lost an earlier round"});
  std::vector<std::string> transfer_reasons;
  for (int r = 0; r < kTransferReasons; ++r) transfer_reasons.push_back(transfer_reason_name(r));
  s_transfer_apps_ = m.add_series({"housing/transfer_applications", "households",
                                   "tenants' transfer applications in rounds since the previous sample, by reason (a tenant with two reasons counts in both)"},
                                  {"reason", transfer_reasons});
  s_transfers_ = m.add_series({"housing/transfers", "households",
                               "households moved to another unit since the previous sample (each frees its old unit, which is repaired and relet)"});
  t_rounds_ = m.add_table({"housing/rounds", "", "recruitment rounds"},
                          {{"date", ColumnType::Text, ""}, {"policy", ColumnType::Text, ""},
                           {"offered_vacant", ColumnType::Int, "units"}, {"offered_predicted", ColumnType::Int, "units"},
                           {"applicants", ColumnType::Int, "households"}, {"winners", ColumnType::Int, "households"},
                           {"reapplicants", ColumnType::Int, "households"}, {"applicants_per_unit", ColumnType::Float, "1"},
                           {"transfer_applicants", ColumnType::Int, "households"}, {"transfers", ColumnType::Int, "units"},
                           {"waiting_list", ColumnType::Int, "households"}});
  // the start month's hazards (the first step is a day later)
  monthly_step(w);
}

// draw which tenancies end this month and on which day; households age and change size
void HousingModule::monthly_step(World& w) {
  HousingState& st = state_;
  HousingStock& s = st.stock;
  const CivilTime now = civil(w.clock.now());
  st.last_month_key = now.year * 12 + now.month - 1;
  ++st.month_index;
  const int32_t today = int32_t(w.clock.day_index());
  const int days_left = days_in_month(now.year, now.month) - now.day + 1;
  const Rng rng(w.seed, Stream::Housing);
  const HousingParams& p = params_;
  const double birth = monthly_from_annual(p.birth_rate_under_45), leave = monthly_from_annual(p.child_leave_rate);
  const ExitHazard hazard(p, st.move_out_shift, st.eviction_shift);
  const size_t n = s.units(), block = 4096;
  tbb::parallel_for(size_t(0), (n + block - 1) / block, [&](size_t b) {
    for (size_t u = b * block; u < std::min(n, (b + 1) * block); ++u) {
      if (st.status[u] != uint8_t(UnitStatus::Occupied) || st.exit_day[u] >= 0) continue;
      Draws d(rng, u, uint32_t(st.month_index));
      if (s.birth_month[u] == now.month && s.head_age[u] < 110) ++s.head_age[u];
      if (s.tenure_months[u] < 0xFFFF) ++s.tenure_months[u];
      const auto prob = hazard.probabilities(s, u, now.year);
      const double survive = (1 - prob[0]) * (1 - prob[1]) * (1 - prob[2]) * (1 - prob[3]);
      const double sum = prob[0] + prob[1] + prob[2] + prob[3];
      const double x = d.uniform();
      if (x < 1 - survive) {
        // the reason in proportion to its probability
        const double y = x / (1 - survive) * sum;
        int reason = 0;
        for (double acc = prob[0]; reason < 3 && y >= acc; acc += prob[size_t(++reason)]) {}
        if (reason == int(ExitReason::Death) && s.size[u] > 1) {
          --s.size[u];  // a spouse or child succeeds to the tenancy (使用承継)
        } else {
          st.exit_reason[u] = uint8_t(reason);
          st.exit_day[u] = today + int32_t(d.below(uint32_t(days_left)));
        }
      }
      if (!s.care_need[u] && d.bernoulli(hazard.onset_by_age[std::min<size_t>(s.head_age[u], ExitHazard::kAges - 1)])) s.care_need[u] = 1;
      if (s.size[u] >= 2 && s.head_age[u] < 45 && s.size[u] < 8 && d.bernoulli(birth)) ++s.size[u];
      if (s.size[u] >= 3 && s.head_age[u] >= 45 && s.head_age[u] < 70 && d.bernoulli(leave)) --s.size[u];
    }
  });
  for (uint32_t u = 0; u < n; ++u)
    if (st.exit_day[u] >= today) push(agenda_item(st.exit_day[u], kExit, u));
}

void HousingModule::push(uint64_t item) {
  state_.agenda.push_back(item);
  std::push_heap(state_.agenda.begin(), state_.agenda.end(), std::greater<>());
}

void HousingModule::end_tenancy(uint32_t u, ExitReason reason, int32_t day, int year) {
  HousingState& st = state_;
  HousingStock& s = st.stock;
  const int16_t muni = s.estate_muni[s.estate[u]];
  ++st.move_outs_by_muni[size_t(muni)];
  ++st.move_outs_by_reason[size_t(reason)];
  if (s.head_age[u] >= 65) ++st.move_outs_65plus;
  if (st.tenancy_start_day[u] >= 0) st.entrant_tenure_months.push_back(s.tenure_months[u]);
  if (st.transfer_to[u] >= 0) cancel_transfer(uint32_t(st.transfer_to[u]));  // it leaves before its transfer
  st.exit_reason[u] = uint8_t(reason);
  vacate(u, day, year, reason != ExitReason::Reconstruction);
}

// the household has left the unit (ended its tenancy or moved to another unit); the unit
// is repaired before it can be let, unless it is closed for reconstruction
void HousingModule::vacate(uint32_t u, int32_t day, int year, bool repair) {
  HousingState& st = state_;
  HousingStock& s = st.stock;
  ++st.tenancies_ended[u];
  st.exit_day[u] = -1;
  st.vacated_day[u] = day;
  s.size[u] = 0;
  st.household[u] = 0;
  if (!repair) return;
  // repairs take longer in older buildings
  const Rng rng(seed_, Stream::Housing);
  Draws d(rng, u, kRepairTick + st.tenancies_ended[u]);
  const double decades = std::max(0, year - int(s.building_year[u])) / 10.0;
  const double days = (params_.repair_days_base + params_.repair_days_per_decade * decades) * d.uniform(0.5, 1.5);
  st.status[u] = uint8_t(UnitStatus::Repair);
  st.ready_day[u] = day + std::max(1, int32_t(std::lround(days)));
  push(agenda_item(st.ready_day[u], kReady, u));
  // held back from the rounds: let directly once repaired, unless a round already let it
  // (a predicted offer); drawn only when the share is above 0, so runs without it make
  // the same draws as before
  if (params_.held_back_share > 0 && !st.let[u] && d.uniform(0, 1) < params_.held_back_share) {
    st.let[u] = 1;
    st.predicted_offer[u] = 0;
    st.next_age[u] = uint8_t(30 + d.below(50));
    st.next_size[u] = uint8_t(1 + d.below(4));
    st.next_income[u] = 0;
    st.move_in_day[u] = st.ready_day[u];
  }
}

// a transfer granted to unit `v` lapses (its household left the stock, or v closed): v is
// offered again in the next round
void HousingModule::cancel_transfer(uint32_t v) {
  HousingState& st = state_;
  st.transfer_to[size_t(st.transfer_from[v])] = -1;
  st.transfer_from[v] = -1;
  st.let[v] = 0;
  st.move_in_day[v] = -1;
}

void HousingModule::move_in(uint32_t u, int32_t day, int year) {
  HousingState& st = state_;
  HousingStock& s = st.stock;
  st.days_empty.push_back(day - st.vacated_day[u]);
  if (day > st.move_in_day[u]) {
    ++st.waited_total;
    st.wait_days_total += day - st.move_in_day[u];
  }
  if (st.transfer_from[u] >= 0) {
    // a tenant's transfer: the household keeps its tenancy (and an exit already drawn for
    // this month) and frees its old unit
    const uint32_t f = uint32_t(st.transfer_from[u]);
    s.head_age[u] = s.head_age[f];
    s.size[u] = s.size[f];
    s.income_band[u] = s.income_band[f];
    s.birth_month[u] = s.birth_month[f];
    s.tenure_months[u] = s.tenure_months[f];
    s.care_need[u] = s.care_need[f];
    st.tenancy_start_day[u] = st.tenancy_start_day[f];
    st.household[u] = st.household[f];
    if (st.exit_day[f] >= 0) {
      st.exit_day[u] = st.exit_day[f];
      st.exit_reason[u] = st.exit_reason[f];
      push(agenda_item(st.exit_day[u], kExit, u));
    }
    st.transfer_from[u] = -1;
    st.transfer_to[f] = -1;
    vacate(f, day, year, true);
    ++st.transfers_moved;
    ++st.transfers_total;
  } else {
    s.head_age[u] = st.next_age[u];
    s.size[u] = st.next_size[u];
    s.income_band[u] = st.next_income[u];
    s.birth_month[u] = uint8_t(1 + (u + st.tenancies_ended[u]) % 12);
    s.tenure_months[u] = 0;
    s.care_need[u] = 0;
    st.tenancy_start_day[u] = day;
    st.household[u] = ++st.households_created;
    ++st.housed_by_muni[size_t(s.estate_muni[s.estate[u]])];
    ++st.housed_total;
  }
  st.status[u] = uint8_t(UnitStatus::Occupied);
  st.let[u] = 0;
  st.predicted_offer[u] = 0;
}

// move-outs, repairs and move-ins due by today, in (day, kind, unit) order; each item
// checks it is still current (reconstruction can overtake a scheduled one)
void HousingModule::run_agenda(int32_t today, int year) {
  HousingState& st = state_;
  while (!st.agenda.empty() && int32_t(st.agenda.front() >> 34) <= today) {
    std::pop_heap(st.agenda.begin(), st.agenda.end(), std::greater<>());
    const uint64_t item = st.agenda.back();
    st.agenda.pop_back();
    const int32_t day = int32_t(item >> 34);
    const auto kind = AgendaKind((item >> 32) & 3);
    const uint32_t u = uint32_t(item);
    const auto status = UnitStatus(st.status[u]);
    if (kind == kExit && status == UnitStatus::Occupied && st.exit_day[u] == day) {
      end_tenancy(u, ExitReason(st.exit_reason[u]), day, year);
    } else if (kind == kReady && st.ready_day[u] == day && (status == UnitStatus::Repair || status == UnitStatus::Closed)) {
      st.status[u] = uint8_t(UnitStatus::Vacant);
      st.ready_day[u] = -1;
      if (st.let[u] && st.move_in_day[u] <= day) move_in(u, day, year);
    } else if (kind == kMoveIn && st.let[u] && st.move_in_day[u] == day) {
      if (st.predicted_offer[u]) {
        ++st.predicted_resolved;
        if (status != UnitStatus::Occupied) ++st.predicted_in_time;
        else ++st.false_positive_offers;  // the winner waits for a tenant who has not left
      }
      if (status == UnitStatus::Vacant) move_in(u, day, year);
    }
  }
}

// tenants' transfers (TMG 住宅変更), served first: tenants with a reason apply with the
// configured rate, converted to a round; applicants in a random order take the first empty
// unit of their municipality that removes every reason, until the quota of the round's empty
// units is used. Returns the transfers granted; `applicants` counts the tenants applying.
int64_t HousingModule::serve_transfers(uint64_t round, int32_t move_in_day, const std::vector<uint32_t>& empty,
                                       int64_t& applicants) {
  HousingState& st = state_;
  const HousingStock& s = st.stock;
  const HousingParams& p = params_;
  const double rounds_per_year = double(std::max<size_t>(1, p.round_months.size()));
  const std::array<double, kTransferReasons> per_round = {
      1 - std::pow(1 - p.transfer_overcrowded_per_year, 1 / rounds_per_year),
      1 - std::pow(1 - p.transfer_underoccupied_per_year, 1 / rounds_per_year),
      1 - std::pow(1 - p.transfer_stairs_per_year, 1 / rounds_per_year)};
  const Rng rng(seed_, Stream::Housing);
  std::vector<uint32_t> applying;
  for (uint32_t u = 0; u < s.units(); ++u) {
    // occupied, not leaving this month, no transfer already granted
    if (st.status[u] != uint8_t(UnitStatus::Occupied) || st.exit_day[u] >= 0 || st.transfer_to[u] >= 0) continue;
    const uint8_t needs = transfer_needs(s, p, u);
    if (!needs) continue;
    Draws d(rng, u, kTransferTick + uint32_t(round));
    bool applies = false;
    for (int r = 0; r < kTransferReasons; ++r) {
      const bool fired = d.uniform() < per_round[size_t(r)] && (needs >> r & 1);
      st.transfer_applications[size_t(r)] += fired;
      applies |= fired;
    }
    if (applies) applying.push_back(u);
  }
  applicants = int64_t(applying.size());
  int64_t quota = int64_t(std::floor(p.transfer_quota_share * double(empty.size())));
  if (quota == 0 || applying.empty()) return 0;
  std::vector<std::vector<uint32_t>> by_muni(grid_.municipalities.size());
  for (uint32_t v : empty) by_muni[size_t(s.estate_muni[s.estate[v]])].push_back(v);
  const auto order = lottery_winners(std::vector<float>(applying.size(), 1.0f), applying.size(), rng,
                                     kTransferLotteryEntity + (round << 24));
  int64_t granted = 0;
  for (size_t i = 0; i < order.size() && granted < quota; ++i) {
    const uint32_t u = applying[order[i]];
    for (uint32_t v : by_muni[size_t(s.estate_muni[s.estate[u]])]) {
      if (st.let[v] || !transfer_fits(s, p, v, s.size[u], s.head_age[u])) continue;
      st.let[v] = 1;
      st.predicted_offer[v] = 0;
      st.next_age[v] = s.head_age[u];  // the household as it applied; it moves as it is then
      st.next_size[v] = s.size[u];
      st.next_income[v] = s.income_band[u];
      st.move_in_day[v] = move_in_day;
      st.transfer_from[v] = int32_t(u);
      st.transfer_to[u] = int32_t(v);
      push(agenda_item(move_in_day, kMoveIn, v));
      ++granted;
      break;
    }
  }
  return granted;
}

void HousingModule::run_round(World& w, int32_t today, int year) {
  HousingState& st = state_;
  const HousingStock& s = st.stock;
  const HousingParams& p = params_;
  const size_t n = s.units();
  const Rng rng(w.seed, Stream::Housing);
  const uint64_t round = uint64_t(st.rounds++);
  const int32_t move_in_day = today + p.move_in_days;
  // offers: units empty now (ready or in repair); under policy B also occupied units
  // whose predicted probability of falling vacant within the horizon is high enough
  std::vector<float> prob(n, 0.0f);
  const bool predict = p.policy == HousingPolicy::Predicted;
  if (predict) {
    const VacancyModel& model = models_[model_];
    tbb::parallel_for(size_t(0), (n + 4095) / 4096, [&](size_t b) {
      float x[kHousingFeatures];
      for (size_t u = b * 4096; u < std::min(n, (b + 1) * 4096); ++u)
        if (st.status[u] == uint8_t(UnitStatus::Occupied) && !st.let[u]) {
          housing_features(s, u, year, x);
          prob[u] = float(model.predict(x));
        }
    });
  }
  std::vector<uint32_t> empty;
  std::array<std::vector<uint32_t>, kPools> predicted;
  std::array<double, kPools> stock_in_pool{};
  for (uint32_t u = 0; u < n; ++u) {
    const auto status = UnitStatus(st.status[u]);
    stock_in_pool[size_t(pool_of(s, u))] += status != UnitStatus::Closed;
    if (st.let[u]) continue;
    if (status == UnitStatus::Vacant || status == UnitStatus::Repair) empty.push_back(u);
    else if (predict && status == UnitStatus::Occupied && prob[u] >= p.prediction_threshold) predicted[size_t(pool_of(s, u))].push_back(u);
  }
  // 1. tenants' transfers first, within the quota of the empty units
  int64_t transfer_applicants = 0;
  const int64_t transfers = serve_transfers(round, move_in_day, empty, transfer_applicants);
  // 2. the rest to the lottery: empty units, then predicted ones by probability
  std::array<std::vector<uint32_t>, kPools> offers;
  for (uint32_t u : empty)
    if (!st.let[u]) offers[size_t(pool_of(s, u))].push_back(u);
  int64_t offered_vacant = 0, offered_predicted = 0;
  for (int k = 0; k < kPools; ++k) {
    auto& pr = predicted[size_t(k)];
    std::stable_sort(pr.begin(), pr.end(), [&](uint32_t a, uint32_t b) { return prob[a] > prob[b]; });
    offered_vacant += int64_t(offers[size_t(k)].size());
    offered_predicted += int64_t(pr.size());
    offers[size_t(k)].insert(offers[size_t(k)].end(), pr.begin(), pr.end());
    for (uint32_t u : offers[size_t(k)]) ++st.offered_by_muni[size_t(s.estate_muni[s.estate[u]])];
  }
  // applicants: the last round's losers who apply again, in their pools, then new ones
  // with a household type, a pool (wards are more popular), a priority category
  std::array<std::vector<WaitingApplicant>, kPools> by_pool;
  std::array<std::vector<float>, kPools> chances;
  const int64_t reapplicants = int64_t(st.waiting.size());
  for (const WaitingApplicant& a : st.waiting) {
    by_pool[a.pool].push_back(a);
    chances[a.pool].push_back(a.chances);
  }
  st.waiting.clear();
  Draws rd(rng, kRoundEntity + round, 0);
  const uint32_t fresh = rd.poisson(p.applicants_per_round);
  const double ku_stock = stock_in_pool[2] + stock_in_pool[3], other_stock = stock_in_pool[0] + stock_in_pool[1];
  const double ku_share = ku_stock * p.ku_popularity / std::max(1.0, ku_stock * p.ku_popularity + other_stock);
  for (uint32_t i = 0; i < fresh; ++i) {
    Draws d(rng, kApplicantEntity + (round << 24) + i, 0);
    const double kind = d.uniform();
    WaitingApplicant a{};
    if (kind < 0.35) a = {uint8_t(65 + d.below(20)), 1, 0, 0, 1, 0};                              // older person alone
    else if (kind < 0.45) a = {uint8_t(65 + d.below(15)), 2, 0, 0, 1, 0};                         // older couple
    else if (kind < 0.85) a = {uint8_t(28 + d.below(20)), uint8_t(2 + d.below(4)), uint8_t(d.below(2)), 0, 1, 0};  // family
    else a = {uint8_t(22 + d.below(40)), 1, uint8_t(d.below(2)), 0, 1, 0};                         // younger single
    a.pool = uint8_t((d.bernoulli(ku_share) ? 2 : 0) + (a.size > 1 ? 1 : 0));
    a.chances = d.bernoulli(p.priority_share) ? float(p.priority_chances) : 1.0f;
    by_pool[a.pool].push_back(a);
    chances[a.pool].push_back(a.chances);
  }
  const int64_t applicants = reapplicants + int64_t(fresh);
  // a lottery per pool; the i-th winner gets the i-th unit offered; each loser applies
  // again in the next round with the reapply probability
  int64_t winners = 0;
  std::vector<uint8_t> won;
  for (int k = 0; k < kPools; ++k) {
    const auto& pool = by_pool[size_t(k)];
    const auto drawn = lottery_winners(chances[size_t(k)], offers[size_t(k)].size(), rng,
                                       kLotteryEntity + (round << 28) + (uint64_t(k) << 24));
    won.assign(pool.size(), 0);
    for (size_t j = 0; j < drawn.size(); ++j) {
      const uint32_t u = offers[size_t(k)][j];
      const WaitingApplicant& a = pool[drawn[j]];
      won[drawn[j]] = 1;
      st.let[u] = 1;
      st.predicted_offer[u] = st.status[u] == uint8_t(UnitStatus::Occupied);
      st.next_age[u] = a.age;
      st.next_size[u] = a.size;
      st.next_income[u] = a.income;
      st.move_in_day[u] = move_in_day;
      push(agenda_item(move_in_day, kMoveIn, u));
    }
    winners += int64_t(drawn.size());
    for (size_t i = 0; i < pool.size(); ++i) {
      if (won[i]) continue;
      Draws d(rng, kReapplyEntity + (round << 28) + (uint64_t(k) << 24) + i, 0);
      if (!d.bernoulli(p.reapply_probability_per_round)) continue;
      st.waiting.push_back(pool[i]);
      st.waiting.back().rounds_lost = uint16_t(std::min(0xFFFF, pool[i].rounds_lost + 1));
    }
  }
  st.offered_vacant += offered_vacant;
  st.offered_predicted += offered_predicted;
  st.applicants += applicants;
  st.reapplicants += reapplicants;
  st.unsuccessful += applicants - winners;
  const int64_t offered = offered_vacant + offered_predicted;
  w.metrics.table(t_rounds_).append({format_datetime(w.clock.now()).substr(0, 10), predict ? "predicted" : "vacant_only",
                                     offered_vacant, offered_predicted, applicants, winners, reapplicants,
                                     offered > 0 ? double(applicants) / double(offered) : 0.0, transfer_applicants,
                                     transfers, int64_t(st.waiting.size())});
}

void HousingModule::step(World& w) {
  seed_ = w.seed;  // the run's seed now (a branch from a snapshot may reseed)
  const CivilTime now = civil(w.clock.now());
  const int32_t today = int32_t(w.clock.day_index());
  // 1. a new month: draw this month's move-outs
  if (now.year * 12 + now.month - 1 != state_.last_month_key) monthly_step(w);
  // 2. move-outs, repairs and move-ins due today
  run_agenda(today, now.year);
  // 3. a recruitment round on the 1st of a round month
  const auto& months = params_.round_months;
  if (now.day == 1 && std::find(months.begin(), months.end(), double(now.month)) != months.end()) run_round(w, today, now.year);
}

void HousingModule::on_event(const TimelineEvent& ev, World& w) {
  seed_ = w.seed;
  HousingState& st = state_;
  if (ev.kind == "housing_rent_change") {
    st.move_out_shift += ev.get_double("move_out_log_odds");
    st.eviction_shift += ev.get_double("eviction_log_odds");
    return;
  }
  if (ev.kind != "housing_reconstruction") return;
  HousingStock& s = st.stock;
  const int code = municipality_code(grid_, ev.get_string("municipality"));  // checked at construction
  const CivilTime now = civil(w.clock.now());
  const int32_t today = int32_t(w.clock.day_index());
  const int32_t reopen = today + int32_t(ev.get_int("closed_months") * 30);
  // estates of the municipality, oldest first
  std::vector<uint32_t> estates;
  for (uint32_t e = 0; e < s.estates(); ++e)
    if (s.estate_first[e + 1] > s.estate_first[e] && (code == 0 || grid_.municipalities[size_t(s.estate_muni[e])].code == code) &&
        st.status[s.estate_first[e]] != uint8_t(UnitStatus::Closed))
      estates.push_back(e);
  std::stable_sort(estates.begin(), estates.end(), [&](uint32_t a, uint32_t b) {
    return s.building_year[s.estate_first[a]] < s.building_year[s.estate_first[b]];
  });
  int64_t left = ev.get_int("units");
  for (size_t i = 0; i < estates.size() && left > 0; ++i)
    for (uint32_t u = s.estate_first[estates[i]]; u < s.estate_first[estates[i] + 1]; ++u, --left) {
      if (st.status[u] == uint8_t(UnitStatus::Occupied)) end_tenancy(u, ExitReason::Reconstruction, today, now.year);
      if (st.transfer_from[u] >= 0) cancel_transfer(u);  // the tenant stays where it is
      st.let[u] = 0;  // a winner's offer lapses; the winner applies again
      st.predicted_offer[u] = 0;
      st.status[u] = uint8_t(UnitStatus::Closed);
      s.building_year[u] = uint16_t(now.year + ev.get_int("closed_months") / 12);
      st.ready_day[u] = reopen;
      push(agenda_item(reopen, kReady, u));
    }
}

void HousingModule::publish(World& w) {
  HousingState& st = state_;
  const HousingStock& s = st.stock;
  auto& m = w.metrics;
  const size_t M = grid_.municipalities.size();
  std::vector<int64_t> occupied(M, 0), vacant(M, 0), repair(M, 0);
  const int32_t today = int32_t(w.clock.day_index());
  int64_t waiting = 0;
  for (size_t u = 0; u < s.units(); ++u) {
    const size_t muni = size_t(s.estate_muni[s.estate[u]]);
    switch (UnitStatus(st.status[u])) {
      case UnitStatus::Occupied: ++occupied[muni]; break;
      case UnitStatus::Vacant: ++vacant[muni]; break;
      case UnitStatus::Repair: ++repair[muni]; break;
      case UnitStatus::Closed: break;
    }
    waiting += st.let[u] && st.move_in_day[u] < today;
  }
  const auto fill = [&](SeriesId id, const std::vector<int64_t>& v) {
    auto out = m.values(id);
    for (size_t i = 0; i < M; ++i) out[i] = double(v[i]);
  };
  fill(s_occupied_, occupied);
  fill(s_vacant_, vacant);
  fill(s_repair_, repair);
  fill(s_move_outs_, st.move_outs_by_muni);
  fill(s_housed_, st.housed_by_muni);
  fill(s_offered_muni_, st.offered_by_muni);
  auto reasons = m.values(s_reasons_);
  int64_t leavers = 0;
  for (int r = 0; r < kExitReasons; ++r) {
    reasons[size_t(r)] = double(st.move_outs_by_reason[size_t(r)]);
    leavers += st.move_outs_by_reason[size_t(r)];
  }
  auto offered = m.values(s_offered_);
  offered[0] = double(st.offered_vacant);
  offered[1] = double(st.offered_predicted);
  m.set(s_applicants_, double(st.applicants));
  m.set(s_unsuccessful_, double(st.unsuccessful));
  const int64_t offers = st.offered_vacant + st.offered_predicted;
  m.set(s_per_unit_, offers > 0 ? double(st.applicants) / double(offers) : 0.0);
  m.set(s_waiting_, double(waiting));
  m.set(s_fp_, double(st.false_positive_offers));
  double mean = 0, median = 0;
  if (!st.days_empty.empty()) {
    mean = std::accumulate(st.days_empty.begin(), st.days_empty.end(), 0.0) / double(st.days_empty.size());
    auto mid = st.days_empty.begin() + std::ptrdiff_t(st.days_empty.size() / 2);
    std::nth_element(st.days_empty.begin(), mid, st.days_empty.end());
    median = *mid;
  }
  m.set(s_empty_mean_, mean);
  m.set(s_empty_median_, median);
  m.set(s_elderly_, leavers > 0 ? double(st.move_outs_65plus) / double(leavers) : 0.0);
  m.set(s_precision_, st.predicted_resolved > 0 ? double(st.predicted_in_time) / double(st.predicted_resolved) : 0.0);
  m.set(s_waiting_list_, double(st.waiting.size()));
  m.set(s_reapplicants_, double(st.reapplicants));
  auto applications = m.values(s_transfer_apps_);
  for (int r = 0; r < kTransferReasons; ++r) applications[size_t(r)] = double(st.transfer_applications[size_t(r)]);
  m.set(s_transfers_, double(st.transfers_moved));
  // the counters cover one sample interval
  std::fill(st.move_outs_by_muni.begin(), st.move_outs_by_muni.end(), 0);
  std::fill(st.housed_by_muni.begin(), st.housed_by_muni.end(), 0);
  std::fill(st.offered_by_muni.begin(), st.offered_by_muni.end(), 0);
  st.move_outs_by_reason.fill(0);
  st.move_outs_65plus = st.offered_vacant = st.offered_predicted = st.applicants = st.unsuccessful = 0;
  st.false_positive_offers = st.reapplicants = st.transfers_moved = 0;
  st.transfer_applications.fill(0);
  st.days_empty.clear();
}

std::string HousingModule::check_invariants() const {
  const HousingState& st = state_;
  const HousingStock& s = st.stock;
  std::vector<uint8_t> seen(size_t(st.households_created) + 1, 0);
  for (size_t u = 0; u < s.units(); ++u) {
    const auto status = UnitStatus(st.status[u]);
    const std::string at = "unit " + std::to_string(u) + ": ";
    if (status == UnitStatus::Occupied && s.size[u] == 0) return at + "occupied without a household";
    if (status != UnitStatus::Occupied && s.size[u] != 0) return at + "empty with a household";
    if (st.let[u] && st.next_size[u] == 0) return at + "let without a winner";
    if (st.predicted_offer[u] && !st.let[u]) return at + "predicted offer not let";
    if (status == UnitStatus::Closed && st.let[u]) return at + "closed but let";
    if ((status == UnitStatus::Occupied) != (st.household[u] != 0)) return at + "a household id without a household, or none with one";
    if (st.household[u] > st.households_created) return at + "a household id never given";
    if (st.household[u] && seen[st.household[u]]++) return at + "a household in two units";
    if (const int32_t v = st.transfer_to[u]; v >= 0) {
      if (status != UnitStatus::Occupied) return at + "a transfer from an empty unit";
      if (st.transfer_from[size_t(v)] != int32_t(u) || !st.let[size_t(v)]) return at + "a transfer to a unit not let to it";
    }
    if (const int32_t f = st.transfer_from[u]; f >= 0) {
      if (st.transfer_to[size_t(f)] != int32_t(u)) return at + "let to a transfer that is not pending";
      if (status == UnitStatus::Occupied || st.predicted_offer[u]) return at + "a transfer into an occupied unit";
    }
  }
  return "";
}

void describe_housing(Schema& schema) { HousingParams::describe(schema); }

std::unique_ptr<Module> make_housing_module(const Scenario& sc, const Grid& g) {
  return std::make_unique<HousingModule>(sc, g);
}

void archive(StateArchive& ar, HousingStock& h) {
  ar(h.estate_cell, h.estate_muni, h.estate_first, h.estate, h.plan, h.area_m2, h.floor, h.elevator, h.building_year,
     h.rent_band, h.ku, h.head_age, h.birth_month, h.size, h.income_band, h.tenure_months, h.care_need);
}

void archive(StateArchive& ar, HousingState& s) {
  CITYSIM_ARCHIVE_COVERS(HousingStock, 408);
  CITYSIM_ARCHIVE_COVERS(HousingState, 1176);
  ar(s.stock, s.status, s.let, s.predicted_offer, s.exit_reason, s.exit_day, s.ready_day, s.move_in_day, s.vacated_day,
     s.tenancies_ended, s.tenancy_start_day, s.next_age, s.next_size, s.next_income, s.agenda, s.month_index,
     s.last_month_key, s.rounds, s.move_out_shift, s.eviction_shift, s.move_outs_by_muni, s.housed_by_muni);
  ar(s.offered_by_muni, s.move_outs_by_reason, s.move_outs_65plus, s.offered_vacant, s.offered_predicted, s.applicants,
     s.unsuccessful, s.false_positive_offers, s.days_empty, s.predicted_resolved, s.predicted_in_time, s.housed_total,
     s.wait_days_total, s.waited_total, s.entrant_tenure_months);
  ar(s.household, s.households_created, s.transfer_to, s.transfer_from, s.waiting, s.reapplicants, s.transfers_moved,
     s.transfer_applications, s.transfers_total);
}

void HousingModule::archive(StateArchive& ar) {
  ar(models_, model_);
  citysim::archive(ar, state_);
}

}  // namespace citysim
