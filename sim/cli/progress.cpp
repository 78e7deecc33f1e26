#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace citysim::cli {

ProgressReporter::ProgressReporter(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

// the terminal's width: $COLUMNS when set (scripts, tests), else the window's, else 80
int terminal_columns() {
  if (const char* env = std::getenv("COLUMNS"); env && std::atoi(env) > 0) return std::atoi(env);
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

namespace {
// what both forms of the line show
struct Rates {
  double frac, ticks_per_s, steps_per_s, eta_s;
};
Rates rates(const Progress& p) {
  Rates r;
  r.frac = p.total_ticks > 0 ? double(p.tick) / double(p.total_ticks) : 1.0;
  r.ticks_per_s = p.wall_seconds > 0 ? double(p.ticks_run) / p.wall_seconds : 0;
  r.steps_per_s = p.wall_seconds > 0 ? p.resident_steps / p.wall_seconds : 0;
  r.eta_s = r.ticks_per_s > 0 ? double(p.total_ticks - p.tick) / r.ticks_per_s : 0;
  return r;
}
}  // namespace

std::string progress_line(const Progress& p, int columns) {
  const auto [frac, ticks_per_s, steps_per_s, eta_s] = rates(p);
  const std::string when = format_datetime(p.now).substr(0, 16);
  char text[160];
  // the parts a narrow terminal drops first come last
  std::snprintf(text, sizeof text, " %3.0f%%  %s  ETA %.0fs  %.0f ticks/s", 100 * frac, when.c_str(), eta_s, ticks_per_s);
  std::string tail = text;
  std::snprintf(text, sizeof text, "  %.3g resident-steps/s", steps_per_s);
  const int room = columns - 1;  // the last column stays empty: a full line wraps on some terminals
  if (int(tail.size() + std::strlen(text)) + 12 <= room) tail += text;
  const int bar = std::clamp(room - int(tail.size()) - 2, 0, 28);
  if (bar < 8) return tail.substr(0, size_t(std::max(0, room)));
  const int filled = int(std::lround(frac * bar));
  return "[" + std::string(size_t(filled), '#') + std::string(size_t(bar - filled), '.') + "]" + tail;
}

void ProgressReporter::operator()(const Progress& p) {
  if (quiet_) return;
  if (tty_) {
    const std::string line = progress_line(p, terminal_columns());
    // pad over what the previous line left
    std::fprintf(stderr, "\r%s%*s", line.c_str(), std::max(0, int(last_width_) - int(line.size())), "");
    last_width_ = line.size();
    drew_ = true;
  } else if (p.wall_seconds - last_line_s_ >= 5 || p.tick == p.total_ticks) {
    const auto [frac, ticks_per_s, steps_per_s, eta_s] = rates(p);
    last_line_s_ = p.wall_seconds;
    std::fprintf(stderr, "progress %3.0f%% sim %s tick %lld/%lld %.0f ticks/s %.3g resident-steps/s eta %.0fs\n",
                 100 * frac, format_datetime(p.now).substr(0, 16).c_str(), (long long)p.tick, (long long)p.total_ticks,
                 ticks_per_s, steps_per_s, eta_s);
  }
  std::fflush(stderr);
}

void ProgressReporter::done() {
  if (drew_) std::fprintf(stderr, "\n");
  drew_ = false;
}

}  // namespace citysim::cli
