#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <tbb/task_arena.h>

#include "citysim/city.hpp"
#include "citysim/ensemble/ensemble.hpp"
#include "citysim/ensemble/mpi.hpp"
#include "citysim/io/results.hpp"
#include "citysim/simulation.hpp"

namespace citysim::ensemble {

namespace fs = std::filesystem;

std::string members_dir(const std::string& ensemble_path) {
  fs::path p(ensemble_path);
  if (p.extension() == ".h5") p.replace_extension();
  return p.string() + ".members";
}

std::string member_path(const Plan& plan, const Member& m) {
  std::string dir = plan.variants[m.variant].name;
  for (char& c : dir)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '=' && c != ',') c = '_';
  char file[32];
  std::snprintf(file, sizeof file, "r%03d.h5", m.replicate);
  return dir + "/" + file;
}

namespace {

// the record of a member from its file: complete when the file is complete and was written
// for this member's scenario and seed
MemberRecord inspect(const Plan& plan, const Member& m, const std::string& dir) {
  MemberRecord rec;
  rec.member = m;
  const auto [text, overrides] = plan.record(m);
  rec.hash = scenario_hash(text, overrides);
  const std::string path = dir + "/" + member_path(plan, m);
  if (fs::exists(path)) {
    try {
      const io::ResultsSummary r = io::read_results(path);
      const bool same = scenario_hash(r.scenario_toml, r.overrides) == rec.hash && r.meta.count("seed") &&
                        r.meta.at("seed") == std::to_string(m.seed);
      if (r.complete && same) {
        rec.status = "complete", rec.reused = true;
        rec.wall_seconds = r.meta.count("wall_seconds") ? std::stod(r.meta.at("wall_seconds")) : 0;
      } else if (!same) {
        rec.error = "its file belongs to another plan or seed";
      }
    } catch (const std::exception& e) {
      rec.error = e.what();
    }
  } else if (fs::exists(path + ".partial")) {
    rec.status = "interrupted";
  }
  return rec;
}

double expected_cost(const Plan& plan, const Member& m) {
  const Scenario sc = plan.scenario(m);
  return double(RunParams::from(sc).total_ticks()) * sc.get_double("city.population_scale");
}

}  // namespace

std::string CityCache::key(const Scenario& sc) {
  std::vector<std::string> parts;
  for (const KeySpec& spec : sc.schema().keys())
    if (spec.key.rfind("city.", 0) == 0) parts.push_back(spec.key + "=" + value_to_string(sc.get(spec.key)));
  parts.push_back("run.seed=" + value_to_string(sc.get("run.seed")));
  const CityParams city = CityParams::from(sc);
  for (const std::string* file : {&city.municipalities_file, &city.census_file, &city.boundaries_file, &city.layer_population,
                                  &city.layer_day_places, &city.layer_land_use, &city.layer_building_year, &city.layer_water}) {
    if (file->empty()) continue;
    std::ifstream in(*file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    parts.push_back(*file + (in ? ":" + text.str() : std::string(" (unreadable)")));
  }
  return scenario_hash("", parts);
}

std::shared_ptr<const Grid> CityCache::get(const Scenario& sc, int threads) {
  const std::string k = key(sc);
  std::promise<std::shared_ptr<const Grid>> promise;
  {
    std::unique_lock lock(mutex_);
    if (auto it = cities_.find(k); it != cities_.end()) {
      ++shared_;
      it->second.last_use = ++tick_;
      const auto city = it->second.city;
      lock.unlock();
      return city.get();  // waits while another member builds it
    }
    ++builds_;
    cities_[k] = {promise.get_future().share(), ++tick_};
    // the least recently used cities go (members holding one keep it alive)
    while (cities_.size() > keep_) {
      auto oldest = cities_.begin();
      for (auto it = cities_.begin(); it != cities_.end(); ++it)
        if (it->second.last_use < oldest->second.last_use) oldest = it;
      cities_.erase(oldest);
    }
  }
  try {
    std::shared_ptr<const Grid> grid;
    tbb::task_arena arena(std::max(1, threads));
    arena.execute([&] { grid = std::make_shared<const Grid>(build_city(CityParams::from(sc), RunParams::from(sc).seed)); });
    promise.set_value(grid);
    return grid;
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(mutex_);
    cities_.erase(k);  // a failure is not kept: the retry builds it again
    throw;
  }
}

size_t CityCache::builds() const {
  std::lock_guard lock(mutex_);
  return builds_;
}
size_t CityCache::shared() const {
  std::lock_guard lock(mutex_);
  return shared_;
}

MemberRun run_member(const Plan& plan, const Member& m, const std::string& ensemble_path, int threads,
                     const std::atomic<bool>* stop, CityCache* cache) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string path = members_dir(ensemble_path) + "/" + member_path(plan, m);
  fs::create_directories(fs::path(path).parent_path());
  std::unique_ptr<Simulation> sim;
  std::unique_ptr<io::ResultsWriter> writer;
  if (plan.from.empty()) {
    const Scenario sc = plan.scenario(m);
    sim = std::make_unique<Simulation>(sc, cache ? cache->get(sc, threads) : nullptr, threads);
    writer = std::make_unique<io::ResultsWriter>(path);
  } else {
    // the snapshot's state, the member's changes at its time, the replicate's seed after it
    const io::SnapshotInfo& info = plan.snapshot;
    sim = io::load_snapshot(info, threads, plan.branch(m));
    sim->reseed(m.seed);
    writer = std::make_unique<io::ResultsWriter>(path, info.fields_every);
    writer->continue_from(plan.from, "branch", info.time, info.content_hash);
  }
  sim->add_sink(writer.get());
  MemberRun out;
  if (sim->run(std::nullopt, stop)) {
    out.status = "complete";
  } else {
    sim->finish(false);
    out.status = "interrupted";
  }
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::vector<size_t> members_to_run(const Plan& plan, const std::vector<MemberRecord>& records,
                                   const std::vector<size_t>& selection) {
  std::vector<size_t> todo = selection;
  if (todo.empty())
    for (size_t i = 0; i < records.size(); ++i) todo.push_back(i);
  std::erase_if(todo, [&](size_t i) { return records[i].status == "complete"; });
  // longest expected first, so a long member does not start last and leave cores idle; then
  // replicate-major, so members sharing a city run close together
  std::vector<double> cost(records.size(), 0);
  for (size_t i : todo) cost[i] = expected_cost(plan, records[i].member);
  std::sort(todo.begin(), todo.end(), [&](size_t a, size_t b) {
    const Member &x = records[a].member, &y = records[b].member;
    if (cost[a] != cost[b]) return cost[a] > cost[b];
    return std::pair(x.replicate, x.variant) < std::pair(y.replicate, y.variant);
  });
  return todo;
}

std::vector<MemberRecord> inspect_members(const Plan& plan, const std::string& ensemble_path) {
  std::vector<MemberRecord> out;
  const std::string dir = members_dir(ensemble_path);
  for (const Member& m : plan.members()) out.push_back(inspect(plan, m, dir));
  return out;
}

std::vector<MemberRecord> run_members(const Plan& plan, const std::string& ensemble_path, const RunOptions& o) {
  std::vector<MemberRecord> records = inspect_members(plan, ensemble_path);
  EnsembleProgress progress;
  progress.selected = o.selection.empty() ? records.size() : o.selection.size();
  const std::vector<size_t> todo = members_to_run(plan, records, o.selection);
  progress.reused = progress.done = progress.selected - todo.size();
  CityCache cache(size_t(std::max(4, 2 * o.jobs)));

  std::mutex mutex;
  size_t next = 0;
  double run_seconds = 0;  // summed over members run now, for the ETA
  const auto start = std::chrono::steady_clock::now();
  const auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(mutex);
        if (next >= todo.size() || (o.stop && *o.stop)) return;
        i = todo[next++];
        ++progress.running;
      }
      MemberRecord& rec = records[i];
      std::string status, error;
      const auto t0 = std::chrono::steady_clock::now();
      for (int attempt = 0; attempt < 2 && status.empty(); ++attempt) {  // a failure is retried once
        try {
          status = run_member(plan, rec.member, ensemble_path, o.threads_per_member, o.stop, o.share_city ? &cache : nullptr).status;
        } catch (const std::exception& e) {
          error = e.what();
        }
      }
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::lock_guard lock(mutex);
      rec.status = status.empty() ? "failed" : status;
      rec.error = status.empty() ? error : "";
      rec.wall_seconds = wall;
      --progress.running;
      if (rec.status == "complete") ++progress.done, run_seconds += wall;
      if (rec.status == "failed") ++progress.failed;
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, o.jobs); ++j) threads.emplace_back(worker);
  // the calling thread reports progress until the workers are done
  for (;;) {
    bool finished;
    {
      std::lock_guard lock(mutex);
      progress.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const size_t run_now = progress.done - progress.reused;
      const size_t left = progress.selected - progress.done - progress.failed;
      progress.eta_seconds = run_now ? run_seconds / double(run_now) * double(left) / std::max(1, o.jobs) : 0;
      finished = (next >= todo.size() || (o.stop && *o.stop)) && progress.running == 0;
      if (o.on_progress) o.on_progress(progress);
    }
    if (finished) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (auto& t : threads) t.join();
  return records;
}

std::vector<size_t> parse_slice(const std::string& spec, size_t total) {
  size_t first = 0, last = 0, step = 1;
  char dash = 0, colon = 0;
  const auto bad = [&] { return std::invalid_argument("--members " + spec + ": expected FIRST[-LAST][:STEP], e.g. 0-99:4"); };
  int read = 0;
  const int n = std::sscanf(spec.c_str(), "%zu%c%zu%c%zu%n", &first, &dash, &last, &colon, &step, &read);
  if (n == 1) last = first;
  else if (!(n == 3 && dash == '-') && !(n == 5 && dash == '-' && colon == ':')) throw bad();
  if (spec.find_first_not_of("0123456789-:") != std::string::npos || last < first || step == 0) throw bad();
  if (last >= total)
    throw std::invalid_argument("--members " + spec + ": the plan has " + std::to_string(total) + " members (0-" +
                                std::to_string(total - 1) + ")");
  std::vector<size_t> out;
  for (size_t i = first; i <= last; i += step) out.push_back(i);
  return out;
}

int launcher_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) return std::max(1, std::atoi(value));
  return 1;
}

std::vector<size_t> array_task_slice(size_t id, size_t count, size_t total) {
  if (count == 0 || id >= count) throw std::invalid_argument("SLURM_ARRAY_TASK_ID must be below SLURM_ARRAY_TASK_COUNT");
  std::vector<size_t> out;
  for (size_t i = id; i < total; i += count) out.push_back(i);
  return out;
}

}  // namespace citysim::ensemble
