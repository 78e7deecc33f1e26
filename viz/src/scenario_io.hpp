// Files the visualizer reads and writes besides results: presentation tours and the
// edited scenario saved as TOML. No window needed (unit tested).
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "citysim/scenario.hpp"

namespace citysim::viz {

// one stop of a presentation tour
struct TourStop {
  std::optional<LocalSeconds> at;
  std::string layer;
  std::optional<double> lat, lon;
  double zoom = 1;  // relative to the whole-city view
  double hold_seconds = 8;
};
// reads [[stop]] entries; throws std::runtime_error naming file and problem
std::vector<TourStop> read_tour(const std::string& path);

// the scenario as TOML: every key set in the file or edited, and the events
std::string scenario_toml(const Scenario& scenario, const std::set<std::string>& edited);

}  // namespace citysim::viz
