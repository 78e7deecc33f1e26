#include "citysim/scenario.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>

namespace citysim {
std::string format_number(double x) {
  if (x >= std::numeric_limits<double>::max()) return "the largest number";
  if (x <= -std::numeric_limits<double>::max()) return "minus the largest number";
  std::ostringstream s;
  s << x;
  return s.str();
}

namespace {
bool shapes_the_run(const std::string& key) {
  const auto starts = [&](const char* prefix) { return key.rfind(prefix, 0) == 0; };
  const auto ends = [&](const std::string& suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  // the clock, the grid and the population are built once; a module is either built or not
  return starts("run.") || starts("city.") || ends(".enabled");
}
bool read_at_build(const std::string& key) {
  const KeySpec* spec = scenario_schema().find(key);
  return spec && spec->is_structural;
}
}  // namespace

bool is_structural_key(const std::string& key) { return shapes_the_run(key) || read_at_build(key); }

void require_changeable(const std::string& key, const SourceLoc& loc, const std::string& error_key) {
  if (shapes_the_run(key))
    throw ScenarioError(loc, error_key,
                        "'" + key + "' cannot change during a run (it shapes the clock, the city or which modules "
                        "are built); set it in the scenario instead");
  if (read_at_build(key))
    throw ScenarioError(loc, error_key,
                        "'" + key + "' cannot change during a run (it is read only while the run is built: sites, "
                        "shelters, the population); set it in the scenario instead");
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string describe_value(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) return std::string("boolean ") + (x ? "true" : "false");
        else if constexpr (std::is_same_v<T, int64_t>) return "integer " + std::to_string(x);
        else if constexpr (std::is_same_v<T, double>) return "number " + format_number(x);
        else if constexpr (std::is_same_v<T, std::string>) return "string \"" + x + "\"";
        else return "an array";
      },
      v);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\"'"), e = s.find_last_not_of(" \t\"'");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::Bool: return "boolean";
    case ValueKind::Int: return "integer";
    case ValueKind::Float: return "number";
    case ValueKind::String: return "string";
    case ValueKind::DateTime: return "datetime";
    case ValueKind::Path: return "file path";
    case ValueKind::FloatList: return "array of numbers";
    case ValueKind::StringList: return "array of strings";
  }
  return "?";
}

ScenarioError::ScenarioError(SourceLoc loc, std::string key, std::string reason)
    : std::runtime_error((loc.file.empty() ? std::string("scenario") : loc.file) +
                         (loc.line > 0 ? ":" + std::to_string(loc.line) : std::string()) + ": " +
                         (key.empty() ? std::string() : "key '" + key + "': ") + reason),
      loc_(std::move(loc)), key_(std::move(key)), reason_(std::move(reason)) {}

std::string KeySpec::expectation() const {
  std::string what = kind == ValueKind::Int ? "an integer" : kind == ValueKind::Float ? "a number"
                   : kind == ValueKind::Bool ? "true or false"
                   : kind == ValueKind::DateTime ? "a datetime like 2026-08-03T00:00 (Asia/Tokyo)"
                   : kind == ValueKind::Path ? "a path to an existing file"
                   : kind == ValueKind::FloatList ? "an array of numbers"
                   : kind == ValueKind::StringList ? "an array of strings" : "a string";
  if (!choices.empty()) {
    const char* quote = kind == ValueKind::Int ? "" : "\"";
    what = "one of";
    for (size_t i = 0; i < choices.size(); ++i) what += (i ? ", " : " ") + (quote + choices[i] + quote);
  }
  if (min || max) {
    const std::string lo = min ? format_number(*min) : "-inf", hi = max ? format_number(*max) : "inf";
    what += " in " + std::string(min_exclusive || !min ? "(" : "[") + lo + ", " + hi +
            (max_exclusive || !max ? ")" : "]");
  }
  return what;
}

namespace {
KeySpec& add_key(std::vector<KeySpec>& keys, std::string path, ValueKind kind, Value default_value, std::string doc) {
  KeySpec k;
  k.key = std::move(path);
  k.kind = kind;
  k.default_value = std::move(default_value);
  k.doc = std::move(doc);
  keys.push_back(std::move(k));
  return keys.back();
}
}  // namespace

KeySpec& EventKindSpec::key(std::string name, ValueKind kind, Value default_value, std::string doc) {
  return add_key(keys, std::move(name), kind, std::move(default_value), std::move(doc));
}

KeySpec& Schema::key(std::string path, ValueKind kind, Value default_value, std::string doc) {
  return add_key(keys_, std::move(path), kind, std::move(default_value), std::move(doc));
}

EventKindSpec& Schema::event(std::string kind, std::string doc) {
  events_.push_back(EventKindSpec{std::move(kind), std::move(doc), {}});
  return events_.back();
}

void Schema::section(std::string name, std::string doc) { sections_.emplace_back(std::move(name), std::move(doc)); }

const KeySpec* Schema::find(const std::string& path) const {
  for (const auto& k : keys_)
    if (k.key == path) return &k;
  return nullptr;
}

const EventKindSpec* Schema::find_event(const std::string& kind) const {
  for (const auto& e : events_)
    if (e.kind == kind) return &e;
  return nullptr;
}

std::string Schema::suggest(const std::string& path) const {
  std::string best;
  size_t best_d = std::string::npos;
  const std::string leaf = path.substr(path.rfind('.') + 1);
  for (const auto& k : keys_) {
    size_t d = edit_distance(path, k.key);
    // the same leaf name in another table is a likely mix-up too
    if (k.key.substr(k.key.rfind('.') + 1) == leaf) d = std::min(d, size_t(2));
    if (d < best_d) { best_d = d; best = k.key; }
  }
  return best_d <= std::max<size_t>(3, path.size() / 4) ? best : "";
}

std::string value_to_string(const Value& value) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>) {
          std::string s = format_number(x);
          return s.find_first_of(".en") == std::string::npos ? s + ".0" : s;
        } else if constexpr (std::is_same_v<T, std::string>) return "\"" + x + "\"";
        else if constexpr (std::is_same_v<T, std::vector<double>>) {
          std::string s = "[";
          for (size_t i = 0; i < x.size(); ++i) s += (i ? ", " : "") + format_number(x[i]);
          return s + "]";
        } else {
          std::string s = "[";
          for (size_t i = 0; i < x.size(); ++i) s += (i ? ", \"" : "\"") + x[i] + "\"";
          return s + "]";
        }
      },
      value);
}

std::string Schema::markdown() const {
  std::ostringstream md;
  md << "# Scenario reference\n\n"
     << "Generated by `citysim schema` from the table the loader validates against; do not edit by hand.\n"
     << "Every key can be overridden with `--set key=value` on the command line or "
     << "`scenario[\"key\"] = value` in Python.\n\n";
  auto row = [&](const KeySpec& k, const std::string& name) {
    md << "| `" << name << "` | " << kind_name(k.kind) << " | `" << value_to_string(k.default_value) << "` | "
       << (k.unit.empty() ? "" : k.unit) << " | " << k.doc;
    if (k.min || k.max || !k.choices.empty()) md << " (" << k.expectation() << ")";
    if (k.is_structural) md << "; read when the run is built, not live";
    md << " |\n";
  };
  for (const auto& [section, doc] : sections_) {
    md << "## [" << section << "]\n\n" << doc << "\n\n| key | type | default | unit | meaning |\n|---|---|---|---|---|\n";
    for (const auto& k : keys_)
      if (k.key.rfind(section + ".", 0) == 0) row(k, k.key);
    md << "\n";
  }
  md << "## [[events]]\n\nA timeline of incidents and interventions. Every entry has `kind` and `at` "
        "(a datetime, Asia/Tokyo); the other keys depend on the kind.\n\n";
  for (const auto& e : events_) {
    md << "### kind = \"" << e.kind << "\"\n\n" << e.doc << "\n\n";
    if (e.keys.empty()) continue;
    md << "| key | type | default | unit | meaning |\n|---|---|---|---|---|\n";
    for (const auto& k : e.keys) row(k, k.key);
    md << "\n";
  }
  return md.str();
}

// ---- values ---------------------------------------------------------------------

double TimelineEvent::get_double(const std::string& key) const {
  const Value& v = values.at(key);
  return std::holds_alternative<int64_t>(v) ? double(std::get<int64_t>(v)) : std::get<double>(v);
}
int64_t TimelineEvent::get_int(const std::string& key) const { return std::get<int64_t>(values.at(key)); }
const std::string& TimelineEvent::get_string(const std::string& key) const {
  return std::get<std::string>(values.at(key));
}
bool TimelineEvent::get_bool(const std::string& key) const { return std::get<bool>(values.at(key)); }

Scenario::Scenario(const Schema& schema) : schema_(&schema) {
  for (const auto& k : schema.keys()) values_[k.key] = k.default_value;
}

Value Scenario::checked(const KeySpec& spec, const Value& value, const SourceLoc& loc) const {
  // `got`: what to say was given, when not the whole value (the bad element of a list)
  const auto fail = [&](const std::string& got = "") {
    throw ScenarioError(loc, spec.key, "expected " + spec.expectation() + ", got " + (got.empty() ? describe_value(value) : got));
  };
  Value v = value;
  switch (spec.kind) {
    case ValueKind::Bool:
      if (!std::holds_alternative<bool>(v)) fail();
      break;
    case ValueKind::Int:
      if (std::holds_alternative<double>(v)) {
        const double x = std::get<double>(v);
        if (x != std::floor(x)) fail();
        v = int64_t(x);
      }
      if (!std::holds_alternative<int64_t>(v)) fail();
      break;
    case ValueKind::Float:
      if (std::holds_alternative<int64_t>(v)) v = double(std::get<int64_t>(v));
      if (!std::holds_alternative<double>(v) || !std::isfinite(std::get<double>(v))) fail();
      break;
    case ValueKind::String:
    case ValueKind::DateTime:
    case ValueKind::Path:
      if (!std::holds_alternative<std::string>(v)) fail();
      break;
    case ValueKind::FloatList:
      if (std::holds_alternative<std::vector<std::string>>(v) && std::get<std::vector<std::string>>(v).empty())
        v = std::vector<double>{};
      if (!std::holds_alternative<std::vector<double>>(v)) fail();
      break;
    case ValueKind::StringList:
      if (std::holds_alternative<std::vector<double>>(v) && std::get<std::vector<double>>(v).empty())
        v = std::vector<std::string>{};
      if (!std::holds_alternative<std::vector<std::string>>(v)) fail();
      break;
  }
  const auto in_range = [&](double x) {
    if (spec.min && (x < *spec.min || (spec.min_exclusive && x == *spec.min))) return false;
    if (spec.max && (x > *spec.max || (spec.max_exclusive && x == *spec.max))) return false;
    return true;
  };
  if (std::holds_alternative<int64_t>(v) && !in_range(double(std::get<int64_t>(v)))) fail();
  if (spec.kind == ValueKind::Int && !spec.choices.empty() &&
      std::find(spec.choices.begin(), spec.choices.end(), std::to_string(std::get<int64_t>(v))) == spec.choices.end())
    fail();
  if (std::holds_alternative<double>(v) && !in_range(std::get<double>(v))) fail();
  if (std::holds_alternative<std::vector<double>>(v))
    for (double x : std::get<std::vector<double>>(v))
      if (!in_range(x)) fail("an array containing " + format_number(x));
  if (std::holds_alternative<std::string>(v)) {
    const std::string& s = std::get<std::string>(v);
    if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end())
      fail();
    if (spec.kind == ValueKind::DateTime && !parse_datetime(s))
      throw ScenarioError(loc, spec.key, "expected " + spec.expectation() + ", got \"" + s + "\" (not a valid date/time)");
    if (spec.kind == ValueKind::Path && !s.empty()) {
      namespace fs = std::filesystem;
      fs::path p(s);
      if (p.is_relative() && !base_dir.empty()) p = fs::path(base_dir) / p;
      if (!fs::is_regular_file(p)) throw ScenarioError(loc, spec.key, "file not found: " + p.string());
    }
  }
  return v;
}

void Scenario::set(const std::string& key, const Value& value, const SourceLoc& loc) {
  const KeySpec* spec = schema_->find(key);
  if (!spec) {
    const std::string hint = schema_->suggest(key);
    throw ScenarioError(loc, key, "unknown key" + (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
  }
  values_[key] = checked(*spec, value, loc);
  set_[key] = loc;
}

void Scenario::set_from_string(const std::string& key, const std::string& raw, const SourceLoc& loc) {
  const KeySpec* spec = schema_->find(key);
  if (!spec) return set(key, Value(raw), loc);  // reports the unknown key
  const std::string text = trim(raw);
  const auto as_number = [&](const std::string& s) -> std::optional<double> {
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) return std::nullopt;
    return x;
  };
  const auto split = [](std::string s) {
    std::vector<std::string> parts;
    if (!s.empty() && s.front() == '[') s = s.substr(1, s.size() - 2);
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');)
      if (!trim(item).empty()) parts.push_back(trim(item));
    return parts;
  };
  switch (spec->kind) {
    case ValueKind::Bool:
      if (text == "true" || text == "false") return set(key, Value(text == "true"), loc);
      return set(key, Value(text), loc);
    case ValueKind::Int:
    case ValueKind::Float:
      if (const auto x = as_number(text)) {
        if (spec->kind == ValueKind::Int && *x == std::floor(*x)) return set(key, Value(int64_t(*x)), loc);
        return set(key, Value(*x), loc);
      }
      return set(key, Value(text), loc);
    case ValueKind::FloatList: {
      std::vector<double> xs;
      for (const auto& p : split(text)) {
        const auto x = as_number(p);
        if (!x) throw ScenarioError(loc, key, "expected " + spec->expectation() + ", got \"" + raw + "\"");
        xs.push_back(*x);
      }
      return set(key, Value(xs), loc);
    }
    case ValueKind::StringList: return set(key, Value(split(text)), loc);
    default: return set(key, Value(text), loc);
  }
}

void Scenario::add_event(const std::string& kind, const std::string& at, std::map<std::string, Value> values,
                         const SourceLoc& loc, const std::map<std::string, int>& key_lines) {
  const EventKindSpec* spec = schema_->find_event(kind);
  if (!spec) {
    std::string known;
    for (const auto& e : schema_->events()) known += (known.empty() ? "" : ", ") + e.kind;
    throw ScenarioError(loc, "events.kind", "unknown event kind \"" + kind + "\" (known kinds: " + known + ")");
  }
  const auto when = parse_datetime(at);
  if (!when) throw ScenarioError(loc, "events.at", "expected a datetime like 2026-08-03T14:00, got \"" + at + "\"");
  TimelineEvent ev{kind, *when, {}, loc, int(events_.size())};
  for (const auto& k : spec->keys) ev.values[k.key] = k.default_value;
  for (const auto& [event_key, value] : values) {
    const std::string& name = event_key;  // clang 14 cannot capture a structured binding
    const SourceLoc key_loc{loc.file, key_lines.count(name) ? key_lines.at(name) : loc.line};
    const auto it = std::find_if(spec->keys.begin(), spec->keys.end(), [&](const KeySpec& k) { return k.key == name; });
    if (it == spec->keys.end()) {
      std::string known = "kind, at";
      for (const auto& k : spec->keys) known += ", " + k.key;
      throw ScenarioError(key_loc, "events." + name,
                          "unknown key for an event of kind \"" + kind + "\" (its keys: " + known + ")");
    }
    KeySpec prefixed = *it;
    prefixed.key = "events." + name;
    ev.values[name] = checked(prefixed, value, key_loc);
  }
  // keep the timeline sorted by time; entries at the same time keep file order
  const auto pos = std::upper_bound(events_.begin(), events_.end(), ev,
                                    [](const TimelineEvent& a, const TimelineEvent& b) { return a.at < b.at; });
  events_.insert(pos, std::move(ev));
}

const Value& Scenario::get(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw std::out_of_range("scenario key not in schema: " + key);
  return it->second;
}
double Scenario::get_double(const std::string& key) const {
  const Value& v = get(key);
  return std::holds_alternative<int64_t>(v) ? double(std::get<int64_t>(v)) : std::get<double>(v);
}
int64_t Scenario::get_int(const std::string& key) const { return std::get<int64_t>(get(key)); }
bool Scenario::get_bool(const std::string& key) const { return std::get<bool>(get(key)); }
const std::string& Scenario::get_string(const std::string& key) const { return std::get<std::string>(get(key)); }
std::vector<double> Scenario::get_doubles(const std::string& key, size_t n, const std::string& what) const {
  const auto& v = std::get<std::vector<double>>(get(key));
  if (v.size() != n)
    throw ScenarioError(loc_of(key), key,
                        "expected " + std::to_string(n) + " values (" + what + "), got " + std::to_string(v.size()));
  return v;
}
void Scenario::require_after(const std::string& earlier, const std::string& later, const std::string& message) const {
  if (get_double(later) <= get_double(earlier)) throw ScenarioError(loc_of(later), later, message);
}
std::string Scenario::get_path(const std::string& key) const {
  const std::string& s = get_string(key);
  if (s.empty()) return s;
  std::filesystem::path p(s);
  if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  return p.string();
}
LocalSeconds Scenario::get_time(const std::string& key) const { return *parse_datetime(get_string(key)); }
SourceLoc Scenario::loc_of(const std::string& key) const {
  const auto it = set_.find(key);
  return it == set_.end() ? SourceLoc{source_path, 0} : it->second;
}

size_t Scenario::keys_set_in_file() const {
  size_t n = 0;
  for (const auto& [key, loc] : set_) n += loc.file == source_path;
  return n;
}

void Scenario::check_consistency() const {
  const int64_t tick = get_int("run.tick_minutes");
  const int64_t duration_min = int64_t(std::llround(get_double("run.duration_hours") * 60));
  if (duration_min % tick != 0)
    throw ScenarioError(loc_of("run.duration_hours"), "run.duration_hours",
                        "expected a whole number of ticks (tick_minutes = " + std::to_string(tick) + ")");
  const int64_t every = get_int("run.output_every_minutes");
  if (every % tick != 0)
    throw ScenarioError(loc_of("run.output_every_minutes"), "run.output_every_minutes",
                        "expected a multiple of run.tick_minutes (" + std::to_string(tick) + ")");
  const LocalSeconds start = get_time("run.start"), end = start + duration_min * 60;
  for (const auto& ev : events_) {
    if (ev.kind == "set") {  // the change must be valid now, not fail mid-run
      const std::string& key = ev.get_string("key");
      require_changeable(key, ev.loc, "events.key");
      Scenario probe(*this);
      probe.set_from_string(key, ev.get_string("value"), ev.loc);
    }
    if (ev.at < start || ev.at > end)
      throw ScenarioError(ev.loc, "events.at",
                          "expected a time within the run (" + format_datetime(start) + " to " + format_datetime(end) +
                              "), got " + format_datetime(ev.at));
  }
}

std::string data_dir() {
  if (const char* env = std::getenv("CITYSIM_DATA_DIR")) return env;
  // found from the file holding this code (the executable, or the Python extension), so no
  // build path is compiled in: <prefix>/share/citysim/data once installed (the build tree
  // links build/share/citysim/data to scenarios/data), or the source tree's scenarios/data
  // from python/citysim/
  static const std::string found = [] {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&data_dir), &info) || !info.dli_fname) return std::string();
    std::error_code ec;
    const auto here = std::filesystem::canonical(info.dli_fname, ec).parent_path();
    for (const auto& candidate : {here / "../share/citysim/data", here / "../../scenarios/data"})
      if (std::filesystem::is_directory(candidate, ec)) return std::filesystem::canonical(candidate, ec).string();
    return std::string();
  }();
  if (found.empty())
    throw std::runtime_error("cannot find citysim's data folder (share/citysim/data beside the program's folder); "
                             "set CITYSIM_DATA_DIR to it");
  return found;
}

// ---- ParamKeys --------------------------------------------------------------------

KeySpec& ParamKeys::add(const std::string& path, ValueKind kind, Value default_value, std::string doc) {
  if (schema_) return schema_->key(path, kind, std::move(default_value), std::move(doc));
  ignored_ = KeySpec{};
  return ignored_;
}

KeySpec& ParamKeys::key(const std::string& path, bool& v, std::string doc) {
  if (scenario_) v = scenario_->get_bool(path);
  return add(path, ValueKind::Bool, v, std::move(doc));
}
KeySpec& ParamKeys::key(const std::string& path, double& v, std::string doc) {
  if (scenario_) v = scenario_->get_double(path);
  return add(path, ValueKind::Float, v, std::move(doc));
}
KeySpec& ParamKeys::key(const std::string& path, int& v, std::string doc) {
  if (scenario_) v = int(scenario_->get_int(path));
  return add(path, ValueKind::Int, int64_t(v), std::move(doc));
}
KeySpec& ParamKeys::key(const std::string& path, int64_t& v, std::string doc) {
  if (scenario_) v = scenario_->get_int(path);
  return add(path, ValueKind::Int, v, std::move(doc));
}
KeySpec& ParamKeys::key(const std::string& path, std::string& v, std::string doc) {
  if (scenario_) v = scenario_->get_string(path);
  return add(path, ValueKind::String, v, std::move(doc));
}
KeySpec& ParamKeys::key(const std::string& path, std::vector<double>& v, std::string doc) {
  if (scenario_) v = std::get<std::vector<double>>(scenario_->get(path));
  return add(path, ValueKind::FloatList, v, std::move(doc));
}
KeySpec& ParamKeys::key(const std::string& path, std::vector<std::string>& v, std::string doc) {
  if (scenario_) v = std::get<std::vector<std::string>>(scenario_->get(path));
  return add(path, ValueKind::StringList, v, std::move(doc));
}
KeySpec& ParamKeys::list(const std::string& path, std::vector<double>& v, size_t n, const std::string& what, std::string doc) {
  if (scenario_) v = scenario_->get_doubles(path, n, what);
  return add(path, ValueKind::FloatList, v, std::move(doc));
}
KeySpec& ParamKeys::path(const std::string& path, std::string& v, std::string doc) {
  if (scenario_) v = scenario_->get_path(path);
  return add(path, ValueKind::Path, v, std::move(doc));
}
KeySpec& ParamKeys::datetime(const std::string& path, std::string& v, std::string doc) {
  if (scenario_) v = scenario_->get_string(path);
  return add(path, ValueKind::DateTime, v, std::move(doc));
}
void ParamKeys::section(std::string name, std::string doc) {
  if (schema_) schema_->section(std::move(name), std::move(doc));
}

}  // namespace citysim
