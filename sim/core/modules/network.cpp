// Network load: formulas, parameters, demand, the session loss system, site status, tick.
// (Sites and coverage: network_sites.cpp; the Module, events and metrics: network_module.cpp.)
//
// [SECTION] formulas   Erlang B/C, 5G NR peak rate, binomial draws
// [SECTION] params     the [network] keys and event kinds
// [SECTION] demand     smartphone owners present per cell, age group and activity
// [SECTION] sessions   departures, arrivals, attachment Wi-Fi -> cell -> satellite
// [SECTION] sites      power, battery, restoration, outage detection, priority sessions
// [SECTION] tick       demand factor, step_network
#include "modules/network.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "citysim/areas.hpp"
#include "citysim/residents.hpp"

namespace citysim {

// ---- [SECTION] formulas -------------------------------------------------------------

double nr_peak_rate_mbps(int layers, int modulation_order, double scaling, int prbs, int numerology, double overhead) {
  // TS 38.306 §4.1.2: 1e-6 v Qm f Rmax (N_PRB 12 / Ts) (1 - OH), Rmax = 948/1024,
  // Ts = 1e-3 / (14 2^mu) the average OFDM symbol duration
  const double r_max = 948.0 / 1024.0;
  const double symbol_s = 1e-3 / (14.0 * std::pow(2.0, numerology));
  return 1e-6 * layers * modulation_order * scaling * r_max * (prbs * 12.0 / symbol_s) * (1 - overhead);
}

uint32_t binomial(Draws& d, uint32_t n, double p) { return n == 0 ? 0 : binomial(d, n, p, std::log1p(-p)); }

uint32_t binomial(Draws& d, uint32_t n, double p, double log1m_p, std::span<const double> pow_1m_p) {
  if (n == 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(d, n, 1 - p);
  const double mean = n * p;
  if (mean < 10) {  // inversion: walk the pmf from k = 0 (about mean steps)
    static constexpr auto kReciprocal = [] {
      std::array<double, 64> r{};
      for (size_t i = 0; i < r.size(); ++i) r[i] = 1.0 / double(i + 1);
      return r;
    }();
    const double ratio = p / (1 - p), u = d.uniform32();
    double pk = n < pow_1m_p.size() ? pow_1m_p[n] : std::exp(n * log1m_p), cdf = pk;
    uint32_t k = 0;
    while (u > cdf && k < n) {
      pk *= ratio * double(n - k) * (k < kReciprocal.size() ? kReciprocal[k] : 1.0 / double(k + 1));
      ++k;
      cdf += pk;
    }
    return k;
  }
  const double x = std::round(d.normal(mean, std::sqrt(mean * (1 - p))));
  return uint32_t(std::clamp(x, 0.0, double(n)));
}

// ---- [SECTION] params ---------------------------------------------------------------

namespace {

constexpr int kAgeGroups = 6;  // as residents.smartphone_share_by_age: 0-12, 13-19, 20-59, 60-69, 70-79, 80+
constexpr int kGroups = kAgeGroups * kActivities;

int age_group(int age) { return age <= 12 ? 0 : age <= 19 ? 1 : age <= 59 ? 2 : age <= 69 ? 3 : age <= 79 ? 4 : 5; }


}  // namespace

int NetworkParams::capacity_sessions(SiteKind k) const {
  const auto& kp = kind[size_t(k)];
  return std::max(1, int(std::floor(kp.sectors * kp.peak_rate_mbps * average_to_peak / session_rate_mbps)));
}

void NetworkParams::keys(ParamKeys& k) {
  k.section("network", "Mobile, Wi-Fi and satellite network load: sites, sessions, blocking, outages and recovery.");
  auto prob = [&](const std::string& key, double& v, const char* doc) -> KeySpec& { return k.key(key, v, doc).range(0, 1); };
  k.key("network.enabled", enabled, "simulate network load");
  // what the sites are is read when they are built: those keys are not live
  k.path("network.sites_file", sites_file,
         "CSV of sites `kind,lat,lon,radius_m,capacity_sessions,backup_hours` (kind lte, nr_low, nr_high, wifi, "
         "satellite); empty = generate from the city").structural();
  for (int i = 0; i < kSiteKinds; ++i) {
    const std::string n = site_kind_name(SiteKind(i)), pre = "network." + n + ".";
    auto& kp = kind[size_t(i)];
    k.key(pre + "radius_m", kp.radius_m, "coverage radius of a " + n + " site").units("m").above(0).structural();
    k.key(pre + "peak_rate_mbps", kp.peak_rate_mbps, "peak rate of one sector (3GPP TS 36.306 / 38.306)").units("Mbit/s").above(0).structural();
    k.key(pre + "sectors", kp.sectors, "sectors per site").range(1, 12).structural();
    k.key(pre + "backup_hours", kp.backup_hours, "mean battery time without mains power").units("h").range(0, 240).structural();
    if (i <= int(SiteKind::NrHigh))
      k.key(pre + "people_per_site", kp.people_per_site,
            "generation: one site per this many people at the cell's busiest (residents or day places)")
          .units("people").above(0).structural();
  }
  prob("network.priority_area_share", priority_area_share, "busiest share of populated cells counted as priority areas (with the municipal office cells)").structural();
  prob("network.nr_high_coverage", nr_high_coverage, "share of priority areas with high-band 5G (TMG 2025: 97.6%)").structural();
  k.key("network.wifi_sites", wifi_sites, "OpenRoaming public Wi-Fi sites, placed by day places (TMG: about 1,600)").range(0, 1000000).structural();
  k.key("network.satellite_terminals", satellite_terminals,
        "portable satellite terminals: one per municipal office, the rest at the busiest places (TMG: 77)").range(0, 10000).structural();
  k.key("network.island_satellite_wifi", island_satellite_wifi,
        "satellite-backed Wi-Fi units on the islands, always on (TMG: 22 on 11 islands)").range(0, 10000).structural();
  prob("network.backup_spread", backup_spread, "battery time of a site is uniform in mean x (1 - spread, 1 + spread)").structural();
  prob("network.average_to_peak", average_to_peak, "average cell throughput over peak rate (capacity translation)").structural();
  k.key("network.session_rate_mbps", session_rate_mbps,
        "average rate of an active session; capacity_sessions = sectors x peak x average_to_peak / session_rate")
      .units("Mbit/s").above(0).structural();
  k.list("network.sessions_per_hour_by_age", sessions_per_hour_by_age, kAgeGroups, "ages 0-12, 13-19, 20-59, 60-69, 70-79, 80+",
         "sessions a smartphone owner starts per hour at the evening peak, ages 0-12, 13-19, 20-59, 60-69, 70-79, 80+")
      .units("1/h").at_least(0);
  k.list("network.activity_factor", activity_factor, kActivities, "home, work, school, errand, travel",
         "demand multiplier by activity: home (mostly on home broadband), work, school, errand, travel")
      .at_least(0);
  k.list("network.hourly_profile", hourly_profile, 24, "hours 0..23", "demand multiplier by hour of day 0..23 (linear in between)")
      .at_least(0);
  k.key("network.holding_min", holding_min, "mean session length (exponential)").units("min").above(0);
  k.key("network.substep_s", substep_s,
        "step of the session model (a divisor of 60); sessions that end within a step free their slot in it, so the "
        "default one-minute step keeps blocking within a few percent of Erlang B where it matters (up to a quarter high "
        "around 1%) at holding_min = 3; shorter is closer and slower")
      .units("s").range(1, 60);
  k.key("network.demand_update_minutes", demand_update_minutes,
        "how often the demand mix (age groups, activities) is recounted from the residents; the counts present follow every minute")
      .units("min").range(1, 1440);
  prob("network.emergency_share", emergency_share, "share of sessions that are emergency calls (priority)");
  k.key("network.priority_reserve_share", priority_reserve_share, "share of each site's capacity only priority sessions may use").range(0, 0.9);
  k.key("network.retry", retry, "blocked sessions retry after a delay (else they are lost)");
  k.key("network.retry_delay_mean_s", retry_delay_mean_s, "mean delay before a retry (exponential)").units("s").above(0);
  prob("network.retry_persistence", retry_persistence, "probability a blocked session tries again");
  k.key("network.cell_alarm_delay_min", cell_alarm_delay_min, "time until a down cell site is seen (network alarms)")
      .units("min").range(0, 100000);
  k.key("network.wifi_monitoring_delay_min", wifi_monitoring_delay_min, "time until a down Wi-Fi access point is seen by operators")
      .units("min").range(0, 100000);
}

void NetworkParams::describe(Schema& s) {
  describe_keys<NetworkParams>(s);

  // power_cut and restoration are the core's (citysim/areas.hpp): the heat module reacts too
  auto& destroy = s.event("site_destruction", "sites in an area are destroyed");
  describe_area(destroy);
  destroy.key("kinds", ValueKind::StringList, std::vector<std::string>{}, "site kinds affected (empty = all)");
  destroy.key("share", ValueKind::Float, 1.0, "share of the area's sites destroyed").range(0, 1);
  auto& sat = s.event("satellite_deployment", "portable satellite terminals come up at municipal offices after a delay");
  sat.key("delay_hours", ValueKind::Float, 6.0, "hours from the event until the terminals work").units("h").range(0, 1000);
  sat.key("count", ValueKind::Int, int64_t(0), "terminals deployed, municipal offices first (0 = all)").range(0, 10000);
  auto& surge = s.event("network_surge", "everyone tries at once (after an earthquake): demand x multiplier, decaying");
  surge.key("multiplier", ValueKind::Float, 5.0, "demand multiplier at the event").range(1, 100);
  surge.key("decay_hours", ValueKind::Float, 2.0, "e-folding time of the extra demand").units("h").above(0);
  auto& crowd = s.event("crowd", "people gather for an event (fireworks, a festival) on top of the residents");
  crowd.key("people", ValueKind::Float, 100000.0, "people in the crowd").units("people").at_least(0);
  crowd.key("lat", ValueKind::Float, 0.0, "centre, degrees");
  crowd.key("lon", ValueKind::Float, 0.0, "centre, degrees");
  crowd.key("radius_km", ValueKind::Float, 0.5, "the crowd fills the cells whose centres lie this close (at least the centre's cell)")
      .units("km").at_least(0);
  crowd.key("duration_hours", ValueKind::Float, 2.0, "how long the crowd stays").units("h").above(0);
  crowd.key("sessions_per_hour", ValueKind::Float, 4.0, "sessions a person in the crowd starts per hour (photos, video, messages)")
      .units("1/h").at_least(0);
  auto& wifi = s.event("wifi_monitoring", "change how long until a down Wi-Fi access point is seen");
  wifi.key("delay_min", ValueKind::Float, 60.0, "detection delay from now on").units("min").range(0, 100000);
}

NetworkParams NetworkParams::from(const Scenario& sc) {
  NetworkParams p = read_keys<NetworkParams>(sc);
  if (60 % p.substep_s != 0)
    throw ScenarioError(sc.loc_of("network.substep_s"), "network.substep_s",
                        "expected a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60), got " + std::to_string(p.substep_s));
  return p;
}

// ---- [SECTION] demand ---------------------------------------------------------------

namespace {

bool site_working(const NetworkState& s, size_t site) {
  const auto st = SiteStatus(s.status[site]);
  return st == SiteStatus::Up || st == SiteStatus::Backup;
}

// pool capacities and link shares from the sites working now
void refresh_pools(NetworkState& s) {
  std::fill(s.capacity.begin(), s.capacity.end(), 0);
  for (size_t i = 0; i < s.sites.size(); ++i)
    if (site_working(s, i)) s.capacity[s.pool_of[i]] += s.sites.capacity[i];
  Coverage& pc = s.pool_coverage;
  std::fill(pc.log1m_share.begin(), pc.log1m_share.end(), 0.0);
  for (size_t l = 0; l < s.coverage.to.size(); ++l)
    if (site_working(s, s.coverage.to[l])) pc.log1m_share[s.pool_link_of[l]] += s.coverage.log1m_share[l];
  for (size_t l = 0; l < pc.to.size(); ++l) pc.share[l] = float(-std::expm1(pc.log1m_share[l]));
}

}  // namespace

NetworkState make_network_state(Sites sites, const Grid& g) {
  NetworkState s;
  const size_t n = sites.size(), cells = g.size();
  s.coverage = build_coverage(sites, g);
  s.sites = std::move(sites);
  s.mains.assign(n, 1);
  s.destroyed.assign(n, 0);
  s.battery_empty_at.assign(n, kNever);
  s.restore_at.assign(n, kNever);
  s.power_back_at.assign(n, kNever);
  s.status.assign(n, uint8_t(SiteStatus::Up));
  s.down_since.assign(n, kNever);
  s.seen_at.assign(n, kNever);
  s.down_cause.assign(n, 0);
  for (size_t i = 0; i < n; ++i)
    if (s.sites.deploy_at[i] != kAlways) s.status[i] = uint8_t(SiteStatus::Stored);
  // pools: the sites of one kind in one cell, numbered in the order of their first site
  std::map<std::pair<uint32_t, uint8_t>, uint32_t> pool_at;
  s.pool_of.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const auto [it, added] = pool_at.try_emplace({s.sites.cell[i], s.sites.kind[i]}, uint32_t(s.pool_kind.size()));
    if (added) {
      s.pool_kind.push_back(s.sites.kind[i]);
      s.pool_cell.push_back(s.sites.cell[i]);
    }
    s.pool_of[i] = it->second;
  }
  const size_t pools = s.pool_kind.size();
  // pool links: each pool once per cell, where its best site comes in the cell's order
  Coverage& pc = s.pool_coverage;
  pc.start.assign(cells + 1, 0);
  s.pool_link_of.resize(s.coverage.to.size());
  std::vector<uint32_t> in_cell(pools, UINT32_MAX), link_of_pool(pools, 0);
  for (size_t c = 0; c < cells; ++c) {
    pc.start[c] = uint32_t(pc.to.size());
    for (uint32_t l = s.coverage.start[c]; l < s.coverage.start[c + 1]; ++l) {
      const uint32_t pool = s.pool_of[s.coverage.to[l]];
      if (in_cell[pool] != c) {
        in_cell[pool] = uint32_t(c);
        link_of_pool[pool] = uint32_t(pc.to.size());
        pc.to.push_back(pool);
      }
      s.pool_link_of[l] = link_of_pool[pool];
    }
  }
  pc.start[cells] = uint32_t(pc.to.size());
  pc.share.assign(pc.to.size(), 0.0f);
  pc.log1m_share.assign(pc.to.size(), 0.0);
  for (auto* v : {&s.capacity, &s.busy, &s.tracked, &s.reached, &s.admitted, &s.fresh, &s.departed}) v->assign(pools, 0);
  s.first_reach.assign(pools, 0);
  s.refused_left.assign(pools, 0);
  refresh_pools(s);
  s.split.assign(pc.to.size(), 0);
  s.split_end.assign(pc.start.begin(), pc.start.end() - 1);
  // attachment tiles: as tall and as wide as the most rows and columns a pool's links span
  std::vector<int> first_row(pools, g.rows), last_row(pools, -1), first_col(pools, g.cols), last_col(pools, -1);
  for (size_t c = 0; c < cells; ++c)
    for (uint32_t l = pc.start[c]; l < pc.start[c + 1]; ++l) {
      const uint32_t pool = pc.to[l];
      first_row[pool] = std::min(first_row[pool], g.row_of(c));
      last_row[pool] = std::max(last_row[pool], g.row_of(c));
      first_col[pool] = std::min(first_col[pool], g.col_of(c));
      last_col[pool] = std::max(last_col[pool], g.col_of(c));
    }
  int tile_rows = 1, tile_cols = 1;
  for (size_t i = 0; i < pools; ++i) {
    tile_rows = std::max(tile_rows, last_row[i] - first_row[i] + 1);
    tile_cols = std::max(tile_cols, last_col[i] - first_col[i] + 1);
  }
  for (int r0 = 0, tr = 0; r0 < g.rows; r0 += tile_rows, ++tr)
    for (int c0 = 0, tc = 0; c0 < g.cols; c0 += tile_cols, ++tc) {
      s.tiles_of_colour[size_t(tr % 2 * 2 + tc % 2)].push_back(uint32_t(s.tile_start.size()));
      s.tile_start.push_back(uint32_t(s.tile_cells.size()));
      for (int r = r0; r < std::min(g.rows, r0 + tile_rows); ++r)
        for (int c = c0; c < std::min(g.cols, c0 + tile_cols); ++c) s.tile_cells.push_back(uint32_t(r * g.cols + c));
    }
  s.tile_start.push_back(uint32_t(cells));
  s.base_rate_per_min.assign(cells, 0.0);
  s.rate_per_resident.assign(cells, 0.0);
  s.retry_pool.assign(cells, 0);
  s.emergency_clock.assign(cells, std::numeric_limits<double>::quiet_NaN());
  s.arrivals.assign(cells, 0);
  s.emergency.assign(cells, 0);
  s.retries.assign(cells, 0);
  s.offered_cell.assign(cells, 0);
  s.blocked_cell.assign(cells, 0);
  return s;
}

void update_demand(const NetworkParams& p, NetworkState& s, const Residents& R, const Grid& g) {
  const size_t cells = g.size();
  // sessions per minute of one smartphone owner by age group and activity, in integer
  // units of 1e-9 so that per-thread sums do not depend on the order of the adds
  constexpr double kUnit = 1e-9;
  std::array<int64_t, kGroups> units{};
  for (int a = 0; a < kAgeGroups; ++a)
    for (int act = 0; act < kActivities; ++act)
      units[size_t(a * kActivities + act)] =
          std::llround(R.weight * p.sessions_per_hour_by_age[size_t(a)] / 60.0 * p.activity_factor[size_t(act)] / kUnit);
  std::array<uint8_t, 256> group_of_age{};
  for (size_t age = 0; age < group_of_age.size(); ++age) group_of_age[age] = uint8_t(age_group(int(age)));
  tbb::enumerable_thread_specific<std::vector<int64_t>> sums([&] { return std::vector<int64_t>(cells, 0); });
  tbb::parallel_for(tbb::blocked_range<size_t>(0, R.count, 1 << 14), [&](const auto& range) {
    auto& sum = sums.local();
    for (size_t r = range.begin(); r < range.end(); ++r)
      sum[R.cell[r]] += R.has(r, Smartphone) * units[group_of_age[R.age[r]] * size_t(kActivities) + R.activity[r]];
  });
  std::vector<int64_t> total(cells, 0);
  for (const auto& sum : sums)
    for (size_t c = 0; c < cells; ++c) total[c] += sum[c];
  // cells empty at the count take the city's mean mix when people arrive
  double rate_all = 0, present_all = 0;
  for (size_t c = 0; c < cells; ++c) {
    if (!g.is_land(c)) {  // outside the city: in-commuters at home there use other networks
      s.rate_per_resident[c] = 0;
      continue;
    }
    const double rate = double(total[c]) * kUnit;
    const double present = R.present.empty() ? 0.0 : double(R.present[c]);
    s.rate_per_resident[c] = present > 0 ? rate / present : -1.0;
    rate_all += rate;
    present_all += present;
  }
  const double mean = present_all > 0 ? rate_all / present_all : 0.0;
  for (double& r : s.rate_per_resident)
    if (r < 0) r = mean;
  refresh_demand(s, R);
}

void refresh_demand(NetworkState& s, const Residents& R) {
  for (size_t c = 0; c < s.base_rate_per_min.size(); ++c)
    s.base_rate_per_min[c] = R.present.empty() ? 0.0 : R.present[c] * s.rate_per_resident[c];
}

// ---- [SECTION] sessions -------------------------------------------------------------

SessionCounts& SessionCounts::operator+=(const SessionCounts& o) {
  for (size_t k = 0; k < size_t(kSiteKinds); ++k) {
    carried_kind[k] += o.carried_kind[k];
    reached_kind[k] += o.reached_kind[k];
    refused_kind[k] += o.refused_kind[k];
  }
  offered += o.offered;
  attempts += o.attempts;
  carried += o.carried;
  blocked += o.blocked;
  priority_offered += o.priority_offered;
  priority_blocked += o.priority_blocked;
  return *this;
}

PoolStep pool_step(Draws& d, int32_t busy_start, uint32_t departing, uint32_t arrivals, int32_t limit, double dt_min,
                   double holding_min, std::vector<double>& scratch) {
  PoolStep r;
  if (arrivals == 0) return r;
  // order statistics of n uniforms on [0, 1) from n + 1 exponential spacings, written
  // from `at` on: sorted times without a sort
  const auto sorted_uniforms = [&](size_t at, uint32_t n) {
    double sum = 0;
    for (uint32_t i = 0; i < n; ++i) scratch[at + i] = sum += d.exponential(1.0);
    sum += d.exponential(1.0);
    for (uint32_t i = 0; i < n; ++i) scratch[at + i] /= sum;
  };
  // the heap of admitted sessions that end within the step sits after both lists
  scratch.resize(size_t(departing) + 2 * size_t(arrivals));
  sorted_uniforms(0, departing);
  sorted_uniforms(departing, arrivals);
  // a session present at the start that ends within the step ends at a time with density
  // proportional to exp(-t/h) on [0, dt): the inverse distribution function is monotone,
  // so sorted uniforms give sorted times
  const double leave = -std::expm1(-dt_min / holding_min);
  for (uint32_t i = 0; i < departing; ++i) scratch[i] = -holding_min * std::log1p(-scratch[i] * leave);
  double* const heap = scratch.data() + departing + arrivals;
  size_t heap_size = 0;
  const auto later = [](double a, double b) { return a > b; };  // min-heap on end time
  int32_t busy = busy_start;
  uint32_t next_old = 0;
  for (uint32_t a = 0; a < arrivals; ++a) {
    const double t = scratch[departing + a] * dt_min;
    while (next_old < departing && scratch[next_old] <= t) --busy, ++next_old;
    while (heap_size > 0 && heap[0] <= t) {
      std::pop_heap(heap, heap + heap_size--, later);
      --busy;
    }
    if (busy >= limit) {
      ++r.refused;
      continue;
    }
    ++busy;
    ++r.admitted;
    const double end = t + d.exponential(holding_min);
    if (end < dt_min) {
      heap[heap_size++] = end;
      std::push_heap(heap, heap + heap_size, later);
      ++r.ended_within;
    }
  }
  return r;
}

PoolServe serve_pool(Draws& d, int32_t busy_start, int32_t tracked, uint32_t arrivals, int32_t limit, double dt_min,
                     double holding_min, std::vector<double>& scratch) {
  constexpr uint32_t kLeafArrivals = 8;
  constexpr double kLeafSteps = 12;  // parts of h / 12 and shorter are served by the ballot theorem
  const double leave = -std::expm1(-dt_min / holding_min);
  const uint32_t untracked = uint32_t(std::max(0, busy_start - tracked));
  PoolServe r;
  if (arrivals == 0 || busy_start + int64_t(arrivals) <= limit) {
    // one that arrives at a uniform time ends within the step with 1 - (h/dt)(1 - exp(-dt/h))
    const uint32_t ended = arrivals == 0 ? 0 : binomial(d, arrivals, 1 - holding_min / dt_min * leave);
    r.admitted = arrivals;
    r.busy_end = busy_start - int32_t(binomial(d, untracked, leave)) + int32_t(arrivals - ended);
    return r;
  }
  if (arrivals > kLeafArrivals && dt_min <= holding_min / kLeafSteps) {
    // a short part: old departures and arrivals at (nearly) uniform times, so their order
    // is a random permutation of `arrivals` ups and `departing` downs, and the arrivals
    // refused are the walk's maximum above the free slots. Ballot theorem (reflection):
    // P(max >= m) = C(n, departing + m) / C(n, departing) for m >= arrivals - departing.
    // Sessions admitted here that also end here free their slot only at the end
    const uint32_t departing = binomial(d, untracked, leave);
    const int64_t free_slots = int64_t(limit) - busy_start;
    const int64_t downs = std::max<int64_t>(0, int64_t(departing) + std::min<int64_t>(0, free_slots));
    const int64_t k = std::max<int64_t>(0, free_slots), ups = int64_t(arrivals);
    int64_t m = std::max<int64_t>(0, ups - downs);
    const double u = d.uniform();
    for (double tail = 1; m < ups;) {  // while P(max >= m + 1) > u the maximum is higher
      const double next = tail * double(ups - m) / double(downs + m + 1);
      if (next <= u) break;
      tail = next, ++m;
    }
    r.refused = uint32_t(std::max<int64_t>(0, m - k));
    r.admitted = arrivals - r.refused;
    const uint32_t ended = binomial(d, r.admitted, 1 - holding_min / dt_min * leave);
    r.busy_end = busy_start - int32_t(departing) + int32_t(r.admitted - ended);
    return r;
  }
  if (arrivals <= kLeafArrivals) {
    const uint32_t departing = binomial(d, untracked, leave);
    const PoolStep x = pool_step(d, busy_start, departing, arrivals, limit, dt_min, holding_min, scratch);
    r.admitted = x.admitted;
    r.refused = x.refused;
    r.busy_end = busy_start - int32_t(departing) + int32_t(x.admitted - x.ended_within);
    return r;
  }
  const uint32_t first = binomial(d, arrivals, 0.5);
  const PoolServe a = serve_pool(d, busy_start, tracked, first, limit, dt_min / 2, holding_min, scratch);
  const PoolServe b = serve_pool(d, a.busy_end, tracked, arrivals - first, limit, dt_min / 2, holding_min, scratch);
  return {a.admitted + b.admitted, a.refused + b.refused, b.busy_end};
}

namespace {

// draw entities of the session stream: purpose in the high bits
// (15 and 16 are destruction and restoration draws in network_module.cpp)
constexpr uint64_t kDepart = 10ull << 40, kArrive = 11ull << 40, kAttach = 12ull << 40, kRotate = 13ull << 40,
                   kPriority = 14ull << 40, kPoolStep = 17ull << 40, kEmergency = 18ull << 40;

int32_t limit(const NetworkParams& p, const NetworkState& s, size_t pool, bool priority) {
  const int32_t cap = s.capacity[pool];
  return priority ? cap : int32_t(std::floor(cap * (1 - p.priority_reserve_share)));
}

// a probability for many binomial draws with one p: log(1 - p), and (1 - p)^n for small n
struct Prob {
  double p, log1m_p;
  std::array<double, 64> pow_1m_p{};
  explicit Prob(double p_) : p(p_), log1m_p(std::log1p(-p_)) {
    double x = 1;
    for (double& v : pow_1m_p) v = x, x *= 1 - p;
  }
};
uint32_t binomial(Draws& d, uint32_t n, const Prob& q) { return binomial(d, n, q.p, q.log1m_p, q.pow_1m_p); }

// a working pool takes up to `reach` sessions. When it is full, sessions it admitted
// earlier in this step that end within the step free their slots for the ones it would
// refuse, in rounds (each round's newcomers may end within the step too). Without the
// rounds, a one-minute step overstates blocking by about a third at h = 3 min.
uint32_t admit(const NetworkParams& p, NetworkState& s, size_t pool, uint32_t reach, bool priority, const Prob& ends_within,
               Draws& d, bool bulk = true) {
  if (s.capacity[pool] == 0) return 0;
  const int32_t lim = limit(p, s, pool, priority);
  uint32_t take = std::min<uint32_t>(reach, uint32_t(std::max(0, lim - s.busy[pool])));
  s.busy[pool] += int32_t(take);
  if (!bulk) return take;  // a tracked priority session keeps its own end time
  s.fresh[pool] += int32_t(take);
  uint32_t refused = reach - take;
  while (refused > 0 && s.fresh[pool] > 0) {
    const uint32_t ended = binomial(d, uint32_t(s.fresh[pool]), ends_within);
    s.fresh[pool] = 0;  // the rest stay to the end of the step
    if (ended == 0) break;
    s.busy[pool] -= int32_t(ended);
    const uint32_t more = std::min<uint32_t>(refused, uint32_t(std::max(0, lim - s.busy[pool])));
    s.busy[pool] += int32_t(more);
    s.fresh[pool] = int32_t(more);
    take += more;
    refused -= more;
  }
  return take;
}

// sessions that reached a pool: counters
void count_reach(NetworkState& s, SessionCounts& t, uint32_t pool, uint32_t reach, uint32_t take) {
  const size_t k = s.pool_kind[pool];
  s.reached[pool] += int32_t(reach);
  s.admitted[pool] += int32_t(take);
  t.reached_kind[k] += reach;
  t.refused_kind[k] += reach - take;
  t.carried_kind[k] += take;
}

// attach n sessions arriving in a cell along its pool links from `from`, a binomial share
// of those left reaching each pool; returns how many were carried. `one_pool` receives the
// pool of the last admitted session (for tracked sessions)
uint32_t attach(const NetworkParams& p, NetworkState& s, SessionCounts& t, size_t cell, uint32_t from, uint32_t n, bool priority,
                const Prob& ends_within, Draws& d, bool bulk = true, int64_t* one_pool = nullptr) {
  const Coverage& pc = s.pool_coverage;
  uint32_t left = n;
  for (uint32_t l = from; l < pc.start[cell + 1] && left > 0; ++l) {
    const uint32_t pool = pc.to[l];
    const uint32_t reach = binomial(d, left, pc.share[l], pc.log1m_share[l]);
    if (reach == 0) continue;
    const uint32_t take = admit(p, s, pool, reach, priority, ends_within, d, bulk);
    count_reach(s, t, pool, reach, take);
    left -= take;
    if (take > 0 && one_pool) *one_pool = pool;
  }
  return n - left;
}

}  // namespace

void serve_sessions(const NetworkParams& p, NetworkState& s, std::span<const double> rate_per_min, double dt_min,
                    uint64_t seed) {
  const Rng rng(seed, Stream::Network);
  const uint32_t step = s.substep++;
  const size_t cells = rate_per_min.size();
  // departures: exponential holding -> each session ends in dt with 1 - exp(-dt/h); one
  // that starts at a uniform time in the step ends within it with 1 - h/dt (1 - exp(-dt/h))
  const double leave = -std::expm1(-dt_min / p.holding_min);
  const Prob ends_within(1 - p.holding_min / dt_min * leave), departs(leave);
  // four pools share the draws of one Philox block (a binomial takes one 32-bit word)
  constexpr size_t kPoolsPerBlock = 4;
  const auto depart = [&](size_t group) {
    Draws d(rng, kDepart | group, step);
    for (size_t i = group * kPoolsPerBlock; i < std::min(s.busy.size(), (group + 1) * kPoolsPerBlock); ++i) {
      s.fresh[i] = 0;
      const int32_t bulk = s.busy[i] - s.tracked[i];
      s.departed[i] = bulk > 0 ? int32_t(binomial(d, uint32_t(bulk), departs)) : 0;
      s.busy[i] -= s.departed[i];
    }
  };
  // arrivals: Poisson per cell, split into regular and emergency (Poisson splitting);
  // waiting blocked sessions retry after an exponential delay. The regular ones are then
  // split along the cell's links as if no pool refused any (the common case)
  const double retry_now = -std::expm1(-dt_min * 60 / p.retry_delay_mean_s);
  const auto arrive = [&](size_t c) {
    const Coverage& pc = s.pool_coverage;
    s.split_end[c] = pc.start[c];
    if (rate_per_min[c] <= 0 && s.retry_pool[c] == 0) {
      s.arrivals[c] = s.emergency[c] = s.retries[c] = 0;
      return;
    }
    Draws d(rng, kArrive | c, step);
    const double mean = rate_per_min[c] * dt_min;
    s.arrivals[c] = d.poisson(mean * (1 - p.emergency_share));
    // emergency calls are rare: the cell's Poisson process runs down an Exp(1) clock of
    // expected calls, drawn only when a call comes (the same law as a Poisson count per step)
    double& clock = s.emergency_clock[c];
    if (std::isnan(clock)) clock = d.exponential(1.0);
    clock -= mean * p.emergency_share;
    for (s.emergency[c] = 0; clock <= 0; ++s.emergency[c]) clock += d.exponential(1.0);
    s.retries[c] = binomial(d, s.retry_pool[c], retry_now);
    s.retry_pool[c] -= s.retries[c];
    uint32_t left = s.arrivals[c] + s.retries[c], l = pc.start[c];
    for (; l < pc.start[c + 1] && left > 0; ++l) {
      s.split[l] = binomial(d, left, pc.share[l], pc.log1m_share[l]);
      left -= s.split[l];
    }
    s.split_end[c] = l;
  };
  // both in one parallel pass: groups of pools, then cells (chunks of 64: the busy cells
  // sit together in the centre, and 16 cores need many chunks to share them)
  const size_t groups = (s.busy.size() + kPoolsPerBlock - 1) / kPoolsPerBlock;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, groups + cells, 64), [&](const auto& range) {
    for (size_t i = range.begin(); i < range.end(); ++i) i < groups ? depart(i) : arrive(i - groups);
  });
  // the passes over cells share pools, so each tile runs in cell order, starting from a
  // cell drawn each step so that no cell is always served first; tiles of one colour at
  // once (the counters are integers: their sum does not depend on how threads group them)
  const auto by_tiles = [&](auto&& serve_cell) {
    for (const auto& colour : s.tiles_of_colour)
      tbb::parallel_for(tbb::blocked_range<size_t>(0, colour.size(), 1), [&](const auto& range) {
        for (size_t j = range.begin(); j < range.end(); ++j) {
          const size_t tile = colour[j], begin = s.tile_start[tile], n = s.tile_start[tile + 1] - begin;
          const auto has_sessions = [&](uint32_t c) { return s.arrivals[c] + s.retries[c] + s.emergency[c] > 0; };
          if (std::none_of(&s.tile_cells[begin], &s.tile_cells[begin] + n, has_sessions)) continue;  // sea, night
          const size_t first = Draws(rng, kRotate | tile, step).below(uint32_t(n));
          for (size_t i = 0; i < n; ++i) {
            const size_t c = s.tile_cells[begin + (first + i) % n];
            if (has_sessions(uint32_t(c))) serve_cell(c);
          }
        }
      });
  };
  tbb::enumerable_thread_specific<SessionCounts> tally;
  // 1. emergency calls first (admission control with allocation priority, 3GPP TS 23.501
  // ARP), and each pool's first-choice regular arrivals summed
  by_tiles([&](size_t c) {
    SessionCounts& t = tally.local();
    for (uint32_t l = s.pool_coverage.start[c]; l < s.split_end[c]; ++l) s.first_reach[s.pool_coverage.to[l]] += s.split[l];
    const uint32_t emergency = s.emergency[c];
    if (emergency == 0) return;
    Draws d(rng, kEmergency | c, step);
    const uint32_t blocked = emergency - attach(p, s, t, c, s.pool_coverage.start[c], emergency, true, ends_within, d);
    t.offered += emergency;
    t.attempts += emergency;
    t.carried += emergency - blocked;
    t.blocked += blocked;
    t.priority_offered += emergency;
    t.priority_blocked += blocked;
    s.offered_cell[c] += emergency;
    s.blocked_cell[c] += blocked;
  });
  // 2. each pool serves its first-choice arrivals (one Poisson count, the sum of the cells'
  // splits) as an M/M/c/c queue over the step (serve_pool): exact at any step length. A
  // pool that cannot fill within the step (all arrive before any leaves) takes them all
  tbb::enumerable_thread_specific<std::vector<double>> scratch;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, s.busy.size(), 64), [&](const auto& range) {
    for (size_t i = range.begin(); i < range.end(); ++i) {
      const uint32_t reach = s.first_reach[i];
      s.refused_left[i] = 0;
      if (reach == 0) continue;
      const int32_t lim = s.capacity[i] == 0 ? 0 : limit(p, s, i, false);
      Draws d(rng, kPoolStep | i, step);
      if (s.busy[i] + s.departed[i] + int64_t(reach) <= lim) {
        s.busy[i] += int32_t(reach - binomial(d, reach, ends_within));
        continue;
      }
      // the step's departures drawn above are drawn again, half by half
      const PoolServe r = serve_pool(d, s.busy[i] + s.departed[i], s.tracked[i], reach, lim, dt_min, p.holding_min,
                                     scratch.local());
      s.busy[i] = r.busy_end;
      s.refused_left[i] = r.refused;
    }
  });
  // 3. the refused are handed back to their cells (which of a pool's arrivals came too
  // late does not depend on their cell: each cell's share in proportion) and walk on
  // to the cell's next pools in reach; the fresh overflow is batched within the step
  by_tiles([&](size_t c) {
    SessionCounts& t = tally.local();
    const uint32_t regular = s.arrivals[c] + s.retries[c];
    if (regular == 0) return;
    Draws d(rng, kAttach | c, step);
    uint32_t carried = 0;
    for (uint32_t l = s.pool_coverage.start[c]; l < s.split_end[c]; ++l) {
      const uint32_t reach = s.split[l], pool = s.pool_coverage.to[l];
      if (reach == 0) continue;
      uint32_t& left_refused = s.refused_left[pool];
      uint32_t& left_reach = s.first_reach[pool];
      uint32_t refused = 0;
      if (left_refused > 0) {
        // a binomial share with the hypergeometric's mean, kept within what is left
        const uint32_t lo = left_refused > left_reach - reach ? left_refused - (left_reach - reach) : 0;
        refused = std::clamp(binomial(d, reach, double(left_refused) / left_reach), lo, std::min(reach, left_refused));
        left_refused -= refused;
      }
      left_reach -= reach;
      count_reach(s, t, pool, reach, reach - refused);
      carried += reach - refused;
      if (refused > 0) carried += attach(p, s, t, c, l + 1, refused, false, ends_within, d);
    }
    const uint32_t blocked = regular - carried;
    if (p.retry) s.retry_pool[c] += binomial(d, blocked, p.retry_persistence);
    t.offered += s.arrivals[c];
    t.attempts += regular;
    t.carried += carried;
    t.blocked += blocked;
    s.offered_cell[c] += regular;
    s.blocked_cell[c] += blocked;
  });
  for (const SessionCounts& t : tally) s.counts += t;
}

float network_ok(const NetworkState& s, size_t cell) {
  // each pool in reach: its measured acceptance this tick, or whether there is room when
  // nobody tried; 0 when down
  const Coverage& pc = s.pool_coverage;
  double fail = 1;
  for (uint32_t l = pc.start[cell]; l < pc.start[cell + 1] && fail > 0; ++l) {
    const uint32_t i = pc.to[l];
    const double accept = s.capacity[i] == 0 ? 0.0
                          : s.reached[i] > 0 ? double(s.admitted[i]) / s.reached[i]
                                             : (s.busy[i] < s.capacity[i] ? 1.0 : 0.0);
    fail *= 1 - pc.share[l] * accept;
  }
  return float(1 - fail);
}

// ---- [SECTION] sites ----------------------------------------------------------------

SiteStatus site_status(const NetworkState& s, size_t i, LocalSeconds now) {
  if (s.sites.deploy_at[i] > now) return SiteStatus::Stored;
  if (s.destroyed[i]) return SiteStatus::Down;
  if (s.mains[i]) return SiteStatus::Up;
  return now >= s.battery_empty_at[i] ? SiteStatus::Down : SiteStatus::Backup;
}

namespace {

// restorations due, status changes; a site going down starts the clock until operators
// see it, and its pool loses its share of the sessions
void update_sites(const NetworkParams& p, NetworkState& s, LocalSeconds now) {
  s.newly_seen.clear();
  if (now < s.next_site_change) return;
  bool changed = false;
  LocalSeconds next = kNever;
  const auto due = [&](LocalSeconds at) {
    if (at > now) next = std::min(next, at);
  };
  for (size_t i = 0; i < s.sites.size(); ++i) {
    if (s.restore_at[i] <= now) {
      s.mains[i] = 1;
      s.destroyed[i] = 0;
      s.restore_at[i] = kNever;
    }
    if (s.power_back_at[i] <= now) {
      s.mains[i] = 1;
      s.power_back_at[i] = kNever;
    }
    const SiteStatus before = SiteStatus(s.status[i]), after = site_status(s, i, now);
    changed |= after != before;
    if (after == SiteStatus::Down && before != SiteStatus::Down) {
      s.down_since[i] = now;
      s.down_cause[i] = s.destroyed[i];
      const double wifi_min = s.wifi_monitoring_delay_min >= 0 ? s.wifi_monitoring_delay_min : p.wifi_monitoring_delay_min;
      const double delay_min = SiteKind(s.sites.kind[i]) == SiteKind::Wifi ? wifi_min : p.cell_alarm_delay_min;
      s.seen_at[i] = now + LocalSeconds(std::llround(delay_min * 60));
    }
    if (after != SiteStatus::Down) s.seen_at[i] = kNever;
    if (after == SiteStatus::Down && s.seen_at[i] <= now) {
      s.newly_seen.push_back(uint32_t(i));
      s.seen_delay_sum_min += double(s.seen_at[i] - s.down_since[i]) / 60.0;
      ++s.seen_count;
      s.seen_at[i] = kNever;
    }
    s.status[i] = uint8_t(after);
    // the next time anything about this site changes by itself
    due(s.restore_at[i]);
    due(s.power_back_at[i]);
    due(s.seen_at[i]);
    due(s.sites.deploy_at[i]);
    if (!s.mains[i]) due(s.battery_empty_at[i]);
  }
  s.next_site_change = next;
  if (!changed) return;
  // a pool that lost capacity drops the sessions of the sites it lost, in proportion;
  // individual priority sessions go only with the pool's last site
  const std::vector<int32_t> before = s.capacity;
  refresh_pools(s);
  bool dropped_tracked = false;
  for (size_t k = 0; k < s.capacity.size(); ++k) {
    if (s.capacity[k] >= before[k]) continue;
    const int32_t bulk = s.busy[k] - s.tracked[k];
    const int32_t keep = s.capacity[k] == 0 ? 0 : int32_t(std::llround(double(bulk) * s.capacity[k] / before[k]));
    s.dropped += bulk - keep;
    s.busy[k] = s.tracked[k] + keep;
    if (s.capacity[k] == 0 && s.tracked[k] > 0) {
      s.dropped += s.tracked[k];
      s.busy[k] = s.tracked[k] = 0;
      dropped_tracked = true;
    }
  }
  if (dropped_tracked) std::erase_if(s.priority_sessions, [&](const auto& x) { return s.capacity[x.pool] == 0; });
}

// watch-over reports and other priority sessions, one by one, with their own lengths
void serve_priority(const NetworkParams& p, NetworkState& s, const std::vector<PrioritySessionEvent>& events,
                    LocalSeconds now, uint64_t seed) {
  std::erase_if(s.priority_sessions, [&](const auto& x) {
    if (x.end > now) return false;
    --s.busy[x.pool];
    --s.tracked[x.pool];
    return true;
  });
  const Rng rng(seed, Stream::Network);
  SessionCounts& t = s.counts;
  for (size_t j = 0; j < events.size(); ++j) {
    const auto& e = events[j];
    if (e.cell + 1 >= s.pool_coverage.start.size()) continue;
    Draws d(rng, kPriority | j, s.substep);
    int64_t pool = -1;
    ++t.priority_offered;
    if (attach(p, s, t, e.cell, s.pool_coverage.start[e.cell], 1, true, Prob(0), d, false, &pool) == 0) {
      ++t.priority_blocked;
      continue;
    }
    ++s.tracked[size_t(pool)];
    const LocalSeconds end = now + std::max<LocalSeconds>(1, LocalSeconds(std::llround(d.exponential(e.holding_min) * 60)));
    s.priority_sessions.push_back({uint32_t(pool), end});
  }
}

// ---- [SECTION] tick -----------------------------------------------------------------

}  // namespace

double demand_factor(const NetworkParams& p, const NetworkState& s, LocalSeconds now) {
  // hourly profile, linear between the hours
  const double h = hour_of_day(now);
  const size_t i = size_t(h) % 24;
  const double f = h - std::floor(h);
  const double hourly = (1 - f) * p.hourly_profile[i] + f * p.hourly_profile[(i + 1) % 24];
  // surge: everyone tries at once, the extra demand decays exponentially
  const double surge = now < s.surge_at ? 1.0
                       : 1 + (s.surge_multiplier - 1) * std::exp(-double(now - s.surge_at) / 3600.0 / s.surge_decay_hours);
  return hourly * surge;
}

void step_network(const NetworkParams& p, NetworkState& s, World& w) {
  const LocalSeconds now = w.clock.now();
  // 1. sites: restorations, batteries running out, outages seen
  update_sites(p, s, now);
  // 2. demand: recounted from the residents at its own cadence
  const int64_t minute = w.clock.elapsed_minutes();
  if (s.demand_updated_minute < 0 || minute - s.demand_updated_minute >= p.demand_update_minutes) {
    update_demand(p, s, w.residents, w.grid);
    s.demand_updated_minute = minute;
  } else {
    refresh_demand(s, w.residents);
  }
  const double factor = demand_factor(p, s, now);
  s.rate_now.resize(s.base_rate_per_min.size());
  for (size_t c = 0; c < s.rate_now.size(); ++c) s.rate_now[c] = s.base_rate_per_min[c] * factor;
  std::erase_if(s.crowds, [&](const auto& crowd) { return crowd.until <= now; });
  for (const auto& crowd : s.crowds)
    for (const uint32_t c : crowd.cells) s.rate_now[c] += crowd.rate_per_cell_per_min;
  std::fill(s.reached.begin(), s.reached.end(), 0);
  std::fill(s.admitted.begin(), s.admitted.end(), 0);
  // 3. priority sessions reported by other modules in the previous tick
  serve_priority(p, s, w.events.previous_tick<PrioritySessionEvent>(), now, w.seed);
  // 4. (sub-)steps of the loss system
  const int substeps = std::max(1, w.clock.tick_minutes * 60 / p.substep_s);
  const double dt_min = double(w.clock.tick_minutes) / substeps;
  for (int k = 0; k < substeps; ++k) serve_sessions(p, s, s.rate_now, dt_min, w.seed);
}

}  // namespace citysim
