// libFuzzer target: a results file's bytes (start from real files; mutations land in HDF5's
// headers and our datasets) -> what `citysim info` and `citysim compare` read. An unreadable
// file may only raise std::runtime_error (the commands' "cannot read" exit 2); anything
// else escaping (bad_alloc from a mutated size, out_of_range), a crash or a sanitizer
// report is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "citysim/io/results.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citysim::io;
  static const std::string path = "/tmp/citysim-fuzz-" + std::to_string(getpid()) + ".h5";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  try {
    const ResultsSummary r = read_results(path);
    describe_results(r, path);
    describe_results_json(r, path);
    compare_results(r, r, 0, 0);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
