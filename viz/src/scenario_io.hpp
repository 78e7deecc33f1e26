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
  // a story's: series shown as small charts beside the map in presentation mode
  std::vector<std::string> charts;
  // simulated seconds per wall second while the step is shown; 0 = the viewer's speed, and
  // a captioned step without one holds its time (what the caption says stays true)
  double speed = 0;
};
// reads a tour's [[stop]] or a story's [[step]] entries; throws std::runtime_error
// naming file and problem (an unknown overlay too)
std::vector<TourStop> read_tour(const std::string& path);
// how long a tour or story takes once through, seconds
double tour_seconds(const std::vector<TourStop>& stops);

// the scenario as TOML: every key set in the file or edited, and the events; strings are
// escaped (quotes, backslashes, control characters) so any text reads back as written
std::string scenario_toml(const Scenario& scenario, const std::set<std::string>& edited);
// a TOML basic string: "text" with \" \\ \n \t ... and \uXXXX for other control characters
std::string toml_string(const std::string& text);
// a value as TOML: numbers that read back to the same double (inf and nan spelled as TOML's)
std::string toml_value(const Value& value);

// the knobs the viewer offers, by module: keys a running simulation takes (set_param) and
// structural keys (KeySpec::structural(), or ones shaping the run: is_structural_key),
// which only a restart can apply; run.* and city.* are left out, as are text and list keys
struct KnobSection {
  std::string module;
  std::vector<const KeySpec*> live, restart;
};
std::vector<KnobSection> knob_sections(const Schema& schema);

}  // namespace citysim::viz
