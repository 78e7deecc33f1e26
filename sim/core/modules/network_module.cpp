// The network module: [[events]] (power cuts, destruction, restoration, satellite
// deployment, demand surges, Wi-Fi monitoring), metrics, and the tick.
//
// [SECTION] areas     which sites an event touches: municipalities and/or a lat/lon circle
// [SECTION] module    init (metrics, warm-up), step, events, publish
#include <algorithm>
#include <cmath>

#include "citysim/areas.hpp"
#include "citysim/residents.hpp"
#include "modules/network.hpp"

namespace citysim {

namespace {

// ---- [SECTION] areas ----------------------------------------------------------------

constexpr uint64_t kDestroy = 15ull << 40, kRestore = 16ull << 40;  // draw entities, as in network.cpp
constexpr SiteKind kAllKinds[] = {SiteKind::Lte, SiteKind::NrLow, SiteKind::NrHigh, SiteKind::Wifi, SiteKind::Satellite};

// the site kinds an event touches (`kinds`, empty = all); throws ScenarioError at the
// event's line for an unknown kind
std::array<bool, kSiteKinds> kinds_of(const TimelineEvent& ev) {
  const auto& kinds = std::get<std::vector<std::string>>(ev.values.at("kinds"));
  std::array<bool, kSiteKinds> on{};
  for (int k = 0; k < kSiteKinds; ++k)
    on[size_t(k)] = kinds.empty() || std::find(kinds.begin(), kinds.end(), site_kind_name(SiteKind(k))) != kinds.end();
  for (const auto& k : kinds)
    if (std::none_of(std::begin(kAllKinds), std::end(kAllKinds), [&](SiteKind i) { return k == site_kind_name(i); }))
      throw ScenarioError(ev.loc, "events.kinds", "unknown site kind \"" + k + "\" (expected lte, nr_low, nr_high, wifi or satellite)");
  return on;
}

// the sites an area event touches: of its kinds, in the area, standing there at the
// event's time (stored portable terminals are elsewhere)
std::vector<uint32_t> sites_in(const TimelineEvent& ev, const Grid& g, const Sites& s) {
  const Area a = area_of(ev, g);
  const auto kinds = kinds_of(ev);
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size(); ++i)
    if (kinds[s.kind[i]] && s.deploy_at[i] <= ev.at && a.contains(s.municipality[i], s.lat[i], s.lon[i])) out.push_back(uint32_t(i));
  return out;
}

// the cells a crowd fills: centres within the radius, at least the centre's cell;
// throws ScenarioError at the event's line when the centre is outside the city
std::vector<uint32_t> crowd_cells(const TimelineEvent& ev, const Grid& g) {
  const double lat = ev.get_double("lat"), lon = ev.get_double("lon"), radius_km = ev.get_double("radius_km");
  const int64_t centre = g.cell_at(lat, lon);
  if (centre < 0)
    throw ScenarioError(ev.loc, "events.lat", "the crowd's centre (" + std::to_string(lat) + ", " + std::to_string(lon) +
                                                  ") is outside the city grid");
  std::vector<uint32_t> cells;
  for (size_t c = 0; c < g.size(); ++c)
    if (int64_t(c) == centre || (g.is_land(c) && haversine_km(lat, lon, g.lat[c], g.lon[c]) <= radius_km))
      cells.push_back(uint32_t(c));
  return cells;
}

bool has_area(const std::string& kind) { return is_power_event(kind) || kind == "site_destruction"; }

// ---- [SECTION] module ---------------------------------------------------------------

}  // namespace

void archive(StateArchive& ar, Sites& s) {
  ar(s.kind, s.cell, s.lat, s.lon, s.radius_m, s.capacity, s.backup_s, s.municipality, s.deploy_at);
}
void archive(StateArchive& ar, Coverage& c) { ar(c.start, c.to, c.share, c.log1m_share); }
void archive(StateArchive& ar, NetworkState::Crowd& c) { ar(c.cells, c.rate_per_cell_per_min, c.until); }

void archive(StateArchive& ar, NetworkState& s) {
  CITYSIM_ARCHIVE_COVERS(NetworkState, 1688);
  ar(s.sites, s.coverage, s.mains, s.destroyed, s.battery_empty_at, s.restore_at, s.power_back_at, s.status,
     s.down_since, s.seen_at, s.pool_of, s.pool_kind, s.pool_cell, s.pool_coverage, s.pool_link_of, s.capacity);
  ar(s.busy, s.tracked, s.reached, s.admitted, s.fresh, s.departed, s.first_reach, s.refused_left,
     s.priority_sessions, s.rate_per_resident, s.base_rate_per_min, s.rate_now, s.split, s.split_end, s.tile_cells,
     s.tile_start, s.tiles_of_colour, s.retry_pool, s.emergency_clock, s.arrivals, s.emergency, s.retries);
  ar(s.crowds, s.wifi_monitoring_delay_min, s.surge_at, s.surge_multiplier, s.surge_decay_hours, s.offered_cell,
     s.blocked_cell, s.counts, s.dropped, s.seen_delay_sum_min, s.seen_count, s.newly_seen, s.down_cause,
     s.demand_updated_minute, s.next_site_change, s.substep);
}

namespace {

class NetworkModule : public Module {
 public:
  NetworkModule(const Scenario& sc, const Grid& g) : params_(NetworkParams::from(sc)), grid_(g) {
    const uint64_t seed = uint64_t(sc.get_int("run.seed"));
    Sites sites = params_.sites_file.empty() ? generate_sites(params_, g, seed) : load_sites(params_.sites_file, g);
    state_ = make_network_state(std::move(sites), g);
    // bad event areas stop the run before it starts
    for (const auto& ev : sc.events())
      if (has_area(ev.kind)) kinds_of(ev), area_of(ev, g);
      else if (ev.kind == "crowd") crowd_cells(ev, g);
  }
  const char* name() const override { return "network"; }

  void init(World& w) override {
    w.events.declare<PrioritySessionEvent>();  // for snapshots
    auto& m = w.metrics;
    std::vector<std::string> kinds;
    const std::vector<std::string> munis = grid_.municipality_labels();
    for (int k = 0; k < kSiteKinds; ++k) kinds.push_back(site_kind_name(SiteKind(k)));
    s_offered_ = m.add_series({"network/offered", "sessions", "new sessions started since the previous sample"});
    s_carried_ = m.add_series({"network/carried", "sessions", "session attempts carried since the previous sample"});
    s_blocked_ = m.add_series({"network/blocked", "sessions", "session attempts blocked since the previous sample"});
    s_dropped_ = m.add_series({"network/dropped", "sessions", "sessions cut off when their site went down"});
    s_active_ = m.add_series({"network/active", "sessions", "sessions in progress now"});
    s_blocking_ = m.add_series({"network/blocking", "1", "share of session attempts blocked since the previous sample"});
    s_blocking_kind_ = m.add_series({"network/blocking_by_kind", "1", "share of sessions reaching working sites of this kind that they refused (full)"},
                                    {"kind", kinds});
    s_carried_kind_ = m.add_series({"network/carried_by_kind", "sessions", "sessions carried by sites of each kind"}, {"kind", kinds});
    s_blocking_muni_ = m.add_series({"network/blocking_by_municipality", "1", "share of session attempts blocked"},
                                    {"municipality", munis});
    s_up_ = m.add_series({"network/sites_up", "sites", "sites working on mains power"}, {"kind", kinds});
    s_backup_ = m.add_series({"network/sites_on_backup", "sites", "sites working on battery"}, {"kind", kinds});
    s_down_ = m.add_series({"network/sites_down", "sites", "sites down (power or destroyed)"}, {"kind", kinds});
    s_coverage_ = m.add_series({"network/coverage", "1", "share of people present within reach of a working site"});
    s_offload_ = m.add_series({"network/wifi_offload", "1", "share of carried sessions carried by Wi-Fi"});
    s_seen_delay_ = m.add_series({"network/outage_seen_delay_min", "min", "mean time until outages seen since the previous sample were seen (NaN: none)"});
    s_unseen_ = m.add_series({"network/outages_unseen", "sites", "sites down that operators have not seen yet"});
    s_prio_offered_ = m.add_series({"network/priority_offered", "sessions", "priority sessions (watch-over reports, emergency calls) since the previous sample"});
    s_prio_blocked_ = m.add_series({"network/priority_blocked", "sessions", "priority sessions blocked since the previous sample"});
    f_load_ = m.add_field({"network/load", "sessions", "sessions in progress on the sites in the cell"});
    f_util_ = m.add_field({"network/utilisation", "1", "sessions in progress over capacity of the working sites in the cell (NaN: none)"});
    f_ok_ = m.add_field({"network/ok", "1", "probability a session started in the cell now is carried"});
    f_rate_ = m.add_field({"network/offered_rate", "sessions/min", "sessions starting in the cell per minute now"});
    t_outages_ = m.add_table({"network/outages", "", "site outages when operators see them (the viewer marks them where the site stands)"},
                             {{"site", ColumnType::Int, ""}, {"kind", ColumnType::Text, ""}, {"municipality", ColumnType::Int, ""},
                              {"cause", ColumnType::Text, ""}, {"down_at", ColumnType::Text, ""}, {"seen_after_min", ColumnType::Float, "min"},
                              {"lat", ColumnType::Float, "°"}, {"lon", ColumnType::Float, "°"}});
    // what other modules see: read from this tick's state when they ask
    w.couplings.network_ok = [this](uint32_t cell) { return network_ok(state_, cell); };
  }

  void start(World& w) override {
    // warm-up: five holding times of sessions at the start's demand, so the run does
    // not start from an empty network; the counters start from zero afterwards
    update_demand(params_, state_, w.residents, grid_);
    state_.demand_updated_minute = 0;
    std::vector<double> rate(state_.base_rate_per_min);
    const double factor = demand_factor(params_, state_, w.clock.now());
    for (double& r : rate) r *= factor;
    const int warm = int(std::ceil(5 * params_.holding_min * 60 / params_.substep_s));
    for (int k = 0; k < warm; ++k) serve_sessions(params_, state_, rate, params_.substep_s / 60.0, w.seed);
    reset_counters();
  }

  void step(World& w) override {
    step_network(params_, state_, w);
    for (const uint32_t i : state_.newly_seen) {
      const int16_t mi = state_.sites.municipality[i];
      w.metrics.table(t_outages_).append({int64_t(i), std::string(site_kind_name(SiteKind(state_.sites.kind[i]))),
                                          int64_t(mi >= 0 ? grid_.municipalities[size_t(mi)].code : 0),
                                          std::string(state_.down_cause[i] ? "destroyed" : "power"),
                                          format_datetime(state_.down_since[i]),
                                          double(w.clock.now() - state_.down_since[i]) / 60.0, state_.sites.lat[i],
                                          state_.sites.lon[i]});
    }
  }

  void on_event(const TimelineEvent& ev, World& w) override {
    NetworkState& s = state_;
    const Rng rng(w.seed, Stream::Network);  // the run's seed now (a branch may reseed)
    s.next_site_change = kAlways;  // look at every site at the next tick
    if (ev.kind == "power_cut") {
      const double hours = ev.get_double("duration_hours");
      for (const uint32_t i : sites_in(ev, grid_, s.sites)) {
        if (!s.mains[i]) continue;
        s.mains[i] = 0;
        s.battery_empty_at[i] = ev.at + s.sites.backup_s[i];
        if (hours > 0) s.power_back_at[i] = ev.at + LocalSeconds(std::llround(hours * 3600));
      }
    } else if (ev.kind == "site_destruction") {
      const double share = ev.get_double("share");
      for (const uint32_t i : sites_in(ev, grid_, s.sites))
        if (Draws(rng, kDestroy | i, uint32_t(ev.index)).uniform() < share) s.destroyed[i] = 1;
    } else if (ev.kind == "restoration") {
      for (const uint32_t i : sites_in(ev, grid_, s.sites))
        if (!s.mains[i] || s.destroyed[i]) s.restore_at[i] = restored_at(ev, Draws(rng, kRestore | i, uint32_t(ev.index)).uniform());
    } else if (ev.kind == "satellite_deployment") {
      const LocalSeconds at = ev.at + LocalSeconds(std::llround(ev.get_double("delay_hours") * 3600));
      int64_t left = ev.get_int("count") > 0 ? ev.get_int("count") : int64_t(s.sites.size());
      for (size_t i = 0; i < s.sites.size() && left > 0; ++i)
        if (s.sites.deploy_at[i] == kNever) {
          s.sites.deploy_at[i] = at;
          --left;
        }
    } else if (ev.kind == "network_surge") {
      s.surge_at = ev.at;
      s.surge_multiplier = ev.get_double("multiplier");
      s.surge_decay_hours = ev.get_double("decay_hours");
    } else if (ev.kind == "crowd") {
      NetworkState::Crowd crowd{crowd_cells(ev, grid_), 0.0, ev.at + LocalSeconds(std::llround(ev.get_double("duration_hours") * 3600))};
      crowd.rate_per_cell_per_min = ev.get_double("people") * ev.get_double("sessions_per_hour") / 60.0 / double(crowd.cells.size());
      s.crowds.push_back(std::move(crowd));
    } else if (ev.kind == "wifi_monitoring") {
      s.wifi_monitoring_delay_min = ev.get_double("delay_min");
    }
  }

  void publish(World& w) override {
    NetworkState& s = state_;
    auto& m = w.metrics;
    const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    const SessionCounts& n = s.counts;
    m.set(s_offered_, double(n.offered));
    m.set(s_carried_, double(n.carried));
    m.set(s_blocked_, double(n.blocked));
    m.set(s_dropped_, double(s.dropped));
    m.set(s_blocking_, ratio(double(n.blocked), double(n.attempts)));
    m.set(s_prio_offered_, double(n.priority_offered));
    m.set(s_prio_blocked_, double(n.priority_blocked));
    m.set(s_seen_delay_, s.seen_count > 0 ? s.seen_delay_sum_min / double(s.seen_count) : std::nan(""));
    int64_t carried_all = 0;
    for (int64_t x : n.carried_kind) carried_all += x;
    m.set(s_offload_, ratio(double(n.carried_kind[size_t(SiteKind::Wifi)]), double(carried_all)));
    auto by_kind = m.values(s_blocking_kind_), carried_kind = m.values(s_carried_kind_);
    for (size_t k = 0; k < size_t(kSiteKinds); ++k) {
      by_kind[k] = ratio(double(n.refused_kind[k]), double(n.reached_kind[k]));
      carried_kind[k] = double(n.carried_kind[k]);
    }
    std::vector<double> offered_m(grid_.municipalities.size(), 0.0), blocked_m(offered_m.size(), 0.0);
    for (size_t c = 0; c < grid_.size(); ++c)
      if (grid_.municipality_index[c] >= 0) {
        offered_m[size_t(grid_.municipality_index[c])] += double(s.offered_cell[c]);
        blocked_m[size_t(grid_.municipality_index[c])] += double(s.blocked_cell[c]);
      }
    auto by_muni = m.values(s_blocking_muni_);
    for (size_t i = 0; i < offered_m.size(); ++i) by_muni[i] = ratio(blocked_m[i], offered_m[i]);
    // sites by status and kind; load and utilisation of the sites in each cell
    auto up = m.values(s_up_), backup = m.values(s_backup_), down = m.values(s_down_);
    std::fill(up.begin(), up.end(), 0.0);
    std::fill(backup.begin(), backup.end(), 0.0);
    std::fill(down.begin(), down.end(), 0.0);
    auto load = m.field(f_load_), util = m.field(f_util_);
    std::vector<double> cap(grid_.size(), 0.0);
    std::fill(load.begin(), load.end(), 0.0f);
    int64_t active = 0, unseen = 0;
    for (size_t i = 0; i < s.sites.size(); ++i) {
      const size_t k = s.sites.kind[i], c = s.sites.cell[i];
      const auto st = SiteStatus(s.status[i]);
      if (st == SiteStatus::Up) up[k] += 1;
      if (st == SiteStatus::Backup) backup[k] += 1;
      if (st == SiteStatus::Down) {
        down[k] += 1;
        if (s.seen_at[i] != kNever) ++unseen;
      }
      if (st == SiteStatus::Up || st == SiteStatus::Backup) cap[c] += s.sites.capacity[i];
    }
    for (size_t k = 0; k < s.busy.size(); ++k) {
      active += s.busy[k];
      load[s.pool_cell[k]] += float(s.busy[k]);
    }
    m.set(s_active_, double(active));
    m.set(s_unseen_, double(unseen));
    for (size_t c = 0; c < grid_.size(); ++c) util[c] = cap[c] > 0 ? float(load[c] / cap[c]) : std::nanf("");
    // coverage: people present in reach of at least one working site
    double people = 0, covered = 0;
    for (size_t c = 0; c < grid_.size(); ++c) {
      const double present = w.residents.present.empty() || !grid_.is_land(c) ? 0.0 : double(w.residents.present[c]);
      if (present == 0) continue;
      double none = 1;  // the pools' shares count their working sites only
      for (uint32_t l = s.pool_coverage.start[c]; l < s.pool_coverage.start[c + 1]; ++l) none *= 1 - s.pool_coverage.share[l];
      people += present;
      covered += present * (1 - none);
    }
    m.set(s_coverage_, ratio(covered, people));
    auto ok = m.field(f_ok_), rate = m.field(f_rate_);
    const double factor = demand_factor(params_, state_, w.clock.now());
    for (size_t c = 0; c < grid_.size(); ++c) {
      ok[c] = network_ok(s, c);
      rate[c] = float(s.base_rate_per_min[c] * factor);
    }
    for (const auto& crowd : s.crowds)
      if (crowd.until > w.clock.now())
        for (const uint32_t c : crowd.cells) rate[c] += float(crowd.rate_per_cell_per_min);
    reset_counters();
  }

  void update_params(const Scenario& sc) override { params_ = NetworkParams::from(sc); }
  void archive(StateArchive& ar) override { citysim::archive(ar, state_); }

 private:
  void reset_counters() {
    NetworkState& s = state_;
    s.counts = {};
    s.dropped = 0;
    s.seen_delay_sum_min = 0;
    s.seen_count = 0;
    std::fill(s.offered_cell.begin(), s.offered_cell.end(), 0);
    std::fill(s.blocked_cell.begin(), s.blocked_cell.end(), 0);
  }

  NetworkParams params_;
  const Grid& grid_;
  NetworkState state_;
  SeriesId s_offered_ = 0, s_carried_ = 0, s_blocked_ = 0, s_dropped_ = 0, s_active_ = 0, s_blocking_ = 0,
           s_blocking_kind_ = 0, s_carried_kind_ = 0, s_blocking_muni_ = 0, s_up_ = 0, s_backup_ = 0, s_down_ = 0,
           s_coverage_ = 0, s_offload_ = 0, s_seen_delay_ = 0, s_unseen_ = 0, s_prio_offered_ = 0, s_prio_blocked_ = 0;
  FieldId f_load_ = 0, f_util_ = 0, f_ok_ = 0, f_rate_ = 0;
  TableId t_outages_ = 0;
};

}  // namespace

void describe_network(Schema& schema) { NetworkParams::describe(schema); }

std::unique_ptr<Module> make_network_module(const Scenario& sc, const Grid& g) {
  return std::make_unique<NetworkModule>(sc, g);
}

}  // namespace citysim
