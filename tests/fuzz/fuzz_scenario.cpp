// libFuzzer target: scenario TOML text -> the loader and the keys every module reads.
// The only exception a bad scenario may raise is ScenarioError (file:line:key); anything
// else escaping, a crash or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "citysim/city.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/residents.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const citysim::Scenario sc = citysim::io::parse_scenario(text, "fuzz.toml", "/nonexistent");
    citysim::CityParams::from(sc);
    citysim::ResidentsParams::from(sc);
  } catch (const citysim::ScenarioError&) {
  }
  return 0;
}
