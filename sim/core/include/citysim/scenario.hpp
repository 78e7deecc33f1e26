// Scenario parameters: one schema of every key (type, default, range, unit, doc) that
// validates scenario files, --set overrides and Python edits alike, and generates
// docs/scenario-reference.md. The core knows no file format; sim/io reads TOML into it.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "citysim/clock.hpp"

namespace citysim {

using Value = std::variant<bool, int64_t, double, std::string, std::vector<double>, std::vector<std::string>>;

enum class ValueKind { Bool, Int, Float, String, DateTime, Path, FloatList, StringList };
const char* kind_name(ValueKind kind);

// where a value came from: file and line (line 0 = not from a file)
struct SourceLoc {
  std::string file;
  int line = 0;
};

// bad scenario input: names the file, line, key and what was expected
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(SourceLoc loc, std::string key, std::string reason);
  const SourceLoc& loc() const { return loc_; }
  const std::string& key() const { return key_; }
  const std::string& reason() const { return reason_; }

 private:
  SourceLoc loc_;
  std::string key_, reason_;
};

// one documented key
struct KeySpec {
  std::string key;  // dotted path, e.g. "city.population_scale"
  ValueKind kind = ValueKind::Float;
  Value default_value;
  std::string unit;
  std::string doc;
  std::optional<double> min, max;  // inclusive bounds unless the flags say otherwise
  bool min_exclusive = false, max_exclusive = false;
  std::vector<std::string> choices;  // allowed strings (empty = any)
  bool is_structural = false;  // read only while the run is built (sites, shelters, the population): not live

  KeySpec& range(double lo, double hi) { min = lo; max = hi; return *this; }
  KeySpec& above(double lo) { min = lo; min_exclusive = true; return *this; }
  KeySpec& at_least(double lo) { min = lo; return *this; }
  KeySpec& upto(double hi) { max = hi; return *this; }
  KeySpec& units(std::string u) { unit = std::move(u); return *this; }
  KeySpec& one_of(std::vector<std::string> c) { choices = std::move(c); return *this; }
  KeySpec& structural() { is_structural = true; return *this; }
  // "a number in (0, 1]" etc.
  std::string expectation() const;
};

// an [[events]] kind: its keys besides the common `kind` and `at`
struct EventKindSpec {
  std::string kind;
  std::string doc;
  std::vector<KeySpec> keys;
  KeySpec& key(std::string name, ValueKind kind, Value default_value, std::string doc);
};

class Schema {
 public:
  // a documented key; chain .range(), .units() etc. on the result
  KeySpec& key(std::string path, ValueKind kind, Value default_value, std::string doc);
  // an [[events]] kind
  EventKindSpec& event(std::string kind, std::string doc);
  // a section heading for the reference page ("run", "city", "heat"...)
  void section(std::string name, std::string doc);

  const KeySpec* find(const std::string& path) const;
  const EventKindSpec* find_event(const std::string& kind) const;
  const std::vector<KeySpec>& keys() const { return keys_; }
  const std::vector<EventKindSpec>& events() const { return events_; }
  // the closest known key, for "did you mean"; empty when nothing is close
  std::string suggest(const std::string& path) const;
  // the reference page, docs/scenario-reference.md
  std::string markdown() const;

 private:
  std::vector<KeySpec> keys_;
  std::vector<EventKindSpec> events_;
  std::vector<std::pair<std::string, std::string>> sections_;
};

// the schema of every module, built once
const Schema& scenario_schema();

// one [[events]] entry of the timeline
struct TimelineEvent {
  std::string kind;
  LocalSeconds at = 0;
  std::map<std::string, Value> values;  // validated against the kind's keys, defaults filled in
  SourceLoc loc;
  int index = 0;  // position in the file, to keep the timeline order stable

  double get_double(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  bool get_bool(const std::string& key) const;
};

// a validated set of values; every key of the schema has one (its default unless set)
class Scenario {
 public:
  explicit Scenario(const Schema& schema = scenario_schema());

  // set a key; throws ScenarioError naming loc and key when the value does not fit
  void set(const std::string& key, const Value& value, const SourceLoc& loc = {});
  // --set key=value: the text is read according to the key's kind
  void set_from_string(const std::string& key, const std::string& text, const SourceLoc& loc = {});
  // an [[events]] entry: kind and at plus kind-specific values
  void add_event(const std::string& kind, const std::string& at, std::map<std::string, Value> values,
                 const SourceLoc& loc, const std::map<std::string, int>& key_lines = {});

  const Value& get(const std::string& key) const;
  double get_double(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  // a float list of exactly n values; throws ScenarioError "expected n values (what), got m"
  std::vector<double> get_doubles(const std::string& key, size_t n, const std::string& what) const;
  // an hour key that must come after another (closing after opening); throws
  // ScenarioError at `later`'s line with `message` otherwise
  void require_after(const std::string& earlier, const std::string& later, const std::string& message) const;
  // a Path key resolved against the scenario file's folder ("" when unset)
  std::string get_path(const std::string& key) const;
  LocalSeconds get_time(const std::string& key) const;
  bool is_set(const std::string& key) const { return set_.count(key) > 0; }
  // how many keys the scenario file itself sets (not defaults, not --set overrides)
  size_t keys_set_in_file() const;
  SourceLoc loc_of(const std::string& key) const;

  const std::vector<TimelineEvent>& events() const { return events_; }
  const Schema& schema() const { return *schema_; }

  // checks that need several keys together (e.g. duration a multiple of the tick)
  void check_consistency() const;

  // where the scenario came from: its text (stored verbatim in results) and folder
  std::string source_path;
  std::string source_text;
  std::string base_dir;  // relative Path values resolve against this
  // the --set overrides applied on top of the file, in order (stored in results)
  std::vector<std::string> overrides;
  // an event for a module that is off is an error unless this is set (--allow-inactive-events)
  bool allow_inactive_events = false;

 private:
  Value checked(const KeySpec& spec, const Value& value, const SourceLoc& loc) const;
  const Schema* schema_;
  std::map<std::string, Value> values_;
  std::map<std::string, SourceLoc> set_;
  std::vector<TimelineEvent> events_;
};

// text form of a value, as written in TOML
std::string value_to_string(const Value& value);
// a number for messages: 0.25, 1e+06, "the largest number" for DBL_MAX
std::string format_number(double x);

// a key that shapes what is built (the run's clock, the city, which modules exist, and every
// key declared .structural(): sites, shelters, the population) cannot change once a run is built:
// `set` events, Simulation::set_param and branches from snapshots refuse it with a
// ScenarioError at `loc`, under `error_key`
bool is_structural_key(const std::string& key);
void require_changeable(const std::string& key, const SourceLoc& loc, const std::string& error_key);

// the folder holding citysim's bundled data (scenarios/data; share/citysim/data once
// installed), found beside the program at run time, overridable with CITYSIM_DATA_DIR
std::string data_dir();

// One list of a parameter struct's keys serves both ends, so each key is named once: in
// describe mode each call adds the key to the schema with the struct's default as the
// key's default; in read mode it sets the field from a scenario (already validated, so
// the range calls chained on the result only matter when describing).
//   void HeatParams::keys(ParamKeys& k) { k.key("heat.enabled", enabled, "simulate heat"); ... }
class ParamKeys {
 public:
  explicit ParamKeys(Schema& schema) : schema_(&schema) {}
  explicit ParamKeys(const Scenario& scenario) : scenario_(&scenario) {}

  KeySpec& key(const std::string& path, bool& v, std::string doc);
  KeySpec& key(const std::string& path, double& v, std::string doc);
  KeySpec& key(const std::string& path, int& v, std::string doc);
  KeySpec& key(const std::string& path, int64_t& v, std::string doc);
  KeySpec& key(const std::string& path, std::string& v, std::string doc);
  KeySpec& key(const std::string& path, std::vector<double>& v, std::string doc);
  KeySpec& key(const std::string& path, std::vector<std::string>& v, std::string doc);
  // a float list of exactly n values (`what` names them in the error)
  KeySpec& list(const std::string& path, std::vector<double>& v, size_t n, const std::string& what, std::string doc);
  template <size_t N>
  KeySpec& list(const std::string& path, std::array<double, N>& v, const std::string& what, std::string doc) {
    std::vector<double> x(v.begin(), v.end());
    KeySpec& spec = list(path, x, N, what, std::move(doc));
    std::copy(x.begin(), x.end(), v.begin());
    return spec;
  }
  // a file path, resolved against the scenario file's folder when read
  KeySpec& path(const std::string& path, std::string& v, std::string doc);
  // a date and time "YYYY-MM-DDTHH:MM", kept as written
  KeySpec& datetime(const std::string& path, std::string& v, std::string doc);
  // a key that `from` reads and interprets itself (lists that become structs, names that
  // become flags): described here, in its place, and not read
  KeySpec& described(const std::string& path, ValueKind kind, Value default_value, std::string doc) {
    return add(path, kind, std::move(default_value), std::move(doc));
  }
  // a section heading of the reference page (describe mode only)
  void section(std::string name, std::string doc);

 private:
  KeySpec& add(const std::string& path, ValueKind kind, Value default_value, std::string doc);
  Schema* schema_ = nullptr;
  const Scenario* scenario_ = nullptr;
  KeySpec ignored_;  // what the chained calls change when reading
};

// a parameter struct's keys() run on its defaults (the schema) or on a scenario (the values)
template <class P>
void describe_keys(Schema& schema) {
  P defaults;
  ParamKeys k(schema);
  defaults.keys(k);
}
template <class P>
P read_keys(const Scenario& scenario) {
  P p;
  ParamKeys k(scenario);
  p.keys(k);
  return p;
}

}  // namespace citysim
