// The city grid: JIS X 0410 mesh cells in one row-major array (row 0 = north).
//
// A grid is made of rectangular blocks of mesh cells. Tokyo has one block for the
// mainland and one small block per group of islands, packed as insets below the
// mainland: every cell keeps its true mesh code and latitude/longitude, only its
// position in the array is shifted. Distances always use latitude/longitude.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "citysim/mesh.hpp"

namespace citysim {

// Tokyo's extent, islands included: Okinotorishima (20.4N, 136.1E), Minamitorishima
// (24.3N, 154.0E), Okutama (35.9N). Sites and shelters outside it are typing mistakes.
constexpr const char* tokyo_extent_text = "lat 20..36, lon 136..154.5";
inline bool in_tokyo_extent(double lat_deg, double lon_deg) {
  return lat_deg >= 20 && lat_deg <= 36 && lon_deg >= 136 && lon_deg <= 154.5;
}

enum class LandUse : uint8_t { None = 0, Residential, Commercial, Industrial, Park, Water, Forest, Agricultural };
const char* land_use_name(LandUse use);

// one rectangle of mesh cells, placed at (row0, col0) in the array
struct GridBlock {
  std::string name;
  MeshIndex north_west;  // mesh index of the block's top-left cell
  int rows = 0, cols = 0;
  int row0 = 0, col0 = 0;
};

struct Municipality {
  int code = 0;  // local government code without check digit, e.g. 13101
  std::string name_ja, name_en, kind, area;  // kind: ward/city/town/village; area: ku/tama/islands
  double lat = 0, lon = 0;                   // municipal office
  double population = 0;                     // residents (TMG estimate 2023)
  double area_km2 = 0;
  double share_65plus = 0;
  // 2020 census, used for the age and household mix
  double census_pop = 0, census_0_14 = 0, census_15_64 = 0, census_65plus = 0, census_75plus = 0;
  double census_households = 0, census_one_person = 0, census_one_person_65plus = 0;

  // how scenarios name a municipality everywhere (city.municipalities, event areas): its
  // code ("13101"), its English name in any case ("chiyoda") or its Japanese name (千代田区)
  bool named(const std::string& name) const;
};

// one ring of a municipality's boundary (lon/lat degrees), for drawing
struct Outline {
  int32_t code = 0;  // local government code
  std::vector<double> lon, lat;
};

struct Grid {
  MeshLevel level = MeshLevel::Third;
  int rows = 0, cols = 0;
  std::vector<GridBlock> blocks;
  std::vector<Municipality> municipalities;

  // per-cell layers, rows x cols
  std::vector<uint64_t> mesh_code;     // 0 outside every block
  std::vector<double> lat, lon;        // cell centre, degrees (NaN outside every block)
  std::vector<int32_t> municipality;   // local government code; 0 = sea or outside the city
  std::vector<int16_t> municipality_index;  // index into municipalities, -1 = none
  std::vector<float> land_share;       // share of the cell that is land (inside any municipal boundary), 0..1
  std::vector<uint8_t> land_use;       // LandUse
  std::vector<float> population;       // residents living in the cell, people
  std::vector<float> day_places;       // jobs and school places in the cell, people
  std::vector<float> building_year;    // mean construction year of buildings
  std::vector<uint8_t> water;          // 1 = sea, bay, river or lake
  std::vector<float> coast_km;         // distance to the nearest water cell, km
  std::vector<Outline> outlines;       // the municipalities' boundary rings
  double day_place_share = 1;          // share of the day places of all the table's municipalities in this grid
  std::string credit;                  // the credit line the boundary data requires ("" = none)

  size_t size() const { return size_t(rows) * size_t(cols); }
  int row_of(size_t cell) const { return int(cell / size_t(cols)); }
  int col_of(size_t cell) const { return int(cell % size_t(cols)); }
  bool is_land(size_t cell) const { return municipality[cell] != 0; }
  double cell_area_km2() const;             // at Tokyo's latitude (35.7 N), for densities
  double cell_area_km2(size_t cell) const;  // at the cell's own latitude (the islands' cells are larger)

  // cell index of a mesh code of this grid's level, -1 when not in the grid
  int64_t cell_of_code(uint64_t code) const;
  // cell containing a point, -1 when not in the grid
  int64_t cell_at(double lat_deg, double lon_deg) const;
  // great-circle distance between two cells' centres, km
  double distance_km(size_t a, size_t b) const;
  // "Chiyoda (13101)" for each municipality: the labels of every by-municipality breakdown
  std::vector<std::string> municipality_labels() const;

  // allocate the layers for rows x cols and fill mesh codes and centres from the blocks
  void allocate_from_blocks();
};

// great-circle distance, km
double haversine_km(double lat1, double lon1, double lat2, double lon2);

}  // namespace citysim
