// Municipal boundaries: GeoJSON (nlohmann::json, Debian's nlohmann-json3-dev) and a
// scanline sampling of the mesh cells they cover.
#include "citysim/boundaries.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "citysim/scenario.hpp"

namespace citysim {

namespace {

using nlohmann::json;

// the JIS X 0410 mesh is defined for Japan: 20-46 N, 122-154 E (Okinotorishima to
// Etorofu, Yonaguni to Minamitorishima)
bool in_mesh_range(double lon, double lat) { return lat >= 20 && lat <= 46 && lon >= 122 && lon <= 154.5; }

// segments (a, b) and (c, d) cross or touch
bool segments_meet(const LonLat& a, const LonLat& b, const LonLat& c, const LonLat& d) {
  const auto orient = [](const LonLat& p, const LonLat& q, const LonLat& r) {
    const double v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
    return (v > 0) - (v < 0);
  };
  const auto on = [](const LonLat& p, const LonLat& q, const LonLat& r) {  // r on segment pq, given collinear
    return std::min(p[0], q[0]) <= r[0] && r[0] <= std::max(p[0], q[0]) && std::min(p[1], q[1]) <= r[1] &&
           r[1] <= std::max(p[1], q[1]);
  };
  const int o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
  if (o1 != o2 && o3 != o4) return true;
  return (o1 == 0 && on(a, b, c)) || (o2 == 0 && on(a, b, d)) || (o3 == 0 && on(c, d, a)) || (o4 == 0 && on(c, d, b));
}

// index of the first edge that meets a non-adjacent edge of the same ring, or -1
long self_intersection(const Ring& ring) {
  const size_t n = ring.size() - 1;  // edges
  for (size_t i = 0; i < n; ++i) {
    const double x0 = std::min(ring[i][0], ring[i + 1][0]), x1 = std::max(ring[i][0], ring[i + 1][0]);
    const double y0 = std::min(ring[i][1], ring[i + 1][1]), y1 = std::max(ring[i][1], ring[i + 1][1]);
    for (size_t j = i + 2; j < n; ++j) {
      if (i == 0 && j == n - 1) continue;  // the closing edge shares the first point
      const LonLat &c = ring[j], &d = ring[j + 1];
      if (std::max(c[0], d[0]) < x0 || std::min(c[0], d[0]) > x1 || std::max(c[1], d[1]) < y0 ||
          std::min(c[1], d[1]) > y1)
        continue;
      if (segments_meet(ring[i], ring[i + 1], c, d)) return long(i);
    }
  }
  return -1;
}

double ring_area_deg2(const Ring& ring) {
  double a = 0;
  for (size_t i = 0; i + 1 < ring.size(); ++i) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return 0.5 * a;
}

}  // namespace

std::vector<BoundaryFeature> read_boundaries(const std::string& path, const std::string& key,
                                             const std::vector<int>& known_codes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError({path, 0}, key, "cannot open file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_boundaries(text.str(), path, key, known_codes);
}

std::vector<BoundaryFeature> parse_boundaries(const std::string& body, const std::string& path,
                                              const std::string& key, const std::vector<int>& known_codes) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    const size_t at = std::min(body.size(), size_t(e.byte));
    const int line = 1 + int(std::count(body.begin(), body.begin() + long(at), '\n'));
    throw ScenarioError({path, line}, key, std::string("not GeoJSON: ") + e.what());
  } catch (const json::exception& e) {  // a number out of range (found by fuzz_boundaries)
    throw ScenarioError({path, 0}, key, std::string("not GeoJSON: ") + e.what());
  }
  if (!doc.is_object() || doc.value("type", "") != "FeatureCollection" || !doc.contains("features") ||
      !doc["features"].is_array())
    throw ScenarioError({path, 1}, key, "expected a GeoJSON FeatureCollection with a \"features\" array");

  std::vector<BoundaryFeature> out;
  const json& features = doc["features"];
  for (size_t fi = 0; fi < features.size(); ++fi) {
    const json& f = features[fi];
    BoundaryFeature feature;
    feature.index = fi;
    const auto fail = [&](const std::string& what) {
      throw ScenarioError({path, 0}, key,
                          "feature " + std::to_string(fi) + (feature.name.empty() ? "" : " (" + feature.name + ")") +
                              ": " + what);
    };
    if (!f.is_object() || !f.contains("geometry") || !f["geometry"].is_object())
      fail("expected a Feature with a geometry");
    const json props = f.contains("properties") && f["properties"].is_object() ? f["properties"] : json::object();
    for (const char* name_key : {"N03_004", "name"})
      if (props.contains(name_key) && props[name_key].is_string()) {
        feature.name = props[name_key].get<std::string>();
        break;
      }
    std::string code_text;
    for (const char* code_key : {"N03_007", "code"})
      if (props.contains(code_key) && !props[code_key].is_null()) {
        const json& c = props[code_key];
        code_text = c.is_string() ? c.get<std::string>() : c.is_number_integer() ? std::to_string(c.get<long>()) : "?";
        break;
      }
    if (code_text.empty()) {
      if (feature.name != "所属未定地")
        fail("expected a municipality code in the property N03_007 or code (only 所属未定地, undecided land, "
             "may have none)");
    } else {
      char* end = nullptr;
      const long code = std::strtol(code_text.c_str(), &end, 10);
      if (*end != '\0' || code <= 0) fail("expected a numeric municipality code, got \"" + code_text + "\"");
      if (std::find(known_codes.begin(), known_codes.end(), int(code)) == known_codes.end())
        fail("code " + code_text + " is not among the municipalities (city.municipalities_file)");
      feature.code = int(code);
    }
    const json& geom = f["geometry"];
    const std::string type = geom.value("type", "");
    if ((type != "Polygon" && type != "MultiPolygon") || !geom.contains("coordinates") ||
        !geom["coordinates"].is_array())
      fail("expected a Polygon or MultiPolygon geometry, got \"" + type + "\"");
    const json polygons = type == "Polygon" ? json::array({geom["coordinates"]}) : geom["coordinates"];
    if (polygons.empty()) fail("empty geometry");
    for (const json& polygon : polygons) {
      if (!polygon.is_array() || polygon.empty()) fail("empty polygon");
      for (const json& ring_json : polygon) {
        Ring ring;
        if (!ring_json.is_array()) fail("expected a ring as an array of [lon, lat] points");
        for (const json& pt : ring_json) {
          if (!pt.is_array() || pt.size() < 2 || !pt[0].is_number() || !pt[1].is_number())
            fail("expected [lon, lat] points");
          const LonLat p{pt[0].get<double>(), pt[1].get<double>()};
          if (!in_mesh_range(p[0], p[1]))
            fail("point (lon " + format_number(p[0]) + ", lat " + format_number(p[1]) +
                 ") is outside the JIS mesh range of Japan (lat 20..46, lon 122..154.5)");
          ring.push_back(p);
        }
        if (ring.size() < 4 || ring.front() != ring.back() || std::abs(ring_area_deg2(ring)) == 0)
          fail("empty polygon ring (expected at least 4 points, closed, enclosing an area)");
        if (const long e = self_intersection(ring); e >= 0)
          fail("self-intersecting ring: the edge from point " + std::to_string(e) + " (lon " +
               format_number(ring[size_t(e)][0]) + ", lat " + format_number(ring[size_t(e)][1]) +
               ") crosses another edge");
        for (const LonLat& p : ring) {
          feature.west = std::min(feature.west, p[0]), feature.east = std::max(feature.east, p[0]);
          feature.south = std::min(feature.south, p[1]), feature.north = std::max(feature.north, p[1]);
        }
        feature.rings.push_back(std::move(ring));
      }
    }
    out.push_back(std::move(feature));
  }
  if (out.empty()) throw ScenarioError({path, 1}, key, "expected at least one feature");
  return out;
}

double feature_area_km2(const BoundaryFeature& f) {
  constexpr double kDeg = 3.14159265358979323846 / 180.0, kKmPerDeg = 111.32;
  double km2 = 0;
  for (const Ring& ring : f.rings) {
    double lat = 0;  // the ring's mean latitude sets the east-west scale
    for (const LonLat& p : ring) lat += p[1];
    lat /= double(ring.size());
    km2 += ring_area_deg2(ring) * kKmPerDeg * kKmPerDeg * std::cos(lat * kDeg);
  }
  return std::abs(km2);  // holes are rings of the other orientation; N03 has none
}

// Each cell gets samples_per_side² points on a regular lattice. For each row of points
// the crossings of every feature's edges with that latitude, sorted, give the runs of
// longitude inside the feature (even-odd), so a row costs one pass over the edges.
CellCover cover_cells(const Grid& g, const std::vector<BoundaryFeature>& features, int S) {
  const size_t n = g.size();
  CellCover cover;
  cover.land_share.assign(n, 0.0f);
  cover.feature.assign(n, -1);
  cover.feature_share.assign(n, 0.0f);
  cover.second.assign(n, -1);
  cover.second_share.assign(n, 0.0f);
  const double dlat = mesh_cell_lat_deg(g.level), dlon = mesh_cell_lon_deg(g.level);
  std::vector<double> xs;
  for (const GridBlock& b : g.blocks) {
    const double west = 100 + double(b.north_west.lon) * dlon;  // the block's west edge, degrees east
    std::vector<int> land(size_t(b.cols)), count(size_t(b.cols)), best(size_t(b.cols)), next(size_t(b.cols));
    for (int r = 0; r < b.rows; ++r) {
      const double south = double(b.north_west.lat - r) * dlat;  // the cell row's south edge
      std::fill(land.begin(), land.end(), 0);
      std::fill(best.begin(), best.end(), 0);
      std::fill(next.begin(), next.end(), 0);
      std::vector<int32_t> owner(size_t(b.cols), -1), runner_up(size_t(b.cols), -1);
      for (size_t fi = 0; fi < features.size(); ++fi) {
        const BoundaryFeature& f = features[fi];
        if (f.north < south || f.south > south + dlat) continue;
        std::fill(count.begin(), count.end(), 0);
        for (int k = 0; k < S; ++k) {
          const double y = south + (k + 0.5) * dlat / S;
          xs.clear();
          for (const Ring& ring : f.rings)
            for (size_t i = 0; i + 1 < ring.size(); ++i) {
              const LonLat &p = ring[i], &q = ring[i + 1];
              if ((p[1] <= y) != (q[1] <= y)) xs.push_back(p[0] + (y - p[1]) / (q[1] - p[1]) * (q[0] - p[0]));
            }
          std::sort(xs.begin(), xs.end());
          for (size_t i = 0; i + 1 < xs.size(); i += 2) {
            // sample columns j with west + (j + 0.5) dlon / S in [xs[i], xs[i+1])
            const double j0 = std::ceil((xs[i] - west) * S / dlon - 0.5), j1 = std::ceil((xs[i + 1] - west) * S / dlon - 0.5);
            for (long j = std::max(0L, long(j0)); j < std::min(long(b.cols) * S, long(j1)); ++j) ++count[size_t(j / S)];
          }
        }
        for (int c = 0; c < b.cols; ++c) {
          land[size_t(c)] += count[size_t(c)];
          const size_t at = size_t(c);
          if (count[at] > best[at]) {
            next[at] = best[at], runner_up[at] = owner[at];
            best[at] = count[at], owner[at] = int32_t(fi);
          } else if (count[at] > next[at]) {
            next[at] = count[at], runner_up[at] = int32_t(fi);
          }
        }
      }
      for (int c = 0; c < b.cols; ++c) {
        const size_t cell = size_t(b.row0 + r) * size_t(g.cols) + size_t(b.col0 + c);
        // features of one file do not overlap; a share above 1 would be a doubly covered sample
        cover.land_share[cell] = std::min(1.0f, float(land[size_t(c)]) / float(S * S));
        cover.feature[cell] = owner[size_t(c)];
        cover.feature_share[cell] = float(best[size_t(c)]) / float(S * S);
        cover.second[cell] = runner_up[size_t(c)];
        cover.second_share[cell] = float(next[size_t(c)]) / float(S * S);
      }
    }
  }
  return cover;
}

}  // namespace citysim
