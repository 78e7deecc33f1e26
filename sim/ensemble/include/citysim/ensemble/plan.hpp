// Ensemble plans (TOML, docs/ensembles.md): a base scenario, overrides for every member,
// variants (named sets, a full grid, a Latin-hypercube sample), replicates with seeds shared
// by every variant (common random numbers) and the metrics to summarise.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "citysim/io/snapshot.hpp"
#include "citysim/scenario.hpp"

namespace citysim::ensemble {

// one key = value on top of the base scenario, with where the plan set it
struct Override {
  std::string key, text;
  SourceLoc loc;
  std::string assignment() const { return key + "=" + text; }
};

struct Variant {
  std::string name;
  std::vector<Override> set;
};

enum class Reduce { Final, Sum, Max, Mean };
const char* reduce_name(Reduce r);

// a series of the members' results reduced to one number per member
struct MetricSpec {
  std::string path;                 // e.g. heat/cases_total
  std::vector<std::string> labels;  // breakdown columns summed (empty: all columns)
  Reduce reduce = Reduce::Final;
  double from_hours = 0, to_hours = std::numeric_limits<double>::infinity();  // the window reduced over
  SourceLoc loc;
  // the name of its groups in the ensemble file: heat.cases_total[65-74+75+].final
  std::string id() const;
};

// one run: a variant with a replicate's seed
struct Member {
  size_t index = 0, variant = 0;
  int replicate = 0;
  uint64_t seed = 0;
};

struct Plan {
  std::string path, text;  // the plan file and its text (stored verbatim)
  std::string name, base;  // base: the scenario file, resolved against the plan's folder
  uint64_t seed = 1;
  std::vector<uint64_t> seeds;  // one per replicate
  std::vector<Override> set;    // for every member
  std::vector<Variant> variants;
  size_t baseline = 0;
  std::vector<MetricSpec> metrics;
  bool keep_members = true;
  int bootstrap_resamples = 2000;
  // a snapshot every member branches from (docs/snapshots.md), "" = members run from the start:
  // they share the state up to its time; replicate seeds drive the draws after it. Read once,
  // with the snapshot's scenario, when the plan is loaded
  std::string from;
  io::SnapshotInfo snapshot;
  Scenario snapshot_scenario;

  int replicates() const { return int(seeds.size()); }
  std::vector<Member> members() const;  // variant-major: index = variant * replicates + replicate
  // the member's scenario: base + plan set + variant set + run.seed, validated; every
  // override is recorded in Scenario::overrides (and so in the member's results file)
  Scenario scenario(const Member& m) const;
  // a member of a plan `from` a snapshot: the keys its scenario changes from the snapshot's
  // (its seed apart: members are reseeded), checked as branches are (structural keys refused)
  std::vector<io::Change> branch(const Member& m) const;
  // the scenario text and overrides the member's results file records (what resuming checks)
  std::pair<std::string, std::vector<std::string>> record(const Member& m) const;
};

// reads and validates a plan, including every member's scenario: ScenarioError with the
// plan's file:line:key on any bad input, before anything runs
Plan load_plan(const std::string& path);

// the seed of replicate r when the plan lists none: splitmix64 of (plan seed, r), 31 bits
uint64_t derive_seed(uint64_t plan_seed, int replicate);
uint64_t splitmix64(uint64_t& state);

// a member's identity for resuming: FNV-1a of its scenario text and overrides (as a results
// file's /meta stores them)
std::string scenario_hash(const std::string& scenario_text, const std::vector<std::string>& overrides);

}  // namespace citysim::ensemble
