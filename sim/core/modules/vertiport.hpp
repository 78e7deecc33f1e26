// Vertiports and eVTOL flights (空飛ぶクルマ): sites with pads, gates, stands and chargers,
// a passenger terminal (check-in, security, gate), an aircraft fleet with batteries, and
// flights between sites. A discrete-event simulation with sub-minute event times runs
// inside the engine's 1-minute ticks; events are processed in (time, creation order).
// Model, equations and sources: docs/models/vertiport.md.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "citysim/module.hpp"
#include "citysim/queueing.hpp"
#include "citysim/residents.hpp"
#include "modules/vertiport_queue.hpp"

namespace citysim {

// ---- params ---------------------------------------------------------------------------

// one vertiport (from vertiport.sites.* or vertiport.sites_file)
struct VertiportSite {
  std::string name;
  double lat = 0, lon = 0;          // degrees
  int pads = 2;                     // FATO: final approach and take-off areas
  int gates = 4;                    // boarding / deboarding positions
  int stands = 8;                   // parking positions (an aircraft on the ground holds one)
  int chargers = 4;                 // chargers at stands
  double charger_kw = 150;          // charger power, kW
  int checkin_counters = 2;
  int security_lanes = 1;
  double open_h = 0, close_h = 24;  // opening hours, local time
};

// one aircraft type; defaults in docs/models/vertiport.md
struct AircraftType {
  std::string name;
  int seats = 4;                  // passenger seats (pilot not counted)
  double cruise_kmh = 200;
  double battery_kwh = 150;       // usable battery energy
  double energy_kwh_per_km = 0.6; // cruise energy
  double vtol_kwh = 10;           // take-off, climb, approach and landing together
  double charge_kw = 250;         // the aircraft's maximum charge power
  double reserve_share = 0.2;     // battery share that must remain after landing
  double climb_s = 90, approach_s = 90;  // vertical/transition phases at each end (airborne)

  // energy of a flight of d km, kWh
  double flight_kwh(double km) const { return vtol_kwh + energy_kwh_per_km * km; }
  double reserve_kwh() const { return reserve_share * battery_kwh; }
  // the distance a full battery covers keeping the reserve, km
  double range_km() const { return (battery_kwh * (1 - reserve_share) - vtol_kwh) / energy_kwh_per_km; }
};

// `count` aircraft of `type` based at `base` at the start
struct FleetGroup {
  std::string type, base;
  int count = 0;
};

struct VertiportParams {
  bool enabled = false;
  std::vector<VertiportSite> sites;
  std::vector<AircraftType> types;
  std::vector<FleetGroup> fleet;
  // demand: Poisson arrivals per ordered pair; rate = od (or uniform rate) x hourly profile x scale,
  // or from residents' commutes x scale
  std::vector<double> od_per_h;         // sites x sites, row = origin; empty = rate_per_h for every pair
  double rate_per_h = 6;                // passengers per hour per ordered pair when od_per_h is empty
  std::vector<double> hourly_profile = std::vector<double>(24, 1.0);  // 24 factors, local hour
  double demand_scale = 1;
  bool demand_from_residents = false;   // rates from residents' commutes instead of the OD table
  double reach_km = 3;                  // a resident uses a site this close to home / work
  double min_trip_km = 10;              // only commutes at least this long
  double residents_share = 0.01;        // share of such commuters who fly
  ResidentsParams travel;               // residents' demand: the residents' modes and travel times for access and egress
  // terminal
  double checkin_service_min = 2, security_service_min = 1;
  bool exponential_service = true;      // else deterministic service times
  double patience_min = 60;             // a passenger not boarded this long after arriving gives up
  double walk_to_gate_min = 2;
  bool open_air = false;                // terminals outdoors: waiting passengers are exposed to heat
  double heat_wbgt_c = 28;              // exposure counts from this WBGT (環境省 厳重警戒 level)
  // operations
  bool scheduled = false;               // scheduled (headway) or on-demand dispatch
  double headway_min = 15;              // scheduled mode: departures per pair every headway
  double max_hold_min = 10;             // on-demand: a flight leaves when full or this long after opening
  double boarding_min = 3, deboarding_min = 2, taxi_min = 1;
  double pad_departure_s = 45, pad_arrival_s = 45, pad_clearance_s = 10;
  double corridor_separation_s = 60;    // between departures on the same corridor (origin -> destination)
  double reposition_after_min = 5;      // send an empty aircraft to a site whose passengers wait this long
  // fleet balancing (ferry flights, docs/models/vertiport.md#fleet-balancing)
  int balance_min_waiting = 4;          // a site asks for aircraft from this many passengers waiting
  int balance_keep_idle = 1;            // a sending site keeps this many idle aircraft beyond its own need
  double balance_lookahead_min = 30;    // demand counted ahead from the profile, min
  double balance_max_per_h = 12;        // ferry flights per hour at most (all sites; 0 = no balancing)
  double max_wind_m_s = 10, max_rain_mm_h = 20;
  bool record_journeys = true;

  void keys(ParamKeys& keys);  // every [vertiport] key, once (describe and from use it)
  static void describe(Schema& schema);
  static VertiportParams from(const Scenario& scenario);
};

// the default aircraft types (SkyDrive SD-05, Joby S4, Archer Midnight)
std::vector<AircraftType> default_aircraft_types();
// read a sites CSV (name,lat,lon,pads,gates,stands,chargers,charger_kw,checkin_counters,
// security_lanes,open_h,close_h); throws ScenarioError naming the file and line
std::vector<VertiportSite> read_sites_csv(const std::string& path);

// ---- state ----------------------------------------------------------------------------

enum class AircraftState : uint8_t { Parked, Charging, Boarding, Taxi, Climbing, Cruise, Approach, Landed };
const char* aircraft_state_name(AircraftState state);

struct Aircraft {
  uint16_t type = 0, site = 0;   // site: where it is, or where it flies to
  AircraftState state = AircraftState::Parked;
  double energy_kwh = 0;
  int32_t flight = -1;           // current flight, -1 none
  bool at_gate = false;          // on the ground: at a gate, else on a stand
  bool waiting_charger = false;
  double charge_to_kwh = 0;      // while charging
  double airborne_since_s = 0;
  bool retired = false;
};

struct Flight {
  uint32_t aircraft = 0;
  uint16_t from = 0, to = 0;
  std::vector<uint32_t> passengers;
  double opened_s = 0, close_s = 0, ready_s = 0, depart_s = 0, arrive_s = 0;  // depart/arrive: pad start times
  double energy_kwh = 0, distance_km = 0;
  bool closed = false, reposition = false;
};

// the legs of a resident's trip door to door
enum class TripLeg : uint8_t { Access, Egress, Ground, Back };  // Ground: sites closed; Back: gave up at the terminal

struct Passenger {
  uint16_t from = 0, to = 0;
  double arrive_s = 0, queued_s = 0;  // terminal arrival; joined the current line
  double checkin_wait_s = 0, security_wait_s = 0, gate_s = -1, board_s = -1;
  int32_t flight = -1;
  bool cancelled = false;
  // residents' demand: the trip door to door (resident -1: an OD passenger, terminal to terminal)
  int32_t resident = -1;           // whose trip it is: home, workplace, mode draws
  bool in_sample = false;          // the resident itself travels (Away until home); else one of the people it stands for
  bool home_bound = false;         // the trip home (else to work)
  TripLeg leg = TripLeg::Access;   // the leg now
  uint8_t access_mode = 0, egress_mode = 0, ground_mode = 0, back_mode = 0;  // Mode
  int32_t access_min = 0, egress_min = 0, ground_min = 0, back_min = 0;      // the residents' trip minutes
  uint32_t origin_cell = 0, dest_cell = 0;
  double leave_s = 0;              // left the origin cell
  double deboard_s = -1;           // deboarded at the destination site
  double return_s = 0, release_s = 0;  // trip to work: leaves for home then; in sample: its plan's own trips end then
};

struct SiteState {
  ServerPool checkin, security;
  std::vector<std::deque<uint32_t>> gate_queue;  // passengers at the gate by destination
  std::vector<int32_t> open_flight;              // boarding flight by destination, -1 none
  std::vector<std::vector<std::pair<double, double>>> pad_booked;  // per pad: [start, end) s, sorted
  std::vector<double> corridor_free_s;           // next departure allowed by destination
  std::deque<uint32_t> charger_queue, gate_waiters;  // aircraft waiting for a charger / a gate to deboard
  std::deque<uint32_t> held;                     // flights ready to go, held (suspension, no stand ahead)
  std::deque<std::pair<double, uint16_t>> scheduled_due;  // scheduled mode: (close time s, destination)
  BusyMeter gates, stands, chargers;
  int stands_reserved = 0;                       // inbound aircraft holding a stand here
  bool closed_by_event = false;
  double suspended_until_s = -1;
  // since the last sample
  int64_t arrived = 0, served = 0, cancelled = 0, movements = 0;
  int waiting = 0;                               // passengers in the terminal now
};

struct VertiportState {
  std::vector<SiteState> sites;
  std::vector<Aircraft> aircraft;
  std::vector<Flight> flights;
  std::vector<Passenger> passengers;
  std::vector<std::vector<double>> distance_km;  // sites x sites
  std::vector<int64_t> cell;                     // grid cell of each site, -1 outside the grid
  // residents-based demand: eligible commuters (resident, home site, work site) and the
  // day's rates from their plans, passengers per hour (sites x sites x 24)
  std::vector<uint32_t> commuters;
  std::vector<uint16_t> commuter_home_site, commuter_work_site;
  std::vector<double> resident_rate_per_h;
  int64_t demand_day = -1;
  EventQueue events;
  double now_s = 0;                              // seconds since the run start
  int64_t minutes_done = 0;
  bool weather_suspended = false;
  double suspended_all_until_s = -1;
  // since the last sample
  std::vector<double> wait_checkin_min, wait_security_min, wait_gate_min, journey_min, delay_min;
  std::vector<double> wait_board_min;            // terminal arrival to boarding
  int64_t ferry_flights = 0;                     // empty flights sent (balancing and repositioning)
  double empty_seat_km = 0;                      // seats flown empty x km, flights landed
  std::deque<double> balance_sent_s;             // balancing ferries sent in the last hour (for the cap)
  double energy_used_kwh = 0, energy_charged_kwh = 0, airborne_s = 0, last_sample_s = 0;
  double heat_exposed_person_min = 0;            // passengers waiting where WBGT >= heat_wbgt_c, x minutes
  // residents' trips flown and ended (at the destination cell) since the last sample, minutes
  std::vector<double> door_to_door_min, ground_min, access_min, egress_min;
  // metric ids
  TableId t_flights = 0, t_journeys = 0, t_pads = 0, t_trips = 0;
};

// advance the discrete-event simulation to the world clock
void step_vertiport(const VertiportParams& params, VertiportState& state, World& world);

// the module's keys and events (the descriptor in modules.cpp), and the module
void describe_vertiport(Schema& schema);
std::unique_ptr<Module> make_vertiport_module(const Scenario& scenario, const Grid& grid);

}  // namespace citysim
