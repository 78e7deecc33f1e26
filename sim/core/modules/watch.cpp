// Elderly watch-over: the [watch] keys, the supporter table, onset and detection draws,
// the event queue (detect -> report -> desk -> response) and the metrics.
//
// [SECTION] names, params   kinds, the [watch] keys and the supporter table
// [SECTION] model          severity curve, desk hours, onset draws, detection planning
// [SECTION] step           daily draw, heat cases, the event queue
// [SECTION] module         metrics and the Module wrapper
#include "modules/watch.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <tuple>

#include "citysim/city.hpp"
#include "citysim/residents.hpp"

namespace citysim {

// ---- [SECTION] names, params --------------------------------------------------------

const char* anomaly_kind_name(AnomalyKind k) {
  static const char* names[] = {"fall", "illness", "heat", "no_sign"};
  return names[int(k)];
}

int age_band(int age) { return age < 75 ? 0 : age < 85 ? 1 : 2; }

std::vector<SupporterKind> read_supporters(const std::string& path, const std::string& key) {
  const CsvTable t = read_csv(path, key);
  const int c_kind = t.column("kind", key), c_partners = t.column("partners", key),
            c_visits = t.column("visits_per_week", key), c_start = t.column("visit_start_h", key),
            c_end = t.column("visit_end_h", key), c_cover = t.column("coverage_share", key),
            c_notice = t.column("notice_prob", key), c_app = t.column("app_adoption", key),
            c_reach = t.column("reach", key);
  // the route columns are optional: a table without them has today's uniform rounds on random days
  const auto optional = [&](const char* name) {
    const auto it = std::find(t.header.begin(), t.header.end(), name);
    return it == t.header.end() ? -1 : int(it - t.header.begin());
  };
  const int c_area = optional("area"), c_schedule = optional("schedule");
  std::vector<SupporterKind> out;
  std::set<std::string> names;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto bad = [&](const std::string& what) { return ScenarioError({path, t.lines[r]}, key, what); };
    const auto in = [&](int col, double lo, double hi) {
      const double x = t.number(r, col, key);
      if (x < lo || x > hi)
        throw bad("expected '" + t.header[size_t(col)] + "' in [" + format_number(lo) + ", " +
                  format_number(hi) + "], got " + t.rows[r][size_t(col)]);
      return x;
    };
    SupporterKind k;
    k.name = t.rows[r][size_t(c_kind)];
    if (k.name.empty()) throw bad("expected a supporter kind name in column 'kind'");
    if (!names.insert(k.name).second) throw bad("supporter kind '" + k.name + "' listed twice");
    const double partners = in(c_partners, 0, 10000);
    if (partners != std::floor(partners)) throw bad("expected a whole number of partners, got " + t.rows[r][size_t(c_partners)]);
    k.partners = int(partners);
    k.visits_per_week = in(c_visits, 0, 7);  // at most one visit a day
    k.visit_start_h = in(c_start, 0, 24);
    k.visit_end_h = in(c_end, 0, 24);
    if (k.visit_end_h <= k.visit_start_h) throw bad("expected visit_end_h after visit_start_h");
    k.coverage_share = in(c_cover, 0, 1);
    k.notice_prob = in(c_notice, 0, 1);
    k.app_adoption = in(c_app, 0, 1);
    const std::string& reach = t.rows[r][size_t(c_reach)];
    if (reach == "all") k.reach = SupporterReach::All;
    else if (reach == "registered") k.reach = SupporterReach::Registered;
    else if (reach == "own_outing") k.reach = SupporterReach::OwnOuting;
    else throw bad("expected reach all, registered or own_outing, got \"" + reach + "\"");
    if (c_area >= 0) {
      const std::string& area = t.rows[r][size_t(c_area)];
      if (area == "homes") k.area = RouteArea::Homes;
      else if (area == "land_use") k.area = RouteArea::LandUse;
      else throw bad("expected area homes or land_use, got \"" + area + "\"");
    }
    if (c_schedule >= 0) {
      const std::string& schedule = t.rows[r][size_t(c_schedule)];
      if (schedule == "random") k.schedule = RouteSchedule::Random;
      else if (schedule == "cycle") k.schedule = RouteSchedule::Cycle;
      else throw bad("expected schedule random or cycle, got \"" + schedule + "\"");
      if (k.schedule == RouteSchedule::Cycle && (k.visits_per_week <= 0 || k.reach == SupporterReach::OwnOuting))
        throw bad("expected visits_per_week above 0 and reach all or registered for a cycle schedule");
    }
    out.push_back(k);
  }
  if (out.size() > 32) throw ScenarioError({path, 0}, key, "expected at most 32 supporter kinds");
  return out;
}

void WatchParams::keys(ParamKeys& k) {
  k.section("watch", "Elderly watch-over (高齢者見守り): anomalies among people aged 65+ living alone, supporters who "
                     "notice them, reports through the app or by phone, and the municipal response.");
  const char* bands = "ages 65-74, 75-84, 85+";
  const char* kinds = "fall, illness, heat, no_sign";
  const auto prob = [&](const char* key, double& x, const char* doc) { k.key(key, x, doc).range(0, 1); };
  const auto minutes = [&](const char* key, double& x, const char* doc) { k.key(key, x, doc).units("min").range(0, 10080); };
  k.key("watch.enabled", enabled, "simulate the watch-over of older people living alone");
  k.list("watch.fall_rate_per_year", fall_rate_per_year, bands,
         "people who fall per person-year at ages 65-74, 75-84, 85+ (WHO Global Report on Falls Prevention in "
         "Older Age 2007: 28-35% of over-65s, 32-42% of over-70s fall each year)")
      .units("1/year").range(0, 365);
  k.list("watch.long_lie_share", long_lie_share, bands,
         "share of falls the person cannot get up from unaided, by age band (Tinetti et al., JAMA 1993;269:65-70: "
         "47% of fallers; Fleming & Brayne, BMJ 2008;337:a2227: 80% of over-90s; 65-74 assumed 30%)")
      .range(0, 1);
  k.list("watch.illness_rate_per_year", illness_rate_per_year, bands,
         "sudden illness at home (stroke, cardiac event) per person-year by age band (order of the Hisayama study "
         "stroke incidence, Kubo et al., Stroke 2008;39:2709, plus acute coronary events)")
      .units("1/year").range(0, 365);
  k.list("watch.no_sign_rate_per_year", no_sign_rate_per_year, bands,
         "'no sign of life' (death or collapse at home) per person-year by age band; about 4,200 people 65+ living "
         "alone found dead at home in the 23 wards in 2020 (Tokyo Medical Examiner's Office) among ~560,000")
      .units("1/year").range(0, 365);
  k.list("watch.severe_base", severe_base, kinds,
         "probability of a severe outcome when found at once, for fall, illness, heat (times the heat severity "
         "1-3), no_sign; p(t) = 1 - (1 - base) exp(-t/tau). Falls fitted to Gurley et al., NEJM 1996;334:1710 "
         "(12% mortality found within 1 h, 67% after 72 h); others assumed")
      .range(0, 1);
  k.list("watch.severe_tau_h", severe_tau_h, kinds,
         "time scale of worsening while unattended, for fall, illness, heat, no_sign")
      .units("h").range(0.01, 10000);
  prob("watch.registered_share", registered_share,
       "share of watched people registered with the municipal watch-over service (visited by welfare volunteers)");
  prob("watch.sensor_share", sensor_share, "share of homes with a smart meter or motion sensor that raises an inactivity alarm");
  k.key("watch.sensor_hours", sensor_hours, "hours of inactivity before a sensor raises the alarm")
      .units("h").range(0.1, 168);
  k.key("watch.supporters_enabled", supporters_enabled,
        "supporters on their rounds (false = the baseline: only family contact and sensors)");
  k.path("watch.supporters_file", supporters_file,
         "supporter kinds CSV (kind, partners, visits_per_week, visit_start_h, visit_end_h, coverage_share, "
         "notice_prob, app_adoption, reach, and optionally area = homes or land_use and schedule = random or cycle: "
         "where and when the rounds go); empty = scenarios/data/watch_supporters.csv (62 partners)");
  k.key("watch.coverage_scale", coverage_scale,
        "multiplies every kind's coverage_share, the mean route density over watched people (more supporters or "
        "partners), capped at 1")
      .range(0, 100);
  k.key("watch.round_cell_min", round_cell_min,
        "minutes a supporter's round spends in one 1 km cell: the homes of a cell are visited across this span, each "
        "at its own place on the round (capped at the kind's visit window)")
      .units("min").range(0, 1440);
  k.key("watch.route_half_density_per_km2", route_half_density_per_km2,
        "kinds with area land_use (deliveries): a cell of d residents per km2 weighs d / (d + this), so rounds thin "
        "out where homes are sparse (assumption)")
      .units("1/km2").range(0, 1e6);
  k.list("watch.route_land_use_weight", route_land_use_weight,
         "residential, commercial, industrial, park, water, forest, agricultural",
         "kinds with area land_use: weight of a cell by its land use, times the density weight (assumption: homes "
         "are scattered in industrial, park, forest and farm cells, and rounds reach fewer of them)")
      .range(0, 100);
  k.key("watch.app_adoption", app_adoption,
        "share of supporters' staff using the app, all kinds; negative = per kind from the supporter table")
      .range(-1, 1);
  prob("watch.trained_share", trained_share, "share of supporters' staff trained in watch-over");
  k.key("watch.training_notice_factor", training_notice_factor,
        "multiplies the notice probability of trained staff (assumption)").range(1, 10);
  k.key("watch.app_checkpoint_factor", app_checkpoint_factor,
        "multiplies the notice probability of staff who see the app's checkpoints (assumption)").range(1, 10);
  prob("watch.family_contact_share", family_contact_share,
       "share of watched people with family or friends in regular contact (Cabinet Office 2014 survey of older "
       "people living alone: about 15% have no one to turn to)");
  k.key("watch.family_contact_interval_days", family_contact_interval_days,
        "mean days between family calls or visits (Poisson)").units("day").range(0.05, 365);
  prob("watch.family_notice_prob", family_notice_prob, "probability a family call that finds no answer leads them to act");
  k.key("watch.family_contact_start_h", family_contact_start_h, "family calls fall between this hour...")
      .units("h").range(0, 24);
  k.key("watch.family_contact_end_h", family_contact_end_h, "...and this hour").units("h").range(0, 24);
  minutes("watch.family_response_min", family_response_min, "from a family member acting to someone at the door");
  prob("watch.self_call_share", self_call_share,
       "share of smartphone owners who, after a fall or sudden illness, reach the phone and call 119 themselves "
       "(assumption; Fleming & Brayne, BMJ 2008: most people who fell alone could not summon help)");
  minutes("watch.self_call_min", self_call_min, "from the onset to the person's own call");
  minutes("watch.emergency_response_min", emergency_response_min,
          "from an emergency call to the ambulance at the door (FDMA 2023: 10.3 min national average, 2022)");
  minutes("watch.app_report_min", app_report_min, "time to file a report in the app (pick options; the app finds the municipal contact)");
  minutes("watch.phone_report_min", phone_report_min, "time to find the right municipal contact and report by phone");
  k.key("watch.app_retry_min", app_retry_min, "the app retries a report this often while the network is down")
      .units("min").range(1, 10080);
  minutes("watch.phone_fallback_min", phone_fallback_min, "a supporter gives up on the app and phones after this long");
  minutes("watch.app_session_min", app_session_min, "length of an app report's network session");
  minutes("watch.phone_call_min", phone_call_min, "length of a report or emergency call");
  k.key("watch.desk_24h", desk_24h, "the municipal desk answers reports 24 hours a day, every day");
  k.key("watch.desk_open_h", desk_open_h, "municipal desk opening hour on weekdays").units("h").range(0, 24);
  k.key("watch.desk_close_h", desk_close_h, "municipal desk closing hour on weekdays").units("h").range(0, 24);
  minutes("watch.desk_handle_min", desk_handle_min, "from the desk taking a report to someone dispatched");
  minutes("watch.dispatch_travel_min", dispatch_travel_min, "from dispatch to arrival at the home");
}

void WatchParams::describe(Schema& s) {
  describe_keys<WatchParams>(s);
}

void describe_watch(Schema& s) { WatchParams::describe(s); }

WatchParams WatchParams::from(const Scenario& sc) {
  WatchParams p = read_keys<WatchParams>(sc);
  p.supporters = read_supporters(p.supporters_file.empty() ? data_dir() + "/watch_supporters.csv" : p.supporters_file,
                                 "watch.supporters_file");
  sc.require_after("watch.family_contact_start_h", "watch.family_contact_end_h", "expected an hour after watch.family_contact_start_h");
  sc.require_after("watch.desk_open_h", "watch.desk_close_h", "expected an hour after watch.desk_open_h");
  return p;
}

double WatchParams::rate_per_year(AnomalyKind kind, int band) const {
  switch (kind) {
    case AnomalyKind::Fall: return fall_rate_per_year[size_t(band)] * long_lie_share[size_t(band)];
    case AnomalyKind::Illness: return illness_rate_per_year[size_t(band)];
    case AnomalyKind::NoSign: return no_sign_rate_per_year[size_t(band)];
    case AnomalyKind::Heat: return 0;  // from the heat module's cases
  }
  return 0;
}

// ---- [SECTION] model ----------------------------------------------------------------

double severe_probability(const WatchParams& p, AnomalyKind kind, double hours, int heat_severity) {
  double base = p.severe_base[size_t(kind)];
  if (kind == AnomalyKind::Heat) base = std::min(1.0, base * std::max(1, heat_severity));
  return 1 - (1 - base) * std::exp(-std::max(0.0, hours) / p.severe_tau_h[size_t(kind)]);
}

namespace {
constexpr int64_t kDay = 86400;
int64_t day_of(LocalSeconds t) { return t >= 0 ? t / kDay : (t - kDay + 1) / kDay; }
bool office_day(LocalSeconds day_start) { return civil(day_start).weekday < 5; }  // national holidays not modelled
}  // namespace

LocalSeconds desk_opens(const WatchParams& p, LocalSeconds t) {
  if (p.desk_24h) return t;
  const int64_t open_s = std::llround(p.desk_open_h * 3600), close_s = std::llround(p.desk_close_h * 3600);
  LocalSeconds day_start = day_of(t) * kDay;
  const int64_t s = t - day_start;
  if (office_day(day_start) && s >= open_s && s < close_s) return t;
  if (!(office_day(day_start) && s < open_s)) {
    do day_start += kDay;
    while (!office_day(day_start));
  }
  return day_start + open_s;
}

namespace {

// what a draw is for: part of the entity key, so no two purposes share a number
enum Purpose : uint32_t { kOnsetDraw = 1, kStableDraw, kVisitDraw, kFamilyDraw, kReportDraw, kSevereDraw, kRouteDraw };
constexpr uint32_t kStableTick = 0xFFFFFFFFu;
constexpr uint32_t kPersonTraits = 63;  // sub-key of the person's own stable draws
uint64_t entity(uint32_t id, Purpose purpose, uint32_t sub = 0) {
  return uint64_t(id) | (uint64_t(uint32_t(purpose) * 64 + sub) << 32);
}

}  // namespace

bool cycle_visit(double phase, double cycle_days, int64_t day) {
  // visits at days (j - phase) x cycle_days for whole j: exactly one in every cycle_days
  return std::floor(double(day + 1) / cycle_days + phase) > std::floor(double(day) / cycle_days + phase);
}

std::vector<float> route_densities(const WatchParams& p, const Grid& g, const std::vector<float>& watched) {
  const size_t n = g.size(), kinds = p.supporters.size();
  std::vector<float> out(kinds * n, 0.0f);
  std::vector<double> w(n);
  for (size_t k = 0; k < kinds; ++k) {
    const SupporterKind& kind = p.supporters[k];
    for (size_t c = 0; c < n; ++c) {
      const bool homes = g.population[c] > 0 || watched[c] > 0;
      if (!homes || g.land_use[c] == uint8_t(LandUse::None)) w[c] = homes ? 1.0 : 0.0;
      else if (kind.area == RouteArea::Homes) w[c] = 1;
      else {
        const double d = g.population[c] / g.cell_area_km2(c);
        w[c] = p.route_land_use_weight[size_t(g.land_use[c]) - 1] * d / (d + p.route_half_density_per_km2);
      }
    }
    // scale s so that the mean over watched people of min(1, s w) is the target (bisection:
    // the mean rises with s); cells with weight 0 stay off every round
    const double target = std::min(1.0, kind.coverage_share * p.coverage_scale);
    double total = 0, reachable = 0, w_min = HUGE_VAL;
    for (size_t c = 0; c < n; ++c) {
      total += watched[c];
      if (w[c] > 0) reachable += watched[c], w_min = std::min(w_min, w[c]);
    }
    const auto mean = [&](double scale) {
      double x = 0;
      for (size_t c = 0; c < n; ++c) x += watched[c] * std::min(1.0, scale * w[c]);
      return x;
    };
    double scale = 0;
    if (total == 0 || reachable <= target * total) scale = w_min < HUGE_VAL ? 1 / w_min : 0;  // every reachable cell at 1
    else {
      double lo = 0, hi = 1;  // a bracket first: the weights span many decades
      while (mean(hi) < target * total) lo = hi, hi *= 2;
      for (int i = 0; i < 100; ++i) (mean(0.5 * (lo + hi)) < target * total ? lo : hi) = 0.5 * (lo + hi);
      scale = 0.5 * (lo + hi);
    }
    for (size_t c = 0; c < n; ++c) out[k * n + c] = float(std::min(1.0, scale * w[c]));
  }
  return out;
}

std::optional<Onset> draw_onset(const WatchParams& p, const Rng& rng, uint32_t resident, int age, int64_t day) {
  const int band = age_band(age);
  std::array<double, kAnomalyKinds> rate{};
  for (int k = 0; k < kAnomalyKinds; ++k) rate[size_t(k)] = p.rate_per_year(AnomalyKind(k), band);
  const double total = std::accumulate(rate.begin(), rate.end(), 0.0);
  Draws d(rng, entity(resident, kOnsetDraw), uint32_t(day));
  // at most one onset a day: the thinning error is rate^2/730 per year, negligible below ~1/year
  if (!(d.uniform() < -std::expm1(-total / 365.25))) return std::nullopt;
  double pick = d.uniform() * total;
  int kind = 0;
  while (kind < kAnomalyKinds - 1 && (pick >= rate[size_t(kind)] || rate[size_t(kind)] == 0)) pick -= rate[size_t(kind++)];
  return Onset{AnomalyKind(kind), day * kDay + LocalSeconds(d.uniform() * kDay)};
}

namespace {

// a person's stable traits: registered with the municipal service, a sensor at home,
// family in contact, able to call for help themselves (uniforms compared with the
// current shares, so raising a share adds people without reshuffling)
struct Traits {
  bool registered, sensor, family, self_call;
};
Traits traits_of(const WatchParams& p, const Rng& rng, const Residents& R, uint32_t resident) {
  Draws d(rng, entity(resident, kStableDraw, kPersonTraits), kStableTick);
  const double u_reg = d.uniform(), u_sensor = d.uniform(), u_family = d.uniform(), u_self = d.uniform();
  return {u_reg < p.registered_share, u_sensor < p.sensor_share, u_family < p.family_contact_share,
          R.has(resident, Smartphone) && u_self < p.self_call_share};
}

// index of a channel in the breakdowns: supporter kinds, then family, sensor, self
size_t channel_index(const WatchParams& p, int channel) {
  return channel >= 0 ? size_t(channel) : p.supporters.size() + size_t(kChannelFamily - channel);
}

// a kind's entry for a cell in the kind-major route arrays
size_t route_index(const WatchParams& p, const WatchState& s, size_t kind, uint32_t cell) {
  return kind * (s.route_density.size() / p.supporters.size()) + cell;
}

// a supporter kind's relation to a person at home in `cell`: on the kind's rounds there
// (a stable uniform below the cell's route density), its staff use the app, trained, and
// the home's place within the cell's round (0..1)
struct Service {
  bool served, app, trained;
  double place;
};
Service service_of(const WatchParams& p, const Rng& rng, const WatchState& s, uint32_t resident, uint32_t cell,
                   size_t kind, bool registered) {
  const SupporterKind& k = p.supporters[kind];
  Draws d(rng, entity(resident, kStableDraw, uint32_t(kind)), kStableTick);
  const double u_served = d.uniform(), u_app = d.uniform(), u_trained = d.uniform(), u_place = d.uniform();
  const double density = s.route_density[route_index(p, s, kind, cell)];
  const double adoption = p.app_adoption >= 0 ? p.app_adoption : k.app_adoption;
  return {u_served < density && (k.reach != SupporterReach::Registered || registered), u_app < adoption,
          u_trained < p.trained_share, u_place};
}

struct Detection {
  LocalSeconds time;
  int channel;
};

// the earliest sign someone notices in [from, to) (both on one local day), if any.
// Every draw is keyed by (person, kind, day), so replanning the same day gives the same
// visits; only what changed in the parameters changes the outcome.
std::optional<Detection> plan_detection(const WatchParams& p, const Rng& rng, const WatchState& s, const Residents& R,
                                        const Anomaly& a, LocalSeconds from, LocalSeconds to) {
  const uint32_t r = a.resident;
  const int64_t day = day_of(from);
  const LocalSeconds day_start = day * kDay;
  const Traits traits = traits_of(p, rng, R, r);
  Detection best{to, kChannelNone};
  if (p.supporters_enabled) {
    for (size_t k = 0; k < p.supporters.size(); ++k) {
      const SupporterKind& kind = p.supporters[k];
      const Service service = service_of(p, rng, s, r, a.cell, k, traits.registered);
      if (!service.served) continue;
      Draws v(rng, entity(r, kVisitDraw, uint32_t(k)), uint32_t(day));
      const double u_visit = v.uniform(), u_notice = v.uniform();
      const size_t route = route_index(p, s, k, a.cell);
      LocalSeconds t = 0;
      if (kind.reach == SupporterReach::OwnOuting) {
        // shop staff who know the person miss them at the time of today's outing
        const DayPlan& plan = R.plan[r];
        if (plan.pattern != uint8_t(DayPattern::Errand)) continue;
        t = day_start + (LocalSeconds(plan.leave_min) + plan.travel_out_min) * 60;
      } else {
        const bool visit = kind.schedule == RouteSchedule::Cycle
                               ? cycle_visit(s.cycle_phase[route], 7 / kind.visits_per_week, day)
                               : u_visit < kind.visits_per_week / 7;
        if (!visit) continue;
        // the round reaches the cell at its place in the window, and this home at its place in the cell
        const double window_h = kind.visit_end_h - kind.visit_start_h, spread_h = std::min(window_h, p.round_cell_min / 60);
        t = day_start + LocalSeconds((kind.visit_start_h + s.round_phase[route] * (window_h - spread_h) +
                                      service.place * spread_h) * 3600);
      }
      if (t < from || t >= best.time) continue;
      const double notice = std::min(1.0, kind.notice_prob * (service.trained ? p.training_notice_factor : 1.0) *
                                              (service.app ? p.app_checkpoint_factor : 1.0));
      if (u_notice < notice) best = {t, int(k)};
    }
  }
  if (traits.family) {
    Draws f(rng, entity(r, kFamilyDraw), uint32_t(day));
    const uint32_t calls = f.poisson(1.0 / p.family_contact_interval_days);
    for (uint32_t i = 0; i < calls; ++i) {
      const LocalSeconds t =
          day_start + LocalSeconds((p.family_contact_start_h + f.uniform() * (p.family_contact_end_h - p.family_contact_start_h)) * 3600);
      if (f.uniform() < p.family_notice_prob && t >= from && t < best.time) best = {t, kChannelFamily};
    }
  }
  if (traits.sensor) {
    const LocalSeconds t = a.onset + LocalSeconds(p.sensor_hours * 3600);
    if (t >= from && t < best.time) best = {t, kChannelSensor};
  }
  if (traits.self_call && (a.kind == AnomalyKind::Fall || a.kind == AnomalyKind::Illness)) {
    const LocalSeconds t = a.onset + LocalSeconds(std::llround(p.self_call_min * 60));
    if (t >= from && t < best.time) best = {t, kChannelSelf};
  }
  if (best.channel == kChannelNone) return std::nullopt;
  return best;
}

// ---- [SECTION] step -----------------------------------------------------------------

LocalSeconds minutes_s(double m) { return LocalSeconds(std::llround(m * 60)); }

void push(WatchState& s, LocalSeconds t, WatchEventType type, uint32_t id, int channel = kChannelNone) {
  s.queue.push(WatchEvent{t, s.next_seq++, id, s.anomalies[id].plan_version, type, int8_t(channel)});
}

// plan the next detection of an undetected anomaly, from `from` to the end of that day
void replan(const WatchParams& p, const Rng& rng, WatchState& s, const Residents& R, uint32_t id, LocalSeconds from) {
  Anomaly& a = s.anomalies[id];
  ++a.plan_version;
  const LocalSeconds to = (day_of(from) + 1) * kDay;
  if (const auto d = plan_detection(p, rng, s, R, a, from, to)) push(s, d->time, WatchEventType::Detect, id, d->channel);
}

// count an anomaly that has stayed undetected for 24 h / 72 h by time t (once each)
void mark_undetected(WatchState& s, Anomaly& a, LocalSeconds t) {
  const int16_t m = s.muni[a.watched];
  if (!a.past_24h && t - a.onset >= 24 * 3600) {
    a.past_24h = true;
    ++s.undetected_24h;
    if (m >= 0) ++s.undetected_24h_by_muni[size_t(m)];
  }
  if (!a.past_72h && t - a.onset >= 72 * 3600) {
    a.past_72h = true;
    ++s.undetected_72h;
  }
}

uint32_t new_anomaly(WatchState& s, uint32_t watched, uint32_t resident, uint32_t cell, AnomalyKind kind,
                     LocalSeconds onset, uint8_t heat_severity) {
  Anomaly a;
  a.resident = resident;
  a.watched = watched;
  a.cell = cell;
  a.kind = kind;
  a.onset = onset;
  a.heat_severity = heat_severity;
  const uint32_t id = uint32_t(s.anomalies.size());
  s.anomalies.push_back(a);
  s.active[watched] = int32_t(id);
  s.open.push_back(id);
  push(s, onset, WatchEventType::Onset, id);
  return id;
}

// the report reaches the municipal desk at t: it acts at the next opening, dispatches,
// and someone arrives at the home
void at_desk(const WatchParams& p, WatchState& s, uint32_t id, LocalSeconds t) {
  Anomaly& a = s.anomalies[id];
  a.reported = t;
  a.stage = AnomalyStage::AtDesk;
  push(s, desk_opens(p, t) + minutes_s(p.desk_handle_min + p.dispatch_travel_min), WatchEventType::Respond, id);
}

void handle(const WatchParams& p, const Rng& rng, WatchState& s, World& w, const WatchEvent& ev) {
  Anomaly& a = s.anomalies[ev.anomaly];
  const LocalSeconds t = ev.time;
  switch (ev.type) {
    case WatchEventType::Onset:
      a.stage = AnomalyStage::Undetected;
      ++s.onsets[size_t(a.kind)];
      if (s.muni[a.watched] >= 0) ++s.anomalies_by_muni[size_t(s.muni[a.watched])];
      replan(p, rng, s, w.residents, ev.anomaly, t);
      break;
    case WatchEventType::Detect: {
      if (ev.version != a.plan_version || a.stage != AnomalyStage::Undetected) break;  // replanned since
      mark_undetected(s, a, t);
      a.detected = t;
      a.channel = ev.channel;
      a.stage = AnomalyStage::Reporting;
      const double hours = double(t - a.onset) / 3600;
      const size_t channel = channel_index(p, ev.channel);
      s.detection_h.push_back(float(hours));
      ++s.detections[channel];
      s.detection_h_by_channel[channel] += hours;
      if (const int16_t m = s.muni[a.watched]; m >= 0) {
        ++s.detections_by_muni[size_t(m)];
        s.detection_h_by_muni[size_t(m)] += hours;
      }
      if (ev.channel == kChannelFamily) {
        // the family calls for help themselves and comes or sends someone
        w.events.emit(PrioritySessionEvent{a.cell, t, float(p.phone_call_min)});
        a.reported = t;
        a.stage = AnomalyStage::AtDesk;
        push(s, t + minutes_s(p.family_response_min), WatchEventType::Respond, ev.anomaly);
      } else if (ev.channel == kChannelSensor || ev.channel == kChannelSelf) {
        a.by_app = true;  // the sensor's gateway or the person's phone needs the mobile network
        push(s, t, WatchEventType::AppAttempt, ev.anomaly);
      } else if (service_of(p, rng, s, a.resident, a.cell, size_t(ev.channel),
                            traits_of(p, rng, w.residents, a.resident).registered).app) {
        a.by_app = true;
        push(s, t + minutes_s(p.app_report_min), WatchEventType::AppAttempt, ev.anomaly);
      } else {
        push(s, t + minutes_s(p.phone_report_min), WatchEventType::Report, ev.anomaly);
      }
      break;
    }
    case WatchEventType::AppAttempt: {
      const double ok = w.couplings.network_ok ? double(w.couplings.network_ok(a.cell)) : 1.0;
      Draws d(rng, entity(ev.anomaly, kReportDraw), a.attempts++);
      if (d.uniform() < ok) {
        if (a.channel == kChannelSelf) {  // an emergency call: the ambulance comes, no desk
          w.events.emit(PrioritySessionEvent{a.cell, t, float(p.phone_call_min)});
          a.reported = t;
          a.stage = AnomalyStage::AtDesk;
          push(s, t + minutes_s(p.emergency_response_min), WatchEventType::Respond, ev.anomaly);
        } else {
          w.events.emit(PrioritySessionEvent{a.cell, t, float(p.app_session_min)});
          at_desk(p, s, ev.anomaly, t);
        }
        break;
      }
      if (!a.network_delayed) {
        a.network_delayed = true;
        ++s.reports_delayed;
      }
      // a supporter phones once the app has failed for phone_fallback_min; a sensor or the
      // person keeps trying
      const LocalSeconds first = a.detected + minutes_s(p.app_report_min), next = t + minutes_s(p.app_retry_min);
      if (a.channel >= 0 && next >= first + minutes_s(p.phone_fallback_min)) {
        a.by_app = false;
        push(s, first + minutes_s(p.phone_fallback_min + p.phone_report_min), WatchEventType::Report, ev.anomaly);
      } else {
        push(s, next, WatchEventType::AppAttempt, ev.anomaly);
      }
      break;
    }
    case WatchEventType::Report:
      w.events.emit(PrioritySessionEvent{a.cell, t, float(p.phone_call_min)});
      at_desk(p, s, ev.anomaly, t);
      break;
    case WatchEventType::Respond: {
      a.responded = t;
      a.stage = AnomalyStage::Resolved;
      const double hours = double(t - a.onset) / 3600;
      s.response_h.push_back(float(hours));
      Draws d(rng, entity(ev.anomaly, kSevereDraw), 0);
      if (d.uniform() < severe_probability(p, a.kind, hours, a.heat_severity)) {
        a.severe = true;
        ++s.severe;
        if (s.muni[a.watched] >= 0) ++s.severe_by_muni[size_t(s.muni[a.watched])];
      }
      s.active[a.watched] = -1;
      s.open.erase(std::find(s.open.begin(), s.open.end(), ev.anomaly));
      s.resolved.push_back(ev.anomaly);
      break;
    }
  }
}

// process every queued event due by `until`, in time order (ties in insertion order)
void drain(const WatchParams& p, const Rng& rng, WatchState& s, World& w, LocalSeconds until) {
  while (!s.queue.empty() && s.queue.top().time <= until) {
    const WatchEvent ev = s.queue.top();
    s.queue.pop();
    handle(p, rng, s, w, ev);
  }
}

// a new local day: draw its onsets (from `from` on) and plan the day's detections of
// anomalies still undetected
void new_day(const WatchParams& p, const Rng& rng, WatchState& s, World& w, int64_t day, LocalSeconds from) {
  s.day = day;
  const Residents& R = w.residents;
  const size_t n = s.watched.size(), block = 1 << 14, blocks = (n + block - 1) / block;
  std::vector<std::vector<std::pair<uint32_t, Onset>>> found(blocks);
  tbb::parallel_for(size_t(0), blocks, [&](size_t b) {
    for (size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
      if (s.active[i] >= 0) continue;
      const uint32_t r = s.watched[i];
      if (const auto o = draw_onset(p, rng, r, R.age[r], day); o && o->time >= from) found[b].push_back({uint32_t(i), *o});
    }
  });
  for (uint32_t id : std::vector<uint32_t>(s.open))
    if (s.anomalies[id].stage == AnomalyStage::Undetected) replan(p, rng, s, R, id, std::max(from, day * kDay));
  for (const auto& part : found)  // merged in block order: the same ids on any thread count
    for (const auto& [i, o] : part)
      new_anomaly(s, i, s.watched[i], R.home_cell[s.watched[i]], o.kind, o.time, 0);
}

// watched people by home cell, the weights of the route densities' mean
std::vector<float> watched_per_cell(const WatchState& s, const World& w) {
  std::vector<float> out(w.grid.size(), 0.0f);
  for (uint32_t r : s.watched) ++out[w.residents.home_cell[r]];
  return out;
}

// each cell's place on every kind's daily round (a stable uniform: the order of a
// newspaper shop's or a courier's round is not known) and on its cycle: within each
// municipality the cells with homes in serpentine order (row by row, alternating
// direction) spread evenly over the cycle from an offset of their own, so neighbours are
// read on consecutive days and each day's workload is even
void place_rounds(const WatchParams& p, WatchState& s, const World& w, const Rng& rng) {
  const Grid& g = w.grid;
  const size_t n = g.size(), kinds = p.supporters.size();
  s.round_phase.assign(kinds * n, 0.0f);
  s.cycle_phase.assign(kinds * n, 0.0f);
  std::vector<uint32_t> order;
  std::vector<uint32_t> per_muni(g.municipalities.size(), 0);
  for (size_t c = 0; c < n; ++c)
    if (g.municipality_index[c] >= 0 && g.population[c] > 0) order.push_back(uint32_t(c)), ++per_muni[size_t(g.municipality_index[c])];
  const auto key = [&](uint32_t c) {
    const int row = g.row_of(c), col = g.col_of(c);
    return std::tuple{g.municipality_index[c], row, row % 2 ? -col : col};
  };
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
  for (size_t k = 0; k < kinds; ++k) {
    for (size_t c = 0; c < n; ++c)
      s.round_phase[k * n + c] = float(Draws(rng, entity(uint32_t(c), kRouteDraw, uint32_t(k)), kStableTick).uniform());
    std::vector<double> offset(g.municipalities.size());
    for (size_t m = 0; m < offset.size(); ++m)
      offset[m] = Draws(rng, entity(uint32_t(m), kRouteDraw, 32 + uint32_t(k)), kStableTick).uniform();
    size_t rank = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      const size_t m = size_t(g.municipality_index[order[i]]);
      rank = i > 0 && size_t(g.municipality_index[order[i - 1]]) == m ? rank + 1 : 0;
      const double x = (double(rank) + 0.5) / per_muni[m] + offset[m];
      s.cycle_phase[k * n + order[i]] = float(x - std::floor(x));
    }
  }
}

}  // namespace

void init_watch(const WatchParams& p, WatchState& s, World& w) {
  const Residents& R = w.residents;
  s = WatchState{};
  for (size_t r = 0; r < R.count; ++r)
    if (R.age[r] >= 65 && R.has(r, LivesAlone)) s.watched.push_back(uint32_t(r));
  s.active.assign(s.watched.size(), -1);
  s.muni.resize(s.watched.size());
  for (size_t i = 0; i < s.watched.size(); ++i) s.muni[i] = w.grid.municipality_index[R.home_cell[s.watched[i]]];
  const size_t M = w.grid.municipalities.size();
  s.anomalies_by_muni.assign(M, 0);
  s.undetected_24h_by_muni.assign(M, 0);
  s.severe_by_muni.assign(M, 0);
  s.detections.assign(p.supporters.size() + kOtherChannels, 0);
  s.detection_h_by_channel.assign(p.supporters.size() + kOtherChannels, 0.0);
  s.detections_by_muni.assign(M, 0);
  s.detection_h_by_muni.assign(M, 0.0);
  const Rng rng(w.seed, Stream::Watch);
  place_rounds(p, s, w, rng);
  s.route_density = route_densities(p, w.grid, watched_per_cell(s, w));
  new_day(p, rng, s, w, day_of(w.clock.now()), w.clock.now());
}

void step_watch(const WatchParams& p, WatchState& s, World& w) {
  const Rng rng(w.seed, Stream::Watch);
  const LocalSeconds now = w.clock.now();
  // 1. heat illness at home of a watched person (heat module) becomes an anomaly
  for (const HeatIllnessEvent& ev : w.events.previous_tick<HeatIllnessEvent>()) {
    if (!ev.at_home) continue;
    const auto it = std::lower_bound(s.watched.begin(), s.watched.end(), ev.resident);
    if (it == s.watched.end() || *it != ev.resident) continue;
    const uint32_t i = uint32_t(it - s.watched.begin());
    if (s.active[i] < 0) new_anomaly(s, i, ev.resident, w.residents.home_cell[ev.resident], AnomalyKind::Heat, ev.time, ev.severity);
  }
  // 2. a new day: finish yesterday's events first, then the daily draw
  const int64_t today = day_of(now);
  if (today != s.day) {
    drain(p, rng, s, w, today * kDay - 1);
    new_day(p, rng, s, w, today, today * kDay);
  }
  // 3. everything due by now
  drain(p, rng, s, w, now);
}

void replan_watch(const WatchParams& p, WatchState& s, World& w) {
  const Rng rng(w.seed, Stream::Watch);
  for (uint32_t id : std::vector<uint32_t>(s.open))
    if (s.anomalies[id].stage == AnomalyStage::Undetected) replan(p, rng, s, w.residents, id, w.clock.now());
}

// ---- [SECTION] module ---------------------------------------------------------------

void archive(StateArchive& ar, WatchState& s) {
  CITYSIM_ARCHIVE_COVERS(WatchState, 544);
  ar(s.watched, s.active, s.muni, s.anomalies, s.open, s.queue, s.next_seq, s.day, s.resolved, s.onsets,
     s.detections, s.undetected_24h, s.undetected_72h, s.reports_delayed, s.severe, s.anomalies_by_muni);
  ar(s.undetected_24h_by_muni, s.severe_by_muni, s.detection_h, s.response_h, s.detection_h_by_channel,
     s.detection_h_by_muni, s.detections_by_muni, s.route_density, s.round_phase, s.cycle_phase);
}

namespace {

// mean, median, 90th percentile and maximum (0 while empty)
void summarize(const std::vector<float>& x, std::span<double> out) {
  if (x.empty()) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  std::vector<float> v(x);
  std::sort(v.begin(), v.end());
  const auto q = [&](double f) { return double(v[std::min(v.size() - 1, size_t(f * double(v.size())))]); };
  out[0] = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  out[1] = q(0.5);
  out[2] = q(0.9);
  out[3] = double(v.back());
}

std::string channel_name(const WatchParams& p, int channel) {
  if (channel >= 0) return p.supporters[size_t(channel)].name;
  return channel == kChannelFamily ? "family" : channel == kChannelSensor ? "sensor" : channel == kChannelSelf ? "self" : "none";
}

const char* reported_via(const Anomaly& a) {
  switch (a.channel) {
    case kChannelFamily: return "family";
    case kChannelSelf: return "emergency_call";
    case kChannelSensor: return "sensor";
    default: return a.by_app ? "app" : "phone";
  }
}

class WatchModule final : public Module {
 public:
  WatchModule(const Scenario& sc, const Grid& g) : params_(WatchParams::from(sc)), grid_(g) {}
  const char* name() const override { return "watch"; }

  void init(World& w) override {
    w.events.declare<HeatIllnessEvent>(), w.events.declare<PrioritySessionEvent>();  // for snapshots
    auto& m = w.metrics;
    std::vector<std::string> kinds, channels;
    const std::vector<std::string> munis = grid_.municipality_labels();
    for (int k = 0; k < kAnomalyKinds; ++k) kinds.push_back(anomaly_kind_name(AnomalyKind(k)));
    for (const auto& k : params_.supporters) channels.push_back(k.name);
    channels.push_back("family");
    channels.push_back("sensor");
    channels.push_back("self");
    const Breakdown stats{"statistic", {"mean", "p50", "p90", "max"}};
    s_watched_ = m.add_series({"watch/watched", "people", "people aged 65+ living alone"});
    s_watched_muni_ = m.add_series({"watch/watched_by_municipality", "people", "people aged 65+ living alone"}, {"municipality", munis});
    s_onsets_ = m.add_series({"watch/anomalies_by_kind", "people", "anomalies begun since the start, by kind"}, {"kind", kinds});
    s_anomalies_muni_ = m.add_series({"watch/anomalies_by_municipality", "people", "anomalies begun since the start"}, {"municipality", munis});
    s_undetected_now_ = m.add_series({"watch/undetected_now", "people", "anomalies ongoing and not yet noticed"});
    s_undetected_24_ = m.add_series({"watch/undetected_24h", "people", "anomalies left unnoticed for 24 h or more, since the start"});
    s_undetected_72_ = m.add_series({"watch/undetected_72h", "people", "anomalies left unnoticed for 72 h or more, since the start"});
    s_undetected_24_muni_ = m.add_series({"watch/undetected_24h_by_municipality", "people", "anomalies left unnoticed for 24 h or more"}, {"municipality", munis});
    s_detections_ = m.add_series({"watch/detections_by_channel", "people", "anomalies noticed since the start, by supporter kind, family or sensor"}, {"channel", channels});
    s_detection_h_ = m.add_series({"watch/detection_delay_h", "h", "onset to detection of the anomalies noticed so far"}, stats);
    s_detection_h_channel_ = m.add_series({"watch/mean_detection_h_by_channel", "h", "mean onset to detection, by who noticed (0 while none)"}, {"channel", channels});
    s_detection_h_muni_ = m.add_series({"watch/mean_detection_h_by_municipality", "h", "mean onset to detection (0 while none)"}, {"municipality", munis});
    s_response_h_ = m.add_series({"watch/response_delay_h", "h", "onset to someone at the door, anomalies answered so far"}, stats);
    s_delayed_ = m.add_series({"watch/reports_delayed_network", "reports", "app reports that found no network on the first try, since the start"});
    s_severe_ = m.add_series({"watch/severe_outcomes", "people", "answered anomalies with a severe outcome, since the start"});
    s_severe_expected_ = m.add_series({"watch/severe_expected", "people",
                                       "severe outcomes among answered anomalies plus, for those still waiting, the "
                                       "probability of one if help came now: fair across runs that answer more or fewer"});
    s_severe_muni_ = m.add_series({"watch/severe_by_municipality", "people", "answered anomalies with a severe outcome"}, {"municipality", munis});
    f_undetected_ = m.add_field({"watch/undetected", "people", "ongoing anomalies not yet noticed, by home cell"});
    t_anomalies_ = m.add_table({"watch/anomalies", "", "every answered anomaly: onset, detection, report and response"},
                               {{"id", ColumnType::Int, ""}, {"resident", ColumnType::Int, ""}, {"kind", ColumnType::Text, ""},
                                {"municipality", ColumnType::Int, "code"}, {"mesh_code", ColumnType::Int, ""},
                                {"onset", ColumnType::Text, "Asia/Tokyo"}, {"detected_by", ColumnType::Text, ""},
                                {"reported_via", ColumnType::Text, ""}, {"network_delayed", ColumnType::Int, ""},
                                {"detection_h", ColumnType::Float, "h"}, {"report_h", ColumnType::Float, "h"},
                                {"response_h", ColumnType::Float, "h"}, {"severe_probability", ColumnType::Float, "1"},
                                {"severe", ColumnType::Int, ""}});
    s_route_coverage_ = m.add_series({"watch/route_coverage_by_kind", "1",
                                      "share of watched people on each supporter kind's rounds (the mean route density)"},
                                     {"supporter", std::vector<std::string>(channels.begin(), channels.end() - kOtherChannels)});
    s_detections_muni_ = m.add_series({"watch/detections_by_municipality", "people", "anomalies noticed since the start"}, {"municipality", munis});
    f_detection_h_ = m.add_field({"watch/mean_detection_h", "h",
                                  "mean onset to detection in the cell's municipality, anomalies noticed so far (NaN while "
                                  "none and outside the city)"});
    f_notice_rate_ = m.add_field({"watch/supporter_notice_per_day", "d-1",
                                  "supporters' noticing intensity at a home in the cell: the sum over kinds of route "
                                  "density x visits a day x mean notice probability (shop staff, who depend on outings, "
                                  "left out); P(noticed within t) ~ 1 - exp(-this x t) (NaN without homes)"});
    s_notice_rate_muni_ = m.add_series({"watch/supporter_notice_per_day_by_municipality", "d-1",
                                        "field watch/supporter_notice_per_day averaged over the watched people"},
                                       {"municipality", munis});
    init_watch(params_, state_, w);
    watched_per_cell_ = watched_per_cell(state_, w);
  }

  void step(World& w) override {
    if (replan_pending_) {
      replan_watch(params_, state_, w);
      replan_pending_ = false;
    }
    step_watch(params_, state_, w);
    append_resolved(w);
  }

  void archive(StateArchive& ar) override { ar(replan_pending_), citysim::archive(ar, state_); }

  void update_params(const Scenario& sc) override {
    WatchParams next = WatchParams::from(sc);
    // the metrics' channel labels were fixed at init
    if (next.supporters.size() != params_.supporters.size())
      throw ScenarioError(sc.loc_of("watch.supporters_file"), "watch.supporters_file",
                          "expected a supporter table with the same " + std::to_string(params_.supporters.size()) +
                              " kinds during a run");
    params_ = std::move(next);
    state_.route_density = route_densities(params_, grid_, watched_per_cell_);  // coverage_scale, weights
    replan_pending_ = true;  // today's remaining detections follow the new parameters
  }

  void publish(World& w) override {
    const double wt = w.residents.weight;
    const LocalSeconds now = w.clock.now();
    auto& m = w.metrics;
    const auto set_all = [&](SeriesId id, const auto& counts) {
      auto out = m.values(id);
      for (size_t i = 0; i < out.size(); ++i) out[i] = double(counts[i]) * wt;
    };
    m.set(s_watched_, double(state_.watched.size()) * wt);
    std::vector<int64_t> watched_muni(grid_.municipalities.size(), 0);
    for (int16_t mi : state_.muni)
      if (mi >= 0) ++watched_muni[size_t(mi)];
    set_all(s_watched_muni_, watched_muni);
    auto field = m.field(f_undetected_);
    std::fill(field.begin(), field.end(), 0.0f);
    int64_t undetected = 0;
    double waiting_severe = 0;  // summed in the fixed order of the open list
    for (uint32_t id : state_.open) {
      Anomaly& a = state_.anomalies[id];
      if (a.stage == AnomalyStage::Pending) continue;
      waiting_severe += severe_probability(params_, a.kind, double(now - a.onset) / 3600, a.heat_severity);
      if (a.stage != AnomalyStage::Undetected) continue;
      mark_undetected(state_, a, now);
      ++undetected;
      field[a.cell] += float(wt);
    }
    m.set(s_undetected_now_, double(undetected) * wt);
    set_all(s_onsets_, state_.onsets);
    set_all(s_anomalies_muni_, state_.anomalies_by_muni);
    m.set(s_undetected_24_, double(state_.undetected_24h) * wt);
    m.set(s_undetected_72_, double(state_.undetected_72h) * wt);
    set_all(s_undetected_24_muni_, state_.undetected_24h_by_muni);
    set_all(s_detections_, state_.detections);
    summarize(state_.detection_h, m.values(s_detection_h_));
    summarize(state_.response_h, m.values(s_response_h_));
    const auto mean_of = [&](SeriesId id, const std::vector<double>& sums, const std::vector<int64_t>& counts) {
      auto out = m.values(id);
      for (size_t i = 0; i < out.size(); ++i) out[i] = counts[i] > 0 ? sums[i] / double(counts[i]) : 0.0;
    };
    mean_of(s_detection_h_channel_, state_.detection_h_by_channel, state_.detections);
    mean_of(s_detection_h_muni_, state_.detection_h_by_muni, state_.detections_by_muni);
    set_all(s_detections_muni_, state_.detections_by_muni);
    // the municipalities' means painted on their cells: the noticing time as a map
    auto detection_h = m.field(f_detection_h_);
    for (size_t c = 0; c < detection_h.size(); ++c) {
      const int mi = grid_.municipality_index[c];
      detection_h[c] = mi >= 0 && state_.detections_by_muni[size_t(mi)] > 0
                           ? float(state_.detection_h_by_muni[size_t(mi)] / double(state_.detections_by_muni[size_t(mi)]))
                           : std::numeric_limits<float>::quiet_NaN();
    }
    publish_notice_rate(m);
    auto coverage = m.values(s_route_coverage_);
    const size_t cells = grid_.size();
    double watched = 0;
    for (float x : watched_per_cell_) watched += x;
    for (size_t k = 0; k < coverage.size(); ++k) {
      double on_rounds = 0;  // summed in cell order
      for (size_t c = 0; c < cells; ++c) on_rounds += watched_per_cell_[c] * state_.route_density[k * cells + c];
      coverage[k] = watched > 0 ? on_rounds / watched : 0.0;
    }
    m.set(s_delayed_, double(state_.reports_delayed) * wt);
    m.set(s_severe_, double(state_.severe) * wt);
    m.set(s_severe_expected_, (double(state_.severe) + waiting_severe) * wt);
    set_all(s_severe_muni_, state_.severe_by_muni);
  }

  const WatchState& state() const { return state_; }

 private:
  // the noticing intensity per cell from the route arrays, and its mean by municipality
  void publish_notice_rate(Metrics& m) {
    const WatchParams& p = params_;
    const size_t cells = grid_.size();
    auto field = m.field(f_notice_rate_);
    std::fill(field.begin(), field.end(), std::numeric_limits<float>::quiet_NaN());
    std::vector<double> sum(grid_.municipalities.size(), 0.0), watched(grid_.municipalities.size(), 0.0);
    for (size_t c = 0; c < cells; ++c) {
      if (!(grid_.population[c] > 0 || watched_per_cell_[c] > 0)) continue;
      double rate = 0;
      for (size_t k = 0; k < p.supporters.size() && p.supporters_enabled; ++k) {
        const SupporterKind& kind = p.supporters[k];
        if (kind.reach == SupporterReach::OwnOuting) continue;
        const double adoption = p.app_adoption >= 0 ? p.app_adoption : kind.app_adoption;
        const double notice = kind.notice_prob * (1 + p.trained_share * (p.training_notice_factor - 1)) *
                              (1 + adoption * (p.app_checkpoint_factor - 1));
        const double reach = kind.reach == SupporterReach::Registered ? p.registered_share : 1.0;
        rate += reach * state_.route_density[k * cells + c] * kind.visits_per_week / 7 * std::min(1.0, notice);
      }
      field[c] = float(rate);
      if (const int mi = grid_.municipality_index[c]; mi >= 0) {
        sum[size_t(mi)] += rate * watched_per_cell_[c];
        watched[size_t(mi)] += watched_per_cell_[c];
      }
    }
    auto out = m.values(s_notice_rate_muni_);
    for (size_t i = 0; i < out.size(); ++i) out[i] = watched[i] > 0 ? sum[i] / watched[i] : 0.0;
  }

  void append_resolved(World& w) {
    Table& table = w.metrics.table(t_anomalies_);
    for (uint32_t id : state_.resolved) {
      const Anomaly& a = state_.anomalies[id];
      const auto h = [&](LocalSeconds t) { return double(t - a.onset) / 3600; };
      const int mi = grid_.municipality_index[a.cell];
      table.append({int64_t(id), int64_t(a.resident), std::string(anomaly_kind_name(a.kind)),
                    int64_t(mi >= 0 ? grid_.municipalities[size_t(mi)].code : 0), int64_t(grid_.mesh_code[a.cell]),
                    format_datetime(a.onset), channel_name(params_, a.channel),
                    std::string(reported_via(a)),
                    int64_t(a.network_delayed), h(a.detected), h(a.reported), h(a.responded),
                    severe_probability(params_, a.kind, h(a.responded), a.heat_severity), int64_t(a.severe)});
    }
    state_.resolved.clear();
  }

  WatchParams params_;
  const Grid& grid_;
  WatchState state_;
  bool replan_pending_ = false;
  SeriesId s_watched_ = 0, s_watched_muni_ = 0, s_onsets_ = 0, s_anomalies_muni_ = 0, s_undetected_now_ = 0,
           s_undetected_24_ = 0, s_undetected_72_ = 0, s_undetected_24_muni_ = 0, s_detections_ = 0,
           s_detection_h_ = 0, s_detection_h_channel_ = 0, s_detection_h_muni_ = 0, s_response_h_ = 0, s_delayed_ = 0,
           s_severe_ = 0, s_severe_expected_ = 0, s_severe_muni_ = 0, s_route_coverage_ = 0, s_detections_muni_ = 0,
           s_notice_rate_muni_ = 0;
  FieldId f_undetected_ = 0, f_detection_h_ = 0, f_notice_rate_ = 0;
  std::vector<float> watched_per_cell_;  // watched people by home cell (fixed), the route densities' weights
  TableId t_anomalies_ = 0;
};

}  // namespace

std::unique_ptr<Module> make_watch_module(const Scenario& sc, const Grid& g) {
  return std::make_unique<WatchModule>(sc, g);
}

}  // namespace citysim
