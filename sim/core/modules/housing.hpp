// Public-housing turnover (都営住宅): estates, units and tenant households over years,
// move-outs by a discrete-time logistic hazard, repairs, recruitment rounds with a
// lottery, and offers of units a trained predictor expects to fall vacant.
//
// The module steps once a day (run.tick_minutes = 1440 in multi-year runs). On the first
// day of a month it draws which tenancies end that month (and on which day); every day
// it applies the move-outs, repairs and move-ins that fall due; on a round date it runs
// a recruitment round: tenants' transfers (住宅変更) first, within a quota of the empty
// units, then a lottery among new applicants and the earlier rounds' losers who apply
// again. Model and sources: docs/models/housing.md.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "citysim/module.hpp"
#include "citysim/rng.hpp"

namespace citysim {

// ---- units and households ------------------------------------------------------------

enum class UnitStatus : uint8_t { Occupied = 0, Repair, Vacant, Closed };  // Closed: emptied for reconstruction
enum class ExitReason : uint8_t { Death = 0, Care, MoveOut, Eviction, Reconstruction };
constexpr int kExitReasons = 5;
const char* exit_reason_name(ExitReason reason);
// floor plans of the stock: rooms = plan + 1 (1DK, 2DK, 3DK, 4DK)
constexpr int kFloorPlans = 4;
const char* floor_plan_name(int plan);

enum class HousingPolicy : uint8_t { VacantOnly = 0, Predicted };  // policy A, policy B

// reasons a tenant applies for a transfer to another unit (TMG 住宅変更の要件), as bits
enum TransferReason : uint8_t { kOvercrowded = 1, kUnderOccupied = 2, kStairs = 4 };
constexpr int kTransferReasons = 3;
const char* transfer_reason_name(int bit_index);  // 0 overcrowded, 1 under_occupied, 2 stairs

// [housing] keys
struct HousingParams {
  bool enabled = false;
  // stock
  int64_t units_total = 250000;  // TMG: about 254,000 units at the end of FY2024
  int64_t estates_total = 1600;
  std::string estates_file;      // CSV of real or edited estates ("" = synthetic)
  double east_north_weight = 3.0, tama_weight = 0.7, islands_weight = 0.2;
  double share_head_65plus = 0.70;        // TMG social bond impact report 2025
  double share_elderly_alone = 0.45;      // of households with a head aged 65+
  double initial_vacant_share = 0.008;    // units empty at the start (~2,000 of 250,000, May 2024)
  // monthly hazards (annual rates at reference covariates, converted to monthly logits)
  double death_rate_at_75 = 0.022, death_log_odds_per_year = 0.09;
  double care_rate_at_80 = 0.012, care_log_odds_per_year = 0.08, care_alone_log_odds = 0.4;
  // certified long-term care need (要介護認定): onset by age, then higher death and care hazards
  double care_need_onset_rate_at_80 = 0.05, care_need_onset_log_odds_per_year = 0.1;
  double care_need_death_log_odds = 1.0, care_need_care_log_odds = 1.5;
  double move_out_rate_at_40 = 0.035, move_out_age_log_odds_per_decade = -0.35;
  double move_out_mismatch_log_odds = 0.3, move_out_income_log_odds = 0.5;
  double move_out_building_log_odds_per_decade = 0.05, move_out_ku_log_odds = -0.2;
  std::vector<double> move_out_tenure_odds = {0.45, 1.2, 1.4, 1.2, 1.0, 0.8};  // years 1..6+
  double eviction_rate = 0.001;
  double birth_rate_under_45 = 0.04, child_leave_rate = 0.05;
  // repairs
  double repair_days_base = 20, repair_days_per_decade = 5;
  // vacated units let outside the rounds (relocation of tenants from estates being rebuilt,
  // special-purpose allocations): 0 = every vacated unit goes to a round (docs/models/housing.md)
  double held_back_share = 0.0;
  // recruitment
  HousingPolicy policy = HousingPolicy::VacantOnly;
  std::vector<double> round_months = {2, 5, 8, 11};
  double applicants_per_round = 20000;  // new applicants; losers who apply again come on top
  double reapply_probability_per_round = 0.44;  // calibrated: Nov rounds 8.2 applicants per unit
  double ku_popularity = 2.0;        // applicants per unit of stock, wards vs elsewhere
  double priority_share = 0.3;       // applicants in a priority category
  double priority_chances = 5;       // TMG 優遇抽せん: priority applicants' lottery odds x5
  int move_in_days = 120;            // round date to move-in date
  int prediction_horizon_months = 4;
  double prediction_threshold = 0.12;
  std::string predictor_file;        // resolved; "" = bundled scenarios/data/housing_predictor.csv
  // transfers between units (住宅変更): annual application rates of tenants with a reason
  // (assumptions), and the share of a round's empty units they are served first from
  double transfer_overcrowded_per_year = 0.25, transfer_underoccupied_per_year = 0.02, transfer_stairs_per_year = 0.03;
  int transfer_stairs_min_age_years = 65, transfer_stairs_min_floor = 3;
  double transfer_quota_share = 0.1;

  void keys(ParamKeys& keys);  // every [housing] key, once (describe and from use it)
  static void describe(Schema& schema);
  static HousingParams from(const Scenario& scenario);
};

// the stock and its tenants, structure of arrays (n = units)
struct HousingStock {
  // estates (e = estates)
  std::vector<uint32_t> estate_cell;        // grid cell (e)
  std::vector<int16_t> estate_muni;         // index into grid.municipalities (e)
  std::vector<uint32_t> estate_first;       // first unit of each estate; units of e are [first[e], first[e+1]) (e+1)
  // units (n)
  std::vector<uint32_t> estate;             // estate index (n)
  std::vector<uint8_t> plan;                // floor plan, rooms - 1 (n)
  std::vector<float> area_m2;               // floor area, m² (n)
  std::vector<uint8_t> floor;               // storey, 1 = ground (n)
  std::vector<uint8_t> elevator;            // 1 = the building has a lift (n)
  std::vector<uint16_t> building_year;      // construction year (n)
  std::vector<uint8_t> rent_band;           // 0..3, rent by income band (応能応益家賃) (n)
  std::vector<uint8_t> ku;                  // 1 = in the 23 wards (n)
  // tenants of occupied units (n)
  std::vector<uint8_t> head_age;            // years
  std::vector<uint8_t> birth_month;         // 1..12, the head's age increases in this month
  std::vector<uint8_t> size;                // household members
  std::vector<uint8_t> income_band;         // 0 lowest .. 2
  std::vector<uint16_t> tenure_months;      // months in residence
  std::vector<uint8_t> care_need;           // 1 = the head has a certified long-term care need
  size_t units() const { return estate.size(); }
  size_t estates() const { return estate_cell.size(); }
};

// transfer rules (TMG 住宅変更の要件): the reasons the household of `unit` has to leave it
// (TransferReason bits), and whether `unit` would remove every reason of a household of
// `size` with a head of `age`. Overcrowded: below the minimum floor area (最低居住面積水準,
// 住生活基本計画: 25 m² alone, 10 m² x persons + 10 m² for two or more); under-occupied:
// TMG's rule (4DK over 66 m² with 3 or fewer, 3DK over 56 m² with 2 or fewer, 3DK over
// 50 m² alone); stairs: a head of at least the minimum age on a walk-up floor at or above
// the minimum floor
uint8_t transfer_needs(const HousingStock& stock, const HousingParams& params, size_t unit);
bool transfer_fits(const HousingStock& stock, const HousingParams& params, size_t unit, int size, int age);

// predictor features of a unit and its tenant now
constexpr int kHousingFeatures = 12;
extern const char* const kHousingFeatureNames[kHousingFeatures];
void housing_features(const HousingStock& stock, size_t unit, int year, float* out);

// probabilities that a tenancy ends this month, by reason (Death, Care, MoveOut,
// Eviction): discrete-time logistic hazards whose intercepts are the configured annual
// rates at reference covariates; the shifts add to the move-out and eviction log-odds
// (rent or eligibility changes). Built once per month, then evaluated per unit.
struct ExitHazard {
  ExitHazard(const HousingParams& params, double move_out_shift = 0, double eviction_shift = 0);
  std::array<double, 4> probabilities(const HousingStock& stock, size_t unit, int year) const;
  const HousingParams& p;
  double death0, care0, move0, eviction0;  // monthly log-odds at reference covariates
  std::vector<double> tenure_log_odds;     // by year of tenure
  static constexpr int kAges = 112;
  std::array<double, kAges> death_by_age{};               // monthly probability by head's age
  std::array<std::array<double, 2>, kAges> care_by_age{};  // by age and living alone, without a care need
  std::array<double, kAges> onset_by_age{};              // monthly probability a care need starts
  double eviction = 0;
};
// the monthly probability equivalent to an annual rate: 1 - (1 - r)^(1/12)
double monthly_from_annual(double annual_rate);

// the stock for a grid: estates placed by municipality (or read from estates_file),
// units and an initial population of tenants; deterministic from the seed
HousingStock synthesize_housing(const Grid& grid, const HousingParams& params, int year, uint64_t seed);

// lottery: `k` winners among applicants with the given chances (weights), drawn as
// successive draws without replacement (Efraimidis-Spirakis keys); winners in draw order
std::vector<uint32_t> lottery_winners(const std::vector<float>& chances, size_t k, const Rng& rng, uint64_t entity_base);

// logistic vacancy model for one horizon, loaded from the predictor file
struct VacancyModel {
  int horizon_months = 0;
  std::array<double, kHousingFeatures> coef{};
  double predict(const float* x) const;
};
// every model of a predictor CSV; throws ScenarioError naming file and line
std::vector<VacancyModel> read_vacancy_models(const std::string& path, const std::string& key);

// a losing applicant who will apply again in the next round (the waiting list)
struct WaitingApplicant {
  uint8_t age, size, income, pool;
  float chances;        // lottery chances (priority category or not)
  uint16_t rounds_lost;
};

// everything that changes
struct HousingState {
  HousingStock stock;
  std::vector<uint8_t> status;              // UnitStatus (n)
  std::vector<uint8_t> let;                 // 1 = a lottery winner holds the unit (n)
  std::vector<uint8_t> predicted_offer;     // 1 = let while still occupied (policy B) (n)
  std::vector<uint8_t> exit_reason;         // reason of the scheduled or last exit (n)
  std::vector<int32_t> exit_day, ready_day, move_in_day, vacated_day;  // day index, -1 = none (n)
  std::vector<uint32_t> tenancies_ended;    // tenancies ended in the unit since the start (n)
  std::vector<int32_t> tenancy_start_day;   // day the tenant moved in; negative = before the start (n)
  // the winner's household waiting for the unit (n)
  std::vector<uint8_t> next_age, next_size, next_income;
  std::vector<uint64_t> agenda;             // min-heap of day << 34 | kind << 32 | unit
  // households: an id per occupied unit (0 = none), kept when a household transfers
  std::vector<uint32_t> household;          // (n)
  uint32_t households_created = 0;          // ids given so far
  // a pending transfer: the unit a tenant is moving to, and the unit a let unit's winner
  // moves from; -1 = none (n)
  std::vector<int32_t> transfer_to, transfer_from;
  std::vector<WaitingApplicant> waiting;    // losers of the last round who apply again
  int64_t month_index = -1;                 // months since the start processed
  int last_month_key = -1;                  // year * 12 + month of the last monthly step
  int rounds = 0;
  double move_out_shift = 0, eviction_shift = 0;  // log-odds shifts from rent/eligibility events
  // counters since the last sample (published and reset), by municipality where (m)
  std::vector<int64_t> move_outs_by_muni, housed_by_muni, offered_by_muni;
  std::array<int64_t, kExitReasons> move_outs_by_reason{};
  int64_t move_outs_65plus = 0;
  int64_t offered_vacant = 0, offered_predicted = 0, applicants = 0, unsuccessful = 0;
  int64_t false_positive_offers = 0;
  int64_t reapplicants = 0, transfers_moved = 0;
  std::array<int64_t, kTransferReasons> transfer_applications{};  // by reason (a tenant with two counts twice)
  std::vector<int32_t> days_empty;          // relets since the last sample
  // cumulative
  int64_t predicted_resolved = 0, predicted_in_time = 0;  // predicted offers at their move-in date
  int64_t housed_total = 0, wait_days_total = 0, waited_total = 0;
  int64_t transfers_total = 0;              // households moved between units since the start
  // tenancies that began during the run and have ended: months they lasted (survival)
  std::vector<int32_t> entrant_tenure_months;
};

// the housing module (public so calibration can read its state through Simulation::module)
class HousingModule final : public Module {
 public:
  HousingModule(const Scenario& scenario, const Grid& grid);
  const char* name() const override { return "housing"; }
  int cadence_minutes() const override { return 1440; }
  void init(World& world) override;
  void step(World& world) override;
  void on_event(const TimelineEvent& event, World& world) override;
  void publish(World& world) override;
  void update_params(const Scenario& scenario) override;
  void archive(StateArchive& ar) override;

  const HousingParams& params() const { return params_; }
  const HousingState& state() const { return state_; }
  // "" when the state is consistent; otherwise what is wrong (tests)
  std::string check_invariants() const;

 private:
  void load_model(bool needed);
  void monthly_step(World& world);
  void run_agenda(int32_t today, int year);
  void run_round(World& world, int32_t today, int year);
  void end_tenancy(uint32_t unit, ExitReason reason, int32_t day, int year);
  void vacate(uint32_t unit, int32_t day, int year, bool repair);
  void cancel_transfer(uint32_t to_unit);
  int64_t serve_transfers(uint64_t round, int32_t move_in_day, const std::vector<uint32_t>& empty_units, int64_t& applicants);
  void move_in(uint32_t unit, int32_t day, int year);
  void push(uint64_t agenda_item);
  HousingParams params_;
  uint64_t seed_ = 0;  // the run's seed, for the steps' helpers (set from the World at each step)
  const Grid& grid_;
  HousingState state_;
  std::vector<VacancyModel> models_;
  size_t model_ = 0;  // index of the model for the current horizon
  SeriesId s_occupied_ = 0, s_vacant_ = 0, s_repair_ = 0, s_move_outs_ = 0, s_housed_ = 0, s_offered_muni_ = 0, s_reasons_ = 0;
  SeriesId s_offered_ = 0, s_applicants_ = 0, s_unsuccessful_ = 0, s_per_unit_ = 0, s_waiting_ = 0, s_fp_ = 0;
  SeriesId s_empty_mean_ = 0, s_empty_median_ = 0, s_elderly_ = 0, s_precision_ = 0;
  SeriesId s_waiting_list_ = 0, s_reapplicants_ = 0, s_transfer_apps_ = 0, s_transfers_ = 0;
  TableId t_rounds_ = 0;
};

void describe_housing(Schema& schema);  // HousingParams::describe, for the module list
std::unique_ptr<Module> make_housing_module(const Scenario& scenario, const Grid& grid);

}  // namespace citysim
