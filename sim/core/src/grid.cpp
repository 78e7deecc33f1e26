#include "citysim/grid.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numbers>

namespace citysim {

const char* land_use_name(LandUse use) {
  switch (use) {
    case LandUse::None: return "none";
    case LandUse::Residential: return "residential";
    case LandUse::Commercial: return "commercial";
    case LandUse::Industrial: return "industrial";
    case LandUse::Park: return "park";
    case LandUse::Water: return "water";
    case LandUse::Forest: return "forest";
    case LandUse::Agricultural: return "agricultural";
  }
  return "?";
}

bool Municipality::named(const std::string& name) const {
  const auto same_letters = [](const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
             return std::tolower(x) == std::tolower(y);
           });
  };
  return name == std::to_string(code) || same_letters(name, name_en) || name == name_ja;
}

double haversine_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kDeg = std::numbers::pi / 180.0, kEarthKm = 6371.0088;
  const double dlat = (lat2 - lat1) * kDeg, dlon = (lon2 - lon1) * kDeg;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * kDeg) * std::cos(lat2 * kDeg) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthKm * std::asin(std::min(1.0, std::sqrt(a)));
}

double Grid::cell_area_km2() const {
  // at Tokyo's latitude a 3rd-level cell is about 0.925 km x 1.129 km
  const double lat_km = mesh_cell_lat_deg(level) * 111.32;
  const double lon_km = mesh_cell_lon_deg(level) * 111.32 * std::cos(35.7 * std::numbers::pi / 180.0);
  return lat_km * lon_km;
}

double Grid::cell_area_km2(size_t cell) const {
  return cell_area_km2() * std::cos(lat[cell] * std::numbers::pi / 180.0) /
         std::cos(35.7 * 3.14159265358979323846 / 180.0);
}

void Grid::allocate_from_blocks() {
  const size_t n = size();
  mesh_code.assign(n, 0);
  lat.assign(n, std::numeric_limits<double>::quiet_NaN());
  lon.assign(n, std::numeric_limits<double>::quiet_NaN());
  municipality.assign(n, 0);
  municipality_index.assign(n, -1);
  land_share.assign(n, 0.0f);
  land_use.assign(n, uint8_t(LandUse::None));
  population.assign(n, 0.0f);
  day_places.assign(n, 0.0f);
  building_year.assign(n, 0.0f);
  water.assign(n, 0);
  coast_km.assign(n, 0.0f);
  for (const auto& b : blocks)
    for (int r = 0; r < b.rows; ++r)
      for (int c = 0; c < b.cols; ++c) {
        const size_t cell = size_t(b.row0 + r) * size_t(cols) + size_t(b.col0 + c);
        const MeshIndex mi{b.north_west.lat - r, b.north_west.lon + c};
        mesh_code[cell] = citysim::mesh_code(level, mi);
        lat[cell] = mesh_center_lat(level, mi);
        lon[cell] = mesh_center_lon(level, mi);
      }
}

int64_t Grid::cell_of_code(uint64_t code) const {
  MeshLevel code_level;
  MeshIndex mi;
  try {
    mi = mesh_index_from_code(code, &code_level);
  } catch (...) {
    return -1;
  }
  if (code_level != level) return -1;
  for (const auto& b : blocks) {
    const int64_t r = b.north_west.lat - mi.lat, c = mi.lon - b.north_west.lon;
    if (r >= 0 && r < b.rows && c >= 0 && c < b.cols) return (b.row0 + r) * int64_t(cols) + b.col0 + c;
  }
  return -1;
}

std::vector<std::string> Grid::municipality_labels() const {
  std::vector<std::string> labels;
  for (const auto& mu : municipalities) labels.push_back(mu.name_en + " (" + std::to_string(mu.code) + ")");
  return labels;
}

int64_t Grid::cell_at(double lat_deg, double lon_deg) const {
  return cell_of_code(citysim::mesh_code(level, mesh_index_of(level, lat_deg, lon_deg)));
}

double Grid::distance_km(size_t a, size_t b) const { return haversine_km(lat[a], lon[a], lat[b], lon[b]); }

}  // namespace citysim
