#include "citysim/mesh.hpp"

#include <cmath>
#include <stdexcept>

namespace citysim {
namespace {

// quarter-mesh lattice: 480 cells per degree of latitude, 320 per degree of longitude
constexpr int64_t kQuarterPerDegLat = 480;
constexpr int64_t kQuarterPerDegLon = 320;

// within a 3rd-level cell, the half/quarter sub-cell digits are 1 SW, 2 SE, 3 NW, 4 NE
int sub_digit(int64_t lat_bit, int64_t lon_bit) { return 1 + int(lon_bit) + 2 * int(lat_bit); }

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

MeshLevel mesh_level_from_cell_m(int cell_m) {
  switch (cell_m) {
    case 1000: return MeshLevel::Third;
    case 500: return MeshLevel::Half;
    case 250: return MeshLevel::Quarter;
  }
  throw std::invalid_argument("cell_m must be 1000, 500 or 250");
}

int mesh_quarters_per_cell(MeshLevel level) {
  switch (level) {
    case MeshLevel::Third: return 4;
    case MeshLevel::Half: return 2;
    case MeshLevel::Quarter: return 1;
  }
  return 4;
}

double mesh_cell_lat_deg(MeshLevel level) {
  return double(mesh_quarters_per_cell(level)) / kQuarterPerDegLat;
}
double mesh_cell_lon_deg(MeshLevel level) {
  return double(mesh_quarters_per_cell(level)) / kQuarterPerDegLon;
}

MeshIndex mesh_index_of(MeshLevel level, double lat_deg, double lon_deg) {
  // round to 1e-9 degree first so that a point exactly on a cell edge is not split by
  // binary representation error (1e-9 degree is about 0.1 mm)
  const double qlat = std::floor(std::round(lat_deg * kQuarterPerDegLat * 1e9) / 1e9);
  const double qlon = std::floor(std::round((lon_deg - 100.0) * kQuarterPerDegLon * 1e9) / 1e9);
  const int64_t q = mesh_quarters_per_cell(level);
  return {floor_div(int64_t(qlat), q), floor_div(int64_t(qlon), q)};
}

double mesh_center_lat(MeshLevel level, const MeshIndex& index) {
  return (double(index.lat) + 0.5) * mesh_cell_lat_deg(level);
}
double mesh_center_lon(MeshLevel level, const MeshIndex& index) {
  return 100.0 + (double(index.lon) + 0.5) * mesh_cell_lon_deg(level);
}

uint64_t mesh_code(MeshLevel level, const MeshIndex& index) {
  const int64_t q = mesh_quarters_per_cell(level);
  const int64_t qlat = index.lat * q, qlon = index.lon * q;
  // 1st level: 40' x 1 degree = 320 x 320 quarters; 2nd: 40 x 40; 3rd: 4 x 4
  const int64_t p = qlat / 320, u = qlon / 320;
  const int64_t qq = (qlat % 320) / 40, v = (qlon % 320) / 40;
  const int64_t r = (qlat % 40) / 4, w = (qlon % 40) / 4;
  if (p < 0 || p > 99 || u < 0 || u > 99) throw std::invalid_argument("point outside the JIS mesh area");
  uint64_t code = uint64_t(((p * 100 + u) * 100 + qq * 10 + v) * 100 + r * 10 + w);
  if (level == MeshLevel::Third) return code;
  const int64_t half_lat = (qlat % 4) / 2, half_lon = (qlon % 4) / 2;
  code = code * 10 + uint64_t(sub_digit(half_lat, half_lon));
  if (level == MeshLevel::Half) return code;
  return code * 10 + uint64_t(sub_digit(qlat % 2, qlon % 2));
}

MeshLevel mesh_level_of_code(uint64_t code) {
  if (code >= 10'000'000ULL && code <= 99'999'999ULL) return MeshLevel::Third;
  if (code >= 100'000'000ULL && code <= 999'999'999ULL) return MeshLevel::Half;
  if (code >= 1'000'000'000ULL && code <= 9'999'999'999ULL) return MeshLevel::Quarter;
  throw std::invalid_argument("mesh code " + std::to_string(code) + " has neither 8, 9 nor 10 digits");
}

MeshIndex mesh_index_from_code(uint64_t code, MeshLevel* level_out) {
  const MeshLevel level = mesh_level_of_code(code);
  int quarter_digit = 0, half_digit = 0;
  uint64_t third = code;
  if (level == MeshLevel::Quarter) { quarter_digit = int(third % 10); third /= 10; }
  if (level != MeshLevel::Third) { half_digit = int(third % 10); third /= 10; }
  const int64_t w = third % 10, r = (third / 10) % 10, v = (third / 100) % 10, qq = (third / 1000) % 10;
  const int64_t u = (third / 10000) % 100, p = third / 1000000;
  auto bad = [&] { return std::invalid_argument("malformed mesh code " + std::to_string(code)); };
  if (qq > 7 || v > 7) throw bad();
  if ((half_digit != 0 && (half_digit < 1 || half_digit > 4)) || (level != MeshLevel::Third && half_digit == 0))
    throw bad();
  if (level == MeshLevel::Quarter && (quarter_digit < 1 || quarter_digit > 4)) throw bad();
  int64_t qlat = p * 320 + qq * 40 + r * 4, qlon = u * 320 + v * 40 + w * 4;
  if (half_digit) { qlat += 2 * ((half_digit - 1) / 2); qlon += 2 * ((half_digit - 1) % 2); }
  if (quarter_digit) { qlat += (quarter_digit - 1) / 2; qlon += (quarter_digit - 1) % 2; }
  if (level_out) *level_out = level;
  const int64_t q = mesh_quarters_per_cell(level);
  return {qlat / q, qlon / q};
}

}  // namespace citysim
