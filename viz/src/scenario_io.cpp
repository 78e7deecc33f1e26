#include "scenario_io.hpp"

#include <toml++/toml.h>

#include <map>
#include <sstream>
#include <stdexcept>

namespace citysim::viz {

std::vector<TourStop> read_tour(const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << ":" << e.source().begin.line << ": " << e.description();
    throw std::runtime_error(msg.str());
  }
  std::vector<TourStop> stops;
  const toml::array* list = doc["stop"] ? doc["stop"].as_array() : doc["step"].as_array();
  if (!list || list->empty()) throw std::runtime_error(path + ": no [[stop]] (tour) or [[step]] (story) entries");
  for (const auto& node : *list) {
    const toml::table* t = node.as_table();
    if (!t) throw std::runtime_error(path + ": every stop or step must be a table");
    TourStop s;
    if (auto at = (*t)["at"].value<std::string>()) {
      s.at = parse_datetime(*at);
      if (!s.at) throw std::runtime_error(path + ": stop " + std::to_string(stops.size() + 1) + ": bad time \"" + *at + "\"");
    }
    s.layer = (*t)["layer"].value_or(std::string());
    if (auto v = (*t)["lat"].value<double>()) s.lat = *v;
    if (auto v = (*t)["lon"].value<double>()) s.lon = *v;
    s.zoom = (*t)["zoom"].value_or(1.0);
    s.hold_seconds = (*t)["hold_seconds"].value_or(8.0);
    if (const toml::array* overlays = (*t)["overlays"].as_array()) {
      s.overlays.emplace();
      for (const auto& o : *overlays) {
        const std::string name = o.value_or(std::string());
        if (name != "borders" && name != "names" && name != "residents" && name != "markers")
          throw std::runtime_error(path + ": step " + std::to_string(stops.size() + 1) + ": unknown overlay \"" + name +
                                   "\" (known: borders, names, residents, markers)");
        s.overlays->insert(name);
      }
    }
    s.caption_ja = (*t)["caption_ja"].value_or(std::string());
    s.caption_en = (*t)["caption_en"].value_or(std::string());
    stops.push_back(std::move(s));
  }
  return stops;
}

double tour_seconds(const std::vector<TourStop>& stops) {
  double total = 0;
  for (const TourStop& s : stops) total += s.hold_seconds;
  return total;
}

std::string scenario_toml(const Scenario& sc, const std::set<std::string>& edited) {
  // keys grouped by their first segment, in schema order
  std::map<std::string, std::string> sections;
  std::vector<std::string> order;
  for (const KeySpec& k : sc.schema().keys()) {
    if (!sc.is_set(k.key) && !edited.count(k.key)) continue;
    const size_t dot = k.key.find('.');
    const std::string section = k.key.substr(0, dot);
    if (!sections.count(section)) order.push_back(section);
    sections[section] += k.key.substr(dot + 1) + " = " + value_to_string(sc.get(k.key)) + "\n";
  }
  std::string out = "# saved by citysim-viz\n";
  for (const auto& s : order) out += "\n[" + s + "]\n" + sections[s];
  for (const TimelineEvent& ev : sc.events()) {
    out += "\n[[events]]\nkind = \"" + ev.kind + "\"\nat = \"" + format_datetime(ev.at).substr(0, 16) + "\"\n";
    for (const auto& [key, value] : ev.values) out += key + " = " + value_to_string(value) + "\n";
  }
  return out;
}

}  // namespace citysim::viz
