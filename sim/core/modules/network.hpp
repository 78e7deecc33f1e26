// Network load (つながる東京): 4G/5G cells, OpenRoaming Wi-Fi and satellite terminals on
// the grid; sessions from the residents present in each cell; blocking, outages and
// recovery. The session model is a loss system per site (Erlang B) simulated in bulk:
// per site and sub-step a binomial count of departures, per cell a Poisson count of
// arrivals, attached in the order Wi-Fi -> cell -> satellite -> blocked. Work per tick
// is proportional to cells and sites, never to residents.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "citysim/module.hpp"
#include "citysim/rng.hpp"

namespace citysim {

// ---- queueing and capacity formulas ----------------------------------------------

// Erlang B blocking probability for A erlangs offered to c channels (blocked calls cleared)
double erlang_b(double offered_erlangs, int channels);
// Erlang C probability of waiting (blocked calls wait); 1 when A >= c
double erlang_c(double offered_erlangs, int channels);
// 5G NR peak data rate of one carrier, Mbit/s (3GPP TS 38.306 §4.1.2): layers, modulation
// order (8 = 256QAM), scaling factor, PRBs in the bandwidth, numerology mu, overhead
double nr_peak_rate_mbps(int layers, int modulation_order, double scaling, int prbs, int numerology,
                         double overhead);
// a binomial count, exact by inversion for small means, normal approximation otherwise
uint32_t binomial(Draws& draws, uint32_t trials, double p);

// ---- sites ---------------------------------------------------------------------

enum class SiteKind : uint8_t { Lte = 0, NrLow, NrHigh, Wifi, Satellite };
constexpr int kSiteKinds = 5;
const char* site_kind_name(SiteKind kind);  // "lte", "nr_low", "nr_high", "wifi", "satellite"

// per kind: how sites are built and what they carry
struct SiteKindParams {
  double radius_m = 1000;        // coverage radius
  double peak_rate_mbps = 150;   // peak rate of one sector
  int sectors = 3;               // sectors (antennas) per site
  double backup_hours = 3;       // mean battery time without mains power
  double people_per_site = 3000; // generation density (lte, nr_low, nr_high)
};

// parameters of the network module ([network] in the scenario)
struct NetworkParams {
  bool enabled = false;
  std::string sites_file;  // CSV of sites; "" = generate from the city
  std::array<SiteKindParams, kSiteKinds> kind;
  // generation
  double priority_area_share = 0.15;  // busiest land cells counted as priority areas
  double nr_high_coverage = 0.976;    // share of priority areas with high-band 5G
  int wifi_sites = 1600;
  int satellite_terminals = 77;       // portable, at municipal offices and city facilities
  int island_satellite_wifi = 22;     // satellite-backed Wi-Fi units on the islands
  double backup_spread = 0.5;         // battery time uniform in mean x (1 +- spread)
  // capacity: sessions = sectors x peak x average_to_peak / session_rate
  double average_to_peak = 0.3;
  double session_rate_mbps = 1.0;
  // demand
  std::vector<double> sessions_per_hour_by_age = {1.0, 4.0, 3.0, 2.0, 1.2, 0.6};  // ages as residents' smartphone groups
  std::vector<double> activity_factor = {0.4, 0.6, 0.3, 1.2, 1.5};  // home, work, school, errand, travel
  std::vector<double> hourly_profile;  // 24 multipliers, hour of day
  double holding_min = 3.0;
  int substep_s = 10;
  int demand_update_minutes = 15;
  double emergency_share = 0.001;     // share of sessions that are emergency calls (priority)
  double priority_reserve_share = 0.05;
  bool retry = false;
  double retry_delay_mean_s = 30;
  double retry_persistence = 0.6;
  // outage detection
  double cell_alarm_delay_min = 1;
  double wifi_monitoring_delay_min = 60;

  int capacity_sessions(SiteKind k) const;
  static void describe(Schema& schema);
  static NetworkParams from(const Scenario& scenario);
};

constexpr LocalSeconds kNever = std::numeric_limits<LocalSeconds>::max();
constexpr LocalSeconds kAlways = std::numeric_limits<LocalSeconds>::min();

// every site, structure of arrays (n = sites)
struct Sites {
  std::vector<uint8_t> kind;            // SiteKind
  std::vector<uint32_t> cell;           // grid cell the site stands in
  std::vector<double> lat, lon;         // degrees
  std::vector<float> radius_m;          // coverage radius, m
  std::vector<int32_t> capacity;        // concurrent sessions
  std::vector<int32_t> backup_s;        // battery time without mains, s
  std::vector<int16_t> municipality;    // index into grid.municipalities, -1 = none
  std::vector<LocalSeconds> deploy_at;  // portable terminals: when they come up; kNever = stored
  size_t size() const { return kind.size(); }
  void add(SiteKind k, uint32_t cell, double lat, double lon, double radius_m, int capacity, double backup_hours,
           int16_t municipality, LocalSeconds deploy_at = kAlways);
};

// sites from the city's population and day places with the scenario densities
Sites generate_sites(const NetworkParams& params, const Grid& grid, uint64_t seed);
// sites from a CSV `kind,lat,lon,radius_m,capacity_sessions,backup_hours`; throws
// ScenarioError naming file and line on a bad row
Sites load_sites(const std::string& path, const Grid& grid, const std::string& key = "network.sites_file");

// which sites reach each cell, in attachment order (Wi-Fi, cells by distance, satellite);
// share = probability a person in the cell is within the site's radius
struct Coverage {
  std::vector<uint32_t> start;  // first link of each cell (cells + 1)
  std::vector<uint32_t> site;   // links
  std::vector<float> share;     // links, 0..1
};
Coverage build_coverage(const Sites& sites, const Grid& grid);

enum class SiteStatus : uint8_t { Up = 0, Backup, Down, Stored };

// everything that changes
struct NetworkState {
  Sites sites;
  Coverage coverage;
  // site power and repair (sites)
  std::vector<uint8_t> mains;               // 1 = mains power on
  std::vector<uint8_t> destroyed;           // 1 = destroyed
  std::vector<LocalSeconds> battery_empty_at;  // when the battery runs out (mains off)
  std::vector<LocalSeconds> restore_at;     // scheduled restoration, kNever = none
  std::vector<uint8_t> status;              // SiteStatus now
  std::vector<LocalSeconds> down_since;     // when the site went down (status Down)
  std::vector<LocalSeconds> seen_at;        // when operators see the outage
  // sessions (sites)
  std::vector<int32_t> busy;       // sessions in progress
  std::vector<int32_t> tracked;    // of which individual priority sessions
  std::vector<int32_t> reached;    // sessions that reached the site this tick
  std::vector<int32_t> admitted;   // of which admitted
  struct PrioritySession { uint32_t site; LocalSeconds end; };
  std::vector<PrioritySession> priority_sessions;  // individual priority sessions in progress
  // demand (cells)
  std::vector<int32_t> group_count;     // smartphone owners present per cell x age group x activity
  std::vector<double> base_rate_per_min;  // sessions per minute at hourly profile 1, no surge (cells)
  std::vector<uint32_t> retry_pool;     // blocked sessions waiting to retry (cells)
  std::vector<uint32_t> arrivals, emergency, retries;  // this sub-step's attempts (cells)
  LocalSeconds surge_at = kNever;
  double surge_multiplier = 1, surge_decay_hours = 1;
  // counters since the last sample
  std::vector<int64_t> offered_cell, blocked_cell;  // attempts and blocked attempts (cells)
  std::array<int64_t, kSiteKinds> carried_kind{}, reached_kind{}, refused_kind{};
  int64_t offered = 0, attempts = 0, carried = 0, blocked = 0, dropped = 0;
  int64_t priority_offered = 0, priority_blocked = 0;
  double seen_delay_sum_min = 0;
  int64_t seen_count = 0;
  std::vector<uint32_t> newly_seen;  // sites whose outage operators saw this tick
  std::vector<uint8_t> down_cause;   // why each site went down: 0 battery, 1 destroyed (sites)
  int64_t demand_updated_minute = -1;
  uint32_t substep = 0;  // sub-steps done, the draw index of session draws
};

// fresh state for a set of sites: all up on mains, no sessions
NetworkState make_network_state(Sites sites, const Grid& grid);

// per cell sessions per minute from the residents present (smartphone owners, by age
// group and activity); loops over residents, so called at demand_update_minutes
void update_demand(const NetworkParams& params, NetworkState& state, const Residents& residents, size_t cells);

// one sub-step of dt_min: departures, arrivals at rate_per_min (cells), attachment
void serve_sessions(const NetworkParams& params, NetworkState& state, std::span<const double> rate_per_min,
                    double dt_min, uint64_t seed);

// site status at `now` from power, battery, destruction and deployment
SiteStatus site_status(const NetworkState& state, size_t site, LocalSeconds now);

// probability a new session in each cell is carried now (written to couplings.network_ok)
void network_ok(const NetworkState& state, std::span<float> ok);

// one tick: timers and outages, demand, priority sessions, sub-steps, coupling
void step_network(const NetworkParams& params, NetworkState& state, World& world);

std::unique_ptr<Module> make_network_module(const Scenario& scenario, const Grid& grid);

}  // namespace citysim
