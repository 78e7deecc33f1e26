// citysim::Simulation — the one facade every front end drives (CLI, Python,
// visualizer, calibration): scenario in; step/run; state and metrics out.
#pragma once
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "citysim/clock.hpp"
#include "citysim/events.hpp"
#include "citysim/grid.hpp"
#include "citysim/metrics.hpp"
#include "citysim/module.hpp"
#include "citysim/residents.hpp"
#include "citysim/scenario.hpp"


namespace citysim {

constexpr const char* kVersion = "0.1.0";

// the [run] keys
struct RunParams {
  std::string name = "scenario";
  uint64_t seed = 1;
  LocalSeconds start = 0;
  double duration_hours = 24;
  int tick_minutes = 1;
  int output_every_minutes = 60;

  void keys(ParamKeys& keys);  // every [run] key, once (describe and from use it)
  static void describe(Schema& schema);
  static RunParams from(const Scenario& scenario);
  int64_t total_ticks() const { return int64_t(std::llround(duration_hours * 60)) / tick_minutes; }
};

// receives every output sample (the HDF5 writer is one)
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void begin(const class Simulation& sim) = 0;
  virtual void sample(const class Simulation& sim) = 0;  // after the sample was recorded
  virtual void end(const class Simulation& sim, bool complete) = 0;
};

// where a run() call stands; rates are over this call only (not the setup)
struct Progress {
  int64_t tick, total_ticks;
  LocalSeconds now;
  double wall_seconds;     // since run() was called
  int64_t ticks_run;       // ticks done by this run() call
  double resident_steps;   // residents x ticks done by this run() call
};

class Simulation {
 public:
  static constexpr int kMaxThreads = 1024;
  // builds the city, the residents and every enabled module; threads = 0 uses all cores;
  // more than kMaxThreads is refused (std::invalid_argument: front ends clamp to the cores)
  explicit Simulation(const Scenario& scenario, int threads = 0);
  // the same on a city built before and shared read-only (ensemble members of one city): it
  // must be build_city(CityParams::from(scenario), the scenario's run.seed); null builds it
  Simulation(const Scenario& scenario, std::shared_ptr<const Grid> shared_city, int threads = 0);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // advance n ticks (stops early at the end of the run)
  void step(int64_t n = 1);
  // run to the end (or until the given tick); returns false when stopped by `stop`.
  // `on_progress` is called about every progress_every seconds of wall time.
  bool run(std::optional<int64_t> until_tick = std::nullopt, const std::atomic<bool>* stop = nullptr,
           const std::function<void(const Progress&)>& on_progress = {}, double progress_every = 0.25);
  // tell sinks the run is over (complete = reached the end); run() calls it when the end is reached
  void finish(bool complete);

  void add_sink(ResultSink* sink);
  // change a scenario key between steps (same validation as the scenario file); a structural
  // key (run.*, city.*, *.enabled: require_changeable) is refused with a ScenarioError
  void set_param(const std::string& key, const Value& value);
  // add an [[events]] entry to the timeline while the run is on (Python's schedule(), the
  // viewer): validated as in a scenario file (a "set" also checks its key and value now),
  // and it must fall after the current time and within the run; it fires at its time.
  // Returns a copy (the timeline's storage moves as events are added)
  TimelineEvent schedule(const std::string& kind, const std::string& at, std::map<std::string, Value> values,
                                const SourceLoc& loc);
  // the timeline entries that have not fired yet, in time order
  std::span<const TimelineEvent> pending_events() const;

  const Scenario& scenario() const { return scenario_; }
  // the scenario as the run was built, before any parameter change or scheduled event
  const Scenario& initial_scenario() const { return initial_; }
  const RunParams& run_params() const { return run_; }
  const Grid& grid() const { return *grid_; }
  const Clock& clock() const { return clock_; }
  const Residents& residents() const { return residents_; }
  Residents& residents_mut() { return residents_; }
  const Metrics& metrics() const { return metrics_; }
  EventBus& events() { return events_; }
  const Couplings& couplings() const { return couplings_; }
  int threads() const { return threads_; }
  int64_t total_ticks() const { return run_.total_ticks(); }
  bool finished() const { return clock_.tick >= total_ticks(); }
  // the ticks done, safe to read from another thread while this one steps (Python's
  // properties read it while run() holds no GIL); clock() is not
  int64_t ticks_done() const { return ticks_done_.load(std::memory_order_relaxed); }
  double wall_seconds() const;
  std::vector<std::string> module_names() const;
  Module* module(const std::string& name);
  // wall seconds spent in each module's step() so far, in module_names() order: where a run's time goes
  const std::vector<double>& module_step_seconds() const { return step_seconds_; }

  // ---- state for snapshots and forks (docs/snapshots.md) ----
  // the state in sections: "core" (clock, timeline position, parameter changes, couplings,
  // event streams, metrics), "population" (the Residents arrays), then each module by name. A simulation built from
  // the same scenario and loaded with every section continues exactly as this one would.
  std::vector<std::string> state_sections() const;
  void archive_section(size_t section, StateArchive& ar);
  // the types each section lists, whatever the data: a snapshot of another layout is refused
  std::string section_layout(size_t section);
  // draws from here on use another seed (an ensemble's replicates branched from one snapshot):
  // recorded as a change and in the scenario's overrides ("run.seed=N")
  void reseed(uint64_t seed);
  // an independent copy at this tick that steps on its own (sinks are not copied)
  std::unique_ptr<Simulation> fork(int threads = 0);
  // the parameter changes made during the run (set_param, timeline `set` events), in order
  const std::vector<std::pair<std::string, Value>>& changes() const { return changes_; }

 private:
  void tick_once();
  void sample();
  void fire_timeline(LocalSeconds from_exclusive, LocalSeconds to_inclusive);
  void apply_event(const TimelineEvent& event);  // one timeline event, now
  void check_timeline() const;                   // every event resolved before the first tick
  World world();

  Scenario scenario_, initial_;
  RunParams run_;
  int threads_;
  std::unique_ptr<tbb::global_control> oversubscribe_;  // lets --threads exceed the core count
  std::unique_ptr<tbb::task_arena> arena_;
  std::shared_ptr<const Grid> grid_;  // built by the constructor, or shared read-only
  Clock clock_;
  std::atomic<int64_t> ticks_done_{0};  // clock_.tick, published for other threads
  Residents residents_;
  EventBus events_;
  Metrics metrics_;
  Couplings couplings_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::vector<double> step_seconds_;  // per module, parallel to modules_
  std::vector<ResultSink*> sinks_;
  std::vector<std::pair<std::string, Value>> changes_;  // live parameter changes, in order
  size_t next_event_ = 0;
  bool begun_ = false, ended_ = false;
  std::chrono::steady_clock::time_point wall_start_;
};

}  // namespace citysim
