// One member's metric: a series of its results file, the selected breakdown columns summed,
// reduced over a window (final, sum, max, mean). Shared by the ensemble file and
// calibration targets (sim/calibrate), so both read a metric the same way.
#pragma once
#include <string>
#include <vector>

#include "citysim/ensemble/plan.hpp"
#include "citysim/io/results.hpp"

namespace citysim::ensemble {

// the metric per sample: the selected breakdown columns summed (all when none are named);
// ScenarioError at the metric's loc for a series or label `r` does not have (`file` names
// the results file in the message); `units` receives the series' units
std::vector<double> metric_series(const io::ResultsSummary& r, const MetricSpec& m, const std::string& file,
                                  std::string& units);
// the series reduced over the metric's window (samples at time_s within [from, to] hours);
// NaN when no sample falls in the window
double reduce_metric(const std::vector<double>& series, const std::vector<double>& time_s, const MetricSpec& m);

}  // namespace citysim::ensemble
