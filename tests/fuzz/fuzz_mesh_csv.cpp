// libFuzzer target: a layer CSV (`mesh_code,value` or e-Stat's format) -> mesh values.
// Bad rows must raise ScenarioError naming the line; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "citysim/city.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    citysim::mesh_values(citysim::parse_csv(in, "fuzz.csv", "city.layers.population"), "city.layers.population");
  } catch (const citysim::ScenarioError&) {
  }
  return 0;
}
