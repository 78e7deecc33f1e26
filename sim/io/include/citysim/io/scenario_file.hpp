// Scenario files (TOML) -> citysim::Scenario, with file and line on every error.
#pragma once
#include <string>
#include <vector>

#include "citysim/scenario.hpp"

namespace citysim::io {

// read a scenario file and apply `key=value` overrides; throws ScenarioError, also for a file
// that sets nothing unless allow_empty. Relative file paths in overrides resolve against the
// current directory (keys in the file resolve against the file's folder).
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {},
                       bool allow_empty = false);
// the same from text (source_name is used in messages, base_dir for relative paths)
Scenario parse_scenario(const std::string& text, const std::string& source_name, const std::string& base_dir);
// apply one "key=value" override (a relative file path resolves against the current directory)
void apply_override(Scenario& scenario, const std::string& assignment);

}  // namespace citysim::io
