// The metrics registry: every module publishes what it measures here, and every front
// end (HDF5 writer, Python, visualizer, `citysim compare`) reads it from here.
//   series: one value (or one per category) per output sample   e.g. residents/travelling
//   fields: one grid (rows x cols floats) per output sample      e.g. residents/present
//   tables: event records appended as they happen               e.g. watch/anomalies
// Paths are "<module>/<name>", the same in HDF5 (/series/<module>/<name>) and Python.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "citysim/archive.hpp"
#include "citysim/clock.hpp"

namespace citysim {

struct MetricInfo {
  std::string path;         // "<module>/<name>"
  std::string units;        // "people", "°C", "1" for ratios...
  std::string description;  // one line
};

// a series with a breakdown has one value per category per sample
struct Breakdown {
  std::string dimension;            // "municipality", "mode", "age_group"
  std::vector<std::string> labels;  // one per category
};

struct Series {
  MetricInfo info;
  Breakdown breakdown;               // empty labels = a scalar series
  std::vector<double> current;       // value(s) set by the module for the next sample
  std::vector<double> history;       // samples x width, row-major
  size_t width() const { return current.size(); }
};

struct Field {
  MetricInfo info;
  std::vector<float> values;  // rows x cols, row-major, row 0 = north; NaN = no value
};

enum class ColumnType { Int, Float, Text };
struct Column {
  std::string name;
  ColumnType type = ColumnType::Float;
  std::string units;
};
using Cell = std::variant<int64_t, double, std::string>;

struct Table {
  MetricInfo info;
  std::vector<Column> columns;
  // column-wise storage: ints/floats/texts hold one vector per column of that type,
  // index[c] says which
  std::vector<std::vector<int64_t>> ints;
  std::vector<std::vector<double>> floats;
  std::vector<std::vector<std::string>> texts;
  std::vector<size_t> index;
  size_t rows = 0;
  // a registered table's column 0 is "time", the seconds since the run start at which the
  // row was written (what a replay shows at a time); append() fills it with now_s
  bool timed = false;
  double now_s = 0;

  // append one record, cells in column order (after "time" when timed); throws
  // std::invalid_argument on a count or type mismatch
  void append(const std::vector<Cell>& cells);
  Cell at(size_t row, size_t column) const;
};

using SeriesId = size_t;
using FieldId = size_t;
using TableId = size_t;

class Metrics {
 public:
  explicit Metrics(size_t cells = 0) : cells_(cells) {}

  SeriesId add_series(MetricInfo info, Breakdown breakdown = {});
  FieldId add_field(MetricInfo info);
  TableId add_table(MetricInfo info, std::vector<Column> columns);

  void set(SeriesId id, double value) { series_[id].current[0] = value; }
  // the simulated time that rows appended from now on carry (seconds since the run start)
  void set_time(double seconds_since_start) {
    for (Table& t : tables_) t.now_s = seconds_since_start;
  }
  std::span<double> values(SeriesId id) { return series_[id].current; }
  std::span<float> field(FieldId id) { return fields_[id].values; }
  Table& table(TableId id) { return tables_[id]; }

  // take a sample: append every series' current values to its history
  void record_sample(LocalSeconds t);

  const std::vector<Series>& series() const { return series_; }
  const std::vector<Field>& fields() const { return fields_; }
  const std::vector<Table>& tables() const { return tables_; }
  const std::vector<LocalSeconds>& sample_times() const { return sample_times_; }
  size_t cells() const { return cells_; }
  // what samples and publishing changed (values, histories, table rows, sample times); the
  // registrations are checked, not saved: init makes them from the scenario
  void archive(StateArchive& ar);

  // lookups by path; nullptr when absent
  const Series* find_series(const std::string& path) const;
  const Field* find_field(const std::string& path) const;
  const Table* find_table(const std::string& path) const;

 private:
  void check_new(const std::string& path) const;
  size_t cells_;
  std::vector<Series> series_;
  std::vector<Field> fields_;
  std::vector<Table> tables_;
  std::vector<LocalSeconds> sample_times_;
};

}  // namespace citysim
