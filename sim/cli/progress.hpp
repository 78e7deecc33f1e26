// Progress reporting for long runs: a redrawn bar on a terminal, plain lines otherwise.
#pragma once
#include <cstdio>
#include <string>

#include "citysim/simulation.hpp"

namespace citysim::cli {

// the redrawn line for a terminal `columns` wide: it never reaches the last column
std::string progress_line(const Progress& p, int columns);

// the terminal's width: $COLUMNS when set (scripts, tests), else the window's, else 80
int terminal_columns();

// one status line on stderr: redrawn in place on a terminal (padded over what the previous
// one left), otherwise a plain line at most every 5 s of wall time, and always when `last`
class StatusLine {
 public:
  explicit StatusLine(bool quiet);
  bool tty() const { return tty_; }
  // whether show() would print a plain line now (lets a caller skip building its text)
  bool due(double wall_seconds, bool last) const;
  void show(const std::string& tty_text, const std::string& plain_text, double wall_seconds, bool last);
  void done();  // ends a redrawn line

 private:
  bool quiet_, tty_;
  double last_line_s_ = -1e9;
  bool drew_ = false;
  size_t last_width_ = 0;
};

// a run's progress (`citysim run`): a bar on a terminal, plain lines otherwise
class ProgressReporter {
 public:
  explicit ProgressReporter(bool quiet);
  void operator()(const Progress& p);
  void done();

 private:
  StatusLine line_;
};

}  // namespace citysim::cli
