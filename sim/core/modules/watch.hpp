// Elderly watch-over (高齢者見守り): anomalies among people aged 65+ living alone, the
// supporters who notice them on their rounds, reports through the app or by phone,
// and the municipal desk's response.
//
// Anomalies are rare, so everything is a discrete event: onsets are drawn once a day per
// watched person, and for each ongoing anomaly the day's supporter visits, family calls,
// sensor alarms and the person's own call are drawn from counter-based streams keyed by
// (person, kind, day). Supporters' rounds are per-cell arrays (route density, the cell's
// place on the daily round and on the cycle): a supporter notices only at the homes on
// their rounds, when the round passes the cell.
// The earliest visit that notices becomes a detection event; reports, desk hand-offs and
// the response follow as timed events in one queue. Nothing is tested per person per minute.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "citysim/module.hpp"
#include "citysim/rng.hpp"

namespace citysim {

struct Residents;

enum class AnomalyKind : uint8_t { Fall = 0, Illness, Heat, NoSign };
constexpr int kAnomalyKinds = 4;
constexpr int kAgeBands = 3;  // 65-74, 75-84, 85+
const char* anomaly_kind_name(AnomalyKind kind);
int age_band(int age_years);

// who a supporter kind sees: every household it serves, only people registered with the
// municipal watch-over service, or the person on their own outing (shop staff)
enum class SupporterReach : uint8_t { All = 0, Registered, OwnOuting };
// where a kind's rounds go: every cell with homes at the same density, or more where
// land use and population density make rounds worthwhile (deliveries)
enum class RouteArea : uint8_t { Homes = 0, LandUse };
// when a home on a round is visited: on a random share visits_per_week/7 of days, or once
// every 7/visits_per_week days on the cell's day in the cycle (meter readers)
enum class RouteSchedule : uint8_t { Random = 0, Cycle };

// one row of the supporter table (scenarios/data/watch_supporters.csv)
struct SupporterKind {
  std::string name;
  int partners = 0;              // partner organisations of this kind (62 in all by default)
  double visits_per_week = 0;    // visits per served household (7 = daily), at most one a day
  double visit_start_h = 0, visit_end_h = 24;  // visits fall uniformly in this window
  double coverage_share = 0;     // share of watched people on this kind's rounds (the mean route density)
  double notice_prob = 0;        // probability one visit notices an ongoing anomaly
  double app_adoption = 0;       // share of its staff reporting through the app
  SupporterReach reach = SupporterReach::All;
  RouteArea area = RouteArea::Homes;              // optional column 'area': homes, land_use
  RouteSchedule schedule = RouteSchedule::Random;  // optional column 'schedule': random, cycle
};

// the supporter table from a CSV; throws ScenarioError naming file:line on a bad row
std::vector<SupporterKind> read_supporters(const std::string& path, const std::string& key);

// parameters of the watch-over module ([watch] in the scenario)
struct WatchParams {
  bool enabled = false;
  // anomaly rates per person-year by age band 65-74, 75-84, 85+
  std::array<double, kAgeBands> fall_rate_per_year{0.28, 0.35, 0.42};
  std::array<double, kAgeBands> long_lie_share{0.30, 0.47, 0.80};
  std::array<double, kAgeBands> illness_rate_per_year{0.008, 0.016, 0.030};
  std::array<double, kAgeBands> no_sign_rate_per_year{0.0035, 0.008, 0.017};
  // severe outcome: p(t) = 1 - (1 - base) exp(-t / tau), by kind (fall, illness, heat, no_sign)
  std::array<double, kAnomalyKinds> severe_base{0.108, 0.20, 0.10, 0.50};
  std::array<double, kAnomalyKinds> severe_tau_h{72.4, 12.0, 12.0, 24.0};
  // who is watched and how
  double registered_share = 0.3;
  double sensor_share = 0.0, sensor_hours = 12;
  // supporters
  bool supporters_enabled = true;
  std::string supporters_file;  // "" = the bundled table
  std::vector<SupporterKind> supporters;
  double coverage_scale = 1.0;
  // supporters' rounds on the grid
  double round_cell_min = 30;  // a round's time in one cell: its homes are visited across it
  double route_half_density_per_km2 = 1000;  // land_use kinds: density d weighs d / (d + this)
  // land_use kinds: weight by the cell's land use (residential, commercial, industrial,
  // park, water, forest, agricultural)
  std::array<double, 7> route_land_use_weight{1.0, 1.0, 0.6, 0.6, 0.5, 0.3, 0.5};
  double app_adoption = -1;  // < 0: per kind from the table
  double trained_share = 0.3, training_notice_factor = 1.5, app_checkpoint_factor = 1.3;
  // family contact (the baseline without supporters)
  double family_contact_share = 0.85, family_contact_interval_days = 3.0, family_notice_prob = 0.7;
  double family_contact_start_h = 8, family_contact_end_h = 21, family_response_min = 120;
  // the person's own call for help (falls and sudden illness, smartphone owners)
  double self_call_share = 0.1, self_call_min = 15, emergency_response_min = 10.3;
  // reporting
  double app_report_min = 3, phone_report_min = 20, app_retry_min = 10, phone_fallback_min = 60;
  double app_session_min = 2, phone_call_min = 5;
  // municipal desk
  bool desk_24h = false;
  double desk_open_h = 8.5, desk_close_h = 17.25, desk_handle_min = 30, dispatch_travel_min = 30;

  void keys(ParamKeys& keys);  // every [watch] key, once (describe and from use it)
  static void describe(Schema& schema);
  static WatchParams from(const Scenario& scenario);
  // total anomaly rate per person-year for an age band (falls counted when the person cannot get up)
  double rate_per_year(AnomalyKind kind, int band) const;
};

// probability of a severe outcome after `hours` unattended
double severe_probability(const WatchParams& params, AnomalyKind kind, double hours, int heat_severity = 1);
// when the desk acts on a report received at t: t in office hours (weekdays) or with the
// 24-hour desk, else the next opening
LocalSeconds desk_opens(const WatchParams& params, LocalSeconds t);

// an onset drawn for one person on one day
struct Onset {
  AnomalyKind kind;
  LocalSeconds time;
};
// the day's onset for a person, if any: one uniform against 1 - exp(-rate/365.25), then
// the kind in proportion to the rates and a uniform time of day (day = local day number)
std::optional<Onset> draw_onset(const WatchParams& params, const Rng& rng, uint32_t resident, int age_years,
                                int64_t day);

// the kind's rounds reach a cell on local day `day` (cycle kinds: once every
// cycle_days, on the day of the cell's place `phase` in [0, 1) on the cycle)
bool cycle_visit(double phase, double cycle_days, int64_t day);

// how an anomaly was found: a supporter kind (0..n-1), family, a sensor, or the person's
// own call for help
constexpr int kChannelFamily = -1, kChannelSensor = -2, kChannelSelf = -3, kChannelNone = -4;
constexpr int kOtherChannels = 3;  // family, sensor, self: after the supporter kinds in breakdowns

enum class AnomalyStage : uint8_t { Pending = 0, Undetected, Reporting, AtDesk, Resolved };

// one anomaly; times in local seconds (-1 = not yet)
struct Anomaly {
  uint32_t resident = 0, watched = 0, cell = 0;
  AnomalyKind kind = AnomalyKind::Fall;
  uint8_t heat_severity = 0;
  AnomalyStage stage = AnomalyStage::Pending;
  int8_t channel = kChannelNone;  // who detected it
  bool by_app = false, network_delayed = false, past_24h = false, past_72h = false, severe = false;
  uint32_t plan_version = 0;      // bumped on replan; queued detections of older versions are stale
  uint16_t attempts = 0;          // app send attempts
  LocalSeconds onset = 0, detected = -1, reported = -1, responded = -1;
};

// the timed events of the queue
enum class WatchEventType : uint8_t { Onset = 0, Detect, AppAttempt, Report, Respond };
struct WatchEvent {
  LocalSeconds time;
  uint64_t seq;  // ties broken by insertion order
  uint32_t anomaly;
  uint32_t version;
  WatchEventType type;
  int8_t channel;
  bool operator>(const WatchEvent& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

// everything that changes
struct WatchState {
  std::vector<uint32_t> watched;          // resident index of each watched person, ascending (people)
  std::vector<int32_t> active;            // current anomaly of each watched person, -1 none (people)
  std::vector<int16_t> muni;              // municipality index of each watched person's home (people)
  std::vector<Anomaly> anomalies;         // every anomaly so far, by id
  std::vector<uint32_t> open;             // ids of anomalies not yet resolved
  std::priority_queue<WatchEvent, std::vector<WatchEvent>, std::greater<>> queue;
  uint64_t next_seq = 0;
  int64_t day = -1;                       // local day number of the last daily draw
  std::vector<uint32_t> resolved;         // ids resolved in the last step, for the anomalies table
  // cumulative counts, unweighted
  std::array<int64_t, kAnomalyKinds> onsets{};
  std::vector<int64_t> detections;        // by channel: supporter kinds, then family, sensor, self
  int64_t undetected_24h = 0, undetected_72h = 0, reports_delayed = 0, severe = 0;
  std::vector<int64_t> anomalies_by_muni, undetected_24h_by_muni, severe_by_muni;
  std::vector<float> detection_h, response_h;  // hours from onset, of detected / responded anomalies
  std::vector<double> detection_h_by_channel, detection_h_by_muni;  // sums of detection hours (summed in event order)
  std::vector<int64_t> detections_by_muni;
  // supporters' rounds, kind-major flat arrays (kinds x cells)
  std::vector<float> route_density;  // share of the cell's watched homes on the kind's rounds, 0..1
  std::vector<float> round_phase;    // the cell's place on the daily round: its time in the visit window, 0..1
  std::vector<float> cycle_phase;    // the cell's place on the cycle (cycle kinds), 0..1
};

// every kind's route density per cell: the kind's weight per cell (area) scaled so that
// the mean over watched people is min(1, coverage_share x coverage_scale), each cell
// capped at 1 (watched_per_cell: watched people by home cell)
std::vector<float> route_densities(const WatchParams& params, const Grid& grid, const std::vector<float>& watched_per_cell);

// build the watched list and draw the rest of today's onsets (from now on)
void init_watch(const WatchParams& params, WatchState& state, World& world);
// advance to world.clock.now(): heat cases at home, the daily draw, events that are due
void step_watch(const WatchParams& params, WatchState& state, World& world);
// redraw the rest of today's detections of undetected anomalies (after a parameter change)
void replan_watch(const WatchParams& params, WatchState& state, World& world);

// the [watch] keys (WatchParams::describe), declared where modules.cpp can reach it
void describe_watch(Schema& schema);
// the watch-over module for a scenario
std::unique_ptr<Module> make_watch_module(const Scenario& scenario, const Grid& grid);

}  // namespace citysim
