#include "citysim/metrics.hpp"

#include <cmath>
#include <stdexcept>

namespace citysim {

void Table::append(const std::vector<Cell>& cells) {
  const size_t first = timed ? 1 : 0;
  if (cells.size() + first != columns.size())
    throw std::invalid_argument(info.path + ": expected " + std::to_string(columns.size() - first) + " cells, got " +
                                std::to_string(cells.size()));
  if (timed) floats[index[0]].push_back(now_s);
  for (size_t c = first; c < columns.size(); ++c) {
    const Cell& cell = cells[c - first];
    switch (columns[c].type) {
      case ColumnType::Int:
        if (!std::holds_alternative<int64_t>(cell)) throw std::invalid_argument(info.path + ": column " + columns[c].name + " takes an integer");
        ints[index[c]].push_back(std::get<int64_t>(cell));
        break;
      case ColumnType::Float:
        if (std::holds_alternative<std::string>(cell)) throw std::invalid_argument(info.path + ": column " + columns[c].name + " takes a number");
        floats[index[c]].push_back(std::holds_alternative<int64_t>(cell) ? double(std::get<int64_t>(cell))
                                                                         : std::get<double>(cell));
        break;
      case ColumnType::Text:
        if (!std::holds_alternative<std::string>(cell)) throw std::invalid_argument(info.path + ": column " + columns[c].name + " takes text");
        texts[index[c]].push_back(std::get<std::string>(cell));
        break;
    }
  }
  ++rows;
}

void Metrics::archive(StateArchive& ar) {
  ar.check(series_.size(), "number of series");
  ar.check(fields_.size(), "number of fields");
  ar.check(tables_.size(), "number of tables");
  for (Series& s : series_) ar(s.current, s.history);
  for (Field& f : fields_) ar(f.values);
  for (Table& t : tables_) ar(t.ints, t.floats, t.texts, t.rows);
  ar(sample_times_);
}

Cell Table::at(size_t row, size_t column) const {
  switch (columns[column].type) {
    case ColumnType::Int: return ints[index[column]][row];
    case ColumnType::Float: return floats[index[column]][row];
    case ColumnType::Text: return texts[index[column]][row];
  }
  return int64_t(0);
}

void Metrics::check_new(const std::string& path) const {
  if (find_series(path) || find_field(path) || find_table(path))
    throw std::logic_error("metric registered twice: " + path);
  if (path.find('/') == std::string::npos) throw std::logic_error("metric path must be <module>/<name>: " + path);
}

SeriesId Metrics::add_series(MetricInfo info, Breakdown breakdown) {
  check_new(info.path);
  const size_t width = breakdown.labels.empty() ? 1 : breakdown.labels.size();
  series_.push_back(Series{std::move(info), std::move(breakdown), std::vector<double>(width, 0.0), {}});
  return series_.size() - 1;
}

FieldId Metrics::add_field(MetricInfo info) {
  check_new(info.path);
  fields_.push_back(Field{std::move(info), std::vector<float>(cells_, 0.0f)});
  return fields_.size() - 1;
}

TableId Metrics::add_table(MetricInfo info, std::vector<Column> columns) {
  check_new(info.path);
  Table t;
  t.info = std::move(info);
  t.timed = true;
  columns.insert(columns.begin(), Column{"time", ColumnType::Float, "s"});
  for (const auto& c : columns) {
    switch (c.type) {
      case ColumnType::Int: t.index.push_back(t.ints.size()); t.ints.emplace_back(); break;
      case ColumnType::Float: t.index.push_back(t.floats.size()); t.floats.emplace_back(); break;
      case ColumnType::Text: t.index.push_back(t.texts.size()); t.texts.emplace_back(); break;
    }
  }
  t.columns = std::move(columns);
  tables_.push_back(std::move(t));
  return tables_.size() - 1;
}

void Metrics::record_sample(LocalSeconds t) {
  sample_times_.push_back(t);
  for (auto& s : series_) s.history.insert(s.history.end(), s.current.begin(), s.current.end());
}

const Series* Metrics::find_series(const std::string& path) const {
  for (const auto& s : series_)
    if (s.info.path == path) return &s;
  return nullptr;
}
const Field* Metrics::find_field(const std::string& path) const {
  for (const auto& f : fields_)
    if (f.info.path == path) return &f;
  return nullptr;
}
const Table* Metrics::find_table(const std::string& path) const {
  for (const auto& t : tables_)
    if (t.info.path == path) return &t;
  return nullptr;
}

}  // namespace citysim
