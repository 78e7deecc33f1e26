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

// a series' samples in blocks of kBlockSamples: frames share the full blocks, so a live
// run's new sample copies only the last block (a frame costs as much in year 10 as in
// hour 1; copying the whole history at every sample was quadratic over a long run)
struct SeriesHistory {
  static constexpr size_t kBlockSamples = 256;
  std::string path, units, description, dimension;
  std::vector<std::string> labels;  // breakdown categories (empty = scalar)
  size_t width = 1;
  size_t samples = 0;
  std::vector<std::shared_ptr<const std::vector<double>>> blocks;  // kBlockSamples x width values each; the last may be short
  double at(size_t sample, size_t k = 0) const {
    return (*blocks[sample / kBlockSamples])[(sample % kBlockSamples) * width + k];
  }
  // the samples of `history` (samples x width, a longer copy of what is held) past those
  // held appended: the last block is copied again, full blocks stay shared
  void append_from(const std::vector<double>& history);
};
// a results file's series, in blocks
SeriesHistory series_of(const io::SeriesData& data);

// an ensemble variant's spread over its replicates, per sample: the series summed over its
// breakdown (as the ensemble file's metrics without labels), 5/50/95% quantiles
struct Band {
  std::string path;
  std::vector<double> q05, q50, q95;
  int replicates = 0;
};

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
  std::shared_ptr<const std::vector<SeriesHistory>> series;  // whole histories
  // an ensemble replay: the variant shown and every series' band over its replicates
  std::string variant;
  std::shared_ptr<const std::vector<Band>> bands;
  std::vector<std::shared_ptr<const TableData>> tables;
  AgentSample agents;
  bool finished = false;  // at the last sample (replay) or the run's end (live)
  bool complete = true;   // a replayed file says its run reached its end time (/meta complete)
  double ticks_per_second = 0;  // measured simulation speed (live)
  // live: wall seconds each module's step has taken so far, in phase order
  std::vector<std::pair<std::string, double>> step_seconds;
  uint64_t serial = 0;          // increases with every new frame

  const FieldData* field(const std::string& path) const;
  const Band* band(const std::string& path) const;  // nullptr outside an ensemble
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
  // an ensemble's variants (empty otherwise), the one shown, and a choice of another
  virtual const std::vector<std::string>& variants() const {
    static const std::vector<std::string> none;
    return none;
  }
  virtual size_t variant() const { return 0; }
  virtual void set_variant(size_t /*index*/) {}
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
  std::vector<SeriesHistory> series_work_;  // grown a sample at a time; frames get copies sharing its blocks
  std::shared_ptr<const std::vector<SeriesHistory>> series_cache_;
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
  std::shared_ptr<const std::vector<SeriesHistory>> series_;
  std::shared_ptr<const std::vector<LocalSeconds>> times_;
  std::shared_ptr<const Frame> frame_;
  double position_s_ = 0;  // playback position, seconds since the first sample
  double speed_ = 600;
  bool playing_ = false;
  uint64_t serial_ = 0;
};

// an ensemble file (citysim ensemble) replayed: the map and tables are one member's (the
// chosen variant's first complete replicate), the charts every series' median and 5-95%
// band over the variant's complete replicates, read from the member files
class EnsembleSource final : public Source {
 public:
  // throws std::runtime_error naming the file when it or its members cannot be read
  explicit EnsembleSource(const std::string& path);

  bool live() const override { return false; }
  const Grid& grid() const override { return replay_->grid(); }
  std::string name() const override;
  std::shared_ptr<const Frame> frame() override;
  void update(double dt_wall_s) override { replay_->update(dt_wall_s); }
  LocalSeconds clock_time() override { return replay_->clock_time(); }
  void play(bool on) override { replay_->play(on); }
  bool playing() const override { return replay_->playing(); }
  void set_speed(double speed) override { speed_ = speed, replay_->set_speed(speed); }
  void step() override { replay_->step(); }
  void seek(LocalSeconds t) override { replay_->seek(t); }
  const Scenario& scenario() const override { return replay_->scenario(); }
  const std::vector<std::string>& variants() const override { return variants_; }
  size_t variant() const override { return variant_; }
  void set_variant(size_t index) override;
  // the member file the map shows
  const std::string& member_shown() const { return members_[variant_].front(); }

 private:
  std::string path_, name_;
  std::vector<std::string> variants_;
  std::vector<std::vector<std::string>> members_;             // per variant: its complete members' files
  std::vector<std::shared_ptr<const std::vector<Band>>> bands_;  // per variant
  size_t variant_ = 0;
  double speed_ = 600;
  std::unique_ptr<ReplaySource> replay_;
  std::shared_ptr<const Frame> inner_, frame_;
};

// results files start with the HDF5 signature; anything else is taken as a scenario
bool is_results_file(const std::string& path);
// an HDF5 file with /summaries and /members: an ensemble file
bool is_ensemble_file(const std::string& path);

}  // namespace citysim::viz
