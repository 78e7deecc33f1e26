// Files the visualizer reads and writes besides results: presentation tours and stories
// (a tour whose steps also set the overlays and carry captions) and the edited scenario
// saved as TOML. No window needed (unit tested).
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "citysim/scenario.hpp"

namespace citysim::viz {

// one stop of a presentation tour, or one step of a story
struct TourStop {
  std::optional<LocalSeconds> at;
  std::string layer;
  std::optional<double> lat, lon;
  double zoom = 1;  // relative to the whole-city view
  double hold_seconds = 8;
  // a story's: the overlays shown (of borders, names, residents, markers; unset = as
  // they are) and the caption in Japanese and English
  std::optional<std::set<std::string>> overlays;
  std::string caption_ja, caption_en;
};
// reads a tour's [[stop]] or a story's [[step]] entries; throws std::runtime_error
// naming file and problem (an unknown overlay too)
std::vector<TourStop> read_tour(const std::string& path);
// how long a tour or story takes once through, seconds
double tour_seconds(const std::vector<TourStop>& stops);

// the scenario as TOML: every key set in the file or edited, and the events
std::string scenario_toml(const Scenario& scenario, const std::set<std::string>& edited);

}  // namespace citysim::viz
