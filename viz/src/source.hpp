// Where the pictures come from: a live Simulation on a worker thread, or a results
// file replayed. Both hand the renderer immutable Frames (shared_ptr), so the renderer
// never touches simulation state and the simulation never waits for a draw.
#pragma once
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "citysim/io/results.hpp"
#include "citysim/simulation.hpp"

namespace citysim::viz {

struct FieldData {
  std::string path, units, description;
  std::vector<float> values;  // rows x cols, row 0 = north
};

// rows of an event table, as text, plus where they are when the table is a place layer
// (lat/lon, mesh_code, cell or municipality columns)
struct TableData {
  std::string path, description;
  std::vector<std::string> columns;              // names with units: "load [sessions]"
  std::vector<bool> numeric;                     // per column: int or float
  size_t rows = 0;                               // rows shown (a replay: those up to the time shown)
  std::vector<std::vector<std::string>> latest;  // the last few rows, newest last
  std::vector<int64_t> marker_cell;              // grid cell of each located row (the newest ones)
  std::vector<std::vector<std::string>> marker_rows;  // those rows' cells as text
  int state_column = -1;  // "state"/"status": what markers are coloured by first (-1: none)
  std::string time_column;  // the column that says when a row happens ("" = none: all rows shown)
  // a table whose rows last a while (start and end columns: depart_min and landed_min,
  // start_min and end_min, minutes since the run start): every row's span and cells, so
  // what is in progress at any moment can be drawn (aircraft in the air, pads in use)
  struct Span {
    LocalSeconds start, end;
    std::vector<std::string> row;
  };
  std::vector<Span> spans;
};
// a column's index by its name (without units), -1 when absent
int column_of(const TableData& t, const std::string& name);

// a sample of the residents to draw (live mode only)
struct AgentSample {
  std::vector<uint32_t> cell;
  std::vector<uint8_t> activity;
  std::shared_ptr<const std::vector<uint8_t>> age;  // fixed for a run, shared between frames
  double weight = 1;                                // people each drawn point stands for
};

struct Frame {
  // end: the run's end time (live), or the last sample the file holds (replay), so no time
  // control reaches past what can be shown
  LocalSeconds now = 0, start = 0, end = 0;
  int64_t tick = 0;
  size_t sample = 0;  // index of the output sample the fields show
  std::shared_ptr<const std::vector<LocalSeconds>> sample_times;
  // fields change only at output samples and tables only when rows are added, so frames
  // share them until then
  std::shared_ptr<const std::vector<FieldData>> fields;
  std::shared_ptr<const std::vector<io::SeriesData>> series;  // whole histories
  std::vector<std::shared_ptr<const TableData>> tables;
  AgentSample agents;
  bool finished = false;  // at the last sample (replay) or the run's end (live)
  bool complete = true;   // a replayed file says its run reached its end time (/meta complete)
  double ticks_per_second = 0;  // measured simulation speed (live)
  // live: wall seconds each module's step has taken so far, in phase order
  std::vector<std::pair<std::string, double>> step_seconds;
  uint64_t serial = 0;          // increases with every new frame

  const FieldData* field(const std::string& path) const;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual bool live() const = 0;
  virtual const Grid& grid() const = 0;
  virtual std::string name() const = 0;
  // the latest frame (cheap: a shared_ptr copy under the lock)
  virtual std::shared_ptr<const Frame> frame() = 0;
  // advance playback by dt wall seconds (replay; the live worker keeps its own time)
  virtual void update(double /*dt_wall_s*/) {}
  // the time shown, to the second: a replay between its samples (for what moves smoothly)
  virtual LocalSeconds clock_time() { return frame()->now; }
  virtual void play(bool on) = 0;
  virtual bool playing() const = 0;
  // simulated seconds per wall second; 0 = as fast as possible
  virtual void set_speed(double speed) = 0;
  virtual void step() = 0;  // one tick (live) or one sample (replay)
  virtual void seek(LocalSeconds t) = 0;
  // the scenario this source runs (live) or was produced from (replay)
  virtual const Scenario& scenario() const = 0;
};

// a live run: the Simulation lives on a worker thread; GUI edits are queued and applied
// between steps; after each batch of ticks the worker copies a Frame and swaps it in
// under the one mutex
class LiveSource final : public Source {
 public:
  LiveSource(const Scenario& scenario, int threads, size_t max_agents);
  ~LiveSource() override;
  // run synchronously to a time (screenshots); only before start()
  void advance_to(LocalSeconds t);
  // start the worker thread
  void start();

  bool live() const override { return true; }
  const Grid& grid() const override { return grid_; }
  std::string name() const override { return scenario_.get_string("run.name"); }
  std::shared_ptr<const Frame> frame() override;
  void play(bool on) override;
  bool playing() const override { return playing_.load(); }
  void set_speed(double speed) override;
  void step() override;
  void seek(LocalSeconds t) override;
  const Scenario& scenario() const override { return scenario_; }

  // a knob change, applied between steps; errors come back through last_error()
  void set_param(const std::string& key, const Value& value);
  // rebuild the simulation from this scenario and start again at its start time
  void restart(const Scenario& scenario);
  std::string last_error();

 private:
  void loop();
  void publish();  // worker side: copy a Frame from the simulation and swap it in
  void run_ticks_for(int64_t target_tick, double budget_s);
  void rebuild(const Scenario& scenario);

  Scenario scenario_;  // as started (the GUI keeps its own edited copy)
  int threads_;
  size_t max_agents_;
  Grid grid_;
  std::unique_ptr<Simulation> sim_;  // touched only by the worker (or before start())
  std::thread worker_;

  std::mutex mu_;  // guards everything below
  std::condition_variable wake_;
  std::shared_ptr<const Frame> latest_;
  std::vector<std::pair<std::string, Value>> edits_;
  std::optional<Scenario> restart_;
  std::optional<LocalSeconds> seek_;
  int64_t pending_steps_ = 0;
  double speed_ = 600;  // simulated seconds per wall second
  bool quit_ = false;
  std::string error_;
  std::atomic<bool> playing_{false};

  // worker-only bookkeeping for frames
  std::shared_ptr<const std::vector<io::SeriesData>> series_cache_;
  std::shared_ptr<const std::vector<FieldData>> fields_cache_;
  std::vector<std::shared_ptr<const TableData>> tables_cache_;
  std::shared_ptr<const std::vector<LocalSeconds>> times_cache_;
  std::shared_ptr<const std::vector<uint8_t>> age_cache_;
  size_t series_samples_ = size_t(-1);
  uint64_t serial_ = 0;
  double measured_tps_ = 0;
};

// a finished run read back from its results file
class ReplaySource final : public Source {
 public:
  // throws std::runtime_error naming the file when it cannot be read
  explicit ReplaySource(const std::string& path);

  bool live() const override { return false; }
  const Grid& grid() const override { return grid_; }
  std::string name() const override { return name_; }
  std::shared_ptr<const Frame> frame() override;
  void update(double dt_wall_s) override;
  LocalSeconds clock_time() override { return times_->front() + LocalSeconds(std::llround(position_s_)); }
  void play(bool on) override { playing_ = on; }
  bool playing() const override { return playing_; }
  void set_speed(double speed) override { speed_ = speed; }
  void step() override;
  void seek(LocalSeconds t) override;
  const Scenario& scenario() const override { return scenario_; }
  size_t samples() const { return times_->size(); }

 private:
  size_t sample_at(LocalSeconds t) const;
  std::string path_, name_;
  io::ResultsSummary summary_;
  std::vector<Table> tables_;                                    // every table, read once
  Scenario scenario_;
  Grid grid_;
  std::shared_ptr<const std::vector<io::SeriesData>> series_;
  std::shared_ptr<const std::vector<LocalSeconds>> times_;
  std::shared_ptr<const Frame> frame_;
  double position_s_ = 0;  // playback position, seconds since the first sample
  double speed_ = 600;
  bool playing_ = false;
  uint64_t serial_ = 0;
};

// results files start with the HDF5 signature; anything else is taken as a scenario
bool is_results_file(const std::string& path);

}  // namespace citysim::viz
