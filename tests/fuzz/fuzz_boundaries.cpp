// libFuzzer target: a boundaries GeoJSON -> features, then their cover of a small grid.
// Bad files must raise ScenarioError (file, feature, key); nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "citysim/boundaries.hpp"
#include "citysim/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto features = citysim::parse_boundaries(text, "fuzz.geojson", "city.boundaries_file", {13101, 13102, 27127, 27128});
    // a 1 km block over central Tokyo: the sampling must stay in bounds whatever the rings
    citysim::Grid g;
    g.level = citysim::MeshLevel::Third;
    g.blocks.push_back({"test", citysim::mesh_index_of(g.level, 35.75, 139.65), 12, 12, 0, 0});
    g.rows = g.cols = 12;
    g.allocate_from_blocks();
    citysim::cover_cells(g, features, 4);
  } catch (const citysim::ScenarioError&) {
  }
  return 0;
}
