// PySimulation: stepping with the GIL released and Ctrl-C checks, events scheduled from
// Python (into the core's timeline), parameter changes, and results files (streamed or
// replayed).
#include <algorithm>
#include <exception>
#include <functional>

#include "common.hpp"

namespace citysim::py_ext {

namespace {

const SourceLoc kScheduleLoc{"schedule", 0};

}  // namespace

BusyGuard::BusyGuard(PySimulation& sim) : sim_(sim) {
  if (sim_.busy_.exchange(true))
    throw std::runtime_error("the simulation is running in another thread; wait for run() to return");
}
BusyGuard::~BusyGuard() { sim_.busy_ = false; }

PySimulation::PySimulation(const Scenario& scenario, int threads)
    : original_(scenario), threads_(threads), sim_(std::make_unique<Simulation>(scenario, threads)) {}

PySimulation::PySimulation(std::unique_ptr<Simulation> sim, const Scenario& original, int threads)
    : original_(original), threads_(threads), sim_(std::move(sim)) {}

PySimulation::~PySimulation() {
  try {
    if (writer_ && sim_) sim_->finish(sim_->finished());
  } catch (...) {  // a destructor must not throw; the file stays .partial
  }
}

// Simulation::run's progress callback, called with the GIL released: takes the GIL back
// to check for signals (Ctrl-C) and call Python's on_progress; any Python error stops the
// run between ticks and is kept to be re-raised once the GIL is held again
class SignalCheck {
 public:
  SignalCheck(py::object on_progress, std::atomic<bool>& stop) : on_progress_(std::move(on_progress)), stop_(stop) {}
  void operator()(const Progress& p) {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!on_progress_.is_none()) on_progress_(p.tick, p.total_ticks, p.now, p.wall_seconds);
    } catch (...) {
      error_ = std::current_exception();
      stop_ = true;
    }
  }
  bool failed() const { return bool(error_); }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  py::object on_progress_;
  std::atomic<bool>& stop_;
  std::exception_ptr error_;
};

bool PySimulation::advance(int64_t target_tick, py::object on_progress, double check_every_s) {
  const BusyGuard busy(*this);
  if (closed_) throw std::runtime_error("the simulation's results file was closed; create a new Simulation");
  target_tick = std::min(target_tick, sim_->total_ticks());
  stop_ = false;
  SignalCheck check(std::move(on_progress), stop_);
  const std::function<void(const Progress&)> progress = std::ref(check);
  {
    py::gil_scoped_release release;
    sim_->step(0);  // the initial sample, before any event fires
    sim_->run(target_tick, &stop_, progress, check_every_s);
  }
  check.rethrow();
  return sim_->clock().tick >= target_tick;
}

void PySimulation::set(const std::string& key, py::handle value) {
  const BusyGuard busy(*this);
  const Value v = to_value(value, key, SourceLoc{"set_param", 0});
  sim_->set_param(key, v);
  log_.push_back({sim_->clock().tick, key, v});
}

void PySimulation::schedule(const std::string& kind, const std::string& at, py::dict values) {
  const BusyGuard busy(*this);
  std::map<std::string, Value> vals;
  for (auto [k, v] : values) {
    const std::string name = py::str(k);
    Value value = to_value(v, "events." + name, kScheduleLoc);
    // a "set" value is written as on the command line: accept a typed Python value too
    if (kind == "set" && name == "value" && !std::holds_alternative<std::string>(value)) value = value_to_string(value);
    vals[name] = value;
  }
  scheduled_.push_back(sim_->schedule(kind, at, std::move(vals), kScheduleLoc));
}

py::list PySimulation::pending_events() {
  const BusyGuard busy(*this);
  py::list out;
  for (const auto& ev : sim_->pending_events()) {
    py::dict d;
    d["kind"] = ev.kind;
    d["at"] = format_datetime(ev.at);
    for (const auto& [k, v] : ev.values) d[py::str(k)] = from_value(v);
    out.append(d);
  }
  return out;
}

void PySimulation::record(const std::string& path, int fields_every) {
  const BusyGuard busy(*this);
  const bool at_snapshot = !origin_.path.empty() && sim_->clock().tick == origin_.tick;
  if (!sim_->metrics().sample_times().empty() && !at_snapshot)
    throw std::runtime_error("record() must come before the first step; use save() to write a run in progress");
  if (writer_) throw std::runtime_error("already recording to " + writer_->path());
  if (fields_every < 1) throw py::value_error("fields_every must be >= 1");
  writer_ = std::make_unique<io::ResultsWriter>(path, at_snapshot ? origin_.fields_every : fields_every);
  if (at_snapshot) writer_->continue_from(origin_.path, "resume", origin_.time, origin_.content_hash);
  // from Python the file lands at the name asked for, complete or not (meta.complete says
  // which); the CLI keeps an incomplete run at <file>.partial for scripts that test names
  writer_->set_overwrite_incomplete(true);
  sim_->add_sink(writer_.get());
}

void PySimulation::close() {
  const BusyGuard busy(*this);
  if (!writer_ || closed_) return;
  py::gil_scoped_release release;
  sim_->finish(sim_->finished());
  closed_ = !sim_->finished();  // stepping on would feed a closed writer
}

void PySimulation::save(const std::string& path, int fields_every, py::object on_progress) {
  if (fields_every < 1) throw py::value_error("fields_every must be >= 1");
  const BusyGuard busy(*this);
  stop_ = false;
  SignalCheck check(std::move(on_progress), stop_);
  const std::function<void(const Progress&)> progress = std::ref(check);
  {
    py::gil_scoped_release release;
    // same scenario, seed, scheduled events and set() changes at the same ticks: the same
    // results, and deterministic on any thread count
    Scenario scenario = original_;
    for (const auto& ev : scheduled_) scenario.add_event(ev.kind, format_datetime(ev.at), ev.values, ev.loc);
    Simulation replay(scenario, threads_);
    io::ResultsWriter writer(path, fields_every);
    writer.set_overwrite_incomplete(true);  // as in record(): a mid-run save is at `path`
    replay.add_sink(&writer);
    bool complete = true;
    for (const auto& it : log_) {
      complete = replay.run(it.tick, &stop_, progress, 0.1);
      if (!complete) break;
      replay.set_param(it.key, it.value);
    }
    if (complete) complete = replay.run(sim_->clock().tick, &stop_, progress, 0.1);
    replay.finish(complete && replay.finished());  // Ctrl-C leaves a partial file (complete = 0)
  }
  check.rethrow();
}

void PySimulation::snapshot(const std::string& path) {
  const BusyGuard busy(*this);
  py::gil_scoped_release release;
  io::write_snapshot(*sim_, path, writer_.get());
}

std::unique_ptr<PySimulation> PySimulation::from_snapshot(const std::string& path, int threads, py::dict overrides) {
  io::SnapshotInfo info = io::read_snapshot_info(path);
  std::vector<io::Change> changes;
  for (auto [k, v] : overrides) {
    const std::string key = py::str(k);
    changes.emplace_back(key, to_value(v, key, SourceLoc{"from_snapshot", 0}));
  }
  std::unique_ptr<Simulation> sim;
  {
    py::gil_scoped_release release;
    sim = io::load_snapshot(info, threads, changes);
  }
  const Scenario original = sim->initial_scenario();
  auto out = std::make_unique<PySimulation>(std::move(sim), original, threads);
  out->origin_ = std::move(info);
  out->origin_.settings.clear();
  return out;
}

std::unique_ptr<PySimulation> PySimulation::fork(int threads) {
  const BusyGuard busy(*this);
  std::unique_ptr<Simulation> copy;
  {
    py::gil_scoped_release release;
    copy = sim_->fork(threads > 0 ? threads : threads_);
  }
  auto out = std::make_unique<PySimulation>(std::move(copy), original_, threads > 0 ? threads : threads_);
  out->scheduled_ = scheduled_;  // save() replays the fork's history as its own
  out->log_ = log_;
  out->origin_ = origin_;
  return out;
}

}  // namespace citysim::py_ext
