// libFuzzer target: one data file a scenario names (FUZZ_FILE_KEY, e.g. network.sites_file)
// -> its module built on a small city, as `run` builds it. Built once per key (CMakeLists).
// A bad file may only raise ScenarioError (file:line:key); anything else escaping, a crash
// or a sanitizer report is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "citysim/city.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/module.hpp"

#ifndef FUZZ_FILE_KEY
#error "define FUZZ_FILE_KEY (the scenario key of the file) and FUZZ_MODULE (its module, or city)"
#endif

namespace {

using namespace citysim;

const std::string kModule = FUZZ_MODULE;
const std::string kFileKey = FUZZ_FILE_KEY;

// three central wards at a small scale, with the fuzzed file's module on (the file's key is
// set after parsing, so the scenario text never has to quote the path)
std::string scenario_text() {
  std::string text = "[run]\nduration_hours = 1\n[city]\npopulation_scale = 0.002\n"
                     "municipalities = [\"Chiyoda\", \"Chuo\", \"Minato\"]\n";
  if (kModule != "city") text += "[" + kModule + "]\nenabled = true\n";
  if (kFileKey == "heat.weather.file") text += "[heat.weather]\nsource = \"csv\"\n";
  return text;
}

const Grid& small_city() {
  static const Grid grid = [] {
    const Scenario sc = io::parse_scenario(scenario_text(), "fuzz.toml", ".");
    return build_city(CityParams::from(sc), 1);
  }();
  return grid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Grid& grid = small_city();
  static const std::string path = "/tmp/citysim-fuzz-" + std::to_string(getpid()) + ".csv";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  Scenario sc = io::parse_scenario(scenario_text(), "fuzz.toml", ".");
  try {
    sc.set(kFileKey, Value(path), SourceLoc{"fuzz.toml", 1});
    if (kModule == "city") {
      load_municipalities(CityParams::from(sc));
      return 0;
    }
    for (const auto& d : module_descriptors())
      if (d.name == kModule) d.create(sc, grid);
  } catch (const ScenarioError&) {
  }
  return 0;
}
