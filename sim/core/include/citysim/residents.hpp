// Residents: the agents. Structure of arrays, no per-agent heap objects.
//
// Each day every resident gets a plan (a few numbers, 16 bytes) that expands into a
// short list of segments: "from minute t the resident is in cell c doing a, indoors or
// not". The segments' start minutes are indexed in per-minute buckets, so a tick only
// touches residents who change state: a stationary resident costs nothing per tick.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "citysim/module.hpp"
#include "citysim/rng.hpp"

namespace citysim {

enum class Role : uint8_t { Child = 0, Student, Worker, Retiree, Other };  // Other: adult not in work or study
enum class Activity : uint8_t { Home = 0, Work, School, Errand, Travel };
enum class Mode : uint8_t { None = 0, Walk, Bicycle, Rail, Car };
constexpr int kRoles = 5, kActivities = 5, kModes = 5;
const char* role_name(Role role);
const char* activity_name(Activity activity);
const char* mode_name(Mode mode);

// resident flag bits
// (Commuter: lives outside the city, enters for the day; not in the night-time population.
// Away: another module moves the resident for now, e.g. on a vertiport journey; the day
// plan's own segments are skipped until it clears the bit)
enum ResidentFlag : uint8_t { LivesAlone = 1, Smartphone = 2, AirConditioning = 4, Outdoors = 8, Commuter = 16, Away = 32 };

// one day's plan, expanded into segments on demand
struct DayPlan {
  uint32_t errand_cell = 0;       // place of the errand or leisure stop (grid cell)
  uint16_t leave_min = 0xFFFF;    // minute of day the resident leaves home; 0xFFFF = stays home
  uint16_t main_end_min = 0;      // minute the main activity (work, school, errand) ends
  uint8_t errand_min = 0;         // after-work errand, minutes (0 = none)
  uint8_t travel_out_min = 0;     // door-to-door minutes of the outbound leg
  uint8_t travel_back_min = 0;    // door-to-door minutes of the leg home (or to the errand)
  uint8_t travel_errand_min = 0;  // minutes from the after-work errand to home
  uint8_t pattern = 0;            // DayPattern
  uint8_t mode_out = 0, mode_back = 0;  // Mode
  uint8_t errand_outdoors = 0;    // 1 = the errand is outdoors (park, shopping street)
};
enum class DayPattern : uint8_t { StayHome = 0, DayPlace = 1, Errand = 2 };

// one state change of a resident
struct Segment {
  uint16_t minute;   // minute of day it starts
  uint32_t cell;     // where the resident is from then on
  Activity activity;
  Mode mode;         // travel mode while travelling, else None
  bool outdoors;
  bool trip_start;   // the first segment of a trip (counted in trips by mode)
};
constexpr int kMaxSegments = 16;

// parameters of the residents module ([residents] in the scenario)
struct ResidentsParams {
  bool enabled = true;
  std::string day_type = "auto";  // auto (from the date: Sat/Sun = holiday), weekday, holiday
  std::string subset = "all";     // all, or only "65plus_alone" (long watch-over runs at full scale)
  double employment_rate_15_64 = 0.78, employment_rate_65plus = 0.26;
  double university_share_19_22 = 0.55;
  double nursery_share_1_5 = 0.55;
  double work_arrival_mean_h = 8.75, work_arrival_sd_min = 40, work_hours_mean = 9.0, work_hours_sd = 1.0;
  double part_time_share = 0.25, weekend_work_share = 0.2;
  double after_work_errand_prob = 0.25, outdoor_errand_share = 0.3;
  double go_out_prob_65_74 = 0.7, go_out_prob_75plus = 0.5, go_out_prob_other = 0.6;
  // reactions to a heat-stroke alert in force that day (couplings.heat_alert_on): assumptions
  // to study, off by default
  double alert_stay_home_65plus = 0, alert_indoor_share = 0;
  double commute_decay_km = 12.0;
  double walk_max_km = 1.2, bicycle_max_km = 4.0, bicycle_share = 0.35;
  double rail_share_ku = 0.85, rail_share_tama = 0.55;
  double walk_kmh = 4.8, bicycle_kmh = 14, rail_kmh = 32, car_kmh = 22, detour_factor = 1.3;
  double rail_access_min = 8, rail_wait_min = 4, rail_egress_min = 6;
  std::vector<double> smartphone_share_by_age = {0.40, 0.95, 0.96, 0.85, 0.65, 0.35};
  double aircon_share = 0.91;
  double in_commuters = 2.9e6;         // people entering Tokyo on a weekday (2010 census), whole Tokyo
  std::string commuter_corridors_file;  // resolved path; "" = bundled

  void keys(ParamKeys& keys);  // every [residents] key, once (describe and from use it)
  static void describe(Schema& schema);
  static ResidentsParams from(const Scenario& scenario);
};

// the agents, structure of arrays (n = count)
struct Residents {
  size_t count = 0;
  double weight = 1.0;                // people each simulated resident stands for (1 / population_scale)
  std::vector<uint8_t> age;           // years (n)
  std::vector<uint8_t> role;          // Role (n)
  std::vector<uint8_t> flags;         // ResidentFlag bits (n)
  std::vector<uint32_t> household;    // household id (n)
  std::vector<uint32_t> home_cell;    // grid cell of home (n)
  std::vector<uint32_t> day_cell;     // grid cell of work or school; home cell if none (n)
  std::vector<uint32_t> cell;         // grid cell now (n)
  std::vector<uint8_t> activity;      // Activity now (n)
  std::vector<uint8_t> mode;          // Mode of the current trip, None when not travelling (n)
  std::vector<DayPlan> plan;          // today's plan (n)
  std::vector<int32_t> present;       // residents in each cell now, unweighted (cells)
  std::vector<int32_t> outdoors;      // residents outdoors in each cell now, unweighted (cells)
  std::array<int64_t, kActivities> by_activity{};  // residents per activity now, unweighted
  std::array<int64_t, kModes> trips_started{};      // trips started since the last sample, unweighted
  size_t households = 0;
  size_t first_commuter = 0;          // residents first_commuter..count-1 live outside the city

  bool has(size_t i, ResidentFlag f) const { return (flags[i] & f) != 0; }
  size_t bytes() const;  // memory held by the arrays
  // resident r takes segment s's state (cell, activity, mode, outdoors) and the per-cell
  // counts follow, by integer atomics (threads may move different residents at once);
  // returns the activity left, for the caller's by_activity and trips_started
  Activity enter(size_t r, const Segment& s);
};

inline Activity Residents::enter(size_t r, const Segment& s) {
  const uint32_t old_cell = cell[r];
  const bool was_out = flags[r] & Outdoors;
  if (old_cell != s.cell) {
    std::atomic_ref<int32_t>(present[old_cell]).fetch_sub(1, std::memory_order_relaxed);
    std::atomic_ref<int32_t>(present[s.cell]).fetch_add(1, std::memory_order_relaxed);
  }
  if (was_out && (!s.outdoors || old_cell != s.cell))
    std::atomic_ref<int32_t>(outdoors[old_cell]).fetch_sub(1, std::memory_order_relaxed);
  if (s.outdoors && (!was_out || old_cell != s.cell))
    std::atomic_ref<int32_t>(outdoors[s.cell]).fetch_add(1, std::memory_order_relaxed);
  const Activity left = Activity(activity[r]);
  cell[r] = s.cell;
  activity[r] = uint8_t(s.activity);
  mode[r] = uint8_t(s.mode);
  flags[r] = uint8_t(s.outdoors ? (flags[r] | Outdoors) : (flags[r] & ~Outdoors));
  return left;
}

// the population for a grid: households drawn per municipality from census shares,
// sampled with probability population_scale, then the in-commuters (workers living
// outside the city, at home at a rail corridor's entry cell outside it); deterministic
// from the seed
Residents synthesize_residents(const Grid& grid, const ResidentsParams& params, double population_scale,
                               uint64_t seed);

// expand a plan into segments (returns the count); pure, so the buckets and the step
// agree without storing segments. A caller that needs only segments 0..last may say so:
// the legs after it are skipped (and the count returned is short)
int expand_plan(const DayPlan& plan, uint32_t home_cell, uint32_t day_cell, Role role, Segment* out,
                int last = kMaxSegments);

// one trip as the plans expand it, from minute `depart`: the travel segments (rail: the
// walk to the station and from it outdoors, the ride indoors; walking and cycling outdoors;
// the cell switches half way), then the arrival; returns the count (3 or 5)
int expand_leg(int depart, uint32_t from, uint32_t to, Mode mode, int minutes, Activity arrive, bool arrive_outdoors,
               Segment* out);

// door-to-door minutes for a distance and mode
double travel_minutes(const ResidentsParams& params, double distance_km, Mode mode);
// the same in whole minutes (1-240), as the day plans use them
int trip_minutes(const ResidentsParams& params, double distance_km, Mode mode);
// the mode of a trip of km (straight line) for a resident living in `area` (ku, tama,
// islands) with its two stable uniforms (the same every day): walk, bicycle, rail or car
Mode choose_mode(const ResidentsParams& params, const std::string& area, double km, double u_bike, double u_rail);
// resident r's mode for a trip of km, as its day plans choose it (its stable draws of the run seed)
Mode resident_mode(const ResidentsParams& params, const Grid& grid, const Residents& residents, uint64_t seed, size_t r,
                   double km);

std::unique_ptr<Module> make_residents_module(const Scenario& scenario, const Grid& grid);

}  // namespace citysim
