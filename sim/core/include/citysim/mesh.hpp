// JIS X 0410 regional mesh (地域メッシュ): codes, cells and latitude/longitude.
//
// Every mesh level is a regular lattice in latitude/longitude. We index cells of the
// finest level we support (the quarter mesh, 7.5" x 11.25") with two integers counted
// from 0 N / 100 E, so conversions are exact integer arithmetic:
//   quarter lat index = floor(lat * 480), quarter lon index = floor((lon - 100) * 320).
#pragma once
#include <cstdint>
#include <string>

namespace citysim {

// mesh levels we use for grid cells; the value is the nominal cell size in metres
enum class MeshLevel : int { Third = 1000, Half = 500, Quarter = 250 };

// cell_m (1000, 500, 250) -> level; throws std::invalid_argument otherwise
MeshLevel mesh_level_from_cell_m(int cell_m);
// number of quarter-mesh steps per cell side at this level (4, 2, 1)
int mesh_quarters_per_cell(MeshLevel level);
// cell size in degrees
double mesh_cell_lat_deg(MeshLevel level);
double mesh_cell_lon_deg(MeshLevel level);

// a cell of a level, counted from 0 N / 100 E in cells of that level
struct MeshIndex {
  int64_t lat = 0;  // cells north of the equator
  int64_t lon = 0;  // cells east of 100 E
  bool operator==(const MeshIndex&) const = default;
};

// the cell containing a point
MeshIndex mesh_index_of(MeshLevel level, double lat_deg, double lon_deg);
// centre of a cell
double mesh_center_lat(MeshLevel level, const MeshIndex& index);
double mesh_center_lon(MeshLevel level, const MeshIndex& index);

// 8-digit (3rd), 9-digit (half) or 10-digit (quarter) code of a cell
uint64_t mesh_code(MeshLevel level, const MeshIndex& index);
// code -> (level, cell); throws std::invalid_argument on a malformed code
MeshIndex mesh_index_from_code(uint64_t code, MeshLevel* level_out = nullptr);
// the level a code belongs to, from its number of digits
MeshLevel mesh_level_of_code(uint64_t code);

}  // namespace citysim
