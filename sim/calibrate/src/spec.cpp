#include "citysim/calibrate/spec.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "citysim/ensemble/toml_reader.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

namespace citysim::calibrate {

namespace fs = std::filesystem;
using ensemble::MetricSpec;
using ensemble::Override;
using ensemble::Reduce;

const char* transform_name(Transform t) {
  switch (t) {
    case Transform::None: return "none";
    case Transform::Log: return "log";
    case Transform::Logit: return "logit";
  }
  return "?";
}

const char* prior_name(PriorKind p) {
  switch (p) {
    case PriorKind::None: return "none";
    case PriorKind::Normal: return "normal";
    case PriorKind::LogNormal: return "lognormal";
    case PriorKind::Uniform: return "uniform";
  }
  return "?";
}

const char* method_name(Method m) {
  switch (m) {
    case Method::Bobyqa: return "bobyqa";
    case Method::NelderMead: return "neldermead";
    case Method::Crs2: return "crs2";
    case Method::Isres: return "isres";
    case Method::Mcmc: return "mcmc";
  }
  return "?";
}

bool is_global(Method m) { return m == Method::Crs2 || m == Method::Isres; }

double Prior::nll(double x) const {
  switch (kind) {
    case PriorKind::None: return 0;
    case PriorKind::Normal: return 0.5 * std::pow((x - a) / b, 2);
    case PriorKind::LogNormal:
      return x > 0 ? 0.5 * std::pow((std::log(x) - a) / b, 2) : std::numeric_limits<double>::infinity();
    case PriorKind::Uniform: return x >= a && x <= b ? 0 : std::numeric_limits<double>::infinity();
  }
  return 0;
}

double Parameter::transformed(double x) const {
  switch (transform) {
    case Transform::None: return x;
    case Transform::Log: return std::log(x);
    case Transform::Logit: return std::log(x / (1 - x));
  }
  return x;
}

double Parameter::to_unit(double x) const {
  const double lo = transformed(lower), hi = transformed(upper);
  return (transformed(x) - lo) / (hi - lo);
}

double Parameter::from_unit(double u) const {
  const double lo = transformed(lower), hi = transformed(upper), z = lo + u * (hi - lo);
  switch (transform) {
    case Transform::None: return z;
    case Transform::Log: return std::exp(z);
    case Transform::Logit: return 1 / (1 + std::exp(-z));
  }
  return z;
}

double Parameter::dx_dz(double x) const {
  switch (transform) {
    case Transform::None: return 1;
    case Transform::Log: return x;
    case Transform::Logit: return x * (1 - x);
  }
  return 1;
}

std::string Parameter::text(double x) const {
  if (integer) return std::to_string(int64_t(std::llround(x)));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

size_t Spec::observations() const {
  size_t n = 0;
  for (const auto& t : targets) n += t.observations.size();
  return n;
}

namespace {

using ensemble::Reader;

// does x lie in the key's own range?
bool in_range(const KeySpec& spec, double x) {
  if (spec.min && (spec.min_exclusive ? x <= *spec.min : x < *spec.min)) return false;
  if (spec.max && (spec.max_exclusive ? x >= *spec.max : x > *spec.max)) return false;
  return true;
}

Parameter parameter(const Reader& r, const toml::table& t, size_t i, const Scenario& probe) {
  const std::string at = "parameter[" + std::to_string(i) + "].";
  r.known_keys(t, at, {"key", "bounds", "initial", "transform", "prior"});
  Parameter p;
  p.loc = r.at(t);
  if (!t["key"]) r.fail(t, at + "key", "expected a scenario key, e.g. key = \"housing.move_out_rate_at_40\"");
  p.key = r.string(*t.get("key"), at + "key");
  const KeySpec* spec = probe.schema().find(p.key);
  if (!spec) {
    const std::string near = probe.schema().suggest(p.key);
    r.fail(*t.get("key"), p.key, "unknown key" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  if (spec->kind != ValueKind::Float && spec->kind != ValueKind::Int)
    r.fail(*t.get("key"), p.key, std::string("expected a number key to fit, it is a ") + kind_name(spec->kind) + " key");
  p.integer = spec->kind == ValueKind::Int;
  const toml::node* b = t.get("bounds");
  if (!b || !b->is_array() || b->as_array()->size() != 2) r.fail(b ? *b : t, at + "bounds", "expected bounds = [lower, upper]");
  p.lower = r.number(*b->as_array()->get(0), at + "bounds");
  p.upper = r.number(*b->as_array()->get(1), at + "bounds");
  if (!(p.lower < p.upper)) r.fail(*b, at + "bounds", "expected lower < upper, got [" + format_number(p.lower) + ", " + format_number(p.upper) + "]");
  for (double x : {p.lower, p.upper})
    if (!in_range(*spec, x))
      r.fail(*b, p.key, "bounds [" + format_number(p.lower) + ", " + format_number(p.upper) + "] leave the key's own range: expected " +
                            spec->expectation() + ", got " + format_number(x));
  if (const auto* tr = t.get("transform")) {
    const std::string name = r.string(*tr, at + "transform");
    if (name == "none") p.transform = Transform::None;
    else if (name == "log") p.transform = Transform::Log;
    else if (name == "logit") p.transform = Transform::Logit;
    else r.fail(*tr, at + "transform", "expected one of none, log, logit, got \"" + name + "\"");
    if (p.transform == Transform::Log && !(p.lower > 0)) r.fail(*tr, at + "transform", "a log transform needs bounds above 0");
    if (p.transform == Transform::Logit && !(p.lower > 0 && p.upper < 1))
      r.fail(*tr, at + "transform", "a logit transform needs bounds inside (0, 1)");
  }
  if (const auto* init = t.get("initial")) {
    p.initial = r.number(*init, at + "initial");
    if (p.initial < p.lower || p.initial > p.upper)
      r.fail(*init, at + "initial", "expected a value within the bounds [" + format_number(p.lower) + ", " + format_number(p.upper) + "], got " + format_number(p.initial));
  } else {
    p.initial = p.from_unit(0.5);  // the middle of the (transformed) range
  }
  if (const auto* pr = t.get("prior")) {
    const auto& pt = r.table(*pr, at + "prior");
    r.known_keys(pt, at + "prior.", {"kind", "mean", "sd", "meanlog", "sdlog", "lower", "upper"});
    if (!pt["kind"]) r.fail(pt, at + "prior.kind", "expected kind = \"normal\", \"lognormal\" or \"uniform\"");
    const std::string kind = r.string(*pt.get("kind"), at + "prior.kind");
    const auto need = [&](const char* key) -> const toml::node& {
      if (!pt[key]) r.fail(pt, at + "prior." + key, "a " + kind + " prior needs " + key);
      return *pt.get(key);
    };
    if (kind == "normal") {
      p.prior = {PriorKind::Normal, r.number(need("mean"), at + "prior.mean"), r.positive(need("sd"), at + "prior.sd")};
    } else if (kind == "lognormal") {
      p.prior = {PriorKind::LogNormal, r.number(need("meanlog"), at + "prior.meanlog"), r.positive(need("sdlog"), at + "prior.sdlog")};
    } else if (kind == "uniform") {
      p.prior = {PriorKind::Uniform, r.number(need("lower"), at + "prior.lower"), r.number(need("upper"), at + "prior.upper")};
      if (!(p.prior.a < p.prior.b)) r.fail(pt, at + "prior", "expected lower < upper");
    } else {
      r.fail(*pt.get("kind"), at + "prior.kind", "expected one of normal, lognormal, uniform, got \"" + kind + "\"");
    }
  }
  return p;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::stringstream ss(line);
  while (std::getline(ss, cell, ',')) {
    cell.erase(0, cell.find_first_not_of(" \t\r"));
    cell.erase(cell.find_last_not_of(" \t\r") + 1);
    out.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

// time,value,sigma rows (hours since the start); every bad row is an error at its line
std::vector<Observation> read_observed_csv(const std::string& file, double relative_error) {
  std::ifstream in(file);
  if (!in) throw ScenarioError({file, 0}, "csv", "cannot read the observed series");
  std::vector<Observation> out;
  std::string line;
  int n = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    const auto cells = split_csv(line);
    if (!header) {
      header = true;
      if (cells.size() < 2 || cells[0] != "time" || cells[1] != "value" || (cells.size() > 2 && cells[2] != "sigma") || cells.size() > 3)
        throw ScenarioError({file, n}, "header", "expected the header time,value,sigma (time in hours since the start)");
      continue;
    }
    const auto num = [&](size_t i, const char* what) {
      if (i >= cells.size()) throw ScenarioError({file, n}, what, "missing: expected time,value,sigma");
      char* end = nullptr;
      const double x = std::strtod(cells[i].c_str(), &end);
      if (cells[i].empty() || *end || !std::isfinite(x))
        throw ScenarioError({file, n}, what, "expected a number, got \"" + cells[i] + "\"");
      return x;
    };
    if (cells.size() > 3) throw ScenarioError({file, n}, "row", "expected 3 columns time,value,sigma, got " + std::to_string(cells.size()));
    Observation o;
    o.time_hours = num(0, "time");
    o.value = num(1, "value");
    if (cells.size() > 2 && !cells[2].empty()) o.sigma = num(2, "sigma");
    else if (relative_error > 0) o.sigma = relative_error * std::fabs(o.value);
    else throw ScenarioError({file, n}, "sigma", "missing: give a sigma column or the target's relative_error");
    if (o.time_hours < 0) throw ScenarioError({file, n}, "time", "expected hours >= 0, got " + format_number(o.time_hours));
    if (!(o.sigma > 0)) throw ScenarioError({file, n}, "sigma", "expected a sigma > 0, got " + format_number(o.sigma));
    if (!out.empty() && o.time_hours <= out.back().time_hours)
      throw ScenarioError({file, n}, "time", "expected times in increasing order");
    o.loc = {file, n};
    out.push_back(o);
  }
  if (out.empty()) throw ScenarioError({file, n}, "csv", "no rows: expected time,value,sigma rows after the header");
  return out;
}

// path, labels, reduce, window_hours / at_hours of a target or its divide_by
void read_metric(const Reader& r, const toml::table& t, const std::string& at, MetricSpec& m, SourceLoc& path_loc,
                 SourceLoc& labels_loc) {
  if (!t["path"]) r.fail(t, at + "path", "expected a series path, e.g. path = \"housing/offered\"");
  m.path = r.string(*t.get("path"), at + "path");
  path_loc = labels_loc = r.at(*t.get("path"));
  if (const auto* labels = t.get("labels")) {
    labels_loc = r.at(*labels);
    if (!labels->is_array() || labels->as_array()->empty()) r.fail(*labels, at + "labels", "expected a non-empty list of breakdown labels");
    for (const auto& l : *labels->as_array()) m.labels.push_back(r.string(l, at + "labels"));
  }
  if (const auto* reduce = t.get("reduce")) {
    const std::string name = r.string(*reduce, at + "reduce");
    const Reduce all[] = {Reduce::Final, Reduce::Sum, Reduce::Max, Reduce::Mean};
    const auto it = std::find_if(std::begin(all), std::end(all), [&](Reduce x) { return name == ensemble::reduce_name(x); });
    if (it == std::end(all)) r.fail(*reduce, at + "reduce", "expected one of final, sum, max, mean, got \"" + name + "\"");
    m.reduce = *it;
  }
  if (const auto* w = t.get("window_hours")) {
    if (!w->is_array() || w->as_array()->size() != 2) r.fail(*w, at + "window_hours", "expected [from, to] in hours");
    m.from_hours = r.number(*w->as_array()->get(0), at + "window_hours");
    m.to_hours = r.number(*w->as_array()->get(1), at + "window_hours");
    if (!(m.from_hours >= 0 && m.from_hours < m.to_hours)) r.fail(*w, at + "window_hours", "expected 0 <= from < to");
  }
  if (const auto* a = t.get("at_hours")) {
    if (t["window_hours"]) r.fail(*a, at + "at_hours", "expected either at_hours or window_hours, not both");
    const double h = r.number(*a, at + "at_hours");
    if (h < 0) r.fail(*a, at + "at_hours", "expected hours >= 0");
    m.from_hours = h - 0.5 / 3600, m.to_hours = h + 0.5 / 3600, m.reduce = Reduce::Final;
  }
}

Target target(const Reader& r, const toml::table& t, size_t i, const std::string& folder) {
  const std::string at = "target[" + std::to_string(i) + "].";
  r.known_keys(t, at, {"name", "path", "labels", "reduce", "window_hours", "at_hours", "observed", "sigma",
                       "relative_error", "weight", "csv", "divide_by"});
  Target g;
  g.loc = r.at(t);
  g.metric.loc = g.loc;
  read_metric(r, t, at, g.metric, g.path_loc, g.labels_loc);
  if (const auto* d = t.get("divide_by")) {
    const auto& dt = r.table(*d, at + "divide_by");
    r.known_keys(dt, at + "divide_by.", {"path", "labels", "reduce", "window_hours", "at_hours"});
    g.has_denominator = true;
    g.denominator.loc = r.at(dt);
    read_metric(r, dt, at + "divide_by.", g.denominator, g.denominator_path_loc, g.denominator_labels_loc);
  }
  if (const auto* w = t.get("weight")) g.weight = r.positive(*w, at + "weight");
  double relative = 0;
  if (const auto* re = t.get("relative_error")) {
    if (t["sigma"]) r.fail(*re, at + "relative_error", "expected either sigma or relative_error, not both");
    relative = r.positive(*re, at + "relative_error");
  }
  if (const auto* csv = t.get("csv")) {
    if (t["observed"]) r.fail(*csv, at + "csv", "expected either observed or csv, not both");
    if (t["sigma"]) r.fail(*t.get("sigma"), at + "sigma", "a csv target takes its sigma from the file's sigma column");
    g.csv = (fs::path(folder) / r.string(*csv, at + "csv")).lexically_normal().string();
    if (!fs::is_regular_file(g.csv)) r.fail(*csv, at + "csv", "no file " + g.csv);
    g.observations = read_observed_csv(g.csv, relative);
  } else {
    if (!t["observed"]) r.fail(t, at + "observed", "expected the observed value (or csv = \"series.csv\")");
    Observation o;
    o.value = r.number(*t.get("observed"), at + "observed");
    o.loc = r.at(*t.get("observed"));
    if (const auto* s = t.get("sigma")) {
      o.sigma = r.number(*s, at + "sigma");
      if (!(o.sigma > 0)) r.fail(*s, at + "sigma", "expected a sigma > 0, got " + format_number(o.sigma));
    } else if (relative > 0) {
      o.sigma = relative * std::fabs(o.value);
      if (!(o.sigma > 0)) r.fail(*t.get("relative_error"), at + "relative_error", "gives sigma 0 for an observed value of 0: give sigma");
    } else {
      r.fail(t, at + "sigma", "expected the observation's uncertainty: sigma or relative_error");
    }
    g.observations.push_back(o);
  }
  g.name = t["name"] ? r.string(*t.get("name"), at + "name") : g.metric.id();
  return g;
}

// every target against what a simulation of the base scenario publishes
void check_targets(const Spec& spec, const Scenario& sc) {
  Simulation sim(sc, 1);
  const double duration = sc.get_double("run.duration_hours");
  const double every_h = double(sc.get_int("run.output_every_minutes")) / 60.0;
  std::vector<std::pair<const Target*, const MetricSpec*>> all;
  for (const Target& t : spec.targets) {
    all.push_back({&t, &t.metric});
    if (t.has_denominator) all.push_back({&t, &t.denominator});
  }
  for (const auto& [tp, mp] : all) {
    const Target& t = *tp;
    const MetricSpec& metric = *mp;
    const bool den = mp != &t.metric;
    const SourceLoc& path_at = den ? t.denominator_path_loc : t.path_loc;
    const SourceLoc& labels_at = den ? t.denominator_labels_loc : t.labels_loc;
    const Series* s = sim.metrics().find_series(metric.path);
    if (!s) {
      std::string known;
      for (const auto& x : sim.metrics().series()) known += (known.empty() ? "" : ", ") + x.info.path;
      throw ScenarioError(path_at, "path", "no module publishes " + metric.path + " in this scenario (published: " + known + ")");
    }
    for (const auto& label : metric.labels)
      if (std::find(s->breakdown.labels.begin(), s->breakdown.labels.end(), label) == s->breakdown.labels.end()) {
        std::string known;
        for (const auto& l : s->breakdown.labels) known += (known.empty() ? "" : ", ") + l;
        throw ScenarioError(labels_at, "labels", "no label \"" + label + "\" in " + metric.path +
                                                 (known.empty() ? " (a series without a breakdown)" : " (labels: " + known + ")"));
      }
    if (metric.from_hours > duration)
      throw ScenarioError(t.loc, "window_hours", "starts after the run's end (" + format_number(duration) + " h)");
    for (const auto& o : t.observations) {
      if (o.time_hours < 0 || mp != &t.metric) continue;
      const double k = o.time_hours / every_h;
      if (o.time_hours > duration + 1e-9 || (std::fabs(k - std::round(k)) > 1e-9 && std::fabs(o.time_hours - duration) > 1e-9))
        throw ScenarioError(o.loc, "time", "no output sample at " + format_number(o.time_hours) + " h (samples every " +
                                               format_number(every_h) + " h up to " + format_number(duration) + " h)");
    }
  }
}

}  // namespace

Spec load_spec(const std::string& path) {
  Spec spec;
  spec.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError({path, 0}, "", "cannot read the calibration spec");
  std::stringstream text;
  text << in.rdbuf();
  spec.text = text.str();
  toml::table root;
  try {
    root = toml::parse(spec.text, path);
  } catch (const toml::parse_error& e) {
    throw ScenarioError({path, int(e.source().begin.line)}, "", std::string(e.description()));
  }
  const Reader r{path};
  r.known_keys(root, "", {"name", "base", "set", "seed", "seeds", "replicates", "method", "max_evaluations", "xtol_rel",
                          "ftol_abs", "population", "hessian", "hessian_step", "walkers", "steps", "burn_in", "parameter",
                          "target"});
  const std::string folder = fs::path(path).parent_path().string();
  spec.name = root["name"] ? r.string(*root.get("name"), "name") : fs::path(path).stem().stem().string();
  if (!root["base"]) r.fail(root, "base", "expected the base scenario file, e.g. base = \"../scenarios/housing-baseline.toml\"");
  spec.base = (fs::path(folder) / r.string(*root.get("base"), "base")).lexically_normal().string();
  if (!fs::is_regular_file(spec.base)) r.fail(*root.get("base"), "base", "no scenario file " + spec.base);
  if (root["set"])
    for (const auto& [k, v] : r.table(*root.get("set"), "set"))
      spec.set.push_back({std::string(k.str()), r.text(v, "set." + std::string(k.str())), r.at(v)});
  if (root["seed"]) spec.seed = uint64_t(r.integer(*root.get("seed"), "seed", 0, INT64_MAX));
  if (root["seeds"] && root["replicates"]) r.fail(*root.get("seeds"), "seeds", "expected either seeds or replicates, not both");
  if (const auto* seeds = root.get("seeds")) {
    if (!seeds->is_array() || seeds->as_array()->empty()) r.fail(*seeds, "seeds", "expected a non-empty list of seeds");
    for (const auto& s : *seeds->as_array()) spec.seeds.push_back(uint64_t(r.integer(s, "seeds", 0, INT32_MAX)));
  } else {
    const int n = root["replicates"] ? int(r.integer(*root.get("replicates"), "replicates", 1, 10000)) : 1;
    for (int i = 0; i < n; ++i) spec.seeds.push_back(ensemble::derive_seed(spec.seed, i));
  }
  if (const auto* m = root.get("method")) {
    const std::string name = r.string(*m, "method");
    const Method all[] = {Method::Bobyqa, Method::NelderMead, Method::Crs2, Method::Isres, Method::Mcmc};
    const auto it = std::find_if(std::begin(all), std::end(all), [&](Method x) { return name == method_name(x); });
    if (it == std::end(all))
      r.fail(*m, "method", "expected one of bobyqa, neldermead (local), crs2, isres (global), mcmc (a posterior sample), got \"" + name + "\"");
    spec.method = *it;
  }
  if (root["max_evaluations"]) spec.max_evaluations = int(r.integer(*root.get("max_evaluations"), "max_evaluations", 1, 1000000));
  if (root["xtol_rel"]) spec.xtol_rel = r.positive(*root.get("xtol_rel"), "xtol_rel");
  if (root["ftol_abs"]) spec.ftol_abs = r.positive(*root.get("ftol_abs"), "ftol_abs");
  if (root["population"]) spec.population = int(r.integer(*root.get("population"), "population", 0, 100000));
  if (const auto* h = root.get("hessian")) {
    if (!h->is_boolean()) r.fail(*h, "hessian", "expected true or false");
    spec.hessian = h->as_boolean()->get();
  }
  for (const char* k : {"walkers", "steps", "burn_in"})
    if (root[k] && spec.method != Method::Mcmc) r.fail(*root.get(k), k, "only for method = \"mcmc\"");
  if (root["steps"]) spec.steps = int(r.integer(*root.get("steps"), "steps", 1, 1000000));
  spec.burn_in = spec.steps / 2;
  if (root["burn_in"]) spec.burn_in = int(r.integer(*root.get("burn_in"), "burn_in", 0, spec.steps - 1));
  if (spec.method == Method::Mcmc) spec.hessian = false;
  if (const auto* h = root.get("hessian_step")) {
    spec.hessian_step = r.number(*h, "hessian_step");
    if (!(spec.hessian_step > 0 && spec.hessian_step <= 0.25)) r.fail(*h, "hessian_step", "expected a step in (0, 0.25] of each parameter's unit range");
  }

  // the base scenario with the spec's overrides: every parameter key must be one of its keys
  Scenario probe = io::load_scenario(spec.base);
  for (const auto& o : spec.set) probe.set_from_string(o.key, o.text, o.loc);
  if (const auto* ps = root.get("parameter")) {
    if (!ps->is_array_of_tables()) r.fail(*ps, "parameter", "expected [[parameter]] tables");
    for (const auto& p : *ps->as_array()) spec.parameters.push_back(parameter(r, *p.as_table(), spec.parameters.size(), probe));
  }
  if (spec.parameters.empty()) r.fail(root, "parameter", "expected at least one [[parameter]] with a key and bounds");
  if (const auto* w = root.get("walkers")) {
    spec.walkers = int(r.integer(*w, "walkers", 2, 100000));
    if (spec.walkers % 2 != 0 || spec.walkers < 2 * int(spec.parameters.size()))
      r.fail(*w, "walkers", "expected an even number of walkers, at least twice the " + std::to_string(spec.parameters.size()) +
                                " parameters, got " + std::to_string(spec.walkers));
  }
  std::set<std::string> keys;
  for (const auto& p : spec.parameters) {
    if (!keys.insert(p.key).second) throw ScenarioError(p.loc, p.key, "fitted twice: each key once");
    if (std::any_of(spec.set.begin(), spec.set.end(), [&](const Override& o) { return o.key == p.key; }))
      throw ScenarioError(p.loc, p.key, "also in `set`: a fitted key cannot be fixed too");
  }
  if (const auto* ts = root.get("target")) {
    if (!ts->is_array_of_tables()) r.fail(*ts, "target", "expected [[target]] tables");
    for (const auto& t : *ts->as_array()) spec.targets.push_back(target(r, *t.as_table(), spec.targets.size(), folder));
  }
  if (spec.targets.empty()) r.fail(root, "target", "expected at least one [[target]] with a path and an observed value");
  std::set<std::string> names;
  for (const auto& t : spec.targets)
    if (!names.insert(t.name).second) throw ScenarioError(t.loc, "name", "two targets are named \"" + t.name + "\"");

  // the scenario at the initial values, then what it publishes
  for (const auto& p : spec.parameters) probe.set_from_string(p.key, p.text(p.initial), p.loc);
  probe.set_from_string("run.seed", std::to_string(spec.seeds[0]), {path, 0});
  probe.check_consistency();
  check_targets(spec, probe);
  return spec;
}

}  // namespace citysim::calibrate
