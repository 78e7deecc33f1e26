#include "citysim/ensemble/metric.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace citysim::ensemble {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

// one member's metric per sample: the selected breakdown columns summed
std::vector<double> metric_series(const io::ResultsSummary& r, const MetricSpec& m, const std::string& file,
                                  std::string& units) {
  const auto it = std::find_if(r.series.begin(), r.series.end(), [&](const io::SeriesData& s) { return s.path == m.path; });
  if (it == r.series.end()) {
    std::string known;
    for (const auto& s : r.series) known += (known.empty() ? "" : ", ") + s.path;
    throw ScenarioError(m.loc, "metric.path", "no series " + m.path + " in " + file + " (it has: " + known + ")");
  }
  std::vector<size_t> columns;
  for (const auto& label : m.labels) {
    const auto at = std::find(it->labels.begin(), it->labels.end(), label);
    if (at == it->labels.end()) {
      std::string known;
      for (const auto& l : it->labels) known += (known.empty() ? "" : ", ") + l;
      throw ScenarioError(m.loc, "metric.labels", "no label \"" + label + "\" in " + m.path + " (labels: " + known + ")");
    }
    columns.push_back(size_t(at - it->labels.begin()));
  }
  if (columns.empty())
    for (size_t c = 0; c < it->width; ++c) columns.push_back(c);
  units = it->units;
  std::vector<double> out(it->values.size() / it->width, 0.0);
  for (size_t t = 0; t < out.size(); ++t)
    for (size_t c : columns) out[t] += it->values[t * it->width + c];
  return out;
}

double reduce_metric(const std::vector<double>& series, const std::vector<double>& time_s, const MetricSpec& m) {
  double sum = 0, max = -std::numeric_limits<double>::infinity(), last = kNaN;
  size_t n = 0;
  for (size_t t = 0; t < series.size() && t < time_s.size(); ++t) {
    if (time_s[t] < m.from_hours * 3600 || time_s[t] > m.to_hours * 3600) continue;
    sum += series[t], max = std::max(max, series[t]), last = series[t], ++n;
  }
  if (n == 0) return kNaN;
  switch (m.reduce) {
    case Reduce::Final: return last;
    case Reduce::Sum: return sum;
    case Reduce::Max: return max;
    case Reduce::Mean: return sum / double(n);
  }
  return kNaN;
}

}  // namespace citysim::ensemble
