// Tokyo (or another city) on the JIS mesh, from real municipal boundaries.
//
// [SECTION] csv        small CSV reader with line numbers for error messages
// [SECTION] params     the [city] keys
// [SECTION] tokyo      boundaries -> blocks (the mainland, island groups as insets) and
//                      cells (the municipality covering most of each), Tokyo Bay
// [SECTION] layers     population, day places, land use, building age, coast distance
// [SECTION] overrides  mesh_code,value CSV files replacing a layer
#include "citysim/city.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numbers>
#include <numeric>
#include <sstream>

#include "citysim/boundaries.hpp"
#include "citysim/rng.hpp"

namespace citysim {

// ---- [SECTION] csv ------------------------------------------------------------------

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) { out.push_back(cur); cur.clear(); }
    else if (ch != '\r') cur += ch;
  }
  out.push_back(cur);
  return out;
}

std::optional<double> to_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

}  // namespace

CsvTable read_csv(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) throw ScenarioError({path, 0}, key, "cannot open file");
  return parse_csv(in, path, key);
}

CsvTable parse_csv(std::istream& in, const std::string& path, const std::string& key) {
  CsvTable t;
  t.path = path;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r" || line[0] == '#') continue;
    auto fields = split_csv_line(line);
    if (t.header.empty()) {
      if (!fields.empty() && fields[0].size() >= 3 && fields[0].substr(0, 3) == "\xEF\xBB\xBF")
        fields[0] = fields[0].substr(3);  // UTF-8 byte-order mark
      t.header = fields;
      continue;
    }
    if (fields.size() != t.header.size())
      throw ScenarioError({path, line_no}, key,
                          "malformed CSV row: expected " + std::to_string(t.header.size()) + " fields (" +
                              std::accumulate(t.header.begin() + 1, t.header.end(), t.header[0],
                                              [](std::string a, const std::string& b) { return a + "," + b; }) +
                              "), got " + std::to_string(fields.size()) + ": \"" + line + "\"");
    t.rows.push_back(std::move(fields));
    t.lines.push_back(line_no);
  }
  if (t.header.empty()) throw ScenarioError({path, 0}, key, "empty CSV file (expected a header row)");
  return t;
}

int CsvTable::column(const std::string& name, const std::string& key) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return int(i);
  throw ScenarioError({path, 1}, key, "expected a column named '" + name + "' in the header");
}

double CsvTable::number(size_t row, int col, const std::string& key) const {
  const auto x = to_number(rows[row][size_t(col)]);
  if (!x)
    throw ScenarioError({path, lines[row]}, key,
                        "malformed CSV row: expected a number in column '" + header[size_t(col)] + "', got \"" +
                            rows[row][size_t(col)] + "\"");
  return *x;
}

std::vector<MeshValue> read_mesh_csv(const std::string& path, const std::string& key) {
  return mesh_values(read_csv(path, key), key);
}

std::vector<MeshValue> mesh_values(const CsvTable& t, const std::string& key) {
  const std::string& path = t.path;
  if (t.header.size() < 2 || to_number(t.header[0]))  // a number there is a data row taken for the header
    throw ScenarioError({path, 1}, key,
                        "expected a header 'mesh_code,value' (two columns) or e-Stat's 'KEY_CODE,HTKSYORI,HTKSAKI,"
                        "GASSAN,...' on the first line");
  // e-Stat mesh statistics: KEY_CODE, three columns on secrecy (HTKSYORI, HTKSAKI, GASSAN),
  // then the statistics, the first being the total (人口総数 in the census population
  // table); a second header line of labels (Shift_JIS or UTF-8, never read), and "*" for
  // a cell whose count is hidden and added to a neighbour (HTKSAKI), so the totals hold
  const bool estat = t.header[0] == "KEY_CODE";
  int value_col = 1;
  if (estat) {
    const auto gassan = std::find(t.header.begin(), t.header.end(), "GASSAN");
    value_col = gassan == t.header.end() ? 1 : int(gassan - t.header.begin()) + 1;
    if (value_col >= int(t.header.size()))
      throw ScenarioError({path, 1}, key, "expected a statistics column after GASSAN in e-Stat's header");
  }
  std::vector<MeshValue> out;
  out.reserve(t.rows.size());
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (estat && t.rows[r][0].empty()) continue;  // the line of column labels
    if (estat && (t.rows[r][size_t(value_col)] == "*" || t.rows[r][size_t(value_col)].empty())) continue;
    const auto code = to_number(t.rows[r][0]);
    bool ok = code && *code == std::floor(*code) && *code > 0 && *code < 1e10;  // 10 digits at most
    if (ok) {
      try {
        mesh_level_of_code(uint64_t(*code));
      } catch (...) {
        ok = false;
      }
    }
    if (!ok)
      throw ScenarioError({path, t.lines[r]}, key,
                          "malformed CSV row: expected an 8-, 9- or 10-digit mesh code in the first column, got \"" +
                              t.rows[r][0] + "\"");
    out.push_back({uint64_t(*code), t.number(r, value_col, key), size_t(t.lines[r])});
  }
  // the same cell twice is a merge gone wrong, not an update: say where both are
  std::vector<size_t> order(out.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return out[a].mesh_code < out[b].mesh_code; });
  for (size_t i = 1; i < order.size(); ++i)
    if (out[order[i]].mesh_code == out[order[i - 1]].mesh_code)
      throw ScenarioError({path, int(out[order[i]].line)}, key,
                          "mesh code " + std::to_string(out[order[i]].mesh_code) + " appears twice (first on line " +
                              std::to_string(out[order[i - 1]].line) + "); expected one row per cell");
  return out;
}

// ---- [SECTION] params ---------------------------------------------------------------

void CityParams::keys(ParamKeys& k) {
  k.section("city", "The city grid: JIS X 0410 mesh cells, municipalities and layers.");
  k.key("city.source", source,
        "where the city comes from: the synthetic Tokyo built from the municipalities table")
      .one_of({"tokyo"});
  k.key("city.cell_m", cell_m,
        "cell size: 1000 = 3rd-level mesh (8-digit codes), 500 = half mesh, 250 = quarter mesh")
      .units("m")
      .one_of({"1000", "500", "250"});
  k.key("city.population_scale", population_scale,
        "fraction of residents simulated; every reported count is weighted back to the full city")
      .range(0, 1).above(0);
  k.path("city.municipalities_file", municipalities_file,
         "CSV of municipalities (code,name_ja,name_en,kind,area,lat,lon,population,...,area_km2,...,pop_65plus_share); "
         "empty = the bundled Tokyo table");
  k.path("city.boundaries_file", boundaries_file,
         "GeoJSON FeatureCollection of the municipalities' boundaries (Polygon/MultiPolygon, lon/lat, the code in the "
         "property N03_007 or code); empty = the bundled MLIT N03 2021 boundaries of Tokyo");
  k.path("city.census_file", census_file,
         "CSV of 2020 census figures by municipality (age groups, one-person households); empty = bundled");
  k.key("city.municipalities", only,
        "simulate only these municipalities (codes or English names, e.g. [\"Chiyoda\", \"13102\"]); empty = all");
  k.key("city.include_islands", include_islands, "include the 9 island municipalities as inset blocks");
  const std::pair<const char*, std::string*> layers[] = {{"population", &layer_population},
                                                          {"day_places", &layer_day_places},
                                                          {"land_use", &layer_land_use},
                                                          {"building_year", &layer_building_year},
                                                          {"water", &layer_water}};
  for (const auto& [layer, file] : layers)
    k.path(std::string("city.layers.") + layer, *file,
           std::string("CSV `mesh_code,value` replacing the synthetic ") + layer +
               " layer (codes of the grid's level; unlisted cells get 0 for counts and keep the synthetic value otherwise)");
}

void CityParams::describe(Schema& s) {
  describe_keys<CityParams>(s);
}

CityParams CityParams::from(const Scenario& sc) {
  CityParams p = read_keys<CityParams>(sc);
  p.only_loc = sc.loc_of("city.municipalities");
  if (p.municipalities_file.empty()) p.municipalities_file = data_dir() + "/tokyo_municipalities.csv";
  if (p.boundaries_file.empty()) p.boundaries_file = data_dir() + "/tokyo_municipalities_n03_2021.geojson";
  if (p.census_file.empty()) p.census_file = data_dir() + "/tokyo_municipalities_census2020.csv";
  return p;
}

// ---- [SECTION] tokyo ----------------------------------------------------------------

namespace {

constexpr double kPi = std::numbers::pi;

// mainland Tokyo's bounding box
constexpr double kNorth = 35.90, kSouth = 35.49, kWest = 138.94, kEast = 139.93;

// Tokyo Bay shore, simplified: south of this line (east of 139.70 E) is water
double bay_shore_lat(double lon) {
  static const double pts[][2] = {{139.70, 35.50}, {139.76, 35.52}, {139.80, 35.535}, {139.82, 35.58},
                                  {139.85, 35.615}, {139.88, 35.63}, {139.93, 35.64}};
  if (lon < pts[0][0]) return -90;
  for (size_t i = 1; i < std::size(pts); ++i)
    if (lon <= pts[i][0]) {
      const double f = (lon - pts[i - 1][0]) / (pts[i][0] - pts[i - 1][0]);
      return pts[i - 1][1] + f * (pts[i][1] - pts[i - 1][1]);
    }
  return pts[std::size(pts) - 1][1];
}

// how strongly a municipality draws jobs relative to its residents, set by hand so that
// with the in-commuters the weekday 14:00 population matches the census daytime ratios
// (docs/city.md: Chiyoda 17.4x, Minato 4.3x, the 23 wards 1.27, Tokyo 1.19); other
// places keep most of theirs. The calibration issue fits these.
double job_attraction(int code) {
  switch (code) {
    case 13101: return 22.0;  // Chiyoda
    case 13102: return 5.0;   // Chuo
    case 13103: return 5.0;   // Minato
    case 13104: return 2.6;   // Shinjuku
    case 13113: return 2.6;   // Shibuya
    case 13116: return 1.4;   // Toshima (Ikebukuro)
    case 13105: case 13106: case 13109: return 1.3;  // Bunkyo, Taito, Shinagawa
    case 13108: return 1.0;   // Koto
    case 13202: case 13203: return 0.8;  // Tachikawa, Musashino
  }
  return code < 13200 ? 0.5 : 0.55;
}

}  // namespace

std::vector<Municipality> load_municipalities(const CityParams& p) {
  return select_municipalities(load_municipality_table(p), p);
}

std::vector<Municipality> load_municipality_table(const CityParams& p) {
  const std::string key = "city.municipalities_file";
  const CsvTable t = read_csv(p.municipalities_file, key);
  const int c_code = t.column("code", key), c_ja = t.column("name_ja", key), c_en = t.column("name_en", key);
  const int c_kind = t.column("kind", key), c_area = t.column("area", key), c_lat = t.column("lat", key);
  const int c_lon = t.column("lon", key), c_pop = t.column("population", key), c_km2 = t.column("area_km2", key);
  const int c_65 = t.column("pop_65plus_share", key);
  std::vector<Municipality> ms;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    Municipality m;
    m.code = int(t.number(r, c_code, key));
    m.name_ja = t.rows[r][size_t(c_ja)];
    m.name_en = t.rows[r][size_t(c_en)];
    m.kind = t.rows[r][size_t(c_kind)];
    m.area = t.rows[r][size_t(c_area)];
    m.lat = t.number(r, c_lat, key);
    m.lon = t.number(r, c_lon, key);
    m.population = t.number(r, c_pop, key);
    m.area_km2 = t.number(r, c_km2, key);
    m.share_65plus = t.number(r, c_65, key);
    if (m.area != "ku" && m.area != "tama" && m.area != "islands")
      throw ScenarioError({t.path, t.lines[r]}, key, "expected area ku, tama or islands, got \"" + m.area + "\"");
    ms.push_back(m);
  }
  // census figures join on the code
  const std::string ckey = "city.census_file";
  const CsvTable c = read_csv(p.census_file, ckey);
  const int k_code = c.column("code", ckey), k_pop = c.column("census2020_population", ckey);
  const int k_0 = c.column("census2020_pop_0_14", ckey), k_15 = c.column("census2020_pop_15_64", ckey);
  const int k_65 = c.column("census2020_pop_65plus", ckey), k_75 = c.column("census2020_pop_75plus", ckey);
  const int k_hh = c.column("census2020_households", ckey), k_1 = c.column("census2020_one_person_households", ckey);
  const int k_1e = c.column("census2020_one_person_households_65plus", ckey);
  for (size_t r = 0; r < c.rows.size(); ++r) {
    const int code = int(c.number(r, k_code, ckey));
    for (auto& m : ms)
      if (m.code == code) {
        m.census_pop = c.number(r, k_pop, ckey);
        m.census_0_14 = c.number(r, k_0, ckey);
        m.census_15_64 = c.number(r, k_15, ckey);
        m.census_65plus = c.number(r, k_65, ckey);
        m.census_75plus = c.number(r, k_75, ckey);
        m.census_households = c.number(r, k_hh, ckey);
        m.census_one_person = c.number(r, k_1, ckey);
        m.census_one_person_65plus = c.number(r, k_1e, ckey);
      }
  }
  for (auto& m : ms)
    if (m.census_pop <= 0) {
      // no census row: fall back to Tokyo-wide shares (2020 census)
      m.census_pop = m.population;
      m.census_65plus = m.population * m.share_65plus;
      m.census_75plus = m.census_65plus * 0.53;
      m.census_0_14 = m.population * 0.11;
      m.census_15_64 = m.population - m.census_65plus - m.census_0_14;
      m.census_households = m.population / 1.94;
      m.census_one_person = m.census_households * 0.50;
      m.census_one_person_65plus = m.census_65plus * 0.26;
    }
  return ms;
}

std::vector<Municipality> select_municipalities(std::vector<Municipality> ms, const CityParams& p) {
  if (!p.only.empty()) {
    std::vector<Municipality> kept;
    for (const auto& want : p.only) {
      const auto it = std::find_if(ms.begin(), ms.end(), [&](const Municipality& m) {
        return m.named(want);
      });
      if (it == ms.end())
        throw ScenarioError(p.only_loc, "city.municipalities",
                            "unknown municipality \"" + want + "\"; expected codes or names from " + p.municipalities_file);
      kept.push_back(*it);
    }
    ms = kept;
  }
  if (!p.include_islands)
    ms.erase(std::remove_if(ms.begin(), ms.end(), [](const Municipality& m) { return m.area == "islands"; }), ms.end());
  if (ms.empty()) throw ScenarioError(p.only_loc, "city.municipalities", "expected at least one municipality");
  return ms;
}

namespace {

// lognormal noise per cell, so density is not a smooth bump
double cell_noise(const Rng& rng, uint64_t code, uint32_t purpose, double sigma) {
  Draws d(rng, code, purpose);
  return std::exp(sigma * d.normal() - 0.5 * sigma * sigma);
}

}  // namespace

Grid build_city(const CityParams& p, uint64_t seed) {
  Grid g;
  g.level = mesh_level_from_cell_m(p.cell_m);
  const std::vector<Municipality> table = load_municipality_table(p);
  g.municipalities = select_municipalities(table, p);
  const auto& ms = g.municipalities;
  const double cell_km2 = g.cell_area_km2();
  const double cell_km = std::sqrt(cell_km2);
  const double dlat = mesh_cell_lat_deg(g.level), dlon = mesh_cell_lon_deg(g.level);

  // the boundaries: every code in the file must be a municipality of the table (selected or not)
  std::vector<int> known;
  {
    double all_places = 0, these_places = 0;  // day places by the formula of the layers below
    for (const Municipality& m : table) {
      known.push_back(m.code);
      const double places = m.population * job_attraction(m.code);
      all_places += places;
      if (std::any_of(ms.begin(), ms.end(), [&](const Municipality& x) { return x.code == m.code; })) these_places += places;
    }
    g.day_place_share = all_places > 0 ? these_places / all_places : 1;
  }
  const std::string bkey = "city.boundaries_file";
  const std::vector<BoundaryFeature> file_features = read_boundaries(p.boundaries_file, bkey, known);
  // the selected municipalities' features, then other land near them: a cell belongs to the
  // municipality covering most of it whether or not its neighbours are simulated
  std::vector<BoundaryFeature> used;
  std::vector<int> used_muni;  // municipality index of each; -1 = undecided land, -2 = a municipality not simulated
  double north = -90, south = 90, west = 180, east = -180;
  for (const BoundaryFeature& f : file_features) {
    const auto it = std::find_if(ms.begin(), ms.end(), [&](const Municipality& m) { return m.code == f.code; });
    if (it == ms.end()) continue;
    used.push_back(f);
    used_muni.push_back(int(it - ms.begin()));
    if (it->area != "islands")
      north = std::max(north, f.north), south = std::min(south, f.south), west = std::min(west, f.west),
      east = std::max(east, f.east);
  }
  for (const Municipality& m : ms)
    if (std::find_if(used.begin(), used.end(), [&](const BoundaryFeature& f) { return f.code == m.code; }) == used.end())
      throw ScenarioError({p.boundaries_file, 0}, bkey,
                          "no boundary for " + m.name_en + " (" + std::to_string(m.code) +
                              "); expected a feature with that code");
  const bool any_mainland = north > south;
  for (const BoundaryFeature& f : file_features)  // other land touching the selected mainland's box
    if (any_mainland && std::none_of(ms.begin(), ms.end(), [&](const Municipality& m) { return m.code == f.code; }) &&
        f.west <= east + 0.02 && f.east >= west - 0.02 && f.south <= north + 0.02 && f.north >= south - 0.02) {
      used.push_back(f);
      used_muni.push_back(f.code == 0 ? -1 : -2);
    }

  // blocks: the mainland's bounding box with a cell of margin, then one inset per group
  // of islands of an island municipality (groups: islands within 10 km of each other)
  int strip_row = 0;
  if (any_mainland) {
    const MeshIndex nw = mesh_index_of(g.level, north + dlat, west - dlon);
    const MeshIndex se = mesh_index_of(g.level, south - dlat, east + dlon);
    const GridBlock main{"mainland", nw, int(nw.lat - se.lat + 1), int(se.lon - nw.lon + 1), 0, 0};
    g.blocks.push_back(main);
    g.rows = main.rows;
    g.cols = main.cols;
    strip_row = main.rows + int(p.island_gap_cells);
  }
  int strip_col = 0, strip_height = 0;
  for (size_t mi = 0; mi < ms.size(); ++mi) {
    if (ms[mi].area != "islands") continue;
    struct Box { double w, s, e, n; };
    std::vector<Box> groups;
    for (size_t f = 0; f < used.size(); ++f)
      if (used_muni[f] == int(mi))
        for (const Ring& ring : used[f].rings) {
          Box b{180, 90, -180, -90};
          for (const LonLat& q : ring) b = {std::min(b.w, q[0]), std::min(b.s, q[1]), std::max(b.e, q[0]), std::max(b.n, q[1])};
          groups.push_back(b);
        }
    constexpr double kGroupDeg = 0.1;  // about 10 km
    for (bool merged = true; merged;) {
      merged = false;
      for (size_t a = 0; a < groups.size() && !merged; ++a)
        for (size_t b = a + 1; b < groups.size() && !merged; ++b)
          if (groups[b].w <= groups[a].e + kGroupDeg && groups[b].e >= groups[a].w - kGroupDeg &&
              groups[b].s <= groups[a].n + kGroupDeg && groups[b].n >= groups[a].s - kGroupDeg) {
            groups[a] = {std::min(groups[a].w, groups[b].w), std::min(groups[a].s, groups[b].s),
                         std::max(groups[a].e, groups[b].e), std::max(groups[a].n, groups[b].n)};
            groups.erase(groups.begin() + long(b));
            merged = true;
          }
    }
    std::sort(groups.begin(), groups.end(), [](const Box& a, const Box& b) { return a.n != b.n ? a.n > b.n : a.w < b.w; });
    for (size_t k = 0; k < groups.size(); ++k) {
      const MeshIndex nw = mesh_index_of(g.level, groups[k].n + dlat, groups[k].w - dlon);
      const MeshIndex se = mesh_index_of(g.level, groups[k].s - dlat, groups[k].e + dlon);
      const int rows = int(nw.lat - se.lat + 1), cols = int(se.lon - nw.lon + 1);
      if (strip_col > 0 && strip_col + cols > std::max(g.cols, 40)) {  // wrap to a new strip of insets
        strip_row += strip_height + int(p.island_gap_cells);
        strip_col = 0;
        strip_height = 0;
      }
      g.blocks.push_back({groups.size() == 1 ? ms[mi].name_en : ms[mi].name_en + " " + std::to_string(k + 1), nw, rows,
                          cols, strip_row, strip_col});
      strip_col += cols + int(p.island_gap_cells);
      strip_height = std::max(strip_height, rows);
      g.rows = std::max(g.rows, strip_row + rows);
      g.cols = std::max(g.cols, strip_col - int(p.island_gap_cells));
    }
  }
  g.allocate_from_blocks();
  const size_t n = g.size();
  if (p.boundaries_file == data_dir() + "/tokyo_municipalities_n03_2021.geojson") g.credit = kBoundariesCredit;
  for (size_t f = 0; f < used.size(); ++f)
    if (used_muni[f] >= 0)
      for (const Ring& ring : used[f].rings) {
        Outline o;
        o.code = used[f].code;
        for (const LonLat& q : ring) o.lon.push_back(q[0]), o.lat.push_back(q[1]);
        g.outlines.push_back(std::move(o));
      }

  // each cell belongs to the municipality covering most of it
  constexpr int kSamplesPerSide = 10;
  const CellCover cover = cover_cells(g, used, kSamplesPerSide);
  std::vector<double> owned(n, 0.0);  // share of the cell its municipality covers
  const auto assign = [&](size_t cell, int mi) {
    g.municipality[cell] = ms[size_t(mi)].code;
    g.municipality_index[cell] = int16_t(mi);
  };
  for (size_t cell = 0; cell < n; ++cell) {
    if (cover.feature[cell] < 0) continue;
    g.land_share[cell] = cover.land_share[cell];
    owned[cell] = cover.feature_share[cell];
    // undecided land (所属未定地, the new sea-surface disposal site) stays land of no municipality
    if (const int mi = used_muni[size_t(cover.feature[cell])]; mi >= 0) assign(cell, mi);
  }
  // whole cells can leave a small ward 20% short at 1 km: a cell split between two
  // municipalities moves to the second wherever that brings both areas on the grid
  // closer to their polygons' (relative squared error), in cell order until none moves
  {
    std::vector<double> target(ms.size(), 0.0), current(ms.size(), 0.0);
    std::vector<int> cells_of(ms.size(), 0);
    for (size_t f = 0; f < used.size(); ++f)
      if (used_muni[f] >= 0) target[size_t(used_muni[f])] += feature_area_km2(used[f]);
    struct Split { size_t cell; int first, second; float second_share; };
    std::vector<Split> splits;
    for (size_t cell = 0; cell < n; ++cell) {
      const int mi = g.municipality_index[cell];
      if (mi < 0) continue;
      current[size_t(mi)] += g.land_share[cell] * g.cell_area_km2(cell);
      ++cells_of[size_t(mi)];
      const int second = cover.second[cell] >= 0 ? used_muni[size_t(cover.second[cell])] : -1;
      if (second >= 0 && second != mi && cover.second_share[cell] >= 0.2f)
        splits.push_back({cell, mi, second, cover.second_share[cell]});
    }
    const auto err2 = [&](int m, double area) { return std::pow((area - target[size_t(m)]) / target[size_t(m)], 2); };
    for (int pass = 0; pass < 10; ++pass) {
      bool moved = false;
      for (const Split& sp : splits) {
        const int from = g.municipality_index[sp.cell], to = from == sp.first ? sp.second : sp.first;
        const double land = g.land_share[sp.cell] * g.cell_area_km2(sp.cell);
        const double gain = err2(from, current[size_t(from)]) + err2(to, current[size_t(to)]) -
                            err2(from, current[size_t(from)] - land) - err2(to, current[size_t(to)] + land);
        if (gain <= 1e-12 || cells_of[size_t(from)] == 1) continue;
        current[size_t(from)] -= land, current[size_t(to)] += land;
        --cells_of[size_t(from)], ++cells_of[size_t(to)];
        assign(sp.cell, to);
        owned[sp.cell] = to == sp.second ? sp.second_share : cover.feature_share[sp.cell];
        moved = true;
      }
      if (!moved) break;
    }
  }
  // cells outside every boundary: sea in the island insets and in Tokyo Bay, else land
  // outside the city
  std::vector<double> score(n, 1e9);  // distance to the municipal office / the radius of its area
  for (size_t cell = 0; cell < n; ++cell) {
    if (g.mesh_code[cell] == 0) continue;
    if (const int mi = g.municipality_index[cell]; mi >= 0) {
      const Municipality& m = ms[size_t(mi)];
      score[cell] = haversine_km(g.lat[cell], g.lon[cell], m.lat, m.lon) / std::sqrt(m.area_km2 / kPi);
      continue;
    }
    const bool mainland = any_mainland && g.row_of(cell) < g.blocks[0].rows && g.col_of(cell) < g.blocks[0].cols;
    const bool in_tokyo_bay = g.lat[cell] > kSouth && g.lat[cell] < kNorth && g.lon[cell] > 139.70 &&
                              g.lon[cell] < kEast && g.lat[cell] < bay_shore_lat(g.lon[cell]);
    if (g.land_share[cell] == 0 && (!mainland || in_tokyo_bay)) g.water[cell] = 1;
  }
  // ---- [SECTION] layers ---------------------------------------------------------
  const Rng rng(seed, Stream::CityLayers);
  // distance to water (two-pass chamfer over the array; insets are surrounded by sea)
  {
    const double dy = cell_km * 0.9, dx = cell_km * 1.1, dd = std::hypot(dx, dy);
    std::vector<double> d(n, 1e9);
    for (size_t c = 0; c < n; ++c)
      if (g.water[c]) d[c] = 0;
    const auto relax = [&](int r, int c, int rr, int cc, double w) {
      if (rr < 0 || rr >= g.rows || cc < 0 || cc >= g.cols) return;
      d[size_t(r) * g.cols + c] = std::min(d[size_t(r) * g.cols + c], d[size_t(rr) * g.cols + cc] + w);
    };
    for (int r = 0; r < g.rows; ++r)
      for (int c = 0; c < g.cols; ++c) {
        relax(r, c, r - 1, c, dy); relax(r, c, r, c - 1, dx); relax(r, c, r - 1, c - 1, dd); relax(r, c, r - 1, c + 1, dd);
      }
    for (int r = g.rows - 1; r >= 0; --r)
      for (int c = g.cols - 1; c >= 0; --c) {
        relax(r, c, r + 1, c, dy); relax(r, c, r, c + 1, dx); relax(r, c, r + 1, c + 1, dd); relax(r, c, r + 1, c - 1, dd);
      }
    for (size_t c = 0; c < n; ++c) g.coast_km[c] = float(std::min(d[c], 200.0));
  }
  // land use, then residents and day places spread by municipality
  std::vector<double> pop_w(n, 0.0), job_w(n, 0.0);
  for (size_t cell = 0; cell < n; ++cell) {
    if (g.water[cell]) { g.land_use[cell] = uint8_t(LandUse::Water); continue; }
    if (g.municipality[cell] == 0) continue;
    const Municipality& m = ms[size_t(g.municipality_index[cell])];
    Draws d(rng, g.mesh_code[cell], 0);
    const double s = score[cell];
    LandUse use = LandUse::Residential;
    if (m.area == "tama" && g.lon[cell] < 139.30 && s > 0.45) use = LandUse::Forest;
    else if (m.area == "islands" && s > 0.7) use = LandUse::Forest;
    else if (m.area == "ku" && g.coast_km[cell] < 2.0 && d.bernoulli(0.35)) use = LandUse::Industrial;
    else if (d.bernoulli(0.07)) use = LandUse::Park;
    else if (m.area == "tama" && s > 0.8 && d.bernoulli(0.3)) use = LandUse::Agricultural;
    else if (job_attraction(m.code) > 2 && s < 0.9) use = LandUse::Commercial;
    g.land_use[cell] = uint8_t(use);
    const double use_pop = use == LandUse::Forest ? 0.02 : use == LandUse::Park ? 0.15
                         : use == LandUse::Industrial ? 0.4 : use == LandUse::Agricultural ? 0.3 : 1.0;
    const double use_job = use == LandUse::Commercial ? 2.5 : use == LandUse::Industrial ? 1.5
                         : use == LandUse::Forest ? 0.02 : use == LandUse::Park ? 0.2 : 1.0;
    pop_w[cell] = owned[cell] * use_pop * std::exp(-1.2 * s) * cell_noise(rng, g.mesh_code[cell], 1, 0.35);
    job_w[cell] = owned[cell] * use_job * std::exp(-2.5 * s) * cell_noise(rng, g.mesh_code[cell], 2, 0.6);
    // older stock in the old town and the 1960s-70s Tama new towns, newer in the bay area
    double year = 1986 - 6 * std::min(s, 1.5) + 4 * d.normal();
    if (g.coast_km[cell] < 2 && m.area == "ku") year += 10;
    if (m.code == 13224 || m.code == 13225) year -= 8;  // Tama New Town
    g.building_year[cell] = float(std::clamp(year, 1960.0, 2020.0));
  }
  std::vector<double> pop_sum(ms.size(), 0.0), job_sum(ms.size(), 0.0);
  for (size_t cell = 0; cell < n; ++cell)
    if (g.municipality_index[cell] >= 0) {
      pop_sum[size_t(g.municipality_index[cell])] += pop_w[cell];
      job_sum[size_t(g.municipality_index[cell])] += job_w[cell];
    }
  for (size_t cell = 0; cell < n; ++cell) {
    const int mi = g.municipality_index[cell];
    if (mi < 0) continue;
    const Municipality& m = ms[size_t(mi)];
    if (pop_sum[size_t(mi)] > 0) g.population[cell] = float(m.population * pop_w[cell] / pop_sum[size_t(mi)]);
    // jobs and school places: about 0.6 per resident, weighted by attraction
    if (job_sum[size_t(mi)] > 0)
      g.day_places[cell] = float(0.6 * m.population * job_attraction(m.code) * job_w[cell] / job_sum[size_t(mi)]);
  }

  // ---- [SECTION] overrides ------------------------------------------------------
  // `expected` names the values the layer accepts, between lo and hi
  const auto apply = [&](const std::string& path, const std::string& key, auto&& assign, bool zero_unlisted,
                         double lo, double hi, const char* expected) {
    if (path.empty()) return;
    const auto rows = read_mesh_csv(path, key);
    for (const auto& row : rows)
      if (!(row.value >= lo && row.value <= hi))
        throw ScenarioError({path, int(row.line)}, key, std::string("expected ") + expected + ", got " + format_number(row.value));
    const int digits = g.level == MeshLevel::Third ? 8 : g.level == MeshLevel::Half ? 9 : 10;
    for (const auto& row : rows)
      if (mesh_level_of_code(row.mesh_code) != g.level)
        throw ScenarioError({path, int(row.line)}, key,
                            "mesh code " + std::to_string(row.mesh_code) + " is of another mesh level; expected " +
                                std::to_string(digits) + "-digit codes for city.cell_m = " + std::to_string(p.cell_m));
    if (zero_unlisted) assign(size_t(-1), 0.0);
    size_t matched = 0;
    for (const auto& row : rows) {
      const int64_t cell = g.cell_of_code(row.mesh_code);
      if (cell < 0) continue;  // e-Stat files cover more than the city
      assign(size_t(cell), row.value);
      ++matched;
    }
    if (matched == 0)
      throw ScenarioError({path, 0}, key,
                          "no mesh code in the file lies in the grid (expected " + std::to_string(digits) +
                              "-digit codes for city.cell_m = " + std::to_string(p.cell_m) + ")");
  };
  const auto float_layer = [&](std::vector<float>& layer) {
    return [&layer](size_t cell, double v) {
      if (cell == size_t(-1)) std::fill(layer.begin(), layer.end(), 0.0f);
      else layer[cell] = float(v);
    };
  };
  const double inf = std::numeric_limits<double>::infinity();
  apply(p.layer_population, "city.layers.population", float_layer(g.population), true, 0, inf,
        "a count of people >= 0");
  apply(p.layer_day_places, "city.layers.day_places", float_layer(g.day_places), true, 0, inf,
        "a count of places >= 0");
  apply(p.layer_building_year, "city.layers.building_year", float_layer(g.building_year), false, 1800, 2100,
        "a construction year between 1800 and 2100");
  apply(p.layer_land_use, "city.layers.land_use", [&](size_t cell, double v) {
    if (cell != size_t(-1)) g.land_use[cell] = uint8_t(std::lround(v));
  }, false, 0, 7, "a land-use class 0..7");
  apply(p.layer_water, "city.layers.water", [&](size_t cell, double v) {
    if (cell != size_t(-1)) g.water[cell] = v > 0.5 ? 1 : 0;
  }, false, 0, 1, "a water share between 0 and 1");
  return g;
}

}  // namespace citysim
