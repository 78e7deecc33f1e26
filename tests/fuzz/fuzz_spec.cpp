// libFuzzer target: an ensemble plan or a calibration spec (FUZZ_SPEC = plan | calibration)
// -> its loader, which also reads and checks the base scenario it names. The input is
// written beside a small scenario, tiny.toml, that the seed corpus names as its base. A bad
// spec may only raise ScenarioError (file:line:key); anything else is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "citysim/calibrate/spec.hpp"
#include "citysim/ensemble/plan.hpp"
#include "citysim/scenario.hpp"

namespace {

const std::string kSpec = FUZZ_SPEC;

// a folder of this process's with the base scenario the corpus names
std::string folder() {
  static const std::string dir = [] {
    const std::string d = "/tmp/citysim-fuzz-" + kSpec + "-" + std::to_string(getpid());
    std::filesystem::create_directories(d);
    std::ofstream(d + "/tiny.toml") << "[run]\nstart = \"2026-04-01T00:00\"\nduration_hours = 720\ntick_minutes = 1440\n"
                                       "output_every_minutes = 10080\n[city]\ncell_m = 1000\n"
                                       "municipalities = [\"Chiyoda\", \"Chuo\"]\n[residents]\nenabled = false\n"
                                       "[housing]\nenabled = true\nunits_total = 300\nestates_total = 4\n"
                                       "applicants_per_round = 20\n";
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = folder() + "/fuzz." + (kSpec == "plan" ? "ens" : "cal") + ".toml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  try {
    if (kSpec == "plan") citysim::ensemble::load_plan(path);
    else citysim::calibrate::load_spec(path);
  } catch (const citysim::ScenarioError&) {
  }
  return 0;
}
