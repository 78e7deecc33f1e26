// Progress reporting for long runs: a redrawn bar on a terminal, plain lines otherwise.
#pragma once
#include <cstdio>
#include <string>

#include "citysim/simulation.hpp"

namespace citysim::cli {

// the redrawn line for a terminal `columns` wide: it never reaches the last column
std::string progress_line(const Progress& p, int columns);

class ProgressReporter {
 public:
  explicit ProgressReporter(bool quiet);
  void operator()(const Progress& p);
  void done();

 private:
  bool quiet_, tty_;
  double last_line_s_ = -1e9;
  bool drew_ = false;
  size_t last_width_ = 0;
};

}  // namespace citysim::cli
