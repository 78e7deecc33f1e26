// What a module is: parameters from the scenario, its own state, and a step at its
// own cadence. Modules see each other only through the World (grid, clock, residents,
// event streams, metrics).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "citysim/archive.hpp"
#include "citysim/clock.hpp"
#include "citysim/couplings.hpp"
#include "citysim/events.hpp"
#include "citysim/grid.hpp"
#include "citysim/metrics.hpp"
#include "citysim/scenario.hpp"

namespace citysim {

struct Residents;

// the shared world every module reads and writes through
struct World {
  const Grid& grid;
  const Clock& clock;
  Residents& residents;
  EventBus& events;
  Metrics& metrics;
  Couplings& couplings;
  uint64_t seed;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual const char* name() const = 0;
  // the module steps when the elapsed minutes are a multiple of this
  virtual int cadence_minutes() const { return 1; }
  // register series, fields and tables; called once before the first tick
  virtual void init(World& world) = 0;
  // bring the state to the run's start time; called once after every module's init, in
  // phase order, so what others set up in init (the heat alert in force) is known
  virtual void start(World& /*world*/) {}
  // advance the module's state by one of its steps
  virtual void step(World& world) = 0;
  // refuse, with a ScenarioError, an [[events]] entry this module could not apply (an unknown
  // site or type); called for every entry before the first tick, so validate catches it
  virtual void check_event(const TimelineEvent& /*event*/) const {}
  // an [[events]] entry of a kind this module declared, at its time
  virtual void on_event(const TimelineEvent& /*event*/, World& /*world*/) {}
  // fill series and fields for an output sample
  virtual void publish(World& world) = 0;
  // a parameter changed between steps (Python, visualizer knobs); rebuild Params
  virtual void update_params(const Scenario& /*scenario*/) {}
  // every field the steps change (state, counters, params changed by events), saved and
  // loaded by one list: snapshots and fork() restore a module built from the same scenario
  // (what the constructor and init build from it is not listed, only checked)
  virtual void archive(StateArchive& ar) = 0;
};

// how a module is made: its scenario keys and events, the boolean key that turns it on,
// and a factory. The list of descriptors (modules.cpp) is the fixed phase order.
struct ModuleDescriptor {
  const char* name;
  void (*describe)(Schema& schema);
  const char* enabled_key;  // e.g. "heat.enabled"
  std::unique_ptr<Module> (*create)(const Scenario& scenario, const Grid& grid);
};

const std::vector<ModuleDescriptor>& module_descriptors();
// the module that declares an [[events]] kind, or nullptr for the core's kinds (set, power_cut...)
const ModuleDescriptor* event_owner(const std::string& kind);

}  // namespace citysim
