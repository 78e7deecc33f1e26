// Shared pieces of the citysim._citysim extension: Value <-> Python conversion, the
// ScenarioError exception type and the Simulation wrapper the bindings expose.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "citysim/io/results.hpp"
#include "citysim/io/snapshot.hpp"
#include "citysim/scenario.hpp"
#include "citysim/simulation.hpp"

namespace citysim::py_ext {

namespace py = pybind11;

// a Python value (bool, int, float, str, datetime/date, list/tuple/ndarray of numbers or
// strings, numpy scalars) as a scenario Value; anything else is a ScenarioError for `key`
Value to_value(py::handle object, const std::string& key, const SourceLoc& loc);
py::object from_value(const Value& value);

// citysim.ScenarioError (a ValueError with .key, .reason, .file, .line); registered once
void register_scenario_error(py::module_& m);

// a set() between ticks, kept so save() can replay the run with a results writer
struct Intervention {
  int64_t tick;  // applied after this many ticks
  std::string key;
  Value value;
};

class PySimulation;
// marks a PySimulation busy for a scope; refuses a second concurrent user
class BusyGuard {
 public:
  explicit BusyGuard(PySimulation& sim);
  ~BusyGuard();
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;

 private:
  PySimulation& sim_;
};

// the Simulation plus what Python adds: the log of set() changes and scheduled events (for
// save()'s replay), an optional streaming results writer, the stop flag for Ctrl-C
class PySimulation {
 public:
  PySimulation(const Scenario& scenario, int threads);
  PySimulation(std::unique_ptr<Simulation> sim, const Scenario& original, int threads);
  ~PySimulation();

  // the engine while another Python thread may be stepping it: read only what does not
  // change during a run (parameters, start) and ticks_done()
  const Simulation& peek() const { return *sim_; }
  // the engine, for reading state; throws while another Python thread is stepping it
  // (the GIL is released then, so reads would race with the engine's writes)
  Simulation& sim() {
    if (busy_) throw std::runtime_error("the simulation is running in another thread; wait for run() to return");
    return *sim_;
  }
  // advance to `target_tick` (clamped to the end); the timeline fires scheduled events.
  // The GIL is released while C++ runs; every `check_every_s` of wall time it is taken
  // back to check for signals (Ctrl-C) and call `on_progress(tick, total, now, wall_s)`.
  // Returns false when stopped early (the Python exception is then re-raised).
  bool advance(int64_t target_tick, py::object on_progress, double check_every_s);
  void set(const std::string& key, py::handle value);
  void schedule(const std::string& kind, const std::string& at, py::dict values);
  py::list pending_events();  // timeline events not fired yet (the file's and scheduled ones)
  void record(const std::string& path, int fields_every);
  void close();
  // replay the run so far with a ResultsWriter (same scenario, seed and interventions);
  // Ctrl-C and on_progress work as in advance()
  void save(const std::string& path, int fields_every, py::object on_progress);
  // snapshots (docs/snapshots.md): write one; a simulation from one, with `overrides` applied
  // as live changes at its time; an in-memory copy that steps on its own
  void snapshot(const std::string& path);
  static std::unique_ptr<PySimulation> from_snapshot(const std::string& path, int threads, py::dict overrides);
  std::unique_ptr<PySimulation> fork(int threads);

 private:
  Scenario original_;
  int threads_;
  std::unique_ptr<io::ResultsWriter> writer_;  // declared before sim_: outlives it
  std::unique_ptr<Simulation> sim_;
  std::vector<TimelineEvent> scheduled_;  // schedule()d events, added to the replay's scenario
  std::vector<Intervention> log_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> busy_{false};  // advance() or save() is running with the GIL released
  friend class BusyGuard;
  bool closed_ = false;  // close() ended the results file before the end of the run
  io::SnapshotInfo origin_;  // the snapshot it was loaded from (path empty: none): record() continues its file
};

}  // namespace citysim::py_ext
