// Network load (つながる東京): 4G/5G cells, OpenRoaming Wi-Fi and satellite terminals on
// the grid; sessions from the residents present in each cell; blocking, outages and
// recovery. The session model is a loss system per pool of sites (Erlang B) simulated in
// bulk: per pool and step a binomial count of departures, per cell a Poisson count of
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
#include "citysim/queueing.hpp"
#include "citysim/rng.hpp"

namespace citysim {

// ---- queueing and capacity formulas ----------------------------------------------

// 5G NR peak data rate of one carrier, Mbit/s (3GPP TS 38.306 §4.1.2): layers, modulation
// order (8 = 256QAM), scaling factor, PRBs in the bandwidth, numerology mu, overhead
double nr_peak_rate_mbps(int layers, int modulation_order, double scaling, int prbs, int numerology,
                         double overhead);
// a binomial count, exact by inversion for small means, normal approximation otherwise
uint32_t binomial(Draws& draws, uint32_t trials, double p);
// the same with log(1 - p) given, and optionally (1 - p)^n for small n (precomputed for
// many draws with one p)
uint32_t binomial(Draws& draws, uint32_t trials, double p, double log1m_p, std::span<const double> pow_1m_p = {});

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
  std::array<SiteKindParams, kSiteKinds> kind = {{
      // 4G macro: 20 MHz, 2x2 MIMO, 64QAM -> 150 Mbit/s per sector (3GPP TS 36.306,
      // category 4); urban range 1-2 km; a few hours of battery (MIC 2011: most stations
      // stopped when batteries ran out hours after the power cut)
      {1500, 150, 3, 3, 3000},
      // 5G on a converted low band: 20 MHz, 2 layers, 64QAM, mu = 1 -> about 164 Mbit/s (TS 38.306)
      {1200, 160, 3, 3, 5000},
      // high-band 5G small cell: 100 MHz, 4 layers, 256QAM -> about 2.3 Gbit/s (TS 38.306); no battery
      {200, 2300, 1, 0, 5000},
      // public Wi-Fi access point (Wi-Fi 5/6, 80 MHz, 2x2 -> about 600 Mbit/s); no battery
      {100, 600, 1, 0, 0},
      // portable satellite terminal serving Wi-Fi around it; own battery and generator
      {100, 200, 1, 72, 0},
  }};
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
  // 24 multipliers by hour of day, peak 1 in the evening: an assumption shaped like
  // published diurnal mobile traffic curves (e.g. Paul et al., IEEE INFOCOM 2011)
  std::vector<double> hourly_profile = {0.55, 0.35, 0.2,  0.12, 0.1, 0.12, 0.3, 0.55, 0.75, 0.7,  0.7, 0.75,
                                        0.9,  0.8,  0.75, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0,  1.0,  0.95, 0.8};
  double holding_min = 3.0;
  int substep_s = 60;  // one step per 1-minute tick: sessions that end within a step free their slot in it
  int demand_update_minutes = 60;
  double emergency_share = 0.001;     // share of sessions that are emergency calls (priority)
  double priority_reserve_share = 0.05;
  bool retry = false;
  double retry_delay_mean_s = 30;
  double retry_persistence = 0.6;
  // outage detection
  double cell_alarm_delay_min = 1;
  double wifi_monitoring_delay_min = 60;

  int capacity_sessions(SiteKind k) const;
  void keys(ParamKeys& keys);  // every [network] key, once (describe and from use it)
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

// which sites (or pools) reach each cell, in attachment order (Wi-Fi, cells by distance,
// satellite); share = probability a person in the cell is within reach
struct Coverage {
  std::vector<uint32_t> start;  // first link of each cell (cells + 1)
  std::vector<uint32_t> to;     // links: the site or pool reached
  std::vector<float> share;     // links, 0..1
  std::vector<double> log1m_share;  // links, log(1 - share) for the binomial draws
};
Coverage build_coverage(const Sites& sites, const Grid& grid);

enum class SiteStatus : uint8_t { Up = 0, Backup, Down, Stored };

// one pool over one step of dt_min as an M/M/c/c queue, event by event: `arrivals`
// Poisson arrivals at uniform times, `departing` of the sessions present at the start
// ending at their (truncated exponential) times, each admitted one holding Exp(h) from
// its arrival. busy_end = busy_start - departing + admitted - ended_within.
struct PoolStep { uint32_t admitted = 0, refused = 0, ended_within = 0; };
PoolStep pool_step(Draws& draws, int32_t busy_start, uint32_t departing, uint32_t arrivals, int32_t limit, double dt_min,
                   double holding_min, std::vector<double>& scratch);

// the same step, halving it where the pool could fill (the arrivals in each half a
// binomial share, the sessions present at a boundary memoryless) until each part either
// cannot fill (all admitted, departures in bulk) or has at most a few arrivals (pool_step):
// exact, and the cost follows the arrivals only where the pool is full. `untracked` of
// busy_start depart by the exponential law (tracked priority sessions keep their own ends)
struct PoolServe { uint32_t admitted = 0, refused = 0; int32_t busy_end = 0; };
PoolServe serve_pool(Draws& draws, int32_t busy_start, int32_t tracked, uint32_t arrivals, int32_t limit, double dt_min,
                     double holding_min, std::vector<double>& scratch);

// sessions counted since the last sample (each attachment tile counts its own, then
// they are added up)
struct SessionCounts {
  std::array<int64_t, kSiteKinds> carried_kind{}, reached_kind{}, refused_kind{};  // at sites of each kind
  int64_t offered = 0, attempts = 0, carried = 0, blocked = 0, priority_offered = 0, priority_blocked = 0;
  SessionCounts& operator+=(const SessionCounts& other);
};

// everything that changes
struct NetworkState {
  Sites sites;
  Coverage coverage;  // site links
  // site power and repair (sites)
  std::vector<uint8_t> mains;               // 1 = mains power on
  std::vector<uint8_t> destroyed;           // 1 = destroyed
  std::vector<LocalSeconds> battery_empty_at;  // when the battery runs out (mains off)
  std::vector<LocalSeconds> restore_at;     // scheduled restoration (power and rebuilding), kNever = none
  std::vector<LocalSeconds> power_back_at;  // end of a power cut with a duration, kNever = none
  std::vector<uint8_t> status;              // SiteStatus now
  std::vector<LocalSeconds> down_since;     // when the site went down (status Down)
  std::vector<LocalSeconds> seen_at;        // when operators see the outage
  // the sites of one kind standing in one cell pool their sessions (a session in reach of
  // any of them may use the room of all); pools are what the session model steps
  std::vector<uint32_t> pool_of;      // pool of each site (sites)
  std::vector<uint8_t> pool_kind;     // (pools)
  std::vector<uint32_t> pool_cell;    // (pools)
  Coverage pool_coverage;             // links cell -> pool; shares from the working sites only
  std::vector<uint32_t> pool_link_of; // the pool link each site link belongs to (site links)
  // sessions (pools)
  std::vector<int32_t> capacity;   // concurrent sessions of the working sites
  std::vector<int32_t> busy;       // sessions in progress
  std::vector<int32_t> tracked;    // of which individual priority sessions
  std::vector<int32_t> reached;    // sessions that reached the pool this tick
  std::vector<int32_t> admitted;   // of which admitted
  std::vector<int32_t> fresh;      // admitted this step by overflow or priority, not yet thinned of those that end within it
  std::vector<int32_t> departed;   // sessions present at the step's start that end within it
  std::vector<uint32_t> first_reach;  // regular sessions whose first pool in reach is this one, this step
  std::vector<uint32_t> refused_left;  // of first_reach: refused, not yet handed back to their cells
  struct PrioritySession { uint32_t pool; LocalSeconds end; };
  std::vector<PrioritySession> priority_sessions;  // individual priority sessions in progress
  // demand (cells)
  std::vector<double> rate_per_resident;  // sessions per minute per resident present, by the last count (cells)
  std::vector<double> base_rate_per_min;  // sessions per minute at hourly profile 1, no surge (cells)
  std::vector<double> rate_now;           // sessions per minute now, crowds included (cells)
  std::vector<uint32_t> split;            // pool links: regular arrivals drawn to reach each pool if none is refused
  std::vector<uint32_t> split_end;        // cells: the link after the last drawn one
  // attachment runs in tiles of the grid, as tall and as wide as any pool's links span, so
  // no pool reaches two tiles of one colour (row and column parity): the four colours run
  // one after another, the tiles of each in parallel
  std::vector<uint32_t> tile_cells;       // cells, tile by tile, row-major within a tile
  std::vector<uint32_t> tile_start;       // each tile's first entry in tile_cells (tiles + 1)
  std::array<std::vector<uint32_t>, 4> tiles_of_colour;
  std::vector<uint32_t> retry_pool;     // blocked sessions waiting to retry (cells)
  std::vector<double> emergency_clock;  // expected emergency calls until the next one, Exp(1) (cells; NaN = not drawn yet)
  std::vector<uint32_t> arrivals, emergency, retries;  // this step's attempts (cells)
  struct Crowd { std::vector<uint32_t> cells; double rate_per_cell_per_min; LocalSeconds until; };
  std::vector<Crowd> crowds;            // extra people gathered for an event (crowd events)
  double wifi_monitoring_delay_min = -1;  // set by a wifi_monitoring event; < 0 = the scenario key
  LocalSeconds surge_at = kNever;
  double surge_multiplier = 1, surge_decay_hours = 1;
  // counters since the last sample
  std::vector<int64_t> offered_cell, blocked_cell;  // attempts and blocked attempts (cells)
  SessionCounts counts;
  int64_t dropped = 0;  // sessions cut off when their site went down
  double seen_delay_sum_min = 0;
  int64_t seen_count = 0;
  std::vector<uint32_t> newly_seen;  // sites whose outage operators saw this tick
  std::vector<uint8_t> down_cause;   // why each site went down: 0 battery, 1 destroyed (sites)
  int64_t demand_updated_minute = -1;
  LocalSeconds next_site_change = kAlways;  // sites need no update before this (events reset it)
  uint32_t substep = 0;  // steps done, the draw index of session draws
};

// fresh state for a set of sites: all up on mains, no sessions
NetworkState make_network_state(Sites sites, const Grid& grid);

// the demand mix: per cell sessions per minute per resident present, from the smartphone
// owners by age group and activity; loops over residents, so called at demand_update_minutes
void update_demand(const NetworkParams& params, NetworkState& state, const Residents& residents, const Grid& grid);
// per cell sessions per minute now: residents present now (kept by the residents module
// every minute) times the last mix
void refresh_demand(NetworkState& state, const Residents& residents);

// demand multiplier at `now`: hourly profile times the decaying surge
double demand_factor(const NetworkParams& params, const NetworkState& state, LocalSeconds now);

// one step of dt_min: departures, arrivals at rate_per_min (cells), attachment
void serve_sessions(const NetworkParams& params, NetworkState& state, std::span<const double> rate_per_min,
                    double dt_min, uint64_t seed);

// site status at `now` from power, battery, destruction and deployment
SiteStatus site_status(const NetworkState& state, size_t site, LocalSeconds now);

// probability a new session in the cell is carried now (couplings.network_ok)
float network_ok(const NetworkState& state, size_t cell);

// one tick: timers and outages, demand, priority sessions, the steps of the session model
void step_network(const NetworkParams& params, NetworkState& state, World& world);

// the [network] keys and event kinds (the descriptor in modules.cpp)
void describe_network(Schema& schema);
std::unique_ptr<Module> make_network_module(const Scenario& scenario, const Grid& grid);

}  // namespace citysim
