// Municipal boundaries from GeoJSON, and the share of each mesh cell they cover.
//
// The default is MLIT's N03 administrative areas for Tokyo (scenarios/data/SOURCES.md);
// any FeatureCollection of the same shape builds another city: one feature per
// municipality (Polygon or MultiPolygon, WGS84 lon/lat), its 5-digit code in the
// property `N03_007` or `code`, its name in `N03_004` or `name`. A feature without a code
// is accepted only as 所属未定地 (reclaimed land whose municipality is undecided).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "citysim/grid.hpp"

namespace citysim {

// the credit line MLIT requires wherever the bundled boundaries are shown
constexpr const char* kBoundariesCredit =
    "国土数値情報（行政区域データ）（国土交通省）を加工して作成 / Source: MLIT National Land Numerical Information "
    "(administrative areas), processed";

using LonLat = std::array<double, 2>;  // degrees east, degrees north
using Ring = std::vector<LonLat>;      // closed: the last point equals the first

struct BoundaryFeature {
  int code = 0;          // local government code; 0 = undecided land (所属未定地)
  std::string name;      // as in the file
  size_t index = 0;      // position in the file's features, for errors
  std::vector<Ring> rings;  // outer rings and holes alike: a point is inside by the even-odd rule
  double west = 180, south = 90, east = -180, north = -90;  // bounding box, degrees
};

// the features of a GeoJSON file; throws ScenarioError naming the file (line for a
// syntax error, feature index otherwise) and `key` on: not GeoJSON, a feature without a
// code (other than 所属未定地), a code not in `known_codes`, an empty or
// self-intersecting ring, coordinates outside the JIS mesh range of Japan
std::vector<BoundaryFeature> read_boundaries(const std::string& path, const std::string& key,
                                             const std::vector<int>& known_codes);
// the same from the file's text (`path` names it in errors)
std::vector<BoundaryFeature> parse_boundaries(const std::string& text, const std::string& path,
                                              const std::string& key, const std::vector<int>& known_codes);

// the area of a feature, km² (spherical excess is negligible at city scale)
double feature_area_km2(const BoundaryFeature& feature);

// how the features cover the grid's cells, from samples_per_side² points per cell
struct CellCover {
  std::vector<float> land_share;   // share of the cell inside any feature (cells)
  std::vector<int32_t> feature;    // the feature covering most of the cell; -1 = none (cells)
  std::vector<float> feature_share;  // share of the cell that feature covers (cells)
  std::vector<int32_t> second;       // the feature covering the next most; -1 = none (cells)
  std::vector<float> second_share;   // its share (cells)
};
CellCover cover_cells(const Grid& grid, const std::vector<BoundaryFeature>& features, int samples_per_side);

}  // namespace citysim
