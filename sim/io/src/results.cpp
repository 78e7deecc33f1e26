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
  out += "  written   started " + meta(r, "started");
  out += closed ? ", finished " + finished->second + ", " + printf_text("%.1f", std::stod(meta(r, "wall_seconds"))) +
                      " s wall time\n"
                : ", never finished\n";
  out += "  grid      " + std::to_string(r.rows) + " rows x " + std::to_string(r.cols) + " columns\n";

  out += "series (" + std::to_string(r.series.size()) + ")\n";
  for (const auto& s : r.series)
    out += "  " + s.path + " [" + s.units + "]  " + s.description + "\n      " + series_values(s) + "\n";
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

CompareReport compare_results(const ResultsSummary& a, const ResultsSummary& b, double rtol, double atol) {
  // every path of a, then those only in b
  std::vector<std::string> paths;
  for (const auto& s : a.series) paths.push_back(s.path);
  for (const auto& s : b.series)
    if (std::find(paths.begin(), paths.end(), s.path) == paths.end()) paths.push_back(s.path);
  const auto find = [](const ResultsSummary& r, const std::string& path) -> const SeriesData* {
    for (const auto& s : r.series)
      if (s.path == path) return &s;
    return nullptr;
  };
  size_t name_width = 6;
  for (const auto& p : paths) name_width = std::max(name_width, p.size());
  const auto line = [&](const std::string& name, const std::string& diff, const std::string& rel,
                        const std::string& result) {
    return printf_text("%-*s  %12s  %12s  %s\n", int(name_width), name.c_str(), diff.c_str(), rel.c_str(),
                       result.c_str());
  };

  CompareReport report;
  std::string text = line("series", "max |diff|", "max rel diff", "result");
  size_t differing = 0;
  for (const auto& path : paths) {
    const SeriesData *sa = find(a, path), *sb = find(b, path);
    std::string result = "OK", diff = "-", rel = "-";
    if (!sa || !sb) {
      result = std::string("MISSING in ") + (sa ? "b" : "a");
    } else if (sa->width != sb->width || sa->values.size() != sb->values.size()) {
      result = "SHAPE " + std::to_string(sa->values.size() / sa->width) + " x " + std::to_string(sa->width) + " vs " +
               std::to_string(sb->values.size() / sb->width) + " x " + std::to_string(sb->width);
    } else {
      double max_diff = 0, max_rel = 0;
      std::optional<size_t> first_bad;
      for (size_t i = 0; i < sa->values.size(); ++i) {
        const double x = sa->values[i], y = sb->values[i];
        if (std::isnan(x) && std::isnan(y)) continue;  // "no value" in both
        // a value on one side only (NaN on the other) is an infinite difference
        const double d = std::isnan(x) || std::isnan(y) ? std::numeric_limits<double>::infinity() : std::abs(x - y);
        max_diff = std::max(max_diff, d);
        if (d > 0) max_rel = std::max(max_rel, y != 0 ? d / std::abs(y) : std::numeric_limits<double>::infinity());
        if (!(d <= atol + rtol * std::abs(y)) && !first_bad) first_bad = i / sa->width;
      }
      diff = number(max_diff);
      rel = number(max_rel);
      if (first_bad) result = "DIFFERS at " + sample_time(a, *first_bad);
    }
    if (result != "OK") ++differing;
    text += line(path, diff, rel, result);
  }
  text += differing ? std::to_string(differing) + " of " + std::to_string(paths.size()) + " series differ\n"
                    : "all " + std::to_string(paths.size()) + " series within tolerance (rtol=" + number(rtol) +
                          ", atol=" + number(atol) + ")\n";
  report.ok = differing == 0;

  // tables hold events: compare how many happened
  std::map<std::string, std::pair<std::optional<size_t>, std::optional<size_t>>> tables;
  for (const auto& [table, rows] : a.tables) tables[table].first = rows;
  for (const auto& [table, rows] : b.tables) tables[table].second = rows;
  size_t tables_differing = 0;
  for (const auto& [table, rows] : tables) {
    if (rows.first == rows.second) continue;
    ++tables_differing;
    const auto count = [](const std::optional<size_t>& n) { return n ? std::to_string(*n) + " rows" : "missing"; };
    text += "table " + table + ": " + count(rows.first) + " in a, " + count(rows.second) + " in b\n";
  }
  if (!tables.empty())
    text += tables_differing ? std::to_string(tables_differing) + " of " + std::to_string(tables.size()) +
                                   " tables differ in row count\n"
                             : "all " + std::to_string(tables.size()) + " tables have the same row counts\n";
  report.ok = report.ok && tables_differing == 0;
  report.text = std::move(text);
  return report;
}

}  // namespace citysim::io
