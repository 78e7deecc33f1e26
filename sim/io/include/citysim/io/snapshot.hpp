// Snapshots (HDF5, results/README.md): the whole state of a run at one tick, to resume it
// (bit-identical to the run that never stopped) or to branch variants from it.
//   /            attrs: format, format_version, version, git_revision, tick, time, complete,
//                fields_every, content_hash, created, source_path, base_dir
//   /scenario_toml, /overrides, /settings    the scenario as the run was built (settings: every
//                key's value, file paths resolved, as an archive)
//   /data_files, /data_file_hashes                     every file the scenario reads, FNV-1a 64
//   /state/<section>   uint8, Fletcher32 per chunk; attr layout (the types the section lists)
//   /results/fields    the field samples the run's results file held (a resumed file starts with them)
// Written as <path>.tmp, fsynced and renamed: a kill leaves the previous snapshot as it was.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "citysim/io/results.hpp"
#include "citysim/simulation.hpp"

namespace citysim::io {

struct SnapshotInfo {
  std::string path, version, git_revision, time, created, content_hash;
  int64_t tick = 0, total_ticks = 0;
  bool finished = false;  // the run had reached its end
  int fields_every = 1;
  std::string scenario_toml, source_path, base_dir;
  std::vector<std::string> overrides;  // the --set lines, as recorded in results
  std::vector<std::string> data_files, data_file_hashes;
  std::vector<uint8_t> settings;  // every key's value as the run was built (an archive)
};

// writes the state of `sim` (between ticks); `results`, when given, is the run's writer, whose
// field samples so far go into the snapshot. Throws SnapshotError for a state that cannot be
// saved to a file (events scheduled during the run), std::runtime_error for I/O failures.
void write_snapshot(Simulation& sim, const std::string& path, const ResultsWriter* results = nullptr);

// what a snapshot holds, without its state; throws SnapshotError for a file that is not one
SnapshotInfo read_snapshot_info(const std::string& path);

// the scenario a snapshot was taken from (its text, folder and --set overrides)
Scenario snapshot_scenario(const SnapshotInfo& info);

// a key changed in a branch, and its new value
using Change = std::pair<std::string, Value>;

// what a variant scenario changes from the snapshot's scenario: every key whose value differs
// (file paths compared resolved). A key that cannot change mid-run (run.*, city.*, *.enabled)
// or a different timeline is refused with a ScenarioError at the variant's line, saying why
std::vector<Change> branch_changes(const Scenario& snapshot, const Scenario& variant);

// a simulation at the snapshot's tick: built from its scenario, then every section of the
// state loaded and checked (layout, checksums, data files unchanged); `branch` then applies
// as live changes at that tick (Simulation::set_param) and is listed in the overrides
// `read_seconds`, when given, receives the time spent reading and loading the state (the
// rest is building the city and modules from the scenario)
std::unique_ptr<Simulation> load_snapshot(const SnapshotInfo& info, int threads = 0,
                                          const std::vector<Change>& branch = {}, double* read_seconds = nullptr);

// FNV-1a 64 of a file's bytes, as 16 hex digits
std::string file_hash(const std::string& path);

}  // namespace citysim::io
