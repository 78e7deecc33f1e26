// Checkpoints during `run`, and `citysim resume`: snapshots of a run (docs/snapshots.md).
#pragma once
#include <CLI/CLI.hpp>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "citysim/io/results.hpp"
#include "citysim/io/snapshot.hpp"
#include "citysim/simulation.hpp"
#include "progress.hpp"

namespace citysim::cli {

struct CheckpointOptions {
  std::string every;            // "6h", "30min", "1d"; empty = none
  std::string dir;              // default: <output without .h5>.checkpoints
  std::vector<std::string> at;  // datetimes
  void add_to(CLI::App* cmd);
};

// the ticks to write snapshots at and where they go; checked against the run's clock before
// anything runs (std::invalid_argument naming the option)
class Checkpoints {
 public:
  Checkpoints(const CheckpointOptions& options, const Simulation& sim, const std::string& out_path);
  // the first checkpoint tick after `tick`, if any before the end
  std::optional<int64_t> next_after(int64_t tick) const;
  // writes the snapshot of `sim` at its tick (atomically); returns its path
  std::string write(Simulation& sim, const io::ResultsWriter& writer) const;

 private:
  std::vector<int64_t> ticks_;  // ascending
  std::string dir_, stem_;
};

// runs to the end, writing checkpoints on the way; false when stopped by `stop`
bool run_with_checkpoints(Simulation& sim, const io::ResultsWriter& writer, const Checkpoints& checkpoints,
                          const std::atomic<bool>* stop, ProgressReporter& progress, bool quiet);

// minutes in "6h", "30min", "90m", "1d", "45" (minutes); std::invalid_argument otherwise
int64_t parse_duration_minutes(const std::string& text);

}  // namespace citysim::cli
