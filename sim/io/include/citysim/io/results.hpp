// Results files (HDF5): the writer is a ResultSink fed by the Simulation; the reader
// serves `citysim info`, `citysim compare`, the visualizer's replay mode and tests.
// Layout (results/README.md is the schema):
//   /meta          attrs: version, git_revision, seed, threads, started, finished,
//                  wall_seconds, complete (0/1), scenario name; datasets scenario_toml, overrides
//   /time          (time) float64 seconds since the start; a dimension scale with CF units
//                  "seconds since <start>"; /time_iso (time) ISO 8601 strings
//   /row, /col     dimension scales of the grid (indices); /grid/<layer> (row, col)
//   /series/<module>/<name>   (time) or (time, <breakdown>)   attrs units (UDUNITS),
//                             units_display (the pretty form, when it differs), description
//   /fields/<module>/<name>   (time, row, col) float32, chunked + gzip
//   /tables/<module>/<name>   compound records, extensible
// The file is written as <path>.partial and renamed to <path> only when the run completed;
// every sample is flushed, so an interrupted run leaves a readable <path>.partial with
// complete = 0 and never replaces a complete <path>.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "citysim/simulation.hpp"

namespace citysim::io {

// the source tree's git revision at build time ("+dirty" with uncommitted changes), as
// written to every results file's /meta
const char* git_revision();

// a metric's units as UDUNITS text for the file's CF `units` attribute ("°C" -> "degC",
// "kW/m²" -> "kW m-2", counts such as "people" -> "1"); the pretty form is kept in
// `units_display`, which the viewer and the summaries show
std::string cf_units(const std::string& display);
// the units to show for a dataset: `units_display` when the file has it, else `units`
std::string display_units(const std::string& units, const std::string& units_display);

class ResultsWriter final : public ResultSink {
 public:
  // fields_every: write fields every Nth sample (1 = all); fields can be large
  explicit ResultsWriter(std::string path, int fields_every = 1);
  ~ResultsWriter() override;
  void begin(const Simulation& sim) override;
  void sample(const Simulation& sim) override;
  void end(const Simulation& sim, bool complete) override;
  const std::string& path() const { return path_; }
  // where the file is while it is written, and where an interrupted run leaves it
  std::string partial_path() const { return path_ + ".partial"; }
  // let an interrupted run replace `path` (the CLI's --overwrite-incomplete); by default only
  // a complete run does, so a complete result is never lost to a later interrupted one
  void set_overwrite_incomplete(bool on) { overwrite_incomplete_ = on; }
  int fields_every() const { return fields_every_; }
  // the field samples written so far, into a snapshot's group (a resumed file starts with them)
  void save_fields(int64_t group) const;  // an HDF5 group id
  // a run continued from a snapshot: the file starts with the snapshot's field samples, and
  // /meta records where it came from (use: "resume" or "branch")
  void continue_from(std::string snapshot_path, std::string use, std::string time, std::string content_hash) {
    origin_ = {std::move(snapshot_path), std::move(use), std::move(time), std::move(content_hash)};
  }

 private:
  void begin_file(const Simulation& sim, const std::string& partial);
  void close_quietly() noexcept;
  void salvage_quietly() noexcept;  // after a failed write: cut to the last sample, then close
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  int fields_every_;
  bool overwrite_incomplete_ = false;
  struct Origin {
    std::string path, use, time, content_hash;
  } origin_;
  std::string last_sample_time_ = "the start";  // of the last sample written, for a failed write's message
};

// why a results file cannot be written at `path` (an existing folder, an unwritable parent,
// a read-only file), or "" when it can; checked before a simulation starts
std::string output_path_problem(const std::string& path);

// what a results file holds, read back
struct SeriesData {
  std::string path, units, description, dimension;
  std::vector<std::string> labels;   // breakdown categories (empty = scalar)
  std::vector<double> values;        // samples x width
  size_t width = 1;
};
struct FieldSummary {
  std::string path, units, description;
  std::vector<size_t> shape;  // field samples x rows x cols
};
struct ResultsSummary {
  std::map<std::string, std::string> meta;  // attribute name -> text
  std::string scenario_toml;
  std::vector<std::string> overrides;  // the --set lines the run was started with
  std::vector<double> time_s;
  std::vector<std::string> time_iso;
  int rows = 0, cols = 0;
  std::vector<SeriesData> series;
  std::vector<FieldSummary> fields;
  int fields_every = 1;  // fields were written at samples 0, N, 2N... of /time
  std::vector<std::pair<std::string, size_t>> tables;               // path, rows
  std::vector<std::string> grid_layers;  // the (row, col) layers under /grid: mesh_code, lat, population...
  bool complete = false;
};
// throws std::runtime_error naming the file when it cannot be read
ResultsSummary read_results(const std::string& path);
// one field at one field sample (rows x cols); field sample k is /time sample k * fields_every
std::vector<float> read_field(const std::string& path, const std::string& field, size_t sample);
// one table, all its rows (text columns as written: at most 32 bytes)
Table read_table(const std::string& path, const std::string& table);
// one /grid layer (rows x cols), as float64
std::vector<double> read_grid_layer(const std::string& path, const std::string& layer);

// `citysim info`: what is inside, in plain words; and the same as JSON (`info --json`)
std::string describe_results(const ResultsSummary& results, const std::string& path);
std::string describe_results_json(const ResultsSummary& results, const std::string& path);

// `citysim compare`: values are within tolerance when |a - b| <= atol + rtol * |b|
struct Difference {
  std::string what;      // series, field, grid, table, time, note
  std::string path;      // metric path or layer name ("" for the time axis)
  std::string result;    // "OK", "DIFFERS", "MISSING in b", "SHAPE ..." or the note's text
  bool failure = false;  // counts against the comparison (notes do not)
  double max_abs = 0, max_rel = 0;  // over every value compared
  // at the worst value (the largest |a - b|): a, b, where (breakdown label or cell, time)
  double a = 0, b = 0;
  std::string label, time;
  bool has_worst = false;
};
struct CompareReport {
  bool ok = true;
  std::string text;                    // the table a person reads
  std::vector<Difference> differences;  // every item compared, in the text's order
  std::string json() const;            // `compare --json`
};
// the series, the time axis, /meta (notes) and table row counts of two summaries
CompareReport compare_results(const ResultsSummary& a, const ResultsSummary& b, double rtol, double atol);
// all of compare_results plus every field sample, the grid layers and table contents, read
// from the two files
CompareReport compare_files(const std::string& a_path, const std::string& b_path, double rtol, double atol);

}  // namespace citysim::io
