#include "snapshot_cmd.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace citysim::cli {

int64_t parse_duration_minutes(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  const double per = unit.empty() || unit == "min" || unit == "m" ? 1 : unit == "h" ? 60 : unit == "d" ? 1440 : -1;
  if (used == 0 || per < 0 || !(value > 0))
    throw std::invalid_argument("expected a duration such as 30min, 6h or 1d, got \"" + text + "\"");
  return int64_t(std::llround(value * per));
}

void CheckpointOptions::add_to(CLI::App* cmd) {
  cmd->add_option("--checkpoint-every", every,
                  "write a snapshot every DURATION of simulated time (30min, 6h, 1d): a killed run resumes from the "
                  "last one with `citysim resume`");
  cmd->add_option("--checkpoint-dir", dir, "where snapshots go (default: <output without .h5>.checkpoints/)");
  cmd->add_option("--snapshot-at", at, "write a snapshot at this time (YYYY-MM-DDTHH:MM), repeatable");
}

Checkpoints::Checkpoints(const CheckpointOptions& o, const Simulation& sim, const std::string& out_path) {
  const RunParams& run = sim.run_params();
  const int64_t total = sim.total_ticks(), now = sim.clock().tick;
  if (!o.every.empty()) {
    int64_t minutes = 0;
    try {
      minutes = parse_duration_minutes(o.every);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--checkpoint-every: ") + e.what());
    }
    if (minutes % run.tick_minutes != 0)
      throw std::invalid_argument("--checkpoint-every: " + o.every + " is not a whole number of ticks (run.tick_minutes = " +
                                  std::to_string(run.tick_minutes) + ")");
    const int64_t step = minutes / run.tick_minutes;
    for (int64_t t = step; t < total; t += step)
      if (t > now) ticks_.push_back(t);
  }
  for (const std::string& text : o.at) {
    const auto t = parse_datetime(text);
    if (!t) throw std::invalid_argument("--snapshot-at: expected a time YYYY-MM-DDTHH:MM, got \"" + text + "\"");
    const int64_t seconds = *t - run.start, tick_s = int64_t(run.tick_minutes) * 60;
    if (seconds <= 0 || seconds >= total * tick_s || seconds % tick_s != 0)
      throw std::invalid_argument("--snapshot-at " + text + ": expected a tick boundary after the start and before the end (" +
                                  format_datetime(run.start) + " + a multiple of " + std::to_string(run.tick_minutes) +
                                  " min, before " + format_datetime(run.start + total * tick_s) + ")");
    if (seconds / tick_s > now) ticks_.push_back(seconds / tick_s);
  }
  std::sort(ticks_.begin(), ticks_.end());
  ticks_.erase(std::unique(ticks_.begin(), ticks_.end()), ticks_.end());
  std::filesystem::path out(out_path);
  stem_ = out.stem().string();
  dir_ = !o.dir.empty() ? o.dir : (out.parent_path() / (stem_ + ".checkpoints")).string();
}

std::optional<int64_t> Checkpoints::next_after(int64_t tick) const {
  const auto it = std::upper_bound(ticks_.begin(), ticks_.end(), tick);
  if (it == ticks_.end()) return std::nullopt;
  return *it;
}

std::string Checkpoints::write(Simulation& sim, const io::ResultsWriter& writer) const {
  // 2026-08-03T14:45:00+09:00 -> 20260803T1445
  std::string stamp;
  for (char c : format_datetime(sim.clock().now()).substr(0, 16))
    if (c != '-' && c != ':') stamp += c;
  const std::string path = (std::filesystem::path(dir_) / (stem_ + "-" + stamp + ".snap.h5")).string();
  io::write_snapshot(sim, path, &writer);
  return path;
}

bool run_with_checkpoints(Simulation& sim, const io::ResultsWriter& writer, const Checkpoints& checkpoints,
                          const std::atomic<bool>* stop, ProgressReporter& progress, bool quiet) {
  for (;;) {
    const std::optional<int64_t> next = checkpoints.next_after(sim.clock().tick);
    if (!sim.run(next, stop, std::ref(progress))) return false;
    if (!next || sim.finished()) return true;
    const auto t0 = std::chrono::steady_clock::now();
    const std::string path = checkpoints.write(sim, writer);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet)
      std::fprintf(stderr, "\rsnapshot: %s (%.1f MB, written in %.2f s)\n", path.c_str(),
                   double(std::filesystem::file_size(path)) / 1e6, seconds);
  }
}

}  // namespace citysim::cli
