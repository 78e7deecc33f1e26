// Texts over a read-back results file: `citysim info` (describe_results) and
// `citysim compare` (compare_results). No HDF5 here: both work on ResultsSummary.
#include "citysim/io/results.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

namespace citysim::io {
namespace {

std::string printf_text(const char* format, ...) {
  va_list args, size_args;
  va_start(args, format);
  va_copy(size_args, args);
  std::string text(size_t(std::vsnprintf(nullptr, 0, format, size_args)), '\0');
  va_end(size_args);
  std::vsnprintf(text.data(), text.size() + 1, format, args);
  va_end(args);
  return text;
}

std::string number(double value) { return printf_text("%.6g", value); }

std::string meta(const ResultsSummary& r, const std::string& key) {
  const auto it = r.meta.find(key);
  return it == r.meta.end() ? "?" : it->second;
}

// "1 h", "15 min", "30 s"
std::string duration_text(double seconds) {
  if (std::fmod(seconds, 3600) == 0) return number(seconds / 3600) + " h";
  if (std::fmod(seconds, 60) == 0) return number(seconds / 60) + " min";
  return number(seconds) + " s";
}

// the sample's time for messages, falling back to its index
std::string sample_time(const ResultsSummary& r, size_t sample) {
  return sample < r.time_iso.size() ? r.time_iso[sample] : "sample " + std::to_string(sample);
}

// "last 12, max 40" for a scalar; for a breakdown the largest category of each
std::string series_values(const SeriesData& s) {
  if (s.values.empty()) return "no samples";
  const auto last_row = s.values.end() - std::ptrdiff_t(s.width);
  const auto last = std::max_element(last_row, s.values.end());
  const auto max = std::max_element(s.values.begin(), s.values.end());
  if (s.labels.empty()) return "last " + number(*last) + ", max " + number(*max);
  const auto label = [&](auto it) { return s.labels[size_t(it - s.values.begin()) % s.width]; };
  return "by " + s.dimension + " (" + std::to_string(s.width) + "): largest last " + number(*last) + " (" +
         label(last) + "), max " + number(*max) + " (" + label(max) + ")";
}

// a JSON string literal
std::string json_text(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += char(c);
    else if (c == '\n') out += "\\n";
    else if (c < 0x20) out += printf_text("\\u%04x", c);
    else out += char(c);
  }
  return out + "\"";
}
// a JSON number (null for NaN and the infinities, which JSON lacks)
std::string json_number(double x) { return std::isfinite(x) ? printf_text("%.17g", x) : "null"; }

// the sum over a breakdown's categories at each sample ("total" in info)
std::vector<double> totals(const SeriesData& s) {
  std::vector<double> out(s.values.size() / std::max<size_t>(s.width, 1), 0.0);
  for (size_t i = 0; i < s.values.size(); ++i) out[i / s.width] += s.values[i];
  return out;
}

// one compared item
Difference item(std::string what, std::string path, std::string result, bool failure = false) {
  Difference d;
  d.what = std::move(what), d.path = std::move(path), d.result = std::move(result), d.failure = failure;
  return d;
}

// a compared item into the report: one that fails makes the report fail
void add(CompareReport& report, Difference d) {
  if (d.failure) report.ok = false;
  report.differences.push_back(std::move(d));
}

// "+2.5", "-0.1": a signed difference
std::string signed_number(double x) { return (x > 0 ? "+" : "") + number(x); }

}  // namespace

std::string describe_results(const ResultsSummary& r, const std::string& path) {
  std::string out = path + "\n";
  out += "  scenario  " + meta(r, "scenario_name") + "\n";
  // end() records `finished` whether or not the run reached its end; a crash leaves it empty
  const auto finished = r.meta.find("finished");
  const bool closed = finished != r.meta.end() && !finished->second.empty();
  out += r.complete ? "  status    complete\n"
         : closed   ? "  status    interrupted: stopped before the end of the run\n"
                    : "  status    interrupted: the file was never closed (a crash, or still running); it holds "
                      "the samples written until then\n";
  out += "  period    ";
  if (r.time_s.empty()) {
    out += "no samples\n";
  } else {
    out += meta(r, "start") + " to " + r.time_iso.back() + ", " + std::to_string(r.time_s.size()) + " samples";
    if (r.time_s.size() > 1) out += " every " + duration_text(r.time_s[1] - r.time_s[0]);
    out += "\n";
  }
  out += "  run       seed " + meta(r, "seed") + ", " + meta(r, "threads") + " threads, citysim " + meta(r, "version") +
         " (revision " + meta(r, "git_revision") + ")\n";
  out += "  set       ";
  if (r.overrides.empty()) out += "no --set overrides\n";
  for (size_t i = 0; i < r.overrides.size(); ++i) out += (i ? ", " : "") + r.overrides[i] + (i + 1 == r.overrides.size() ? "\n" : "");
  out += "  written   started " + meta(r, "started");
  out += closed ? ", finished " + finished->second + ", " + printf_text("%.1f", std::stod(meta(r, "wall_seconds"))) +
                      " s wall time\n"
                : ", never finished\n";
  out += "  grid      " + std::to_string(r.rows) + " rows x " + std::to_string(r.cols) + " columns\n";

  out += "series (" + std::to_string(r.series.size()) + ")\n";
  for (const auto& s : r.series) {
    out += "  " + s.path + " [" + s.units + "]  " + s.description + "\n      " + series_values(s) + "\n";
    if (!s.labels.empty() && !s.values.empty()) {
      const std::vector<double> sum = totals(s);
      out += "      total over " + s.dimension + ": last " + number(sum.back()) + ", max " +
             number(*std::max_element(sum.begin(), sum.end())) + "\n";
    }
  }
  out += "fields (" + std::to_string(r.fields.size()) + "), time x rows x columns\n";
  for (const auto& f : r.fields) {
    out += "  " + f.path + "  ";
    for (size_t i = 0; i < f.shape.size(); ++i) out += (i ? " x " : "") + std::to_string(f.shape[i]);
    out += "\n";
  }
  out += "tables (" + std::to_string(r.tables.size()) + ")\n";
  for (const auto& [table, rows] : r.tables) out += "  " + table + "  " + std::to_string(rows) + " rows\n";
  return out;
}

std::string describe_results_json(const ResultsSummary& r, const std::string& path) {
  std::string out = "{\n  \"path\": " + json_text(path) + ",\n  \"complete\": " + (r.complete ? "true" : "false");
  out += ",\n  \"meta\": {";
  size_t i = 0;
  for (const auto& [k, v] : r.meta) out += (i++ ? ", " : "") + json_text(k) + ": " + json_text(v);
  out += "},\n  \"overrides\": [";
  for (size_t k = 0; k < r.overrides.size(); ++k) out += (k ? ", " : "") + json_text(r.overrides[k]);
  out += "],\n  \"samples\": " + std::to_string(r.time_s.size());
  out += ",\n  \"first_time\": " + (r.time_iso.empty() ? std::string("null") : json_text(r.time_iso.front()));
  out += ",\n  \"last_time\": " + (r.time_iso.empty() ? std::string("null") : json_text(r.time_iso.back()));
  out += ",\n  \"grid\": {\"rows\": " + std::to_string(r.rows) + ", \"cols\": " + std::to_string(r.cols) + "}";
  out += ",\n  \"series\": [";
  for (size_t k = 0; k < r.series.size(); ++k) {
    const SeriesData& s = r.series[k];
    out += std::string(k ? "," : "") + "\n    {\"path\": " + json_text(s.path) + ", \"units\": " + json_text(s.units) +
           ", \"description\": " + json_text(s.description);
    const std::vector<double> sum = totals(s);  // the value itself for a scalar
    out += ", \"last\": " + (sum.empty() ? std::string("null") : json_number(sum.back()));
    out += ", \"max\": " + (sum.empty() ? std::string("null") : json_number(*std::max_element(sum.begin(), sum.end())));
    if (!s.labels.empty()) {
      out += ", \"dimension\": " + json_text(s.dimension) + ", \"labels\": [";
      for (size_t l = 0; l < s.labels.size(); ++l) out += (l ? ", " : "") + json_text(s.labels[l]);
      out += "], \"last_by_label\": [";
      for (size_t l = 0; l < s.width && !s.values.empty(); ++l)
        out += (l ? ", " : "") + json_number(s.values[s.values.size() - s.width + l]);
      out += "]";
    }
    out += "}";
  }
  out += "\n  ],\n  \"fields\": [";
  for (size_t k = 0; k < r.fields.size(); ++k) {
    out += std::string(k ? ", " : "") + "{\"path\": " + json_text(r.fields[k].path) + ", \"units\": " +
           json_text(r.fields[k].units) + ", \"shape\": [";
    for (size_t d = 0; d < r.fields[k].shape.size(); ++d) out += (d ? ", " : "") + std::to_string(r.fields[k].shape[d]);
    out += "]}";
  }
  out += "],\n  \"tables\": [";
  for (size_t k = 0; k < r.tables.size(); ++k)
    out += std::string(k ? ", " : "") + "{\"path\": " + json_text(r.tables[k].first) + ", \"rows\": " +
           std::to_string(r.tables[k].second) + "}";
  return out + "]\n}\n";
}

namespace {

// compares two equally long value lists; `where(i)` names value i (label, cell; and time)
template <class Where>
void compare_values(Difference& d, size_t n, const auto& x_at, const auto& y_at, double rtol, double atol,
                    const Where& where) {
  double worst = -1;
  size_t worst_i = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = double(x_at(i)), y = double(y_at(i));
    if (std::isnan(x) && std::isnan(y)) continue;  // "no value" in both
    // a value on one side only (NaN on the other) is an infinite difference
    const double diff = std::isnan(x) || std::isnan(y) ? std::numeric_limits<double>::infinity() : std::abs(x - y);
    d.max_abs = std::max(d.max_abs, diff);
    if (diff > 0) d.max_rel = std::max(d.max_rel, y != 0 ? diff / std::abs(y) : std::numeric_limits<double>::infinity());
    if (!(diff <= atol + rtol * std::abs(y))) d.failure = true;
    if (diff > worst) worst = diff, worst_i = i;
  }
  if (d.failure) {
    d.result = "DIFFERS";
    d.a = double(x_at(worst_i)), d.b = double(y_at(worst_i));
    std::tie(d.label, d.time) = where(worst_i);
    d.has_worst = true;
  }
}

std::string worst_text(const Difference& d) {
  if (!d.has_worst) return "";
  std::string at = d.time;
  if (!d.label.empty()) at += (at.empty() ? "" : ", ") + d.label;
  const double rel = d.b != 0 ? (d.a - d.b) / std::abs(d.b) : std::numeric_limits<double>::infinity();
  return " at " + at + ": a " + number(d.a) + ", b " + number(d.b) + ", a - b " + signed_number(d.a - d.b) +
         (std::isfinite(rel) ? " (" + signed_number(100 * rel) + "%)" : "");
}

std::string note_line(const Difference& d) { return "note: " + d.result + "\n"; }

std::string report_text(const CompareReport& report, double rtol, double atol);

}  // namespace

CompareReport compare_results(const ResultsSummary& a, const ResultsSummary& b, double rtol, double atol) {
  CompareReport report;
  std::string text;
  const auto add = [&](Difference d) { citysim::io::add(report, std::move(d)); };

  // notes: what differs in how the runs were made, not in their results
  const auto note = [&](const std::string& what) { add(item("note", "", what)); };
  if (a.complete != b.complete)
    note(std::string(a.complete ? "b" : "a") + " is incomplete (an interrupted run): it holds fewer samples");
  if (meta(a, "seed") != meta(b, "seed")) note("different seeds: a " + meta(a, "seed") + ", b " + meta(b, "seed"));
  if (a.scenario_toml != b.scenario_toml) note("the scenario texts differ");
  if (a.overrides != b.overrides) note("the --set overrides differ");

  // the time axis: results on different axes do not compare, whatever their values
  {
    Difference d = item("time", "", "OK");
    if (meta(a, "start") != meta(b, "start")) {
      d.failure = true;
      d.result = "different start times: a " + meta(a, "start") + ", b " + meta(b, "start");
    } else if (a.time_s != b.time_s) {
      d.failure = true;
      d.result = "different sample times: a has " + std::to_string(a.time_s.size()) + " samples" +
                 (a.time_iso.empty() ? "" : " to " + a.time_iso.back()) + ", b " + std::to_string(b.time_s.size()) +
                 (b.time_iso.empty() ? "" : " to " + b.time_iso.back());
    }
    add(d);
  }
  if (a.rows != b.rows || a.cols != b.cols)
    add(item("grid", "", "SHAPE " + std::to_string(a.rows) + " x " + std::to_string(a.cols) + " vs " +
                                   std::to_string(b.rows) + " x " + std::to_string(b.cols), true));

  // every series of a, then those only in b
  std::vector<std::string> paths;
  for (const auto& s : a.series) paths.push_back(s.path);
  for (const auto& s : b.series)
    if (std::find(paths.begin(), paths.end(), s.path) == paths.end()) paths.push_back(s.path);
  const auto find = [](const ResultsSummary& r, const std::string& path) -> const SeriesData* {
    for (const auto& s : r.series)
      if (s.path == path) return &s;
    return nullptr;
  };
  for (const auto& path : paths) {
    const SeriesData *sa = find(a, path), *sb = find(b, path);
    Difference d = item("series", path, "OK");
    if (!sa || !sb) {
      d.failure = true;
      d.result = std::string("MISSING in ") + (sa ? "b" : "a");
    } else if (sa->width != sb->width || sa->values.size() != sb->values.size()) {
      d.failure = true;
      d.result = "SHAPE " + std::to_string(sa->values.size() / sa->width) + " x " + std::to_string(sa->width) +
                 " vs " + std::to_string(sb->values.size() / sb->width) + " x " + std::to_string(sb->width);
    } else {
      compare_values(
          d, sa->values.size(), [&](size_t i) { return sa->values[i]; }, [&](size_t i) { return sb->values[i]; }, rtol,
          atol, [&](size_t i) {
            return std::pair(sa->labels.empty() ? "" : sa->dimension + " " + sa->labels[i % sa->width],
                             sample_time(a, i / sa->width));
          });
    }
    add(d);
  }
  // tables hold events: how many happened (compare_files also compares their contents)
  std::map<std::string, std::pair<std::optional<size_t>, std::optional<size_t>>> tables;
  for (const auto& [table, rows] : a.tables) tables[table].first = rows;
  for (const auto& [table, rows] : b.tables) tables[table].second = rows;
  for (const auto& [table, rows] : tables) {
    Difference d = item("table", table, "OK");
    if (rows.first != rows.second) {
      const auto count = [](const std::optional<size_t>& n) { return n ? std::to_string(*n) + " rows" : "missing"; };
      d.failure = true;
      d.result = count(rows.first) + " in a, " + count(rows.second) + " in b";
    }
    add(d);
  }
  report.text = report_text(report, rtol, atol);
  return report;
}

namespace {

// fields sample by sample, grid layers, table contents: what needs the files themselves
void compare_contents(CompareReport& report, const std::string& a_path, const ResultsSummary& a,
                      const std::string& b_path, const ResultsSummary& b, double rtol, double atol) {
  const auto cell_name = [&](size_t cell) {
    return "row " + std::to_string(cell / size_t(std::max(a.cols, 1))) + " col " +
           std::to_string(cell % size_t(std::max(a.cols, 1)));
  };
  for (const auto& fa : a.fields) {
    Difference d = item("field", fa.path, "OK");
    const auto fb = std::find_if(b.fields.begin(), b.fields.end(), [&](const FieldSummary& f) { return f.path == fa.path; });
    if (fb == b.fields.end()) {
      d.failure = true, d.result = "MISSING in b";
    } else if (fa.shape != fb->shape) {
      d.failure = true, d.result = "SHAPE differs";
    } else {
      for (size_t k = 0; k < fa.shape[0]; ++k) {
        const std::vector<float> x = read_field(a_path, fa.path, k), y = read_field(b_path, fa.path, k);
        Difference at_k = item("field", fa.path, "OK");
        compare_values(
            at_k, x.size(), [&](size_t i) { return x[i]; }, [&](size_t i) { return y[i]; }, rtol, atol,
            [&](size_t i) { return std::pair(cell_name(i), sample_time(a, k * size_t(a.fields_every))); });
        d.max_abs = std::max(d.max_abs, at_k.max_abs), d.max_rel = std::max(d.max_rel, at_k.max_rel);
        if (at_k.failure && (!d.failure || std::abs(at_k.a - at_k.b) > std::abs(d.a - d.b))) {
          const double keep_abs = d.max_abs, keep_rel = d.max_rel;
          d = at_k;
          d.max_abs = keep_abs, d.max_rel = keep_rel;
        }
      }
    }
    add(report, std::move(d));
  }
  for (const auto& fb : b.fields)
    if (std::none_of(a.fields.begin(), a.fields.end(), [&](const FieldSummary& f) { return f.path == fb.path; })) {
      add(report, item("field", fb.path, "MISSING in a", true));
    }
  if (a.rows == b.rows && a.cols == b.cols)
    for (const auto& layer : a.grid_layers) {
      Difference d = item("grid", layer, "OK");
      if (std::find(b.grid_layers.begin(), b.grid_layers.end(), layer) == b.grid_layers.end()) {
        d.failure = true, d.result = "MISSING in b";
      } else {
        const std::vector<double> x = read_grid_layer(a_path, layer), y = read_grid_layer(b_path, layer);
        compare_values(
            d, x.size(), [&](size_t i) { return x[i]; }, [&](size_t i) { return y[i]; }, rtol, atol,
            [&](size_t i) { return std::pair(cell_name(i), std::string()); });
      }
      add(report, std::move(d));
    }
  // table contents, where the row counts agree (compare_results reported those)
  for (auto& d : report.differences) {
    if (d.what != "table" || d.failure) continue;
    const Table x = read_table(a_path, d.path), y = read_table(b_path, d.path);
    if (x.columns.size() != y.columns.size()) {
      d.failure = true, d.result = "different columns";
      continue;
    }
    for (size_t c = 0; c < x.columns.size() && !d.failure; ++c) {
      if (x.columns[c].name != y.columns[c].name || x.columns[c].type != y.columns[c].type) {
        d.failure = true, d.result = "different columns";
        break;
      }
      const size_t kx = x.index[c], ky = y.index[c];
      const auto where = [&](size_t r) { return std::pair("row " + std::to_string(r) + " " + x.columns[c].name, std::string()); };
      if (x.columns[c].type == ColumnType::Text) {
        for (size_t r = 0; r < x.rows; ++r)
          if (x.texts[kx][r] != y.texts[ky][r]) {
            d.failure = true;
            d.result = "DIFFERS at row " + std::to_string(r) + " " + x.columns[c].name + ": a \"" + x.texts[kx][r] +
                       "\", b \"" + y.texts[ky][r] + "\"";
            break;
          }
      } else if (x.columns[c].type == ColumnType::Int) {
        compare_values(
            d, x.rows, [&](size_t r) { return double(x.ints[kx][r]); }, [&](size_t r) { return double(y.ints[ky][r]); },
            0, 0, where);
      } else {
        compare_values(
            d, x.rows, [&](size_t r) { return x.floats[kx][r]; }, [&](size_t r) { return y.floats[ky][r]; }, rtol,
            atol, where);
      }
    }
    if (d.failure) report.ok = false;
  }
}

// the report's text from its differences
std::string report_text(const CompareReport& report, double rtol, double atol) {
  size_t width = 6;
  for (const auto& d : report.differences) width = std::max(width, d.path.size());
  std::string text;
  for (const auto& d : report.differences)
    if (d.what == "note") text += note_line(d);
  for (const auto& d : report.differences)
    if (d.what == "time" && d.failure) text += "time axis: " + d.result + "\n";
  std::map<std::string, std::pair<size_t, size_t>> counts;  // what -> (compared, differing)
  for (const char* what : {"series", "field", "grid", "table"}) {
    bool header = false;
    for (const auto& d : report.differences) {
      if (d.what != what || d.path.empty()) continue;
      auto& [compared, differing] = counts[what];
      ++compared;
      differing += d.failure;
      if (!header) {
        text += printf_text("%-*s  %12s  %12s  %s\n", int(width), what, "max |diff|", "max rel diff", "result");
        header = true;
      }
      const bool numeric = d.result == "OK" || d.result == "DIFFERS";
      text += printf_text("%-*s  %12s  %12s  %s\n", int(width), d.path.c_str(), numeric ? number(d.max_abs).c_str() : "-",
                          numeric ? number(d.max_rel).c_str() : "-", (d.result + worst_text(d)).c_str());
    }
  }
  for (const auto& d : report.differences)
    if (d.what == "grid" && d.path.empty()) text += "grid: " + d.result + "\n";
  const auto plural = [](const char* what) { return std::string(what) + (std::string(what) == "series" ? "" : "s"); };
  for (const char* what : {"series", "field", "grid", "table"}) {
    const auto it = counts.find(what);
    if (it == counts.end()) continue;
    const auto [compared, differing] = it->second;
    const std::string name = std::string(what) == "grid" ? "grid layers" : plural(what);
    text += differing ? std::to_string(differing) + " of " + std::to_string(compared) + " " + name + " differ\n"
                      : "all " + std::to_string(compared) + " " + name + " within tolerance (rtol=" + number(rtol) +
                            ", atol=" + number(atol) + ")\n";
  }
  text += report.ok ? "same results within tolerance\n" : "results differ\n";
  return text;
}

}  // namespace

std::string CompareReport::json() const {
  std::string out = "{\n  \"ok\": " + std::string(ok ? "true" : "false") + ",\n  \"items\": [";
  for (size_t i = 0; i < differences.size(); ++i) {
    const Difference& d = differences[i];
    out += std::string(i ? "," : "") + "\n    {\"what\": " + json_text(d.what) + ", \"path\": " + json_text(d.path) +
           ", \"result\": " + json_text(d.result) + ", \"failure\": " + (d.failure ? "true" : "false") +
           ", \"max_abs_diff\": " + json_number(d.max_abs) + ", \"max_rel_diff\": " + json_number(d.max_rel);
    if (d.has_worst)
      out += ", \"worst\": {\"a\": " + json_number(d.a) + ", \"b\": " + json_number(d.b) + ", \"diff\": " +
             json_number(d.a - d.b) + ", \"rel_diff\": " + json_number(d.b != 0 ? (d.a - d.b) / std::abs(d.b) : NAN) +
             ", \"label\": " + json_text(d.label) + ", \"time\": " + json_text(d.time) + "}";
    out += "}";
  }
  return out + "\n  ]\n}\n";
}

CompareReport compare_files(const std::string& a_path, const std::string& b_path, double rtol, double atol) {
  const ResultsSummary a = read_results(a_path), b = read_results(b_path);
  CompareReport report = compare_results(a, b, rtol, atol);
  compare_contents(report, a_path, a, b_path, b, rtol, atol);
  report.text = report_text(report, rtol, atol);
  return report;
}

}  // namespace citysim::io
