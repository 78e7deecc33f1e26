// Vertiports and eVTOL flights: a discrete-event simulation inside the 1-minute ticks.
//
// [SECTION] defaults      illustrative Tokyo sites, published aircraft figures
// [SECTION] params        [vertiport] keys, per-site and per-type arrays, the sites CSV
// [SECTION] engine        passengers, flights, pads, gates, stands, chargers, dispatch
// [SECTION] module        metrics, timeline events, publish
#include "modules/vertiport.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "citysim/city.hpp"
#include "citysim/residents.hpp"
#include "citysim/rng.hpp"

namespace citysim {

// ---- [SECTION] defaults -------------------------------------------------------------

namespace {

// an illustrative Tokyo network (bay area, Haneda, two business districts, one Tama
// site); locations are plausible, not announced vertiport sites
struct DefaultSite { const char* name; double lat, lon; };
constexpr DefaultSite kDefaultSites[] = {
    {"Ariake", 35.6345, 139.7930},      // Tokyo Bay waterfront (Koto)
    {"Haneda", 35.5494, 139.7798},      // Haneda Airport (Ota)
    {"Marunouchi", 35.6812, 139.7671},  // Tokyo Station area (Chiyoda)
    {"Shinjuku", 35.6896, 139.7006},    // Shinjuku business district
    {"Tachikawa", 35.6980, 139.4137},   // Tama: Tachikawa
};

}  // namespace

// manufacturers' figures (MODELS.md): seats, cruise speed, range. Battery energies are
// not published; each energy rate is set so that range_km() gives the published range
// (docs/models/vertiport.md shows the arithmetic).
std::vector<AircraftType> default_aircraft_types() {
  // SkyDrive SD-05: pilot + 2, ~100 km/h, ~15 km range (SkyDrive, 2023-2025)
  AircraftType sd05{"sd05", 2, 100, 40, 1.85, 4.0, 50, 0.2, 60, 60};
  // Joby S4: pilot + 4, ~320 km/h, ~240 km range (Joby Aviation)
  AircraftType joby{"joby_s4", 4, 320, 175, 0.54, 10.0, 250, 0.2, 90, 90};
  // Archer Midnight: pilot + 4, ~240 km/h, ~160 km range, ~10 min charge between trips (Archer)
  AircraftType archer{"archer_midnight", 4, 240, 200, 0.925, 12.0, 250, 0.2, 90, 90};
  return {sd05, joby, archer};
}

const char* aircraft_state_name(AircraftState s) {
  static const char* names[] = {"parked", "charging", "boarding", "taxi", "climbing", "cruise", "approach", "landed"};
  return names[int(s)];
}

// ---- [SECTION] params ---------------------------------------------------------------

namespace {

std::vector<double> flist(std::initializer_list<double> xs) { return std::vector<double>(xs); }

const std::vector<double>& floats(const Scenario& sc, const std::string& key) {
  return std::get<std::vector<double>>(sc.get(key));
}
const std::vector<std::string>& strings(const Scenario& sc, const std::string& key) {
  return std::get<std::vector<std::string>>(sc.get(key));
}

// one value per entry: an array of n values, or one value for all (when `broadcast`);
// an unset key falls back to the built-in value for the entry's name
std::vector<double> per_entry(const Scenario& sc, const std::string& key, const std::vector<std::string>& names,
                              const std::map<std::string, double>& by_name, bool broadcast, const char* what) {
  const auto& xs = floats(sc, key);
  const size_t n = names.size();
  if (!sc.is_set(key) && !by_name.empty()) {
    std::vector<double> out;
    for (const auto& name : names) {
      const auto it = by_name.find(name);
      if (it == by_name.end())
        throw ScenarioError(sc.loc_of(key), key,
                            "no built-in value for " + std::string(what) + " \"" + name + "\": give " +
                                std::to_string(n) + " values, one per " + what);
      out.push_back(it->second);
    }
    return out;
  }
  if (xs.size() == n) return xs;
  if (broadcast && xs.size() == 1) return std::vector<double>(n, xs[0]);
  throw ScenarioError(sc.loc_of(key), key,
                      "expected " + std::to_string(n) + " values (one per " + what + ")" +
                          (broadcast ? " or 1 value for all" : "") + ", got " + std::to_string(xs.size()));
}

int whole(const Scenario& sc, const std::string& key, double x, int lo) {
  if (x != std::floor(x) || x < lo)
    throw ScenarioError(sc.loc_of(key), key, "expected whole numbers >= " + std::to_string(lo) + ", got " + value_to_string(x));
  return int(x);
}

void check_site(const VertiportSite& v, const SourceLoc& loc, const std::string& key) {
  const auto bad = [&](const std::string& why) { throw ScenarioError(loc, key, "site \"" + v.name + "\": " + why); };
  if (v.name.empty()) bad("empty name");
  if (!in_tokyo_extent(v.lat, v.lon)) bad(std::string("latitude/longitude outside Tokyo (") + tokyo_extent_text + ")");
  if (v.pads < 1) bad("needs at least 1 pad");
  if (v.gates < 1 || v.stands < 0 || v.chargers < 0) bad("needs at least 1 gate and no negative stands or chargers");
  if (v.checkin_counters < 1 || v.security_lanes < 1) bad("needs at least 1 check-in counter and 1 security lane");
  if (!(v.charger_kw > 0)) bad("charger_kw must be above 0");
  if (!(v.open_h >= 0 && v.open_h < v.close_h && v.close_h <= 24)) bad("expected 0 <= open_h < close_h <= 24");
}

}  // namespace

std::vector<VertiportSite> read_sites_csv(const std::string& path) {
  const std::string key = "vertiport.sites_file";
  const CsvTable t = read_csv(path, key);
  const auto col = [&](const char* name) { return t.column(name, key); };
  const int name = col("name"), lat = col("lat"), lon = col("lon"), pads = col("pads"), gates = col("gates");
  const int stands = col("stands"), chargers = col("chargers"), kw = col("charger_kw"), counters = col("checkin_counters");
  const int lanes = col("security_lanes"), open = col("open_h"), close = col("close_h");
  std::vector<VertiportSite> sites;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const SourceLoc loc{path, t.lines[r]};
    const auto whole = [&](int c) {
      const double x = t.number(r, c, key);
      if (x != std::floor(x)) throw ScenarioError(loc, key, "column " + t.header[size_t(c)] + ": expected a whole number");
      return int(x);
    };
    VertiportSite v{t.rows[r][size_t(name)], t.number(r, lat, key), t.number(r, lon, key), whole(pads), whole(gates),
                    whole(stands), whole(chargers), t.number(r, kw, key), whole(counters), whole(lanes),
                    t.number(r, open, key), t.number(r, close, key)};
    check_site(v, loc, key);
    sites.push_back(v);
  }
  if (sites.empty()) throw ScenarioError({path, 0}, key, "no sites in the file");
  return sites;
}

void VertiportParams::keys(ParamKeys& k) {
  k.section("vertiport", "Flying cars: eVTOL aircraft, vertiports (pads, gates, stands, chargers), passenger "
                         "terminal flow and flights between vertiports. Sites are arrays in [vertiport.sites] "
                         "(one entry per site) or a CSV file.");
  const VertiportSite ds;
  std::vector<std::string> site_names;
  std::vector<double> lats, lons;
  for (const auto& x : kDefaultSites) site_names.push_back(x.name), lats.push_back(x.lat), lons.push_back(x.lon);
  k.key("vertiport.enabled", enabled, "simulate vertiports and eVTOL flights");
  k.described("vertiport.sites_file", ValueKind::Path, std::string(""),
              "CSV of sites (name,lat,lon,pads,gates,stands,chargers,charger_kw,checkin_counters,security_lanes,open_h,"
              "close_h); replaces vertiport.sites.*");
  k.described("vertiport.sites.names", ValueKind::StringList, site_names,
              "site names; the default is an illustrative Tokyo network, not announced sites");
  k.described("vertiport.sites.lat", ValueKind::FloatList, lats, "latitude of each site (built-in for the default names)").units("deg");
  k.described("vertiport.sites.lon", ValueKind::FloatList, lons, "longitude of each site (built-in for the default names)").units("deg");
  k.described("vertiport.sites.pads", ValueKind::FloatList, flist({double(ds.pads)}), "FATO pads per site (one value for all, or one per site)").at_least(1);
  k.described("vertiport.sites.gates", ValueKind::FloatList, flist({double(ds.gates)}), "boarding gates per site").at_least(1);
  k.described("vertiport.sites.stands", ValueKind::FloatList, flist({double(ds.stands)}), "parking stands per site").at_least(0);
  k.described("vertiport.sites.chargers", ValueKind::FloatList, flist({double(ds.chargers)}), "chargers per site").at_least(0);
  k.described("vertiport.sites.charger_kw", ValueKind::FloatList, flist({ds.charger_kw}), "charger power per site").units("kW").above(0);
  k.described("vertiport.sites.checkin_counters", ValueKind::FloatList, flist({double(ds.checkin_counters)}), "check-in counters per site").at_least(1);
  k.described("vertiport.sites.security_lanes", ValueKind::FloatList, flist({double(ds.security_lanes)}), "security screening lanes per site").at_least(1);
  k.described("vertiport.sites.open_h", ValueKind::FloatList, flist({ds.open_h}), "opening time, local").units("h").range(0, 24);
  k.described("vertiport.sites.close_h", ValueKind::FloatList, flist({ds.close_h}), "closing time, local").units("h").range(0, 24);

  const auto types = default_aircraft_types();
  std::vector<std::string> type_names;
  std::vector<double> seats, cruise, battery, rate, vtol, charge, reserve;
  for (const auto& t : types) {
    type_names.push_back(t.name);
    seats.push_back(t.seats), cruise.push_back(t.cruise_kmh), battery.push_back(t.battery_kwh);
    rate.push_back(t.energy_kwh_per_km), vtol.push_back(t.vtol_kwh), charge.push_back(t.charge_kw);
    reserve.push_back(t.reserve_share);
  }
  k.described("vertiport.types.names", ValueKind::StringList, type_names,
              "aircraft types; sd05 (SkyDrive SD-05), joby_s4 (Joby S4), archer_midnight (Archer Midnight) have built-in figures");
  k.described("vertiport.types.seats", ValueKind::FloatList, seats, "passenger seats per type (pilot not counted)").at_least(1);
  k.described("vertiport.types.cruise_kmh", ValueKind::FloatList, cruise, "cruise speed per type").units("km/h").above(0);
  k.described("vertiport.types.battery_kwh", ValueKind::FloatList, battery, "usable battery energy per type").units("kWh").above(0);
  k.described("vertiport.types.energy_kwh_per_km", ValueKind::FloatList, rate, "cruise energy per km per type").units("kWh/km").above(0);
  k.described("vertiport.types.vtol_kwh", ValueKind::FloatList, vtol, "energy of take-off, climb, approach and landing together").units("kWh").at_least(0);
  k.described("vertiport.types.charge_kw", ValueKind::FloatList, charge, "maximum charge power per type").units("kW").above(0);
  k.described("vertiport.types.reserve_share", ValueKind::FloatList, reserve, "battery share that must remain after landing").range(0, 0.9);

  k.described("vertiport.fleet.types", ValueKind::StringList, std::vector<std::string>{"joby_s4", "joby_s4", "archer_midnight", "sd05"},
              "aircraft type of each fleet group");
  k.described("vertiport.fleet.bases", ValueKind::StringList, std::vector<std::string>{"Haneda", "Marunouchi", "Tachikawa", "Ariake"},
              "starting site of each fleet group");
  k.described("vertiport.fleet.counts", ValueKind::FloatList, flist({3, 2, 2, 2}), "aircraft in each fleet group").at_least(0);

  k.key("vertiport.demand.od_per_h", od_per_h,
        "passengers per hour from each site (row) to each site (column), sites x sites; empty = rate_per_h for every pair")
      .units("pax/h").at_least(0);
  k.key("vertiport.demand.rate_per_h", rate_per_h, "Poisson rate per ordered pair when od_per_h is empty").units("pax/h").at_least(0);
  k.key("vertiport.demand.hourly_profile", hourly_profile, "24 factors on the rates by local hour (0-23)").at_least(0);
  k.key("vertiport.demand.scale", demand_scale, "factor on every rate").at_least(0);
  k.described("vertiport.demand.source", ValueKind::String, std::string("od"),
              "od: od_per_h (or rate_per_h) x hourly_profile; residents: commuters living and working near two different "
              "sites, at the hours their day plans leave and return (needs residents)")
      .one_of({"od", "residents"});
  k.key("vertiport.demand.reach_km", reach_km, "residents: a site serves homes and workplaces this close").units("km").above(0);
  k.key("vertiport.demand.min_trip_km", min_trip_km, "residents: only commutes at least this long (straight line)").units("km").at_least(0);
  k.key("vertiport.demand.residents_share", residents_share,
        "residents: share of eligible commuters who fly each way (stands in for an income or time-value threshold)").range(0, 1);

  k.key("vertiport.terminal.checkin_service_min", checkin_service_min, "mean check-in time per passenger").units("min").above(0);
  k.key("vertiport.terminal.security_service_min", security_service_min, "mean security screening time per passenger").units("min").above(0);
  k.described("vertiport.terminal.service_distribution", ValueKind::String, std::string("exponential"),
              "service times at check-in and security").one_of({"exponential", "deterministic"});
  k.key("vertiport.terminal.patience_min", patience_min,
        "a passenger not boarded this long after arriving gives up (a cancelled trip)").units("min").above(0);
  k.key("vertiport.terminal.walk_to_gate_min", walk_to_gate_min, "walk from security to the gate").units("min").at_least(0);
  k.key("vertiport.terminal.open_air", open_air,
        "terminals are open-air: waiting passengers count as heat-exposed when the heat module is on");
  k.key("vertiport.terminal.heat_wbgt_c", heat_wbgt_c,
        "WBGT from which waiting outdoors counts as exposure (環境省: 28 °C = 厳重警戒)").units("°C").range(15, 40);

  k.described("vertiport.ops.dispatch", ValueKind::String, std::string("on_demand"),
              "on_demand: a flight opens for waiting passengers and leaves when full or after max_hold_min; scheduled: every headway_min per pair with demand")
      .one_of({"on_demand", "scheduled"});
  k.key("vertiport.ops.headway_min", headway_min, "scheduled mode: time between departures on a pair").units("min").at_least(1);
  k.key("vertiport.ops.max_hold_min", max_hold_min,
        "on-demand: longest boarding window; scheduled: boarding opens this long before departure").units("min").at_least(0);
  k.key("vertiport.ops.boarding_min", boarding_min, "boarding after the flight closes (at a gate)").units("min").at_least(0);
  k.key("vertiport.ops.deboarding_min", deboarding_min, "deboarding at a gate").units("min").at_least(0);
  k.key("vertiport.ops.taxi_min", taxi_min, "taxi between gate and pad").units("min").at_least(0);
  k.key("vertiport.ops.pad_departure_s", pad_departure_s, "pad occupancy of a departure (lift-off to clear)").units("s").above(0);
  k.key("vertiport.ops.pad_arrival_s", pad_arrival_s, "pad occupancy of an arrival (final approach to taxi away)").units("s").above(0);
  k.key("vertiport.ops.pad_clearance_s", pad_clearance_s, "pad clearance after each movement (minimum separation on a pad)").units("s").at_least(0);
  k.key("vertiport.ops.corridor_separation_s", corridor_separation_s,
        "minimum time between departures on the same corridor (origin to destination)").units("s").at_least(0);
  k.key("vertiport.ops.reposition_after_min", reposition_after_min,
        "send an empty aircraft to a site whose passengers have waited this long with none there or inbound").units("min").at_least(0);
  k.key("vertiport.ops.balance_min_waiting", balance_min_waiting,
        "fleet balancing: a site asks for ferry flights only while at least this many passengers wait in its terminal")
      .units("people").at_least(0);
  k.key("vertiport.ops.balance_keep_idle", balance_keep_idle,
        "fleet balancing: a site sends an idle aircraft only if it keeps this many idle beyond its own need").units("aircraft").at_least(0);
  k.key("vertiport.ops.balance_lookahead_min", balance_lookahead_min,
        "fleet balancing: a site's need counts the passengers the demand profile expects this far ahead").units("min").at_least(0);
  k.key("vertiport.ops.balance_max_per_h", balance_max_per_h,
        "fleet balancing: at most this many ferry flights in any hour over all sites (0 = no balancing)").units("1/h").at_least(0);
  k.key("vertiport.weather.max_wind_m_s", max_wind_m_s,
        "departures stop above this wind (world.couplings.wind_m_s)").units("m/s").above(0);
  k.key("vertiport.weather.max_rain_mm_h", max_rain_mm_h,
        "departures stop above this rain rate (JMA 強い雨 from 20 mm/h)").units("mm/h").above(0);
  k.key("vertiport.record_journeys", record_journeys, "write every passenger journey to vertiport/journeys");
}

void VertiportParams::describe(Schema& s) {
  describe_keys<VertiportParams>(s);

  auto& suspend = s.event("vertiport_suspend", "stop departures (weather, an incident) for a while");
  suspend.key("site", ValueKind::String, std::string(""), "site name; empty = every site");
  suspend.key("duration_min", ValueKind::Float, 60.0, "how long, minutes").above(0);
  auto& close = s.event("vertiport_close", "close a site: no new passengers or flights from it or to it");
  close.key("site", ValueKind::String, std::string(""), "site name");
  auto& open = s.event("vertiport_open", "reopen a closed site");
  open.key("site", ValueKind::String, std::string(""), "site name");
  auto& cap = s.event("vertiport_capacity", "change a site's pads, gates, stands, chargers, counters or lanes (-1 = keep)");
  cap.key("site", ValueKind::String, std::string(""), "site name");
  for (const char* k : {"pads", "gates", "stands", "chargers", "checkin_counters", "security_lanes"})
    cap.key(k, ValueKind::Int, int64_t(-1), std::string("new number of ") + k + " (-1 = keep)").at_least(-1);
  auto& fleet = s.event("vertiport_fleet", "add aircraft of a type at a site, or retire idle ones (negative)");
  fleet.key("site", ValueKind::String, std::string(""), "site name");
  fleet.key("type", ValueKind::String, std::string(""), "aircraft type name");
  fleet.key("add", ValueKind::Int, int64_t(1), "aircraft to add (negative: retire idle aircraft)");
}

VertiportParams VertiportParams::from(const Scenario& sc) {
  VertiportParams p = read_keys<VertiportParams>(sc);
  // sites
  const std::string file = sc.get_path("vertiport.sites_file");
  if (!file.empty()) {
    p.sites = read_sites_csv(file);
  } else {
    const auto& names = strings(sc, "vertiport.sites.names");
    if (names.empty()) throw ScenarioError(sc.loc_of("vertiport.sites.names"), "vertiport.sites.names", "expected at least one site");
    std::map<std::string, double> lat_of, lon_of;
    for (const auto& x : kDefaultSites) lat_of[x.name] = x.lat, lon_of[x.name] = x.lon;
    const auto col = [&](const char* k, const std::map<std::string, double>& by_name, bool broadcast) {
      return per_entry(sc, std::string("vertiport.sites.") + k, names, by_name, broadcast, "site");
    };
    const auto lat = col("lat", lat_of, false), lon = col("lon", lon_of, false);
    const auto pads = col("pads", {}, true), gates = col("gates", {}, true), stands = col("stands", {}, true);
    const auto chargers = col("chargers", {}, true), kw = col("charger_kw", {}, true);
    const auto counters = col("checkin_counters", {}, true), lanes = col("security_lanes", {}, true);
    const auto open = col("open_h", {}, true), close = col("close_h", {}, true);
    for (size_t i = 0; i < names.size(); ++i) {
      const auto n = [&](const char* k, double x, int lo) { return whole(sc, std::string("vertiport.sites.") + k, x, lo); };
      VertiportSite v{names[i], lat[i], lon[i], n("pads", pads[i], 1), n("gates", gates[i], 1), n("stands", stands[i], 0),
                      n("chargers", chargers[i], 0), kw[i], n("checkin_counters", counters[i], 1),
                      n("security_lanes", lanes[i], 1), open[i], close[i]};
      check_site(v, sc.loc_of("vertiport.sites.names"), "vertiport.sites.names");
      p.sites.push_back(v);
    }
  }
  for (size_t i = 0; i < p.sites.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (p.sites[i].name == p.sites[j].name)
        throw ScenarioError(sc.loc_of(file.empty() ? "vertiport.sites.names" : "vertiport.sites_file"),
                            file.empty() ? "vertiport.sites.names" : "vertiport.sites_file",
                            "site \"" + p.sites[i].name + "\" appears twice");
  const auto site_index = [&](const std::string& name) {
    for (size_t i = 0; i < p.sites.size(); ++i)
      if (p.sites[i].name == name) return int(i);
    return -1;
  };
  // aircraft types: unset arrays take the built-in figures of known names
  const auto& type_names = strings(sc, "vertiport.types.names");
  if (type_names.empty()) throw ScenarioError(sc.loc_of("vertiport.types.names"), "vertiport.types.names", "expected at least one type");
  std::map<std::string, std::map<std::string, double>> builtin;
  for (const auto& t : default_aircraft_types()) {
    builtin["seats"][t.name] = t.seats, builtin["cruise_kmh"][t.name] = t.cruise_kmh;
    builtin["battery_kwh"][t.name] = t.battery_kwh, builtin["energy_kwh_per_km"][t.name] = t.energy_kwh_per_km;
    builtin["vtol_kwh"][t.name] = t.vtol_kwh, builtin["charge_kw"][t.name] = t.charge_kw;
    builtin["reserve_share"][t.name] = t.reserve_share;
  }
  const auto tcol = [&](const std::string& k) { return per_entry(sc, "vertiport.types." + k, type_names, builtin[k], false, "type"); };
  const auto seats = tcol("seats"), cruise = tcol("cruise_kmh"), battery = tcol("battery_kwh");
  const auto rate = tcol("energy_kwh_per_km"), vtol = tcol("vtol_kwh"), charge = tcol("charge_kw"), reserve = tcol("reserve_share");
  const auto builtin_types = default_aircraft_types();
  for (size_t i = 0; i < type_names.size(); ++i) {
    AircraftType t;
    for (const auto& b : builtin_types)
      if (b.name == type_names[i]) t = b;  // climb/approach times
    t.name = type_names[i];
    t.seats = whole(sc, "vertiport.types.seats", seats[i], 1);
    t.cruise_kmh = cruise[i], t.battery_kwh = battery[i], t.energy_kwh_per_km = rate[i];
    t.vtol_kwh = vtol[i], t.charge_kw = charge[i], t.reserve_share = reserve[i];
    if (t.range_km() <= 0)
      throw ScenarioError(sc.loc_of("vertiport.types.battery_kwh"), "vertiport.types.battery_kwh",
                          "type \"" + t.name + "\": the battery above the reserve does not cover take-off and landing");
    p.types.push_back(t);
  }
  // fleet
  const auto& ftypes = strings(sc, "vertiport.fleet.types");
  const auto& fbases = strings(sc, "vertiport.fleet.bases");
  const auto& fcounts = floats(sc, "vertiport.fleet.counts");
  if (fbases.size() != ftypes.size() || fcounts.size() != ftypes.size())
    throw ScenarioError(sc.loc_of("vertiport.fleet.counts"), "vertiport.fleet.counts",
                        "vertiport.fleet.types, .bases and .counts need the same length (" + std::to_string(ftypes.size()) +
                            ", " + std::to_string(fbases.size()) + ", " + std::to_string(fcounts.size()) + ")");
  for (size_t i = 0; i < ftypes.size(); ++i) {
    if (std::none_of(p.types.begin(), p.types.end(), [&](const AircraftType& t) { return t.name == ftypes[i]; }))
      throw ScenarioError(sc.loc_of("vertiport.fleet.types"), "vertiport.fleet.types", "unknown aircraft type \"" + ftypes[i] + "\"");
    if (site_index(fbases[i]) < 0)
      throw ScenarioError(sc.loc_of("vertiport.fleet.bases"), "vertiport.fleet.bases", "unknown site \"" + fbases[i] + "\"");
    p.fleet.push_back({ftypes[i], fbases[i], whole(sc, "vertiport.fleet.counts", fcounts[i], 0)});
  }
  // demand
  const size_t n = p.sites.size();
  if (!p.od_per_h.empty() && p.od_per_h.size() != n * n)
    throw ScenarioError(sc.loc_of("vertiport.demand.od_per_h"), "vertiport.demand.od_per_h",
                        "expected " + std::to_string(n * n) + " values (" + std::to_string(n) + " sites x " +
                            std::to_string(n) + "), got " + std::to_string(p.od_per_h.size()));
  if (p.hourly_profile.size() != 24)
    throw ScenarioError(sc.loc_of("vertiport.demand.hourly_profile"), "vertiport.demand.hourly_profile",
                        "expected 24 factors (hours 0-23), got " + std::to_string(p.hourly_profile.size()));
  p.demand_from_residents = sc.get_string("vertiport.demand.source") == "residents";
  if (p.demand_from_residents && !sc.get_bool("residents.enabled"))
    throw ScenarioError(sc.loc_of("vertiport.demand.source"), "vertiport.demand.source",
                        "\"residents\" needs residents.enabled = true");
  if (p.demand_from_residents) p.travel = ResidentsParams::from(sc);
  p.exponential_service = sc.get_string("vertiport.terminal.service_distribution") == "exponential";
  p.scheduled = sc.get_string("vertiport.ops.dispatch") == "scheduled";
  return p;
}

// ---- [SECTION] engine ---------------------------------------------------------------

namespace {

constexpr uint32_t kServiceTick = 0xFFFF0000u;  // draw ticks for service times, apart from minute ticks
constexpr uint32_t kTripTick = 0x80000000u;     // | day: residents' trips, apart from minute ticks
using E = VertiportEvent;

// one step's work on the state; every decision is made in event order, single-threaded
struct Engine {
  const VertiportParams& p;
  VertiportState& s;
  World& w;
  Rng rng;

  Engine(const VertiportParams& params, VertiportState& state, World& world)
      : p(params), s(state), w(world), rng(world.seed, Stream::Vertiport) {}

  size_t sites() const { return p.sites.size(); }
  const AircraftType& type_of(uint32_t a) const { return p.types[s.aircraft[a].type]; }
  double need_kwh(uint32_t a, size_t from, size_t to) const {
    const AircraftType& t = type_of(a);
    return t.flight_kwh(s.distance_km[from][to]) + t.reserve_kwh();
  }
  double minutes_of(double t_s) const { return t_s / 60.0; }
  // local hour of day at t
  double hour_at(double t_s) const {
    const double local = double(w.clock.start % 86400) + t_s;
    return std::fmod(local, 86400.0) / 3600.0;
  }
  bool open_at(size_t v, double t_s) const {
    const double h = hour_at(t_s);
    return !s.sites[v].closed_by_event && h >= p.sites[v].open_h && h < p.sites[v].close_h;
  }
  bool suspended(size_t v, double t_s) const {
    return s.weather_suspended || t_s < s.suspended_all_until_s || t_s < s.sites[v].suspended_until_s;
  }
  // passengers per hour o -> d at a local hour
  double rate_per_h(size_t o, size_t d, int hour) const {
    if (o == d) return 0;
    if (p.demand_from_residents) return s.resident_rate_per_h[(o * sites() + d) * 24 + size_t(hour)] * p.demand_scale;
    const double base = p.od_per_h.empty() ? p.rate_per_h : p.od_per_h[o * sites() + d];
    return base * p.hourly_profile[size_t(hour)] * p.demand_scale;
  }
  // pairs with any demand get scheduled slots
  bool has_demand(size_t o, size_t d) const {
    for (int h = 0; h < 24; ++h)
      if (rate_per_h(o, d, h) > 0) return true;
    return false;
  }
  // seconds since the run start of a local minute of day on day `day` (0 = the start's day)
  double local_s(int64_t day, int minute_of_day) const {
    return double(day * 86400 - w.clock.start % 86400 + int64_t(minute_of_day) * 60);
  }
  // residents' demand for a new day: each eligible commuter who goes to work today is a
  // flyer with probability share (then it travels itself, Away from its plan until home) and
  // stands for Poisson(share x (weight - 1)) more flyers among the people it represents, so
  // that share x weight people fly per commuter, as the expected rates say. Each leaves
  // home at the plan's minute (the others within it) and goes home when work ends
  void plan_resident_demand(int64_t day, double now_s) {
    s.demand_day = day;
    std::fill(s.resident_rate_per_h.begin(), s.resident_rate_per_h.end(), 0.0);
    Residents& R = w.residents;
    const double each = R.weight * p.residents_share, others = p.residents_share * std::max(0.0, R.weight - 1);
    Segment seg[kMaxSegments];
    for (size_t i = 0; i < s.commuters.size(); ++i) {
      const uint32_t r = s.commuters[i];
      const DayPlan& plan = R.plan[r];
      if (plan.pattern != uint8_t(DayPattern::DayPlace)) continue;
      const size_t o = s.commuter_home_site[i], d = s.commuter_work_site[i];
      s.resident_rate_per_h[(o * sites() + d) * 24 + plan.leave_min / 60 % 24] += each;
      s.resident_rate_per_h[(d * sites() + o) * 24 + plan.main_end_min / 60 % 24] += each;
      Draws draws(rng, r, kTripTick | uint32_t(day));
      const bool self = draws.bernoulli(p.residents_share) && !R.has(r, Away);
      const uint32_t n = uint32_t(self) + draws.poisson(others);
      const double leave_s = local_s(day, plan.leave_min);
      // the resident follows its plan again once the plan's own trips of the day are over
      const int last = self ? expand_plan(plan, R.home_cell[r], R.day_cell[r], Role(R.role[r]), seg) - 1 : 0;
      for (uint32_t k = 0; k < n; ++k) {
        const bool in_sample = self && k == 0;
        const double t = leave_s + (in_sample ? 0.0 : 60 * draws.uniform());
        if (t < now_s) continue;  // left before the run began
        Passenger x = resident_trip(r, o, d, R.home_cell[r], R.day_cell[r], false);
        x.in_sample = in_sample;
        x.return_s = local_s(day, plan.main_end_min);
        x.release_s = in_sample ? local_s(day, seg[last].minute) : 0.0;
        if (in_sample) R.flags[r] |= Away;
        s.events.push(t, E::TripStart, uint32_t(s.passengers.size()));
        s.passengers.push_back(x);
      }
    }
  }
  uint32_t site_cell(size_t v) const { return uint32_t(s.cell[v]); }  // residents' sites are on the grid
  // resident r's trip from cell `origin` by site o and site d to cell `dest`: the legs'
  // modes and minutes by the residents' rules, and the ground-only trip
  Passenger resident_trip(uint32_t r, size_t o, size_t d, uint32_t origin, uint32_t dest, bool home_bound) const {
    Passenger x;
    x.from = uint16_t(o), x.to = uint16_t(d), x.resident = int32_t(r), x.home_bound = home_bound;
    x.origin_cell = origin, x.dest_cell = dest;
    ground_trip(r, origin, site_cell(o), x.access_mode, x.access_min);
    ground_trip(r, site_cell(d), dest, x.egress_mode, x.egress_min);
    ground_trip(r, origin, dest, x.ground_mode, x.ground_min);
    return x;
  }
  // resident r's mode and whole minutes from cell a to cell b, as its day plans choose them
  void ground_trip(uint32_t r, uint32_t a, uint32_t b, uint8_t& mode, int32_t& minutes) const {
    const double km = w.grid.distance_km(a, b);
    const Mode m = resident_mode(p.travel, w.grid, w.residents, w.seed, r, km);
    mode = uint8_t(m), minutes = trip_minutes(p.travel, km, m);
  }
  double service_s(uint32_t pax, uint32_t stage, double mean_min) {
    if (!p.exponential_service) return mean_min * 60;
    Draws d(rng, pax, kServiceTick + stage);
    return d.exponential(mean_min * 60);
  }

  // ---- residents' trips: access, egress, and ground legs ----

  struct LegPlan { uint32_t from, to; Mode mode; int minutes; Activity arrive; bool arrive_outdoors; };
  LegPlan leg_plan(const Passenger& x, TripLeg leg) const {
    const Activity there = x.home_bound ? Activity::Home : Activity::Work;
    switch (leg) {
      case TripLeg::Access: return {x.origin_cell, site_cell(x.from), Mode(x.access_mode), x.access_min, Activity::Travel, p.open_air};
      case TripLeg::Egress: return {site_cell(x.to), x.dest_cell, Mode(x.egress_mode), x.egress_min, there, false};
      case TripLeg::Ground: return {x.origin_cell, x.dest_cell, Mode(x.ground_mode), x.ground_min, there, false};
      case TripLeg::Back: break;
    }
    return {site_cell(x.from), x.dest_cell, Mode(x.back_mode), x.back_min, there, false};
  }
  // the leg's segments as the residents' plans expand a trip, minutes from its start
  int leg_segments(const Passenger& x, TripLeg leg, Segment* out) const {
    const LegPlan l = leg_plan(x, leg);
    return expand_leg(0, l.from, l.to, l.mode, l.minutes, l.arrive, l.arrive_outdoors, out);
  }
  // a leg begins at t: the resident in sample moves along it (outdoors, in the cells it
  // passes, as residents travel); every leg but the access ends the trip
  void start_leg(uint32_t pax, TripLeg leg, double t) {
    Passenger& x = s.passengers[pax];
    x.leg = leg;
    if (x.in_sample) {
      Segment seg[kMaxSegments];
      const int n = leg_segments(x, leg, seg);
      for (int k = 0; k < n; ++k)
        s.events.push(t + seg[k].minute * 60.0, E::LegMove, pax << 5 | uint32_t(leg) << 3 | uint32_t(k));
    }
    if (leg != TripLeg::Access) s.events.push(t + leg_plan(x, leg).minutes * 60.0, E::TripEnd, pax);
  }
  void leg_move(uint32_t code) {
    const Passenger& x = s.passengers[code >> 5];
    Segment seg[kMaxSegments];
    leg_segments(x, TripLeg((code >> 3) & 3), seg);
    move_resident(uint32_t(x.resident), seg[code & 7]);
  }
  void move_resident(uint32_t r, const Segment& seg) {
    Residents& R = w.residents;
    --R.by_activity[size_t(R.enter(r, seg))];
    ++R.by_activity[size_t(seg.activity)];
    if (seg.trip_start) ++R.trips_started[size_t(seg.mode)];
  }
  // the trip leaves its origin cell: to the vertiport, or on the ground if the sites will
  // not be open when it gets there
  void trip_start(uint32_t pax, double t) {
    Passenger& x = s.passengers[pax];
    x.leave_s = t;
    const double at_site = t + x.access_min * 60.0;
    if (!open_at(x.from, at_site) || !open_at(x.to, at_site)) return start_leg(pax, TripLeg::Ground, t);
    start_leg(pax, TripLeg::Access, t);
    x.arrive_s = at_site;
    s.events.push(x.arrive_s, E::PassengerArrive, pax);
  }
  // at the destination cell: the figures of a flown trip; the trip home follows the trip to work
  void trip_end(uint32_t pax, double t) {
    const Passenger x = s.passengers[pax];  // a copy: the trip home is appended below
    if (x.leg == TripLeg::Egress) {
      s.door_to_door_min.push_back((t - x.leave_s) / 60);
      s.ground_min.push_back(x.ground_min);
      s.access_min.push_back(x.access_min);
      s.egress_min.push_back(x.egress_min);
    }
    trip_row(pax, t);
    if (!x.home_bound) {
      Passenger back = resident_trip(uint32_t(x.resident), x.to, x.from, x.dest_cell, x.origin_cell, true);
      back.in_sample = x.in_sample, back.release_s = x.release_s;
      s.events.push(std::max(t, x.return_s), E::TripStart, uint32_t(s.passengers.size()));
      s.passengers.push_back(back);
    } else if (x.in_sample) {
      s.events.push(std::max(t, x.release_s), E::Release, pax);
    }
  }
  void trip_row(uint32_t pax, double t_end) {
    if (!p.record_journeys) return;
    const Passenger& x = s.passengers[pax];
    const bool ground = x.leg == TripLeg::Ground, back = x.leg == TripLeg::Back;
    const LegPlan last = leg_plan(x, x.leg);
    const double access = ground ? 0 : x.access_min;
    const double wait = ground ? 0 : ((back ? t_end - last.minutes * 60.0 : x.board_s) - x.arrive_s) / 60;
    const double flight = x.leg == TripLeg::Egress ? (x.deboard_s - x.board_s) / 60 : 0;
    w.metrics.table(s.t_trips)
        .append({int64_t(pax), int64_t(x.resident), int64_t(x.in_sample), std::string(x.home_bound ? "home" : "to_work"),
                 p.sites[x.from].name, p.sites[x.to].name, minutes_of(x.leave_s),
                 std::string(mode_name(ground ? Mode::None : Mode(x.access_mode))), access, wait, flight,
                 std::string(mode_name(ground ? Mode::None : last.mode)), ground ? 0.0 : double(last.minutes),
                 (t_end - x.leave_s) / 60, std::string(mode_name(Mode(x.ground_mode))), double(x.ground_min),
                 std::string(ground ? "ground" : back ? "cancelled" : "flown")});
  }

  // ---- passengers ----

  void arrive(uint32_t pax, double t) {
    Passenger& x = s.passengers[pax];
    SiteState& v = s.sites[x.from];
    ++v.arrived;
    ++v.waiting;
    x.queued_s = t;
    s.events.push(t + p.patience_min * 60, E::Patience, pax);
    if (v.checkin.arrive(t, pax)) start_service(pax, t, 0);
  }
  // stage 0 check-in, 1 security
  void start_service(uint32_t pax, double t, uint32_t stage) {
    Passenger& x = s.passengers[pax];
    const double wait = t - x.queued_s;
    (stage == 0 ? x.checkin_wait_s : x.security_wait_s) = wait;
    (stage == 0 ? s.wait_checkin_min : s.wait_security_min).push_back(wait / 60);
    const double mean = stage == 0 ? p.checkin_service_min : p.security_service_min;
    s.events.push(t + service_s(pax, stage, mean), stage == 0 ? E::CheckinDone : E::SecurityDone, pax);
  }
  // a server frees: the next passenger still waiting takes it
  void serve_next(ServerPool& pool, double t, uint32_t stage) {
    for (int64_t next = pool.release(t); next >= 0; next = pool.release(t))
      if (!s.passengers[uint32_t(next)].cancelled) {
        start_service(uint32_t(next), t, stage);
        return;
      }
  }
  void service_done(uint32_t pax, double t, uint32_t stage) {
    Passenger& x = s.passengers[pax];
    SiteState& v = s.sites[x.from];
    serve_next(stage == 0 ? v.checkin : v.security, t, stage);
    if (x.cancelled) return;
    if (stage == 0) {
      x.queued_s = t;
      if (v.security.arrive(t, pax)) start_service(pax, t, 1);
    } else {
      s.events.push(t + p.walk_to_gate_min * 60, E::AtGate, pax);
    }
  }
  void at_gate(uint32_t pax, double t) {
    Passenger& x = s.passengers[pax];
    if (x.cancelled) return;
    x.gate_s = t;
    const int32_t f = s.sites[x.from].open_flight[x.to];
    if (f >= 0 && seats_left(uint32_t(f)) > 0) board(pax, uint32_t(f), t);
    else s.sites[x.from].gate_queue[x.to].push_back(pax);
    dispatch(x.from, t);
  }
  void give_up(uint32_t pax, double t) {
    Passenger& x = s.passengers[pax];
    if (x.board_s >= 0 || x.cancelled) return;
    x.cancelled = true;
    SiteState& v = s.sites[x.from];
    ++v.cancelled;
    --v.waiting;
    journey_row(pax, t, "cancelled");
    if (x.resident < 0) return;
    // a resident goes on from the vertiport on the ground
    ground_trip(uint32_t(x.resident), site_cell(x.from), x.dest_cell, x.back_mode, x.back_min);
    start_leg(pax, TripLeg::Back, t);
  }
  void journey_row(uint32_t pax, double t_end, const char* outcome) {
    if (!p.record_journeys) return;
    const Passenger& x = s.passengers[pax];
    const double depart = x.flight >= 0 ? s.flights[size_t(x.flight)].depart_s : -60;
    const double gate_wait = x.gate_s < 0 ? 0 : (x.board_s >= 0 ? x.board_s : t_end) - x.gate_s;
    w.metrics.table(s.t_journeys)
        .append({int64_t(pax), p.sites[x.from].name, p.sites[x.to].name, minutes_of(x.arrive_s), x.checkin_wait_s / 60,
                 x.security_wait_s / 60, gate_wait / 60, minutes_of(depart), minutes_of(t_end), std::string(outcome)});
  }

  // ---- flights ----

  int seats_left(uint32_t f) const {
    const Flight& fl = s.flights[f];
    return type_of(fl.aircraft).seats - int(fl.passengers.size());
  }
  void board(uint32_t pax, uint32_t f, double t) {
    Passenger& x = s.passengers[pax];
    Flight& fl = s.flights[f];
    x.board_s = t;
    x.flight = int32_t(f);
    fl.passengers.push_back(pax);
    s.wait_gate_min.push_back((t - x.gate_s) / 60);
    s.wait_board_min.push_back((t - x.arrive_s) / 60);
    --s.sites[x.from].waiting;
    if (!p.scheduled && seats_left(f) == 0) close_flight(f, t);
  }
  // which idle aircraft at v can fly to d now (energy above need, not charging); at-gate first
  int64_t pick_aircraft(size_t v, size_t d) const {
    int64_t best = -1;
    for (uint32_t a = 0; a < s.aircraft.size(); ++a) {
      const Aircraft& x = s.aircraft[a];
      if (x.retired || x.site != v || x.state != AircraftState::Parked || x.energy_kwh + 1e-9 < need_kwh(a, v, d)) continue;
      if (best < 0 || (x.at_gate && !s.aircraft[size_t(best)].at_gate)) best = a;
    }
    return best;
  }
  bool gate_free(size_t v) const { return s.sites[v].gates.busy < p.sites[v].gates; }
  bool stand_free(size_t v) const { return s.sites[v].stands.busy + s.sites[v].stands_reserved < p.sites[v].stands; }

  // open a boarding flight v -> d with aircraft a; close_s: scheduled close, or < 0 for on-demand
  void open_flight(uint32_t a, size_t v, size_t d, double t, double scheduled_close_s) {
    Aircraft& x = s.aircraft[a];
    SiteState& site = s.sites[v];
    if (!x.at_gate) {
      site.stands.change(t, -1);
      site.gates.change(t, +1);
      x.at_gate = true;
    }
    x.waiting_charger = false;
    x.state = AircraftState::Boarding;
    const uint32_t f = uint32_t(s.flights.size());
    Flight fl;
    fl.aircraft = a, fl.from = uint16_t(v), fl.to = uint16_t(d), fl.opened_s = t;
    fl.distance_km = s.distance_km[v][d];
    s.flights.push_back(fl);
    x.flight = int32_t(f);
    site.open_flight[d] = int32_t(f);
    auto& q = site.gate_queue[d];
    while (!q.empty() && seats_left(f) > 0 && !s.flights[f].closed) {
      const uint32_t pax = q.front();
      q.pop_front();
      if (!s.passengers[pax].cancelled) board(pax, f, t);
    }
    if (s.flights[f].closed) return;
    const double close_at = scheduled_close_s >= 0 ? std::max(t, scheduled_close_s) : t + p.max_hold_min * 60;
    s.flights[f].close_s = scheduled_close_s >= 0 ? scheduled_close_s : close_at;  // planned
    s.events.push(close_at, E::CloseFlight, f);
  }
  void close_flight(uint32_t f, double t) {
    Flight& fl = s.flights[f];
    if (fl.closed) return;
    fl.closed = true;
    // scheduled flights are due at their slot; on-demand ones when they close
    if (!p.scheduled) fl.close_s = t;
    fl.ready_s = fl.close_s + (p.boarding_min + p.taxi_min) * 60;
    int32_t& boarding = s.sites[fl.from].open_flight[fl.to];
    if (boarding == int32_t(f)) boarding = -1;  // a later scheduled flight may already board
    s.events.push(t + (fl.passengers.empty() ? 0 : p.boarding_min * 60), E::BoardingDone, f);
  }
  void boarding_done(uint32_t f, double t) {
    Flight& fl = s.flights[f];
    Aircraft& x = s.aircraft[fl.aircraft];
    leave_gate(fl.from, x, t);
    x.state = AircraftState::Taxi;
    request_departure(f, t + p.taxi_min * 60);
    dispatch(fl.from, t);
  }
  void leave_gate(size_t v, Aircraft& x, double t) {
    if (!x.at_gate) return;
    x.at_gate = false;
    s.sites[v].gates.change(t, -1);
    serve_gate_waiters(v, t);
  }

  // earliest start >= t of a free window of len seconds on one pad
  static double earliest_fit(const std::vector<std::pair<double, double>>& booked, double t, double len) {
    double start = t;
    for (const auto& [b, e] : booked) {
      if (e <= start) continue;
      if (b >= start + len) break;
      start = e;
    }
    return start;
  }
  // the pad with the earliest fit (ties: lowest index) and that start
  std::pair<size_t, double> best_pad(size_t v, double t, double len) const {
    size_t best = 0;
    double best_t = INFINITY;
    for (size_t k = 0; k < size_t(p.sites[v].pads); ++k) {
      const double x = earliest_fit(s.sites[v].pad_booked[k], t, len);
      if (x < best_t) best = k, best_t = x;
    }
    return {best, best_t};
  }
  void book_pad(size_t v, size_t k, double start, double len, uint32_t f, const char* movement) {
    auto& booked = s.sites[v].pad_booked[k];
    booked.insert(std::upper_bound(booked.begin(), booked.end(), std::make_pair(start, start + len)),
                  {start, start + len});
    w.metrics.table(s.t_pads).append({p.sites[v].name, int64_t(k), int64_t(f), std::string(movement),
                                      minutes_of(start), minutes_of(start + len)});
  }

  // a boarded flight wants to leave at t_ready: book a departure pad, a corridor slot and
  // an arrival pad so that it never holds in the air (any wait is a ground hold here)
  void request_departure(uint32_t f, double t_ready) {
    Flight& fl = s.flights[f];
    const size_t v = fl.from, d = fl.to;
    if (suspended(v, t_ready) || suspended(d, t_ready) || !stand_free(d) || !open_at(d, t_ready)) {
      s.sites[v].held.push_back(f);
      return;
    }
    const AircraftType& type = type_of(fl.aircraft);
    const double dep_len = p.pad_departure_s + p.pad_clearance_s, arr_len = p.pad_arrival_s + p.pad_clearance_s;
    const double airborne_s = type.climb_s + fl.distance_km / type.cruise_kmh * 3600 + type.approach_s;
    const double to_arrival = p.pad_departure_s + airborne_s;
    double t = std::max(t_ready, s.sites[v].corridor_free_s[d]);
    std::pair<size_t, double> dep{}, arr{};
    for (int i = 0; i < 100; ++i) {
      dep = best_pad(v, t, dep_len);
      arr = best_pad(d, dep.second + to_arrival, arr_len);
      if (arr.second <= dep.second + to_arrival) break;
      t = arr.second - to_arrival;
    }
    fl.depart_s = dep.second;
    fl.arrive_s = arr.second;
    fl.energy_kwh = type.flight_kwh(fl.distance_km);
    book_pad(v, dep.first, dep.second, dep_len, f, "departure");
    book_pad(d, arr.first, arr.second, arr_len, f, "arrival");
    s.sites[v].corridor_free_s[d] = dep.second + p.corridor_separation_s;
    ++s.sites[d].stands_reserved;
    s.events.push(dep.second, E::PadDeparture, f);
    s.events.push(dep.second + p.pad_departure_s, E::Airborne, f);
    s.events.push(arr.second, E::PadArrival, f);
    s.events.push(arr.second + p.pad_arrival_s, E::Landed, f);
  }
  // retry held flights in order (after a suspension or when a stand frees)
  void release_held(size_t v, double t) {
    std::deque<uint32_t> held;
    held.swap(s.sites[v].held);
    for (uint32_t f : held) request_departure(f, t);
  }

  void pad_departure(uint32_t f, double t) {
    Flight& fl = s.flights[f];
    Aircraft& x = s.aircraft[fl.aircraft];
    x.state = AircraftState::Climbing;
    x.site = fl.to;
    ++s.sites[fl.from].movements;
    if (!fl.reposition) s.delay_min.push_back(std::max(0.0, t - fl.ready_s) / 60);
  }
  void airborne(uint32_t f, double t) {
    Aircraft& x = s.aircraft[s.flights[f].aircraft];
    x.state = AircraftState::Cruise;
    x.airborne_since_s = t;
  }
  void pad_arrival(uint32_t f) {
    s.aircraft[s.flights[f].aircraft].state = AircraftState::Approach;
    ++s.sites[s.flights[f].to].movements;
  }
  void landed(uint32_t f, double t) {
    Flight& fl = s.flights[f];
    const uint32_t a = fl.aircraft;
    Aircraft& x = s.aircraft[a];
    SiteState& site = s.sites[fl.to];
    x.state = AircraftState::Landed;
    x.energy_kwh -= fl.energy_kwh;
    s.energy_used_kwh += fl.energy_kwh;
    s.airborne_s += t - x.airborne_since_s;
    --site.stands_reserved;
    for (uint32_t pax : fl.passengers)  // residents aboard are at the destination now
      if (s.passengers[pax].in_sample)
        move_resident(uint32_t(s.passengers[pax].resident), {0, site_cell(fl.to), Activity::Travel, Mode::None, false, false});
    s.empty_seat_km += double(type_of(a).seats - int(fl.passengers.size())) * fl.distance_km;
    w.metrics.table(s.t_flights)
        .append({int64_t(f), int64_t(a), type_of(a).name, p.sites[fl.from].name, p.sites[fl.to].name,
                 int64_t(fl.passengers.size()), int64_t(fl.reposition), minutes_of(fl.opened_s), minutes_of(fl.ready_s),
                 minutes_of(fl.depart_s), minutes_of(t), std::max(0.0, fl.depart_s - fl.ready_s) / 60, fl.distance_km,
                 fl.energy_kwh, x.energy_kwh});
    if (fl.passengers.empty()) {  // repositioned or empty: straight to a stand
      site.stands.change(t, +1);
      x.state = AircraftState::Parked;
      x.flight = -1;
      dispatch(fl.to, t);
      settle(a, t);
    } else if (gate_free(fl.to) && site.gate_waiters.empty()) {
      site.gates.change(t, +1);
      x.at_gate = true;
      s.events.push(t + (p.taxi_min + p.deboarding_min) * 60, E::DeboardDone, f);
    } else {
      site.stands.change(t, +1);
      site.gate_waiters.push_back(a);
    }
  }
  // aircraft waiting on a stand to deboard take freed gates first
  void serve_gate_waiters(size_t v, double t) {
    SiteState& site = s.sites[v];
    while (!site.gate_waiters.empty() && gate_free(v)) {
      const uint32_t a = site.gate_waiters.front();
      site.gate_waiters.pop_front();
      site.stands.change(t, -1);
      site.gates.change(t, +1);
      s.aircraft[a].at_gate = true;
      s.events.push(t + (p.taxi_min + p.deboarding_min) * 60, E::DeboardDone, uint32_t(s.aircraft[a].flight));
    }
  }
  void deboard_done(uint32_t f, double t) {
    Flight& fl = s.flights[f];
    const size_t v = fl.to;
    for (uint32_t pax : fl.passengers) {
      ++s.sites[fl.from].served;
      s.journey_min.push_back((t - s.passengers[pax].arrive_s) / 60);
      journey_row(pax, t, "served");
      if (s.passengers[pax].resident < 0) continue;
      s.passengers[pax].deboard_s = t;
      start_leg(pax, TripLeg::Egress, t);
    }
    const uint32_t a = fl.aircraft;
    Aircraft& x = s.aircraft[a];
    x.state = AircraftState::Parked;
    x.flight = -1;
    dispatch(v, t);
    settle(a, t);
  }
  // an idle aircraft moves off its gate to a stand when one is free, and charges if it needs to
  void settle(uint32_t a, double t) {
    Aircraft& x = s.aircraft[a];
    if (x.state != AircraftState::Parked) return;
    const size_t v = x.site;
    if (x.at_gate && stand_free(v)) {
      s.sites[v].stands.change(t, +1);
      leave_gate(v, x, t);
    }
    if (x.retired) return;
    const double target = charge_target(a, v);
    if (x.energy_kwh + 1e-6 >= target || x.waiting_charger) return;
    SiteState& site = s.sites[v];
    if (site.chargers.busy < p.sites[v].chargers) start_charge(a, target, t);
    else {
      x.waiting_charger = true;
      site.charger_queue.push_back(a);
    }
  }
  // the level for the longest flight this type can make from v, plus the reserve
  double charge_target(uint32_t a, size_t v) const {
    const AircraftType& type = type_of(a);
    double target = 0;
    for (size_t d = 0; d < sites(); ++d) {
      const double need = need_kwh(a, v, d);
      if (d != v && need <= type.battery_kwh) target = std::max(target, need);
    }
    return target;
  }
  void start_charge(uint32_t a, double target, double t) {
    Aircraft& x = s.aircraft[a];
    const size_t v = x.site;
    const double kw = std::min(type_of(a).charge_kw, p.sites[v].charger_kw);
    s.sites[v].chargers.change(t, +1);
    x.state = AircraftState::Charging;
    x.waiting_charger = false;
    x.charge_to_kwh = target;
    s.events.push(t + (target - x.energy_kwh) / kw * 3600, E::ChargeDone, a);
  }
  void charge_done(uint32_t a, double t) {
    Aircraft& x = s.aircraft[a];
    const size_t v = x.site;
    s.energy_charged_kwh += x.charge_to_kwh - x.energy_kwh;
    x.energy_kwh = x.charge_to_kwh;
    x.state = AircraftState::Parked;
    s.sites[v].chargers.change(t, -1);
    serve_charger_queue(v, t);
    dispatch(v, t);
    settle(a, t);
  }
  void serve_charger_queue(size_t v, double t) {
    SiteState& site = s.sites[v];
    while (!site.charger_queue.empty() && site.chargers.busy < p.sites[v].chargers) {
      const uint32_t a = site.charger_queue.front();
      site.charger_queue.pop_front();
      Aircraft& x = s.aircraft[a];
      if (!x.waiting_charger || x.state != AircraftState::Parked || x.site != v) continue;
      start_charge(a, charge_target(a, v), t);
    }
  }

  // ---- dispatch ----

  // open flights at v while aircraft, gates and stands ahead allow
  void dispatch(size_t v, double t) {
    if (!open_at(v, t)) return;
    SiteState& site = s.sites[v];
    if (p.scheduled) {
      while (!site.scheduled_due.empty()) {
        const auto [close_s, d] = site.scheduled_due.front();
        if (!open_at(d, t)) { site.scheduled_due.pop_front(); continue; }
        const int64_t a = pick_aircraft(v, d);
        if (a < 0 || !stand_free(d) || (!s.aircraft[size_t(a)].at_gate && (!gate_free(v) || !site.gate_waiters.empty()))) return;
        site.scheduled_due.pop_front();
        open_flight(uint32_t(a), v, d, t, close_s);
      }
      return;
    }
    std::vector<bool> tried(sites(), false);
    for (;;) {
      // the destination whose first passenger has waited longest (ties: lowest index)
      int64_t best = -1;
      double first_s = INFINITY;
      for (size_t d = 0; d < sites(); ++d) {
        auto& q = site.gate_queue[d];
        while (!q.empty() && s.passengers[q.front()].cancelled) q.pop_front();
        if (tried[d] || q.empty() || site.open_flight[d] >= 0 || !open_at(d, t)) continue;
        if (s.passengers[q.front()].gate_s < first_s) first_s = s.passengers[q.front()].gate_s, best = int64_t(d);
      }
      if (best < 0) return;
      const size_t d = size_t(best);
      tried[d] = true;
      const int64_t a = pick_aircraft(v, d);
      if (a < 0 || !stand_free(d)) continue;
      if (!s.aircraft[size_t(a)].at_gate && (!gate_free(v) || !site.gate_waiters.empty())) return;
      open_flight(uint32_t(a), v, d, t, -1);
    }
  }
  // empty aircraft go where passengers wait with no aircraft there or on the way that could
  // take the longest-waiting one (nearest idle aircraft first)
  void reposition(double t) {
    for (size_t v = 0; v < sites(); ++v) {
      const SiteState& site = s.sites[v];
      if (!open_at(v, t)) continue;
      double oldest = INFINITY;
      size_t to = 0;
      for (size_t d = 0; d < sites(); ++d)
        for (uint32_t pax : site.gate_queue[d])
          if (!s.passengers[pax].cancelled) {
            if (s.passengers[pax].gate_s < oldest) oldest = s.passengers[pax].gate_s, to = d;
            break;
          }
      if (!(t - oldest >= p.reposition_after_min * 60) || !stand_free(v)) continue;
      const auto can_serve = [&](uint32_t a) { return need_kwh(a, v, to) <= type_of(a).battery_kwh; };
      bool covered = false;
      for (uint32_t a = 0; a < s.aircraft.size(); ++a) {
        const Aircraft& x = s.aircraft[a];
        if (!x.retired && x.site == v && x.state != AircraftState::Boarding && x.state != AircraftState::Taxi && can_serve(a))
          covered = true;
      }
      if (covered) continue;
      int64_t best = -1;
      for (uint32_t a = 0; a < s.aircraft.size(); ++a) {
        const Aircraft& x = s.aircraft[a];
        if (x.retired || x.site == v || x.state != AircraftState::Parked || !can_serve(a)) continue;
        if (x.energy_kwh + 1e-9 < need_kwh(a, x.site, v) || !open_at(x.site, t)) continue;
        if (best < 0 || s.distance_km[x.site][v] < s.distance_km[s.aircraft[size_t(best)].site][v]) best = a;
      }
      if (best >= 0) send_empty(uint32_t(best), v, t);
    }
  }
  // an idle aircraft flies empty to v (a ferry flight)
  void send_empty(uint32_t a, size_t v, double t) {
    Aircraft& x = s.aircraft[a];
    const size_t u = x.site;
    if (x.at_gate) leave_gate(u, x, t);
    else s.sites[u].stands.change(t, -1);
    x.waiting_charger = false;
    x.state = AircraftState::Taxi;
    const uint32_t f = uint32_t(s.flights.size());
    Flight fl;
    fl.aircraft = a, fl.from = uint16_t(u), fl.to = uint16_t(v), fl.opened_s = fl.close_s = t;
    fl.ready_s = t + p.taxi_min * 60, fl.distance_km = s.distance_km[u][v], fl.closed = fl.reposition = true;
    s.flights.push_back(fl);
    x.flight = int32_t(f);
    ++s.ferry_flights;
    request_departure(f, fl.ready_s);
  }

  // fleet balancing: a site's need is the passengers in its terminal plus those the demand
  // profile expects within the lookahead; its supply the seats of the aircraft there or
  // flying to it. A site short of a whole aircraft's seats, with at least
  // balance_min_waiting passengers waiting, takes an idle aircraft from the site with the
  // most seats to spare (ties: nearest) if that site keeps balance_keep_idle idle aircraft
  // beyond its own need; at most balance_max_per_h ferries in any hour
  void balance(double t) {
    while (!s.balance_sent_s.empty() && s.balance_sent_s.front() <= t - 3600) s.balance_sent_s.pop_front();
    if (p.balance_max_per_h <= 0 || double(s.balance_sent_s.size()) >= p.balance_max_per_h) return;
    const size_t n = sites();
    std::vector<double> spare(n, 0.0);  // seats there or inbound minus need
    std::vector<int> idle(n, 0);
    const int hour = int(hour_at(t)), hour_ahead = int(hour_at(t + p.balance_lookahead_min * 60));
    for (size_t v = 0; v < n; ++v) {
      double rate_h = 0;
      for (size_t d = 0; d < n; ++d) rate_h += 0.5 * (rate_per_h(v, d, hour) + rate_per_h(v, d, hour_ahead));
      spare[v] = -(s.sites[v].waiting + rate_h * p.balance_lookahead_min / 60);
    }
    for (const Aircraft& x : s.aircraft) {
      // boarding and taxiing aircraft are leaving their site; landed and flying ones count where they go
      if (x.retired || x.state == AircraftState::Boarding || x.state == AircraftState::Taxi) continue;
      spare[x.site] += p.types[x.type].seats;
      idle[x.site] += x.state == AircraftState::Parked || x.state == AircraftState::Charging;
    }
    for (;;) {
      size_t v = n;  // the site most short of seats
      for (size_t k = 0; k < n; ++k)
        if (open_at(k, t) && stand_free(k) && s.sites[k].waiting >= p.balance_min_waiting && spare[k] < 0 &&
            (v == n || spare[k] < spare[v]))
          v = k;
      if (v == n) return;
      int64_t best = -1;
      for (uint32_t a = 0; a < s.aircraft.size(); ++a) {
        const Aircraft& x = s.aircraft[a];
        if (x.retired || x.site == v || x.state != AircraftState::Parked || !open_at(x.site, t)) continue;
        const int seats = p.types[x.type].seats;
        if (-spare[v] < seats || spare[x.site] - seats < p.balance_keep_idle * seats || idle[x.site] <= p.balance_keep_idle)
          continue;
        // enough charge to get there, and a battery that can fly back
        if (x.energy_kwh + 1e-9 < need_kwh(a, x.site, v) || need_kwh(a, v, x.site) > type_of(a).battery_kwh) continue;
        const Aircraft* b = best < 0 ? nullptr : &s.aircraft[size_t(best)];
        if (!b || spare[x.site] > spare[b->site] ||
            (spare[x.site] == spare[b->site] && s.distance_km[x.site][v] < s.distance_km[b->site][v]))
          best = a;
      }
      if (best < 0) return;
      const Aircraft& x = s.aircraft[size_t(best)];
      const int seats = p.types[x.type].seats;
      spare[x.site] -= seats, --idle[x.site];
      spare[v] += seats;
      send_empty(uint32_t(best), v, t);
      s.balance_sent_s.push_back(t);
      if (double(s.balance_sent_s.size()) >= p.balance_max_per_h) return;
    }
  }

  // ---- the minute loop ----

  void new_passengers(int64_t minute) {
    const double t0 = double(minute) * 60;
    const int hour = int(hour_at(t0));
    const size_t n = sites();
    if (p.demand_from_residents) {  // the residents' trips start from their plans
      const int64_t day = (w.clock.start % 86400 + minute * 60) / 86400;
      if (day != s.demand_day) plan_resident_demand(day, t0);
      return;
    }
    for (size_t o = 0; o < n; ++o) {
      if (!open_at(o, t0)) continue;
      for (size_t d = 0; d < n; ++d) {
        const double rate = rate_per_h(o, d, hour);
        if (rate <= 0 || !open_at(d, t0)) continue;
        Draws draws(rng, o * n + d, uint32_t(minute));
        const uint32_t k = draws.poisson(rate / 60);
        for (uint32_t i = 0; i < k; ++i) {
          Passenger x;
          x.from = uint16_t(o), x.to = uint16_t(d), x.arrive_s = t0 + 60 * draws.uniform();
          s.events.push(x.arrive_s, E::PassengerArrive, uint32_t(s.passengers.size()));
          s.passengers.push_back(x);
        }
      }
    }
  }
  void scheduled_slots(int64_t minute) {
    const double t0 = double(minute) * 60;
    const int64_t headway = std::max<int64_t>(1, std::llround(p.headway_min));
    const int64_t minute_of_day = int64_t(std::floor(hour_at(t0) * 60 + 0.5));
    if (minute_of_day % headway != 0) return;
    for (size_t o = 0; o < sites(); ++o)
      for (size_t d = 0; d < sites(); ++d)
        if (has_demand(o, d) && open_at(o, t0) && open_at(d, t0))
          s.sites[o].scheduled_due.push_back({t0 + p.max_hold_min * 60, uint16_t(d)});
  }
  // once a minute: weather, then retry what waits on a resource (held flights, chargers
  // and gates added by timeline events)
  void minute_checks(double t) {
    s.weather_suspended = w.couplings.wind_m_s > p.max_wind_m_s || w.couplings.rain_mm_h > p.max_rain_mm_h;
    const auto& wbgt = w.couplings.wbgt_c;  // empty when the heat module is off
    for (size_t v = 0; v < sites(); ++v) {
      const int64_t cell = s.cell[v];
      if (p.open_air && cell >= 0 && size_t(cell) < wbgt.size() && wbgt[size_t(cell)] >= p.heat_wbgt_c)
        s.heat_exposed_person_min += s.sites[v].waiting;
      if (!s.sites[v].held.empty() && !suspended(v, t)) release_held(v, t);
      serve_charger_queue(v, t);
      serve_gate_waiters(v, t);
    }
  }
  void handle(const TimedEvent& e) {
    const double t = e.t_s;
    switch (e.kind) {
      case E::PassengerArrive: arrive(e.a, t); break;
      case E::CheckinDone: service_done(e.a, t, 0); break;
      case E::SecurityDone: service_done(e.a, t, 1); break;
      case E::AtGate: at_gate(e.a, t); break;
      case E::Patience: give_up(e.a, t); break;
      case E::CloseFlight: close_flight(e.a, t); break;
      case E::BoardingDone: boarding_done(e.a, t); break;
      case E::PadDeparture: pad_departure(e.a, t); break;
      case E::Airborne: airborne(e.a, t); break;
      case E::PadArrival: pad_arrival(e.a); break;
      case E::Landed: landed(e.a, t); break;
      case E::DeboardDone: deboard_done(e.a, t); break;
      case E::ChargeDone: charge_done(e.a, t); break;
      case E::TripStart: trip_start(e.a, t); break;
      case E::LegMove: leg_move(e.a); break;
      case E::TripEnd: trip_end(e.a, t); break;
      case E::Release: w.residents.flags[size_t(s.passengers[e.a].resident)] &= uint8_t(~Away); break;
    }
  }
  void run_to(int64_t elapsed_min) {
    for (int64_t m = s.minutes_done; m < elapsed_min; ++m) {
      const double t0 = double(m) * 60;
      minute_checks(t0);
      if (p.scheduled) scheduled_slots(m);
      new_passengers(m);
      reposition(t0);
      balance(t0);
      for (size_t v = 0; v < sites(); ++v) dispatch(v, t0);
      while (s.events.due_before(t0 + 60)) handle(s.events.pop());
    }
    s.minutes_done = elapsed_min;
    s.now_s = double(elapsed_min) * 60;
  }
};

}  // namespace

void step_vertiport(const VertiportParams& params, VertiportState& state, World& world) {
  Engine(params, state, world).run_to(world.clock.elapsed_minutes());
}

// ---- [SECTION] module ---------------------------------------------------------------

void archive(StateArchive& ar, ServerPool& p) { ar(p.servers, p.meter, p.line); }
void archive(StateArchive& ar, SiteState& s) {
  ar(s.checkin, s.security, s.gate_queue, s.open_flight, s.pad_booked, s.corridor_free_s, s.charger_queue,
     s.gate_waiters, s.held, s.scheduled_due, s.gates, s.stands, s.chargers, s.stands_reserved, s.closed_by_event,
     s.suspended_until_s, s.arrived, s.served, s.cancelled, s.movements, s.waiting);
}
void archive(StateArchive& ar, Flight& f) {
  ar(f.aircraft, f.from, f.to, f.passengers, f.opened_s, f.close_s, f.ready_s, f.depart_s, f.arrive_s, f.energy_kwh,
     f.distance_km, f.closed, f.reposition);
}
void archive(StateArchive& ar, VertiportSite& s) {  // capacity events change a site's counts
  ar(s.name, s.lat, s.lon, s.pads, s.gates, s.stands, s.chargers, s.charger_kw, s.checkin_counters, s.security_lanes,
     s.open_h, s.close_h);
}
void archive(StateArchive& ar, VertiportState& s) {
  CITYSIM_ARCHIVE_COVERS(VertiportState, 728);
  CITYSIM_ARCHIVE_COVERS(SiteState, 768);
  CITYSIM_ARCHIVE_COVERS(Flight, 96);
  ar(s.sites, s.aircraft, s.flights, s.passengers, s.distance_km, s.cell, s.commuters, s.commuter_home_site,
     s.commuter_work_site, s.resident_rate_per_h, s.demand_day, s.events, s.now_s, s.minutes_done,
     s.weather_suspended, s.suspended_all_until_s, s.wait_checkin_min, s.wait_security_min, s.wait_gate_min);
  ar(s.journey_min, s.delay_min, s.wait_board_min, s.ferry_flights, s.empty_seat_km, s.balance_sent_s,
     s.energy_used_kwh, s.energy_charged_kwh, s.airborne_s, s.last_sample_s, s.heat_exposed_person_min);
  ar(s.door_to_door_min, s.ground_min, s.access_min, s.egress_min);
  // s.t_flights, t_journeys, t_pads, t_trips: metric ids, set by init from the scenario
}

namespace {

double mean_of(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += x;
  return xs.empty() ? 0 : sum / double(xs.size());
}
// nearest-rank percentile (q in (0, 1]); 0 when empty
double percentile_of(std::vector<double> xs, double q) {
  if (xs.empty()) return 0;
  const size_t k = size_t(std::ceil(q * double(xs.size()))) - 1;
  std::nth_element(xs.begin(), xs.begin() + std::ptrdiff_t(k), xs.end());
  return xs[k];
}

class VertiportModule final : public Module {
 public:
  VertiportModule(const Scenario& sc, const Grid& grid) : params_(VertiportParams::from(sc)), grid_(grid) {}
  const char* name() const override { return "vertiport"; }

  void init(World& w) override {
    const size_t n = params_.sites.size();
    state_.sites.resize(n);
    state_.distance_km.assign(n, std::vector<double>(n, 0));
    for (const VertiportSite& site : params_.sites) state_.cell.push_back(grid_.cell_at(site.lat, site.lon));
    for (size_t v = 0; v < n; ++v) {
      const VertiportSite& site = params_.sites[v];
      SiteState& st = state_.sites[v];
      st.checkin.servers = site.checkin_counters;
      st.security.servers = site.security_lanes;
      st.gate_queue.resize(n);
      st.open_flight.assign(n, -1);
      st.pad_booked.resize(size_t(site.pads));
      st.corridor_free_s.assign(n, 0);
      for (size_t u = 0; u < n; ++u)
        state_.distance_km[v][u] = haversine_km(site.lat, site.lon, params_.sites[u].lat, params_.sites[u].lon);
    }
    for (const FleetGroup& g : params_.fleet) add_aircraft(g.base, g.type, g.count, 0);
    if (params_.demand_from_residents) find_commuters(w.residents);
    register_metrics(w.metrics);
  }

  void step(World& w) override { step_vertiport(params_, state_, w); }

  void check_event(const TimelineEvent& ev) const override {
    if (ev.kind.rfind("vertiport_", 0) != 0) return;
    const std::string& name = ev.get_string("site");
    if (site_index(name) < 0 && !(ev.kind == "vertiport_suspend" && name.empty()))
      throw ScenarioError(ev.loc, "events.site", "unknown vertiport site \"" + name + "\"");
    if (ev.kind == "vertiport_fleet" && type_index(ev.get_string("type")) < 0)
      throw ScenarioError(ev.loc, "events.type", "unknown aircraft type \"" + ev.get_string("type") + "\"");
  }

  // every event was checked by check_event before the first tick
  void on_event(const TimelineEvent& ev, World& w) override {
    if (ev.kind.rfind("vertiport_", 0) != 0) return;
    const double t = std::max(state_.now_s, double(ev.at - w.clock.start));
    const std::string& name = ev.get_string("site");
    const int v = site_index(name);
    if (ev.kind == "vertiport_suspend") {
      const double until = t + ev.get_double("duration_min") * 60;
      if (v < 0) state_.suspended_all_until_s = std::max(state_.suspended_all_until_s, until);
      else state_.sites[size_t(v)].suspended_until_s = std::max(state_.sites[size_t(v)].suspended_until_s, until);
    } else if (ev.kind == "vertiport_close" || ev.kind == "vertiport_open") {
      state_.sites[size_t(v)].closed_by_event = ev.kind == "vertiport_close";
    } else if (ev.kind == "vertiport_capacity") {
      VertiportSite& site = params_.sites[size_t(v)];
      SiteState& st = state_.sites[size_t(v)];
      const auto keep = [&](const char* k, int& x) { if (ev.get_int(k) >= 0) x = int(ev.get_int(k)); };
      keep("pads", site.pads), keep("gates", site.gates), keep("stands", site.stands), keep("chargers", site.chargers);
      keep("checkin_counters", site.checkin_counters), keep("security_lanes", site.security_lanes);
      site.pads = std::max(1, site.pads), site.gates = std::max(1, site.gates);
      if (st.pad_booked.size() < size_t(site.pads)) st.pad_booked.resize(size_t(site.pads));
      st.checkin.servers = std::max(1, site.checkin_counters);
      st.security.servers = std::max(1, site.security_lanes);
    } else if (ev.kind == "vertiport_fleet") {
      const std::string& type = ev.get_string("type");
      const int64_t add = ev.get_int("add");
      if (add >= 0) add_aircraft(name, type, int(add), t);
      else retire(size_t(v), size_t(type_index(type)), int(-add));
    }
  }

  void publish(World& w) override {
    VertiportState& st = state_;
    Metrics& m = w.metrics;
    const double now = st.now_s, window_s = now - st.last_sample_s;
    const size_t n = params_.sites.size();
    const auto per_site = [&](SeriesId id, auto value) {
      auto xs = m.values(id);
      for (size_t v = 0; v < n; ++v) xs[v] = value(v);
    };
    const auto share = [&](double area_s, int units) { return window_s > 0 && units > 0 ? area_s / (units * window_s) : 0.0; };
    per_site(s_arrived_, [&](size_t v) { return double(st.sites[v].arrived); });
    per_site(s_served_, [&](size_t v) { return double(st.sites[v].served); });
    per_site(s_cancelled_, [&](size_t v) { return double(st.sites[v].cancelled); });
    per_site(s_waiting_, [&](size_t v) { return double(st.sites[v].waiting); });
    per_site(s_movements_, [&](size_t v) { return window_s > 0 ? double(st.sites[v].movements) * 3600 / window_s : 0.0; });
    per_site(s_pad_util_, [&](size_t v) { return share(pad_busy_s(v, st.last_sample_s, now), params_.sites[v].pads); });
    per_site(s_gate_util_, [&](size_t v) { return share(st.sites[v].gates.take(now), params_.sites[v].gates); });
    per_site(s_stand_util_, [&](size_t v) { return share(st.sites[v].stands.take(now), params_.sites[v].stands); });
    per_site(s_charger_util_, [&](size_t v) { return share(st.sites[v].chargers.take(now), params_.sites[v].chargers); });
    per_site(s_checkin_util_, [&](size_t v) { return share(st.sites[v].checkin.meter.take(now), st.sites[v].checkin.servers); });
    per_site(s_security_util_, [&](size_t v) { return share(st.sites[v].security.meter.take(now), st.sites[v].security.servers); });
    m.set(s_checkin_mean_, mean_of(st.wait_checkin_min));
    m.set(s_checkin_p95_, percentile_of(st.wait_checkin_min, 0.95));
    m.set(s_security_mean_, mean_of(st.wait_security_min));
    m.set(s_security_p95_, percentile_of(st.wait_security_min, 0.95));
    m.set(s_gate_mean_, mean_of(st.wait_gate_min));
    m.set(s_gate_p95_, percentile_of(st.wait_gate_min, 0.95));
    m.set(s_journey_mean_, mean_of(st.journey_min));
    m.set(s_delay_mean_, mean_of(st.delay_min));
    m.set(s_delay_p95_, percentile_of(st.delay_min, 0.95));
    m.set(s_board_p50_, percentile_of(st.wait_board_min, 0.5));
    m.set(s_board_p90_, percentile_of(st.wait_board_min, 0.9));
    m.set(s_board_p99_, percentile_of(st.wait_board_min, 0.99));
    m.set(s_ferry_, double(st.ferry_flights));
    m.set(s_empty_seat_km_, st.empty_seat_km);
    m.set(s_energy_used_, st.energy_used_kwh);
    m.set(s_energy_charged_, st.energy_charged_kwh);
    m.set(s_heat_, st.heat_exposed_person_min);
    // residents' trips door to door: time saved against the ground-only trip (+ = air faster)
    std::vector<double> saved(st.door_to_door_min.size());
    for (size_t i = 0; i < saved.size(); ++i) saved[i] = st.ground_min[i] - st.door_to_door_min[i];
    m.set(s_trips_, double(saved.size()));
    m.set(s_door_to_door_, mean_of(st.door_to_door_min));
    m.set(s_ground_, mean_of(st.ground_min));
    m.set(s_saved_mean_, mean_of(saved));
    m.set(s_saved_p10_, percentile_of(saved, 0.1));
    m.set(s_saved_p50_, percentile_of(saved, 0.5));
    m.set(s_saved_p90_, percentile_of(saved, 0.9));
    m.set(s_air_faster_, saved.empty() ? 0.0 : double(std::count_if(saved.begin(), saved.end(), [](double x) { return x > 0; })) / double(saved.size()));
    m.set(s_access_, mean_of(st.access_min));
    m.set(s_egress_, mean_of(st.egress_min));
    int airborne = 0, active = 0;
    double airborne_now_s = st.airborne_s;
    for (const Aircraft& x : st.aircraft) {
      if (x.retired) continue;
      ++active;
      if (x.state == AircraftState::Cruise) {
        ++airborne;
        airborne_now_s += now - std::max(x.airborne_since_s, st.last_sample_s);
      }
    }
    m.set(s_airborne_, double(airborne));
    auto by_state = m.values(s_by_state_);
    std::fill(by_state.begin(), by_state.end(), 0.0);
    for (const Aircraft& x : st.aircraft)
      if (!x.retired) by_state[size_t(x.state)] += 1;
    m.set(s_aircraft_util_, share(airborne_now_s, active));
    int suspended = st.weather_suspended || now < st.suspended_all_until_s;
    m.set(s_suspended_, double(suspended));
    // reset the window
    for (SiteState& x : st.sites) x.arrived = x.served = x.cancelled = x.movements = 0;
    st.wait_checkin_min.clear(), st.wait_security_min.clear(), st.wait_gate_min.clear();
    st.journey_min.clear(), st.delay_min.clear(), st.wait_board_min.clear();
    st.door_to_door_min.clear(), st.ground_min.clear(), st.access_min.clear(), st.egress_min.clear();
    st.ferry_flights = 0, st.empty_seat_km = 0;
    st.energy_used_kwh = st.energy_charged_kwh = st.heat_exposed_person_min = 0;
    st.airborne_s = 0;
    for (Aircraft& x : st.aircraft)
      if (x.state == AircraftState::Cruise) x.airborne_since_s = std::max(x.airborne_since_s, now);
    st.last_sample_s = now;
  }

  void archive(StateArchive& ar) override {
    CITYSIM_ARCHIVE_COVERS(VertiportSite, 96);
    ar(params_.sites), citysim::archive(ar, state_);
  }

  void update_params(const Scenario& sc) override {
    VertiportParams fresh = VertiportParams::from(sc);
    fresh.sites = params_.sites;  // capacities changed by timeline events stay
    if (fresh.types.size() != params_.types.size()) fresh.types = params_.types;  // aircraft keep their type index
    params_ = fresh;
  }

 private:
  int site_index(const std::string& name) const {
    for (size_t i = 0; i < params_.sites.size(); ++i)
      if (params_.sites[i].name == name) return int(i);
    return -1;
  }
  int type_index(const std::string& name) const {
    for (size_t i = 0; i < params_.types.size(); ++i)
      if (params_.types[i].name == name) return int(i);
    return -1;
  }
  // new aircraft start full, on a stand
  void add_aircraft(const std::string& base, const std::string& type, int count, double t) {
    const size_t v = size_t(site_index(base)), k = size_t(type_index(type));
    for (int i = 0; i < count; ++i) {
      Aircraft x;
      x.type = uint16_t(k), x.site = uint16_t(v), x.energy_kwh = params_.types[k].battery_kwh;
      state_.aircraft.push_back(x);
      state_.sites[v].stands.change(t, +1);
    }
  }
  void retire(size_t v, size_t k, int count) {
    for (Aircraft& x : state_.aircraft) {
      if (count == 0) return;
      if (x.retired || x.site != v || x.type != k || x.state != AircraftState::Parked) continue;
      x.retired = true;
      x.waiting_charger = false;
      if (x.at_gate) state_.sites[v].gates.change(state_.now_s, -1);
      else state_.sites[v].stands.change(state_.now_s, -1);
      x.at_gate = false;
      --count;
    }
  }
  // workers whose home and workplace are within reach of two different sites, once at the
  // start (homes and workplaces do not change during a run)
  void find_commuters(const Residents& R) {
    const size_t n = params_.sites.size();
    const auto nearest = [&](uint32_t cell) {
      int best = -1;
      double best_km = params_.reach_km;
      for (size_t v = 0; v < n; ++v) {
        if (state_.cell[v] < 0) continue;  // the legs to a site need its cell
        const double km = haversine_km(grid_.lat[cell], grid_.lon[cell], params_.sites[v].lat, params_.sites[v].lon);
        if (km <= best_km) best = int(v), best_km = km;
      }
      return best;
    };
    std::vector<int> site_of_cell(grid_.size(), -2);  // -2 not computed yet
    const auto site_of = [&](uint32_t cell) { return site_of_cell[cell] == -2 ? (site_of_cell[cell] = nearest(cell)) : site_of_cell[cell]; };
    for (size_t r = 0; r < R.count; ++r) {
      if (R.role[r] != uint8_t(Role::Worker) || grid_.distance_km(R.home_cell[r], R.day_cell[r]) < params_.min_trip_km) continue;
      const int o = site_of(R.home_cell[r]), d = site_of(R.day_cell[r]);
      if (o < 0 || d < 0 || o == d) continue;
      state_.commuters.push_back(uint32_t(r));
      state_.commuter_home_site.push_back(uint16_t(o));
      state_.commuter_work_site.push_back(uint16_t(d));
    }
    state_.resident_rate_per_h.assign(n * n * 24, 0.0);
  }
  // pad seconds booked within [from, to); drops bookings that ended before `to`
  double pad_busy_s(size_t v, double from, double to) {
    double busy = 0;
    for (auto& booked : state_.sites[v].pad_booked) {
      for (const auto& [b, e] : booked) busy += std::max(0.0, std::min(e, to) - std::max(b, from));
      booked.erase(std::remove_if(booked.begin(), booked.end(), [&](const auto& x) { return x.second <= to; }), booked.end());
    }
    return busy;
  }

  void register_metrics(Metrics& m) {
    std::vector<std::string> names;
    for (const auto& x : params_.sites) names.push_back(x.name);
    const Breakdown by_site{"vertiport", names};
    s_arrived_ = m.add_series({"vertiport/passengers_arrived", "people", "passengers arriving at the terminal since the previous sample"}, by_site);
    s_served_ = m.add_series({"vertiport/passengers_served", "people", "passengers who completed their flight since the previous sample, by origin"}, by_site);
    s_cancelled_ = m.add_series({"vertiport/cancelled_trips", "people", "passengers who gave up before boarding since the previous sample"}, by_site);
    s_waiting_ = m.add_series({"vertiport/passengers_waiting", "people", "passengers in the terminal now (check-in, security, gate)"}, by_site);
    s_movements_ = m.add_series({"vertiport/movements_per_h", "1/h", "take-offs and landings per hour over the sample"}, by_site);
    s_pad_util_ = m.add_series({"vertiport/pad_utilisation", "1", "share of pad time occupied (movements and clearance)"}, by_site);
    s_gate_util_ = m.add_series({"vertiport/gate_utilisation", "1", "share of gate time occupied by aircraft"}, by_site);
    s_stand_util_ = m.add_series({"vertiport/stand_utilisation", "1", "share of stand time occupied by aircraft"}, by_site);
    s_charger_util_ = m.add_series({"vertiport/charger_utilisation", "1", "share of charger time in use"}, by_site);
    s_checkin_util_ = m.add_series({"vertiport/checkin_utilisation", "1", "share of check-in counter time busy"}, by_site);
    s_security_util_ = m.add_series({"vertiport/security_utilisation", "1", "share of security lane time busy"}, by_site);
    s_checkin_mean_ = m.add_series({"vertiport/wait_checkin_mean_min", "min", "mean wait for check-in (passengers served since the previous sample; 0 if none)"});
    s_checkin_p95_ = m.add_series({"vertiport/wait_checkin_p95_min", "min", "95th percentile wait for check-in"});
    s_security_mean_ = m.add_series({"vertiport/wait_security_mean_min", "min", "mean wait for security screening"});
    s_security_p95_ = m.add_series({"vertiport/wait_security_p95_min", "min", "95th percentile wait for security screening"});
    s_gate_mean_ = m.add_series({"vertiport/wait_gate_mean_min", "min", "mean wait at the gate until boarding"});
    s_gate_p95_ = m.add_series({"vertiport/wait_gate_p95_min", "min", "95th percentile wait at the gate"});
    s_journey_mean_ = m.add_series({"vertiport/journey_mean_min", "min", "mean terminal arrival to deboarding, journeys ended since the previous sample"});
    s_delay_mean_ = m.add_series({"vertiport/departure_delay_mean_min", "min", "mean departure delay of passenger flights (pad start after the flight was ready)"});
    s_delay_p95_ = m.add_series({"vertiport/departure_delay_p95_min", "min", "95th percentile departure delay"});
    s_board_p50_ = m.add_series({"vertiport/wait_board_p50_min", "min", "median wait from terminal arrival to boarding (passengers boarded since the previous sample)"});
    s_board_p90_ = m.add_series({"vertiport/wait_board_p90_min", "min", "90th percentile wait from terminal arrival to boarding"});
    s_board_p99_ = m.add_series({"vertiport/wait_board_p99_min", "min", "99th percentile wait from terminal arrival to boarding"});
    s_ferry_ = m.add_series({"vertiport/ferry_flights", "flights", "empty flights sent since the previous sample (fleet balancing and repositioning)"});
    s_empty_seat_km_ = m.add_series({"vertiport/empty_seat_km", "seat-km", "empty seats x distance of the flights landed since the previous sample"});
    s_energy_used_ = m.add_series({"vertiport/energy_used_kwh", "kWh", "battery energy used by flights landed since the previous sample"});
    s_energy_charged_ = m.add_series({"vertiport/energy_charged_kwh", "kWh", "energy charged since the previous sample"});
    s_airborne_ = m.add_series({"vertiport/aircraft_airborne", "aircraft", "aircraft airborne now (between lift-off and final approach)"});
    std::vector<std::string> states;
    for (int k = 0; k <= int(AircraftState::Landed); ++k) states.push_back(aircraft_state_name(AircraftState(k)));
    s_by_state_ = m.add_series({"vertiport/aircraft_by_state", "aircraft", "aircraft in each state now"}, {"state", states});
    s_aircraft_util_ = m.add_series({"vertiport/aircraft_utilisation", "1", "share of fleet time airborne over the sample"});
    s_heat_ = m.add_series({"vertiport/heat_exposed_person_min", "person-min",
                            "passengers waiting in open-air terminals where WBGT >= heat_wbgt_c, x minutes, since the previous sample"});
    s_suspended_ = m.add_series({"vertiport/suspended", "1", "1 while departures at every site are suspended (weather or timeline)"});
    // residents' trips door to door (demand.source = "residents"), flown trips ended since the previous sample
    s_trips_ = m.add_series({"vertiport/door_to_door_trips", "trips", "residents' trips flown and ended at their destination cell since the previous sample"});
    s_door_to_door_ = m.add_series({"vertiport/door_to_door_mean_min", "min", "mean door-to-door time of those trips: access + terminal wait + flight + egress (0 if none)"});
    s_ground_ = m.add_series({"vertiport/ground_alternative_mean_min", "min", "mean time of the same trips on the ground, by the residents' mode and travel-time rules"});
    s_saved_mean_ = m.add_series({"vertiport/time_saved_mean_min", "min", "mean door-to-door time saved by flying (ground-only minus door-to-door; negative = slower)"});
    s_saved_p10_ = m.add_series({"vertiport/time_saved_p10_min", "min", "10th percentile of the time saved"});
    s_saved_p50_ = m.add_series({"vertiport/time_saved_p50_min", "min", "median time saved"});
    s_saved_p90_ = m.add_series({"vertiport/time_saved_p90_min", "min", "90th percentile of the time saved"});
    s_air_faster_ = m.add_series({"vertiport/air_faster_share", "1", "share of those trips faster door to door by air than on the ground"});
    s_access_ = m.add_series({"vertiport/access_mean_min", "min", "mean access time, origin cell to the departure vertiport (residents' rules)"});
    s_egress_ = m.add_series({"vertiport/egress_mean_min", "min", "mean egress time, arrival vertiport to the destination cell (residents' rules)"});
    state_.t_flights = m.add_table({"vertiport/flights", "", "every flight, written when it lands"},
                                   {{"flight", ColumnType::Int, ""}, {"aircraft", ColumnType::Int, ""}, {"type", ColumnType::Text, ""},
                                    {"from", ColumnType::Text, ""}, {"to", ColumnType::Text, ""}, {"passengers", ColumnType::Int, "people"},
                                    {"reposition", ColumnType::Int, ""}, {"opened_min", ColumnType::Float, "min"},
                                    {"ready_min", ColumnType::Float, "min"}, {"depart_min", ColumnType::Float, "min"},
                                    {"landed_min", ColumnType::Float, "min"}, {"delay_min", ColumnType::Float, "min"},
                                    {"distance_km", ColumnType::Float, "km"}, {"energy_kwh", ColumnType::Float, "kWh"},
                                    {"energy_after_kwh", ColumnType::Float, "kWh"}});
    state_.t_journeys = m.add_table({"vertiport/journeys", "", "every passenger journey, served or cancelled (times: minutes since the run start)"},
                                    {{"passenger", ColumnType::Int, ""}, {"from", ColumnType::Text, ""}, {"to", ColumnType::Text, ""},
                                     {"arrive_min", ColumnType::Float, "min"}, {"checkin_wait_min", ColumnType::Float, "min"},
                                     {"security_wait_min", ColumnType::Float, "min"}, {"gate_wait_min", ColumnType::Float, "min"},
                                     {"depart_min", ColumnType::Float, "min"}, {"end_min", ColumnType::Float, "min"},
                                     {"outcome", ColumnType::Text, ""}});
    state_.t_trips = m.add_table({"vertiport/trips", "", "every resident's trip door to door, at its destination cell: flown, cancelled "
                                                        "(on by ground from the vertiport) or ground (a site closed); times in minutes"},
                                 {{"passenger", ColumnType::Int, ""}, {"resident", ColumnType::Int, ""}, {"in_sample", ColumnType::Int, ""},
                                  {"direction", ColumnType::Text, ""}, {"from", ColumnType::Text, ""}, {"to", ColumnType::Text, ""},
                                  {"leave_min", ColumnType::Float, "min"}, {"access_mode", ColumnType::Text, ""},
                                  {"access_min", ColumnType::Float, "min"}, {"wait_min", ColumnType::Float, "min"},
                                  {"flight_min", ColumnType::Float, "min"}, {"egress_mode", ColumnType::Text, ""},
                                  {"egress_min", ColumnType::Float, "min"}, {"door_to_door_min", ColumnType::Float, "min"},
                                  {"ground_mode", ColumnType::Text, ""}, {"ground_min", ColumnType::Float, "min"},
                                  {"outcome", ColumnType::Text, ""}});
    state_.t_pads = m.add_table({"vertiport/pad_movements", "", "every pad booking: movement occupancy plus clearance"},
                                {{"site", ColumnType::Text, ""}, {"pad", ColumnType::Int, ""}, {"flight", ColumnType::Int, ""},
                                 {"movement", ColumnType::Text, ""}, {"start_min", ColumnType::Float, "min"},
                                 {"end_min", ColumnType::Float, "min"}});
  }

  VertiportParams params_;
  const Grid& grid_;
  VertiportState state_;
  SeriesId s_arrived_ = 0, s_served_ = 0, s_cancelled_ = 0, s_waiting_ = 0, s_movements_ = 0, s_pad_util_ = 0,
           s_gate_util_ = 0, s_stand_util_ = 0, s_charger_util_ = 0, s_checkin_util_ = 0, s_security_util_ = 0,
           s_checkin_mean_ = 0, s_checkin_p95_ = 0, s_security_mean_ = 0, s_security_p95_ = 0, s_gate_mean_ = 0,
           s_gate_p95_ = 0, s_journey_mean_ = 0, s_delay_mean_ = 0, s_delay_p95_ = 0, s_energy_used_ = 0,
           s_energy_charged_ = 0, s_airborne_ = 0, s_aircraft_util_ = 0, s_by_state_ = 0, s_heat_ = 0, s_suspended_ = 0,
           s_board_p50_ = 0, s_board_p90_ = 0, s_board_p99_ = 0, s_ferry_ = 0, s_empty_seat_km_ = 0, s_trips_ = 0,
           s_door_to_door_ = 0, s_ground_ = 0, s_saved_mean_ = 0, s_saved_p10_ = 0, s_saved_p50_ = 0, s_saved_p90_ = 0,
           s_air_faster_ = 0, s_access_ = 0, s_egress_ = 0;
};

}  // namespace

void describe_vertiport(Schema& schema) { VertiportParams::describe(schema); }

std::unique_ptr<Module> make_vertiport_module(const Scenario& sc, const Grid& g) {
  return std::make_unique<VertiportModule>(sc, g);
}

}  // namespace citysim
