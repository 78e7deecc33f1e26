// Progress reporting for long runs: a redrawn bar on a terminal, plain lines otherwise.
#pragma once
#include <cstdio>

#include "citysim/simulation.hpp"

namespace citysim::cli {

class ProgressReporter {
 public:
  explicit ProgressReporter(bool quiet);
  void operator()(const Progress& p);
  void done();

 private:
  bool quiet_, tty_;
  double last_line_s_ = -1e9;
  bool drew_ = false;
};

}  // namespace citysim::cli
