// `citysim ensemble`: run a plan's members, collect them, report an ensemble file.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace citysim::cli {

// adds the command to `app`; the returned function runs it once parsed (exit code), and
// throws ScenarioError for bad input as the other commands do
std::function<int()> add_ensemble_command(CLI::App& app);

}  // namespace citysim::cli
