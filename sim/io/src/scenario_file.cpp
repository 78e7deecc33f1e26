#include "citysim/io/scenario_file.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace citysim::io {
namespace {

int line_of(const toml::node& node) { return int(node.source().begin.line); }

std::string datetime_text(const toml::node& node) {
  std::ostringstream s;
  if (auto dt = node.as_date_time()) s << dt->get();
  else if (auto d = node.as_date()) s << d->get();
  return s.str();
}

// a TOML value as a scenario Value; arrays must hold numbers or strings only
Value to_value(const toml::node& node, const std::string& key, const std::string& file) {
  if (auto b = node.as_boolean()) return b->get();
  if (auto i = node.as_integer()) return int64_t(i->get());
  if (auto f = node.as_floating_point()) return f->get();
  if (auto s = node.as_string()) return s->get();
  if (node.is_date_time() || node.is_date()) return datetime_text(node);
  if (auto arr = node.as_array()) {
    if (arr->empty()) return std::vector<std::string>{};
    if (arr->is_homogeneous<std::string>()) {
      std::vector<std::string> xs;
      for (const auto& x : *arr) xs.push_back(x.as_string()->get());
      return xs;
    }
    std::vector<double> xs;
    for (const auto& x : *arr) {
      if (auto i = x.as_integer()) xs.push_back(double(i->get()));
      else if (auto f = x.as_floating_point()) xs.push_back(f->get());
      else throw ScenarioError({file, line_of(x)}, key, "expected an array of numbers or of strings");
    }
    return xs;
  }
  throw ScenarioError({file, line_of(node)}, key, "expected a value (number, string, boolean or array), got a table");
}

// [[vertiport.sites]] entries become parallel arrays (vertiport.sites.name = [...], ...):
// one value per entry, every entry with the same keys
void read_table_array(Scenario& sc, const toml::array& entries, const std::string& key, const std::string& file) {
  std::map<std::string, std::vector<const toml::node*>> columns;
  for (const auto& entry : entries)
    for (const auto& [k, v] : *entry.as_table()) columns[std::string(k.str())].push_back(&v);
  for (const auto& [name, values] : columns) {
    const std::string column_key = key + "." + name;
    if (values.size() != entries.size())
      throw ScenarioError({file, line_of(entries)}, column_key,
                          "expected every [[" + key + "]] entry to have '" + name + "' (" +
                              std::to_string(values.size()) + " of " + std::to_string(entries.size()) + " do)");
    const bool strings = values.front()->is_string();
    std::vector<double> numbers;
    std::vector<std::string> texts;
    for (const auto* v : values) {
      if (strings && v->is_string()) texts.push_back(v->as_string()->get());
      else if (!strings && v->is_integer()) numbers.push_back(double(v->as_integer()->get()));
      else if (!strings && v->is_floating_point()) numbers.push_back(v->as_floating_point()->get());
      else
        throw ScenarioError({file, line_of(*v)}, column_key,
                            std::string("expected ") + (strings ? "a string" : "a number") + " like the other entries");
    }
    if (!sc.schema().find(column_key)) sc.set(column_key, Value(std::string()), {file, line_of(*values.front())});
    sc.set(column_key, strings ? Value(texts) : Value(numbers), {file, line_of(*values.front())});
  }
}

void read_table(Scenario& sc, const toml::table& table, const std::string& prefix, const std::string& file) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (key == "events") {
      const auto* arr = node.as_array();
      if (!arr || !arr->is_array_of_tables())
        throw ScenarioError({file, line_of(node)}, "events", "expected [[events]] entries (an array of tables)");
      for (const auto& entry : *arr) {
        const auto& t = *entry.as_table();
        const SourceLoc loc{file, line_of(entry)};
        const auto* kind = t.get("kind");
        const auto* at = t.get("at");
        if (!kind || !kind->is_string()) throw ScenarioError(loc, "events.kind", "expected a string naming the event kind");
        if (!at || !(at->is_string() || at->is_date_time() || at->is_date()))
          throw ScenarioError(loc, "events.at", "expected a datetime like 2026-08-03T14:00 (Asia/Tokyo)");
        std::map<std::string, Value> values;
        std::map<std::string, int> lines;
        for (const auto& [ek, ev] : t) {
          const std::string name(ek.str());
          if (name == "kind" || name == "at") continue;
          values[name] = to_value(ev, "events." + name, file);
          lines[name] = line_of(ev);
        }
        sc.add_event(kind->as_string()->get(), at->is_string() ? at->as_string()->get() : datetime_text(*at), values,
                     loc, lines);
      }
      continue;
    }
    if (const auto* arr = node.as_array(); arr && arr->is_array_of_tables() && !arr->empty()) {
      read_table_array(sc, *arr, key, file);
      continue;
    }
    if (const auto* sub = node.as_table()) {
      // a table the schema knows as a leaf would be a type error; otherwise recurse
      if (sc.schema().find(key)) throw ScenarioError({file, line_of(node)}, key, "expected a value, got a table");
      read_table(sc, *sub, key, file);
      continue;
    }
    if (!sc.schema().find(key)) sc.set(key, Value(std::string()), {file, line_of(node)});  // reports unknown key
    sc.set(key, to_value(node, key, file), {file, line_of(node)});
  }
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& source_name, const std::string& base_dir) {
  Scenario sc;
  sc.source_path = source_name;
  sc.source_text = text;
  sc.base_dir = base_dir;
  toml::table table;
  try {
    table = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw ScenarioError({source_name, int(e.source().begin.line)}, "",
                        "TOML syntax error: " + std::string(e.description()));
  }
  read_table(sc, table, "", source_name);
  return sc;
}

void apply_override(Scenario& sc, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ScenarioError({"--set", 0}, assignment, "expected key=value, e.g. city.population_scale=0.05");
  const std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  // a file named on the command line is where the user stands, not beside the scenario file
  if (const KeySpec* spec = sc.schema().find(key); spec && spec->kind == ValueKind::Path && !value.empty() &&
                                                   std::filesystem::path(value).is_relative())
    value = std::filesystem::absolute(value).lexically_normal().string();
  sc.set_from_string(key, value, {"--set " + assignment, 0});
  sc.overrides.push_back(assignment);
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides, bool allow_empty) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError({path, 0}, "", "cannot open scenario file");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  Scenario sc = parse_scenario(buf.str(), path, dir.empty() ? "." : dir);
  // an empty file runs every default (all of Tokyo for a day): almost always a mistake
  if (!allow_empty && sc.keys_set_in_file() == 0 && sc.events().empty())
    throw ScenarioError({path, 0}, "", "the scenario file sets no key and has no events (it would run every default); "
                                       "expected at least one key such as run.duration_hours, or pass --allow-empty");
  for (const auto& o : overrides) apply_override(sc, o);
  sc.check_consistency();
  return sc;
}

}  // namespace citysim::io
