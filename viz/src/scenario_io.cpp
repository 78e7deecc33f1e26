#include "scenario_io.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
    s.speed = (*t)["speed"].value_or(0.0);
    if (!(s.speed >= 0))
      throw std::runtime_error(path + ": step " + std::to_string(stops.size() + 1) +
                               ": speed must be simulated seconds per second, 0 or more");
    if (const toml::array* charts = (*t)["charts"].as_array())
      for (const auto& c : *charts) {
        const auto name = c.value<std::string>();
        if (!name || name->find('/') == std::string::npos)
          throw std::runtime_error(path + ": step " + std::to_string(stops.size() + 1) +
                                   ": charts must be series paths such as \"heat/cases_total\"");
        s.charts.push_back(*name);
      }
    stops.push_back(std::move(s));
  }
  return stops;
}

double tour_seconds(const std::vector<TourStop>& stops) {
  double total = 0;
  for (const TourStop& s : stops) total += s.hold_seconds;
  return total;
}

std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", unsigned(c));
          out += buf;
        } else {
          out += ch;  // UTF-8 bytes pass through
        }
    }
  }
  return out + "\"";
}

namespace {
// a double that reads back to itself: the shortest of %.15g and %.17g that does, with a
// ".0" so TOML keeps it a float; TOML's own inf and nan
std::string toml_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", x);
  if (std::strtod(buf, nullptr) != x) std::snprintf(buf, sizeof buf, "%.17g", x);
  std::string s = buf;
  return s.find_first_of(".en") == std::string::npos ? s + ".0" : s;
}
}  // namespace

std::string toml_value(const Value& value) {
  if (const auto* d = std::get_if<double>(&value)) return toml_number(*d);
  if (const auto* s = std::get_if<std::string>(&value)) return toml_string(*s);
  if (const auto* list = std::get_if<std::vector<double>>(&value)) {
    std::string out = "[";
    for (size_t i = 0; i < list->size(); ++i) out += (i ? ", " : "") + toml_number((*list)[i]);
    return out + "]";
  }
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    std::string out = "[";
    for (size_t i = 0; i < list->size(); ++i) out += (i ? ", " : "") + toml_string((*list)[i]);
    return out + "]";
  }
  return value_to_string(value);  // bool, integer
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
    sections[section] += k.key.substr(dot + 1) + " = " + toml_value(sc.get(k.key)) + "\n";
  }
  std::string out = "# saved by citysim-viz\n";
  for (const auto& s : order) out += "\n[" + s + "]\n" + sections[s];
  for (const TimelineEvent& ev : sc.events()) {
    out += "\n[[events]]\nkind = " + toml_string(ev.kind) + "\nat = " + toml_string(format_datetime(ev.at).substr(0, 16)) + "\n";
    for (const auto& [key, value] : ev.values) out += key + " = " + toml_value(value) + "\n";
  }
  return out;
}

std::vector<KnobSection> knob_sections(const Schema& schema) {
  std::vector<KnobSection> sections;
  for (const KeySpec& k : schema.keys()) {
    const std::string module = k.key.substr(0, k.key.find('.'));
    if (module == "run" || module == "city") continue;
    if (k.kind != ValueKind::Bool && k.kind != ValueKind::Float && k.kind != ValueKind::Int) continue;
    auto at = std::find_if(sections.begin(), sections.end(), [&](const KnobSection& s) { return s.module == module; });
    if (at == sections.end()) at = sections.insert(sections.end(), KnobSection{module, {}, {}});
    (k.is_structural || is_structural_key(k.key) ? at->restart : at->live).push_back(&k);
  }
  return sections;
}

}  // namespace citysim::viz
