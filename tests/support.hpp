// Helpers shared by the tests: small inline scenarios that run in well under a second.
#pragma once
#include <string>

#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

namespace citysim::test {

// three central wards at 2% of their population, `hours` long, plus extra TOML
inline Scenario small_city(double hours = 6, const std::string& extra = "", const std::string& start = "2026-08-03T06:00") {
  const std::string text = "[run]\nname = \"small\"\nseed = 7\nstart = \"" + start + "\"\nduration_hours = " +
                           std::to_string(hours) +
                           "\ntick_minutes = 1\noutput_every_minutes = 60\n"
                           "[city]\npopulation_scale = 0.02\nmunicipalities = [\"Chiyoda\", \"Chuo\", \"Bunkyo\", \"Taito\"]\n" +
                           extra;
  return io::parse_scenario(text, "small.toml", CITYSIM_SOURCE_DIR "/tests");
}

}  // namespace citysim::test
