#include "citysim/simulation.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "citysim/areas.hpp"
#include "citysim/city.hpp"

namespace citysim {

void RunParams::keys(ParamKeys& k) {
  k.section("run", "What to simulate, from when and for how long.");
  k.key("run.name", name, "name shown in results and summaries");
  int64_t seed_value = int64_t(seed);
  k.key("run.seed", seed_value, "random seed: same scenario and seed give identical results on any thread count").at_least(0);
  seed = uint64_t(seed_value);
  std::string start_text = "2026-08-03T00:00";  // the schema checks the text; the clock wants seconds
  k.datetime("run.start", start_text, "start date and time, Asia/Tokyo");
  start = *parse_datetime(start_text);
  k.key("run.duration_hours", duration_hours, "length of the run").units("h").above(0).upto(24.0 * 366 * 20);
  k.key("run.tick_minutes", tick_minutes, "length of one tick").units("min").range(1, 1440);
  k.key("run.output_every_minutes", output_every_minutes, "time between output samples").units("min").range(1, 525600);
}
void RunParams::describe(Schema& s) {
  describe_keys<RunParams>(s);
}
RunParams RunParams::from(const Scenario& sc) {
  return read_keys<RunParams>(sc);
}

namespace {
int checked_threads(int threads) {
  if (threads < 0 || threads > Simulation::kMaxThreads)
    throw std::invalid_argument("threads: expected 0 (all cores) to " + std::to_string(Simulation::kMaxThreads) +
                                ", got " + std::to_string(threads));
  return threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace

Simulation::Simulation(const Scenario& scenario, int threads) : Simulation(scenario, nullptr, threads) {}

Simulation::Simulation(const Scenario& scenario, std::shared_ptr<const Grid> shared_city, int threads)
    : scenario_(scenario),
      initial_(scenario),
      run_(RunParams::from(scenario)),
      threads_(checked_threads(threads)),
      oversubscribe_(threads_ > int(std::thread::hardware_concurrency())
                         ? std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, threads_)
                         : nullptr),
      arena_(std::make_unique<tbb::task_arena>(threads_)),
      grid_(std::move(shared_city)) {
  scenario_.check_consistency();
  wall_start_ = std::chrono::steady_clock::now();
  clock_ = Clock{run_.start, run_.tick_minutes, 0};
  const CityParams city = CityParams::from(scenario_);
  arena_->execute([&] {
    if (!grid_) grid_ = std::make_shared<const Grid>(build_city(city, run_.seed));
    const ResidentsParams rp = ResidentsParams::from(scenario_);
    if (rp.enabled) residents_ = synthesize_residents(*grid_, rp, city.population_scale, run_.seed);
    else residents_.present.assign(grid_->size(), 0), residents_.outdoors.assign(grid_->size(), 0);
  });
  metrics_ = Metrics(grid_->size());
  for (const auto& d : module_descriptors())
    if (scenario_.get_bool(d.enabled_key)) modules_.push_back(d.create(scenario_, *grid_));
  step_seconds_.assign(modules_.size(), 0.0);
  // a module stepping every N minutes counts each step as N minutes: the tick must divide N
  for (const auto& m : modules_)
    if (m->cadence_minutes() > 1 && m->cadence_minutes() % run_.tick_minutes != 0)
      throw ScenarioError(scenario_.loc_of("run.tick_minutes"), "run.tick_minutes",
                          "the " + std::string(m->name()) + " module steps every " + std::to_string(m->cadence_minutes()) +
                              " min, which " + std::to_string(run_.tick_minutes) +
                              "-minute ticks do not divide; expected a tick that divides " +
                              std::to_string(m->cadence_minutes()));
  World w = world();
  arena_->execute([&] {
    for (auto& m : modules_) m->init(w);
    for (auto& m : modules_) m->start(w);
  });
  check_timeline();
  // events at the start time apply before the first sample
  fire_timeline(run_.start - 1, run_.start);
}

void Simulation::check_timeline() const {
  for (const TimelineEvent& ev : scenario_.events()) {
    const ModuleDescriptor* owner = event_owner(ev.kind);
    if (owner && !scenario_.get_bool(owner->enabled_key) && !scenario_.allow_inactive_events)
      throw ScenarioError(ev.loc, "events.kind",
                          "an event of kind \"" + ev.kind + "\" is for the " + owner->name + " module, which is off (" +
                              owner->enabled_key + " = false): turn it on, remove the event, or pass --allow-inactive-events");
    if (is_power_event(ev.kind)) {
      const Area area = area_of(ev, *grid_);
      bool any_land = false;
      // a small circle may hold no cell centre: its centre's own cell counts too
      if (area.radius_km > 0) {
        const int64_t centre = grid_->cell_at(area.lat, area.lon);
        any_land = centre >= 0 && grid_->is_land(size_t(centre));
      }
      for (size_t c = 0; c < grid_->size() && !any_land; ++c) any_land = area.contains_cell(*grid_, c);
      if (!any_land)
        throw ScenarioError(ev.loc, area.radius_km > 0 ? "events.radius_km" : "events.municipalities",
                            "the area of this \"" + ev.kind + "\" holds no land cell of the city");
    }
    for (const auto& m : modules_) m->check_event(ev);
  }
}

Simulation::~Simulation() = default;

World Simulation::world() { return World{*grid_, clock_, residents_, events_, metrics_, couplings_, run_.seed}; }

double Simulation::wall_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
}

std::vector<std::string> Simulation::module_names() const {
  std::vector<std::string> names;
  for (const auto& m : modules_) names.push_back(m->name());
  return names;
}

Module* Simulation::module(const std::string& name) {
  for (auto& m : modules_)
    if (name == m->name()) return m.get();
  return nullptr;
}

void Simulation::add_sink(ResultSink* sink) { sinks_.push_back(sink); }

void Simulation::set_param(const std::string& key, const Value& value) {
  require_changeable(key, SourceLoc{"set_param", 0}, key);
  scenario_.set(key, value, SourceLoc{"set_param", 0});
  changes_.emplace_back(key, scenario_.get(key));
  for (auto& m : modules_) m->update_params(scenario_);
}

void Simulation::fire_timeline(LocalSeconds from_exclusive, LocalSeconds to_inclusive) {
  const auto& events = scenario_.events();
  while (next_event_ < events.size() && events[next_event_].at <= to_inclusive) {
    const TimelineEvent& ev = events[next_event_++];
    if (ev.at > from_exclusive) apply_event(ev);
  }
}

TimelineEvent Simulation::schedule(const std::string& kind, const std::string& at, std::map<std::string, Value> values,
                                   const SourceLoc& loc) {
  Scenario probe(scenario_);  // validate on a copy: a bad event leaves the timeline as it was
  probe.add_event(kind, at, std::move(values), loc);
  const int index = int(probe.events().size()) - 1;
  const auto it = std::find_if(probe.events().begin(), probe.events().end(), [&](const TimelineEvent& e) { return e.index == index; });
  const TimelineEvent& ev = *it;
  if (ev.kind == "set") probe.set_from_string(ev.get_string("key"), ev.get_string("value"), loc);
  const LocalSeconds now = clock_.now(), end = run_.start + total_ticks() * int64_t(run_.tick_minutes) * 60;
  if (ev.at <= now || ev.at > end)
    throw ScenarioError(loc, "events.at",
                        "expected a time after the current simulation time and within the run (" + format_datetime(now) +
                            " to " + format_datetime(end) + "), got " + format_datetime(ev.at));
  // it sorts after every event that has fired (those are at or before now)
  scenario_.add_event(kind, at, ev.values, loc);
  const auto& events = scenario_.events();
  return *std::find_if(events.begin(), events.end(), [&](const TimelineEvent& e) { return e.index == index; });
}

std::span<const TimelineEvent> Simulation::pending_events() const {
  return std::span<const TimelineEvent>(scenario_.events()).subspan(next_event_);
}

void Simulation::apply_event(const TimelineEvent& ev) {
  World w = world();
  if (ev.kind == "set") {
    scenario_.set_from_string(ev.get_string("key"), ev.get_string("value"), ev.loc);
    changes_.emplace_back(ev.get_string("key"), scenario_.get(ev.get_string("key")));
    for (auto& m : modules_) m->update_params(scenario_);
  }
  for (auto& m : modules_) m->on_event(ev, w);
}

void Simulation::sample() {
  World w = world();
  for (auto& m : modules_) m->publish(w);
  metrics_.record_sample(clock_.now());
  for (auto* s : sinks_) s->sample(*this);
}

// one tick, as a list of named phases
void Simulation::tick_once() {
  const LocalSeconds before = clock_.now();
  // 1. time: last tick's events become readable, the clock moves on
  events_.rotate();
  ++clock_.tick;
  ticks_done_.store(clock_.tick, std::memory_order_relaxed);
  metrics_.set_time(double(clock_.elapsed_minutes()) * 60.0);
  World w = world();
  // 2. timeline: [[events]] due in (before, now]
  fire_timeline(before, clock_.now());
  // 3. modules in their fixed order, each at its own cadence
  const int64_t elapsed = clock_.elapsed_minutes();
  for (size_t i = 0; i < modules_.size(); ++i) {
    if (elapsed % modules_[i]->cadence_minutes() != 0) continue;
    const auto t0 = std::chrono::steady_clock::now();
    modules_[i]->step(w);
    step_seconds_[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  // 4. output sample
  if (elapsed % run_.output_every_minutes == 0 || finished()) sample();
}

void Simulation::step(int64_t n) {
  if (!begun_) {
    begun_ = true;
    for (auto* s : sinks_) s->begin(*this);
    if (metrics_.sample_times().empty()) sample();  // the initial state (a restored run has it)
  }
  arena_->execute([&] {
    for (int64_t i = 0; i < n && !finished(); ++i) tick_once();
  });
}

bool Simulation::run(std::optional<int64_t> until_tick, const std::atomic<bool>* stop,
                     const std::function<void(const Progress&)>& on_progress, double progress_every) {
  const int64_t last = std::min(until_tick.value_or(total_ticks()), total_ticks());
  const auto started = std::chrono::steady_clock::now();
  const int64_t first_tick = clock_.tick;
  double next_report = 0;  // the first call comes after the first tick (front ends check Ctrl-C there)
  if (!begun_) step(0);
  while (clock_.tick < last) {
    if (stop && stop->load()) return false;
    step(1);
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (on_progress && (wall_s >= next_report || clock_.tick == last)) {
      next_report = wall_s + progress_every;
      const int64_t ticks = clock_.tick - first_tick;
      on_progress(Progress{clock_.tick, total_ticks(), clock_.now(), wall_s, ticks, double(ticks) * double(residents_.count)});
    }
  }
  if (finished()) finish(true);
  return true;
}

void Simulation::finish(bool complete) {
  if (ended_) return;
  ended_ = true;
  if (!begun_) {
    begun_ = true;
    for (auto* s : sinks_) s->begin(*this);
    if (metrics_.sample_times().empty()) sample();
  }
  for (auto* s : sinks_) s->end(*this, complete);
}

// ---- state for snapshots and forks ----

void archive(StateArchive& ar, Residents& r) {
  CITYSIM_ARCHIVE_COVERS(Residents, 400);
  ar.check(r.count, "number of residents");
  // who they are and where they live and work: built from the scenario and seed, never changed
  ar.rebuilt(r.age, "residents' ages"), ar.rebuilt(r.role, "residents' roles");
  ar.rebuilt(r.household, "households"), ar.rebuilt(r.home_cell, "residents' homes");
  ar.rebuilt(r.day_cell, "residents' day places");
  // the day plans are the residents module's (drawn again on a load)
  ar(r.weight, r.flags, r.cell, r.activity, r.mode, r.present, r.outdoors, r.by_activity, r.trips_started,
     r.households, r.first_commuter);
}

void archive(StateArchive& ar, Couplings& c) {
  // network_ok is a function the network module sets in init
  ar(c.wbgt_c, c.heat_alert_level, c.heat_alert_tomorrow, c.heat_alert_day, c.wind_m_s, c.rain_mm_h);
}

std::vector<std::string> Simulation::state_sections() const {
  std::vector<std::string> names{"core", "population"};
  for (const auto& m : modules_) names.push_back(m->name());
  return names;
}

void Simulation::archive_section(size_t section, StateArchive& ar) {
  if (section == 0) {
    ar.check(std::string(kVersion), "engine version");
    ar.check(module_names(), "modules");
    // parameter changes first: on a load they are applied, then every section's state overwrites
    // what update_params rebuilt
    ar(changes_);
    if (ar.loading()) {
      for (const auto& [key, value] : changes_) {
        scenario_.set(key, value, SourceLoc{"snapshot", 0});
        if (key == "run.seed") run_.seed = uint64_t(std::get<int64_t>(value));
      }
      if (!changes_.empty())
        for (auto& m : modules_) m->update_params(scenario_);
    }
    ar.check(int64_t(scenario_.events().size()), "number of timeline events");
    ar(clock_.tick, next_event_);
    ticks_done_.store(clock_.tick, std::memory_order_relaxed);
    archive(ar, couplings_);
    events_.archive(ar);
    metrics_.archive(ar);
    metrics_.set_time(double(clock_.elapsed_minutes()) * 60.0);
  } else if (section == 1) {
    archive(ar, residents_);
  } else {
    modules_.at(section - 2)->archive(ar);
  }
}

std::string Simulation::section_layout(size_t section) {
  StateArchive ar = StateArchive::layout();
  archive_section(section, ar);
  return ar.shape();
}

void Simulation::reseed(uint64_t seed) {
  run_.seed = seed;
  scenario_.set("run.seed", int64_t(seed), SourceLoc{"reseed", 0});
  scenario_.overrides.push_back("run.seed=" + std::to_string(seed));
  changes_.emplace_back("run.seed", scenario_.get("run.seed"));
}

std::unique_ptr<Simulation> Simulation::fork(int threads) {
  // built from the scenario as this run was, with the events scheduled since (its parameter
  // changes are part of the state and apply again)
  Scenario scenario = initial_;
  for (const TimelineEvent& ev : scenario_.events())
    if (ev.index >= int(initial_.events().size())) scenario.add_event(ev.kind, format_datetime(ev.at), ev.values, ev.loc);
  auto copy = std::make_unique<Simulation>(scenario, grid_, threads > 0 ? threads : threads_);  // the city is shared
  for (size_t i = 0; i < state_sections().size(); ++i) {
    StateArchive out;
    archive_section(i, out);
    StateArchive in(out.bytes().data(), out.bytes().size());
    copy->archive_section(i, in);
    in.expect_end(state_sections()[i]);
  }
  return copy;
}

}  // namespace citysim
