// `citysim calibrate`: fit scenario keys to observed targets (docs/calibration.md), and
// `citysim calibrate report` on a calibration file.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace citysim::cli {

// adds the command to `app`; the returned function runs it once parsed (exit code), and
// throws ScenarioError for bad input as the other commands do
std::function<int()> add_calibrate_command(CLI::App& app);

}  // namespace citysim::cli
