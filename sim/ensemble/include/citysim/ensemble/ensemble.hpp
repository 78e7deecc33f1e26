// Running an ensemble's members, reusing complete ones, and the ensemble file (HDF5,
// results/README.md): the plan, a members table, links to the member files, summaries per
// variant and metric, contrasts against the baseline.
#pragma once
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "citysim/grid.hpp"

#include "citysim/ensemble/plan.hpp"

namespace citysim::ensemble {

// complete: its file is complete and belongs to this plan (scenario hash and seed);
// failed: it threw (twice: a failure is retried once); interrupted: stopped by Ctrl-C;
// missing: not run (another slice's, or not yet)
struct MemberRecord {
  Member member;
  std::string status = "missing", error, hash;
  double wall_seconds = 0;  // of the run that wrote its file (0 when reused from an earlier run)
  bool reused = false;      // complete before this run started
};

// where member files go: results/x.ens.h5 -> results/x.ens.members/<variant>/r000.h5
std::string members_dir(const std::string& ensemble_path);
std::string member_path(const Plan& plan, const Member& m);  // relative to members_dir

struct EnsembleProgress {
  size_t selected = 0, done = 0, running = 0, failed = 0, reused = 0;
  double wall_seconds = 0, eta_seconds = 0;
};

// cities built once in a process and shared read-only by every member with the same city:
// the same city.* values, the same data files (their contents) and the same run.seed (the
// city's layers draw from it). Members of one replicate in different variants share one.
class CityCache {
 public:
  explicit CityCache(size_t keep = 4) : keep_(keep) {}
  // the city of this scenario, built now (in an arena of `threads`) or shared
  std::shared_ptr<const Grid> get(const Scenario& scenario, int threads);
  // FNV-1a of the scenario's city.* values, the contents of its city data files and run.seed
  static std::string key(const Scenario& scenario);
  size_t builds() const;  // cities built
  size_t shared() const;  // members given a city built before

 private:
  mutable std::mutex mutex_;
  size_t keep_, builds_ = 0, shared_ = 0, tick_ = 0;
  struct Entry {
    std::shared_future<std::shared_ptr<const Grid>> city;
    size_t last_use = 0;
  };
  std::map<std::string, Entry> cities_;
};

// one run of a member into its file: "complete", or "interrupted" when stopped; throws when
// the member fails. `cache` (optional) shares its city with the process's other members.
struct MemberRun {
  std::string status;
  double wall_seconds = 0;
};
MemberRun run_member(const Plan& plan, const Member& m, const std::string& ensemble_path, int threads,
                     const std::atomic<bool>* stop, CityCache* cache);

// the selected members still to run (not complete), longest expected first, members of one
// replicate (one city) next to each other
std::vector<size_t> members_to_run(const Plan& plan, const std::vector<MemberRecord>& records,
                                   const std::vector<size_t>& selection);

struct RunOptions {
  int jobs = 1, threads_per_member = 1;
  bool share_city = true;  // members of one city build it once (CityCache)
  std::vector<size_t> selection;  // member indices to run (empty: all)
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const EnsembleProgress&)> on_progress;  // about twice a second
};

// runs the selected members J at a time (longest expected first), skipping those already
// complete; returns a record for every member of the plan
std::vector<MemberRecord> run_members(const Plan& plan, const std::string& ensemble_path, const RunOptions& options);
// the records from the member files alone (collect)
std::vector<MemberRecord> inspect_members(const Plan& plan, const std::string& ensemble_path);

// writes the ensemble file as <path>.partial, renamed to <path> when `complete`
void write_ensemble(const Plan& plan, const std::vector<MemberRecord>& records, const std::string& path, bool complete);

// `citysim ensemble report`: the table a planner reads, and the same as JSON
std::string report_text(const std::string& path);
std::string report_json(const std::string& path);

// "0-99:4" (first-last:step), "7" or "0-9": member indices below `total`; throws
// std::invalid_argument on a malformed slice
std::vector<size_t> parse_slice(const std::string& spec, size_t total);
// a Slurm array task's share: members i with i % count == id
std::vector<size_t> array_task_slice(size_t id, size_t count, size_t total);

}  // namespace citysim::ensemble
