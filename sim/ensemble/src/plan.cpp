#include "citysim/ensemble/plan.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "citysim/ensemble/sobol.hpp"
#include "citysim/ensemble/toml_reader.hpp"
#include "citysim/hash.hpp"
#include "citysim/io/scenario_file.hpp"

namespace citysim::ensemble {

namespace fs = std::filesystem;

const char* reduce_name(Reduce r) {
  switch (r) {
    case Reduce::Final: return "final";
    case Reduce::Sum: return "sum";
    case Reduce::Max: return "max";
    case Reduce::Mean: return "mean";
  }
  return "?";
}

std::string MetricSpec::id() const {
  std::string id = path;
  std::replace(id.begin(), id.end(), '/', '.');
  if (!labels.empty()) {
    id += "[";
    for (size_t i = 0; i < labels.size(); ++i) id += (i ? "+" : "") + labels[i];
    id += "]";
  }
  return id + "." + reduce_name(reduce);
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t derive_seed(uint64_t plan_seed, int replicate) {
  uint64_t state = plan_seed * 0x100000001B3ull + uint64_t(replicate);
  return splitmix64(state) >> 33;  // 31 bits: readable, and fits every seed key's range
}

std::string scenario_hash(const std::string& scenario_text, const std::vector<std::string>& overrides) {
  Fnv1a f;
  const unsigned char separator = 0xff;  // a byte no text holds
  f.add(scenario_text), f.add(&separator, 1);
  for (const auto& o : overrides) f.add(o), f.add(&separator, 1);
  return f.hex();
}

std::vector<Member> Plan::members() const {
  std::vector<Member> out;
  for (size_t v = 0; v < variants.size(); ++v)
    for (int r = 0; r < replicates(); ++r) out.push_back({out.size(), v, r, seeds[size_t(r)]});
  return out;
}

Scenario Plan::scenario(const Member& m) const {
  Scenario sc = io::load_scenario(base);
  const auto apply = [&](const Override& o) {
    sc.set_from_string(o.key, o.text, o.loc);
    sc.overrides.push_back(o.assignment());
  };
  for (const auto& o : set) apply(o);
  for (const auto& o : variants[m.variant].set) apply(o);
  apply({"run.seed", std::to_string(m.seed), {path, 0}});
  sc.check_consistency();
  return sc;
}

std::vector<io::Change> Plan::branch(const Member& m) const {
  Scenario sc = scenario(m);
  sc.set("run.seed", snapshot_scenario.get("run.seed"), sc.loc_of("run.seed"));
  return io::branch_changes(snapshot_scenario, sc);
}

std::pair<std::string, std::vector<std::string>> Plan::record(const Member& m) const {
  if (from.empty()) {
    const Scenario sc = scenario(m);
    return {sc.source_text, sc.overrides};
  }
  // as load_snapshot and Simulation::reseed record them
  std::vector<std::string> overrides = snapshot.overrides;
  for (const auto& [key, value] : branch(m)) overrides.push_back(key + "=" + value_to_string(value));
  overrides.push_back("run.seed=" + std::to_string(m.seed));
  return {snapshot.scenario_toml, overrides};
}

namespace {

// "per_municipality=2": a grid or sample variant named by its keys' last parts
std::string variant_name(const std::vector<Override>& set) {
  std::string name;
  for (const auto& o : set) name += (name.empty() ? "" : ",") + o.key.substr(o.key.rfind('.') + 1) + "=" + o.text;
  return name;
}

// one variant per combination of the grid's lists, the last key varying fastest
std::vector<Variant> grid_variants(const Reader& r, const toml::table& grid) {
  std::vector<std::pair<std::string, std::vector<Override>>> axes;
  for (const auto& [k, v] : grid) {
    const std::string key = "grid." + std::string(k.str());
    if (!v.is_array() || v.as_array()->empty()) r.fail(v, key, "expected a non-empty list of values");
    std::vector<Override> values;
    for (const auto& item : *v.as_array()) values.push_back({std::string(k.str()), r.text(item, key), r.at(item)});
    axes.push_back({key, values});
  }
  if (axes.empty()) r.fail(grid, "grid", "expected at least one key with a list of values");
  std::vector<Variant> out{{"", {}}};
  for (const auto& [key, values] : axes) {
    std::vector<Variant> next;
    for (const auto& partial : out)
      for (const auto& value : values) {
        Variant v = partial;
        v.set.push_back(value);
        next.push_back(v);
      }
    out = next;
  }
  for (auto& v : out) v.name = variant_name(v.set);
  return out;
}

// Latin hypercube: each key's range cut into n equal strata, one point in each, strata
// matched across keys by independent shuffles (all from the sample's seed). Sobol: points
// 1..n of the Sobol' sequence (Joe-Kuo direction numbers; dimension j for the j-th key of
// [sample.ranges] in alphabetical order, as TOML tables iterate), scaled to the ranges;
// deterministic, no seed.
std::vector<Variant> sample_variants(const Reader& r, const toml::table& sample, const Scenario& probe,
                                     uint64_t plan_seed) {
  r.known_keys(sample, "sample.", {"method", "n", "seed", "ranges"});
  const std::string method = sample["method"] ? r.string(*sample.get("method"), "sample.method") : "lhs";
  if (method != "lhs" && method != "sobol")
    r.fail(*sample.get("method"), "sample.method",
           "expected \"lhs\" (Latin hypercube) or \"sobol\" (Sobol' sequence), got \"" + method + "\"");
  const bool sobol = method == "sobol";
  if (!sample["n"]) r.fail(sample, "sample.n", "expected the number of points, e.g. n = 8");
  const int n = int(r.integer(*sample.get("n"), "sample.n", 1, 10000));
  if (sobol && sample["seed"])
    r.fail(*sample.get("seed"), "sample.seed", "Sobol' points are not scrambled and take no seed: remove it, or use method = \"lhs\"");
  uint64_t state = sample["seed"] ? uint64_t(r.integer(*sample.get("seed"), "sample.seed", 0, INT64_MAX)) : plan_seed;
  if (!sample["ranges"]) r.fail(sample, "sample.ranges", "expected a table of key = [low, high]");
  const auto& ranges = r.table(*sample.get("ranges"), "sample.ranges");
  if (ranges.empty()) r.fail(ranges, "sample.ranges", "expected at least one key = [low, high]");
  if (sobol && int(ranges.size()) > Sobol::kMaxDims)
    r.fail(ranges, "sample.ranges",
           "method = \"sobol\" takes at most " + std::to_string(Sobol::kMaxDims) +
               " keys (the Joe-Kuo direction numbers citysim embeds), got " + std::to_string(ranges.size()));
  std::vector<std::vector<double>> points;  // Sobol: point i + 1 for variant i
  if (sobol) {
    const Sobol seq(int(ranges.size()));
    for (int i = 0; i < n; ++i) points.push_back(seq.point(uint64_t(i) + 1));
  }
  std::vector<Variant> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%s%03d", sobol ? "sobol" : "lhs", i);
    out[size_t(i)].name = name;
  }
  size_t dim = 0;
  for (const auto& [k, v] : ranges) {
    const std::string key(k.str()), where = "sample.ranges." + key;
    const KeySpec* spec = probe.schema().find(key);
    if (!spec) r.fail(v, key, "unknown key");
    if (spec->kind != ValueKind::Float && spec->kind != ValueKind::Int) r.fail(v, key, "expected a number key to sample");
    if (!v.is_array() || v.as_array()->size() != 2) r.fail(v, where, "expected [low, high]");
    const double lo = r.number(*v.as_array()->get(0), where), hi = r.number(*v.as_array()->get(1), where);
    if (!(lo < hi)) r.fail(v, where, "expected low < high, got [" + format_number(lo) + ", " + format_number(hi) + "]");
    std::vector<int> strata(static_cast<size_t>(n));
    if (!sobol) {
      for (int i = 0; i < n; ++i) strata[size_t(i)] = i;
      for (int i = n - 1; i > 0; --i) std::swap(strata[size_t(i)], strata[splitmix64(state) % uint64_t(i + 1)]);
    }
    for (int i = 0; i < n; ++i) {
      double x;
      if (sobol) {
        x = lo + points[size_t(i)][dim] * (hi - lo);
      } else {
        const double u = double(splitmix64(state) >> 11) * 0x1.0p-53;
        x = lo + (strata[size_t(i)] + u) / n * (hi - lo);
      }
      if (spec->kind == ValueKind::Int) x = std::floor(x);
      out[size_t(i)].set.push_back({key, format_number(x), r.at(v)});
    }
    ++dim;
  }
  return out;
}

MetricSpec metric(const Reader& r, const toml::table& t, size_t i) {
  const std::string at = "metric[" + std::to_string(i) + "].";
  r.known_keys(t, at, {"path", "labels", "reduce", "window_hours"});
  MetricSpec m;
  m.loc = r.at(t);
  if (!t["path"]) r.fail(t, at + "path", "expected a series path, e.g. path = \"heat/cases_total\"");
  m.path = r.string(*t.get("path"), at + "path");
  if (const auto* labels = t.get("labels")) {
    if (!labels->is_array() || labels->as_array()->empty()) r.fail(*labels, at + "labels", "expected a non-empty list of breakdown labels");
    for (const auto& l : *labels->as_array()) m.labels.push_back(r.string(l, at + "labels"));
  }
  if (const auto* reduce = t.get("reduce")) {
    const std::string name = r.string(*reduce, at + "reduce");
    const Reduce all[] = {Reduce::Final, Reduce::Sum, Reduce::Max, Reduce::Mean};
    const auto it = std::find_if(std::begin(all), std::end(all), [&](Reduce x) { return name == reduce_name(x); });
    if (it == std::end(all)) r.fail(*reduce, at + "reduce", "expected one of final, sum, max, mean, got \"" + name + "\"");
    m.reduce = *it;
  }
  if (const auto* w = t.get("window_hours")) {
    if (!w->is_array() || w->as_array()->size() != 2) r.fail(*w, at + "window_hours", "expected [from, to] in hours");
    m.from_hours = r.number(*w->as_array()->get(0), at + "window_hours");
    m.to_hours = r.number(*w->as_array()->get(1), at + "window_hours");
    if (!(m.from_hours >= 0 && m.from_hours < m.to_hours)) r.fail(*w, at + "window_hours", "expected 0 <= from < to");
  }
  return m;
}

}  // namespace

Plan load_plan(const std::string& path) {
  Plan plan;
  plan.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError({path, 0}, "", "cannot read the plan file");
  std::stringstream text;
  text << in.rdbuf();
  plan.text = text.str();
  toml::table root;
  try {
    root = toml::parse(plan.text, path);
  } catch (const toml::parse_error& e) {
    throw ScenarioError({path, int(e.source().begin.line)}, "", std::string(e.description()));
  }
  const Reader r{path};
  r.known_keys(root, "", {"name", "base", "from", "seed", "replicates", "seeds", "set", "baseline", "keep_members",
                          "bootstrap_resamples", "variant", "grid", "sample", "metric"});
  plan.name = root["name"] ? r.string(*root.get("name"), "name") : fs::path(path).stem().stem().string();
  if (!root["base"]) r.fail(root, "base", "expected the base scenario file, e.g. base = \"heatwave.toml\"");
  const std::string base = r.string(*root.get("base"), "base");
  plan.base = (fs::path(path).parent_path() / base).lexically_normal().string();
  if (!fs::is_regular_file(plan.base)) r.fail(*root.get("base"), "base", "no scenario file " + plan.base);
  if (root["seed"]) plan.seed = uint64_t(r.integer(*root.get("seed"), "seed", 0, INT64_MAX));
  if (root["seeds"] && root["replicates"]) r.fail(*root.get("seeds"), "seeds", "expected either seeds or replicates, not both");
  if (const auto* seeds = root.get("seeds")) {
    if (!seeds->is_array() || seeds->as_array()->empty()) r.fail(*seeds, "seeds", "expected a non-empty list of seeds");
    for (const auto& s : *seeds->as_array()) plan.seeds.push_back(uint64_t(r.integer(s, "seeds", 0, INT64_MAX)));
  } else {
    const int n = root["replicates"] ? int(r.integer(*root.get("replicates"), "replicates", 1, 100000)) : 1;
    for (int i = 0; i < n; ++i) plan.seeds.push_back(derive_seed(plan.seed, i));
  }
  if (root["set"]) plan.set = r.overrides(*root.get("set"), "set");
  if (const auto* keep = root.get("keep_members")) {
    if (!keep->is_boolean()) r.fail(*keep, "keep_members", "expected true or false");
    plan.keep_members = keep->as_boolean()->get();
  }
  if (root["bootstrap_resamples"])
    plan.bootstrap_resamples = int(r.integer(*root.get("bootstrap_resamples"), "bootstrap_resamples", 100, 1000000));

  if (const auto* variants = root.get("variant")) {
    if (!variants->is_array_of_tables()) r.fail(*variants, "variant", "expected [[variant]] tables");
    for (const auto& v : *variants->as_array()) {
      const auto& t = *v.as_table();
      r.known_keys(t, "variant.", {"name", "set"});
      if (!t["name"]) r.fail(t, "variant.name", "expected a name for the variant");
      plan.variants.push_back({r.string(*t.get("name"), "variant.name"), t["set"] ? r.overrides(*t.get("set"), "variant.set") : std::vector<Override>{}});
    }
  }
  if (const auto* grid = root.get("grid"))
    for (auto& v : grid_variants(r, r.table(*grid, "grid"))) plan.variants.push_back(std::move(v));
  if (const auto* sample = root.get("sample"))
    for (auto& v : sample_variants(r, r.table(*sample, "sample"), Scenario(), plan.seed)) plan.variants.push_back(std::move(v));
  if (plan.variants.empty()) plan.variants.push_back({"base", {}});
  std::set<std::string> names;
  for (const auto& v : plan.variants)
    if (!names.insert(v.name).second) r.fail(root, "variant.name", "two variants are named \"" + v.name + "\"");

  if (const auto* baseline = root.get("baseline")) {
    const std::string name = r.string(*baseline, "baseline");
    const auto it = std::find_if(plan.variants.begin(), plan.variants.end(), [&](const Variant& v) { return v.name == name; });
    if (it == plan.variants.end()) {
      std::string list;
      for (const auto& v : plan.variants) list += (list.empty() ? "" : ", ") + v.name;
      r.fail(*baseline, "baseline", "expected one of the variants (" + list + "), got \"" + name + "\"");
    }
    plan.baseline = size_t(it - plan.variants.begin());
  }

  if (const auto* metrics = root.get("metric")) {
    if (!metrics->is_array_of_tables()) r.fail(*metrics, "metric", "expected [[metric]] tables");
    for (const auto& m : *metrics->as_array()) plan.metrics.push_back(metric(r, *m.as_table(), plan.metrics.size()));
  }
  if (plan.metrics.empty()) r.fail(root, "metric", "expected at least one [[metric]] with a path");

  if (const auto* from = root.get("from")) {
    plan.from = (fs::path(path).parent_path() / r.string(*from, "from")).lexically_normal().string();
    try {
      plan.snapshot = io::read_snapshot_info(plan.from);
      plan.snapshot_scenario = io::snapshot_scenario(plan.snapshot);
    } catch (const SnapshotError& e) {
      r.fail(*from, "from", e.what());
    }
    if (plan.snapshot.finished) r.fail(*from, "from", "the snapshot's run had reached its end: there is nothing to branch");
  }

  // every member's scenario is checked now: a bad override stops the ensemble before it starts
  for (const Member& m : plan.members()) plan.from.empty() ? void(plan.scenario(m)) : void(plan.branch(m));
  return plan;
}

}  // namespace citysim::ensemble
