#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <string>

namespace citysim::cli {

ProgressReporter::ProgressReporter(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

void ProgressReporter::operator()(const Progress& p) {
  if (quiet_) return;
  const double frac = p.total_ticks > 0 ? double(p.tick) / double(p.total_ticks) : 1.0;
  const double ticks_per_s = p.wall_seconds > 0 ? double(p.ticks_run) / p.wall_seconds : 0;
  const double steps_per_s = p.wall_seconds > 0 ? p.resident_steps / p.wall_seconds : 0;
  const double eta_s = ticks_per_s > 0 ? double(p.total_ticks - p.tick) / ticks_per_s : 0;
  const std::string when = format_datetime(p.now).substr(0, 16);
  if (tty_) {
    constexpr int kWidth = 28;
    const int filled = int(std::lround(frac * kWidth));
    std::fprintf(stderr, "\r[%s%s] %3.0f%%  %s  %7.0f ticks/s  %8.3g resident-steps/s  ETA %4.0fs ",
                 std::string(size_t(filled), '#').c_str(), std::string(size_t(kWidth - filled), '.').c_str(),
                 100 * frac, when.c_str(), ticks_per_s, steps_per_s, eta_s);
    drew_ = true;
  } else if (p.wall_seconds - last_line_s_ >= 5 || p.tick == p.total_ticks) {
    last_line_s_ = p.wall_seconds;
    std::fprintf(stderr, "progress %3.0f%% sim %s tick %lld/%lld %.0f ticks/s %.3g resident-steps/s eta %.0fs\n",
                 100 * frac, when.c_str(), (long long)p.tick, (long long)p.total_ticks, ticks_per_s, steps_per_s, eta_s);
  }
  std::fflush(stderr);
}

void ProgressReporter::done() {
  if (drew_) std::fprintf(stderr, "\n");
  drew_ = false;
}

}  // namespace citysim::cli
