#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace citysim::cli {

StatusLine::StatusLine(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

bool StatusLine::due(double wall_seconds, bool last) const {
  return !quiet_ && (tty_ || wall_seconds - last_line_s_ >= 5 || last);
}

void StatusLine::show(const std::string& tty_text, const std::string& plain_text, double wall_seconds, bool last) {
  if (!due(wall_seconds, last)) return;
  if (tty_) {
    // pad over what the previous line left
    std::fprintf(stderr, "\r%s%*s", tty_text.c_str(), std::max(0, int(last_width_) - int(tty_text.size())), "");
    last_width_ = tty_text.size();
    drew_ = true;
  } else {
    last_line_s_ = wall_seconds;
    std::fprintf(stderr, "%s\n", plain_text.c_str());
  }
  std::fflush(stderr);
}

void StatusLine::done() {
  if (drew_) std::fprintf(stderr, "\n");
  drew_ = false;
}

ProgressReporter::ProgressReporter(bool quiet) : line_(quiet) {}

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
  const bool last = p.tick == p.total_ticks;
  if (!line_.due(p.wall_seconds, last)) return;
  if (line_.tty()) {
    line_.show(progress_line(p, terminal_columns()), "", p.wall_seconds, last);
    return;
  }
  const auto [frac, ticks_per_s, steps_per_s, eta_s] = rates(p);
  char text[256];
  std::snprintf(text, sizeof text, "progress %3.0f%% sim %s tick %lld/%lld %.0f ticks/s %.3g resident-steps/s eta %.0fs",
                100 * frac, format_datetime(p.now).substr(0, 16).c_str(), (long long)p.tick, (long long)p.total_ticks,
                ticks_per_s, steps_per_s, eta_s);
  line_.show("", text, p.wall_seconds, last);
}

void ProgressReporter::done() { line_.done(); }

}  // namespace citysim::cli
