// Network sites: generated from the city's people and day places, or read from a CSV;
// and the coverage lists (which sites reach each cell, in attachment order).
//
// [SECTION] sites        kinds and the site table
// [SECTION] generation   densities per cell, systematic sampling for Wi-Fi, offices for satellite
// [SECTION] csv          kind,lat,lon,radius_m,capacity_sessions,backup_hours
// [SECTION] coverage     links per cell with the share of the cell within reach
#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "citysim/city.hpp"
#include "modules/network.hpp"

namespace citysim {

// ---- [SECTION] sites ----------------------------------------------------------------

const char* site_kind_name(SiteKind kind) {
  static const char* names[] = {"lte", "nr_low", "nr_high", "wifi", "satellite"};
  return names[int(kind)];
}

void Sites::add(SiteKind k, uint32_t c, double la, double lo, double r_m, int cap, double backup_hours, int16_t muni,
                LocalSeconds deploy) {
  kind.push_back(uint8_t(k));
  cell.push_back(c);
  lat.push_back(la);
  lon.push_back(lo);
  radius_m.push_back(float(r_m));
  capacity.push_back(cap);
  backup_s.push_back(int32_t(std::lround(backup_hours * 3600)));
  municipality.push_back(muni);
  deploy_at.push_back(deploy);
}

// ---- [SECTION] generation -----------------------------------------------------------

namespace {

// draw entities of the generation stream: purpose in the high bits
constexpr uint64_t kGenCell = 1ull << 40, kGenWifi = 2ull << 40, kGenBackup = 3ull << 40;

struct Placer {
  const NetworkParams& p;
  const Grid& g;
  Rng rng;
  Sites sites;
  double half_lat_deg = mesh_cell_lat_deg(g.level) / 2, half_lon_deg = mesh_cell_lon_deg(g.level) / 2;

  // a site somewhere in the cell; battery time spread around the kind's mean
  void place(SiteKind k, uint32_t cell, Draws& d, LocalSeconds deploy = kAlways) {
    const double la = g.lat[cell] + d.uniform(-half_lat_deg, half_lat_deg);
    const double lo = g.lon[cell] + d.uniform(-half_lon_deg, half_lon_deg);
    const auto& kp = p.kind[size_t(k)];
    Draws b(rng, kGenBackup | sites.size(), 0);
    const double backup_h = kp.backup_hours * (1 + p.backup_spread * (2 * b.uniform() - 1));
    sites.add(k, cell, la, lo, kp.radius_m, p.capacity_sessions(k), backup_h, g.municipality_index[cell], deploy);
  }
  // the same site at an exact point (municipal offices)
  void place_at(SiteKind k, uint32_t cell, double la, double lo, LocalSeconds deploy) {
    const auto& kp = p.kind[size_t(k)];
    sites.add(k, cell, la, lo, kp.radius_m, p.capacity_sessions(k), kp.backup_hours, g.municipality_index[cell], deploy);
  }
};

// `count` cells drawn with probability proportional to weight, by systematic sampling
// (exact count, deterministic, spread like the weights)
std::vector<uint32_t> systematic(const std::vector<double>& weight, int count, double u) {
  std::vector<uint32_t> out;
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  if (count <= 0 || total <= 0) return out;
  const double step = total / count;
  double next = u * step, acc = 0;
  for (size_t c = 0; c < weight.size() && int(out.size()) < count; ++c) {
    acc += weight[c];
    while (next < acc && int(out.size()) < count) {
      out.push_back(uint32_t(c));
      next += step;
    }
  }
  return out;
}

}  // namespace

Sites generate_sites(const NetworkParams& p, const Grid& g, uint64_t seed) {
  Placer pl{p, g, Rng(seed, Stream::Network), {}};
  const size_t n = g.size();
  // people who can be in a cell at its busiest: residents at night or day places by day
  std::vector<double> people(n, 0.0), day(n, 0.0);
  std::vector<uint32_t> land;
  for (size_t c = 0; c < n; ++c) {
    if (!g.is_land(c)) continue;
    people[c] = std::max<double>(g.population[c], g.day_places[c]);
    day[c] = g.day_places[c];
    if (people[c] > 0) land.push_back(uint32_t(c));
  }
  // priority areas: the busiest cells and the municipal office cells (disaster hubs)
  std::vector<uint8_t> priority(n, 0);
  std::vector<uint32_t> by_people = land;
  std::stable_sort(by_people.begin(), by_people.end(), [&](uint32_t a, uint32_t b) { return people[a] > people[b]; });
  const size_t busiest = size_t(std::lround(p.priority_area_share * double(by_people.size())));
  for (size_t i = 0; i < busiest; ++i) priority[by_people[i]] = 1;
  for (const auto& m : g.municipalities) {
    const int64_t c = g.cell_at(m.lat, m.lon);
    if (c >= 0) priority[size_t(c)] = 1;
  }
  // macro cells everywhere people are (at least one 4G site per cell for coverage),
  // high-band small cells in the covered share of priority areas
  for (const uint32_t c : land) {
    Draws d(pl.rng, kGenCell | c, 0);
    const auto count = [&](SiteKind k, int at_least) {
      const double x = people[c] / p.kind[size_t(k)].people_per_site;
      return std::max(at_least, int(std::floor(x + d.uniform())));  // stochastic rounding
    };
    const int lte = count(SiteKind::Lte, 1), nr_low = count(SiteKind::NrLow, 0);
    const bool high = priority[c] && d.uniform() < p.nr_high_coverage;
    const int nr_high = high ? count(SiteKind::NrHigh, 1) : 0;
    for (int i = 0; i < lte; ++i) pl.place(SiteKind::Lte, c, d);
    for (int i = 0; i < nr_low; ++i) pl.place(SiteKind::NrLow, c, d);
    for (int i = 0; i < nr_high; ++i) pl.place(SiteKind::NrHigh, c, d);
  }
  // OpenRoaming Wi-Fi in busy places: stations, offices, shops follow day places
  {
    Draws d(pl.rng, kGenWifi, 0);
    for (const uint32_t c : systematic(day, p.wifi_sites, d.uniform())) pl.place(SiteKind::Wifi, c, d);
  }
  // portable satellite terminals: one per municipal office, the rest at the busiest
  // places (city facilities); stored until a satellite_deployment event
  int terminals = 0;
  for (const auto& m : g.municipalities) {
    const int64_t c = g.cell_at(m.lat, m.lon);
    if (c < 0 || terminals >= p.satellite_terminals) continue;
    pl.place_at(SiteKind::Satellite, uint32_t(c), m.lat, m.lon, kNever);
    ++terminals;
  }
  // the rest of the fleet (Tokyo's 77 = 62 municipal offices + 15 facilities) at the busiest
  // places, whichever municipalities the scenario selects
  const int extra = std::max(0, p.satellite_terminals - terminals);
  for (int i = 0; i < extra && size_t(i) < by_people.size(); ++i) {
    const uint32_t c = by_people[size_t(i)];
    pl.place_at(SiteKind::Satellite, c, g.lat[c], g.lon[c], kNever);
  }
  // satellite-backed Wi-Fi on the islands, round robin over island municipalities, always on
  std::vector<const Municipality*> islands;
  for (const auto& m : g.municipalities)
    if (m.area == "islands" && g.cell_at(m.lat, m.lon) >= 0) islands.push_back(&m);
  for (int i = 0; i < p.island_satellite_wifi && !islands.empty(); ++i) {
    const Municipality& m = *islands[size_t(i) % islands.size()];
    pl.place_at(SiteKind::Satellite, uint32_t(g.cell_at(m.lat, m.lon)), m.lat, m.lon, kAlways);
  }
  return std::move(pl.sites);
}

// ---- [SECTION] csv ------------------------------------------------------------------

Sites load_sites(const std::string& path, const Grid& g, const std::string& key) {
  const CsvTable t = read_csv(path, key);
  const int ck = t.column("kind", key), cla = t.column("lat", key), clo = t.column("lon", key);
  const int cr = t.column("radius_m", key), cc = t.column("capacity_sessions", key), cb = t.column("backup_hours", key);
  Sites sites;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const SourceLoc loc{path, t.lines[r]};
    const std::string& name = t.rows[r][size_t(ck)];
    int kind = -1;
    for (int k = 0; k < kSiteKinds; ++k)
      if (name == site_kind_name(SiteKind(k))) kind = k;
    if (kind < 0)
      throw ScenarioError(loc, key, "expected kind lte, nr_low, nr_high, wifi or satellite, got \"" + name + "\"");
    const double la = t.number(r, cla, key), lo = t.number(r, clo, key);
    const double radius = t.number(r, cr, key), cap = t.number(r, cc, key), backup = t.number(r, cb, key);
    const int64_t cell = g.cell_at(la, lo);
    if (cell < 0)
      throw ScenarioError(loc, key, "site at lat " + t.rows[r][size_t(cla)] + ", lon " + t.rows[r][size_t(clo)] +
                                        " is outside the city grid");
    if (!(radius > 0)) throw ScenarioError(loc, key, "expected radius_m > 0, got " + t.rows[r][size_t(cr)]);
    if (!(cap >= 1) || cap != std::floor(cap))
      throw ScenarioError(loc, key, "expected capacity_sessions a whole number >= 1, got " + t.rows[r][size_t(cc)]);
    if (!(backup >= 0)) throw ScenarioError(loc, key, "expected backup_hours >= 0, got " + t.rows[r][size_t(cb)]);
    sites.add(SiteKind(kind), uint32_t(cell), la, lo, radius, int(cap), backup, g.municipality_index[size_t(cell)]);
  }
  return sites;
}

// ---- [SECTION] coverage -------------------------------------------------------------

Coverage build_coverage(const Sites& s, const Grid& g) {
  const double area_km2 = g.cell_area_km2(), side_km = std::sqrt(area_km2);
  struct Link { uint32_t cell, site; float share; uint8_t rank; float km; };
  std::vector<Link> links;
  for (size_t i = 0; i < s.size(); ++i) {
    const double r_km = s.radius_m[i] / 1000.0;
    // a person in the cell is within reach with probability (reach area / cell area)
    const float share = float(std::min(1.0, std::numbers::pi * r_km * r_km / area_km2));
    const int reach = int(std::ceil(r_km / side_km)) + 1;
    const int r0 = g.row_of(s.cell[i]), c0 = g.col_of(s.cell[i]);
    // attachment order: Wi-Fi first, then cells, satellite last
    const SiteKind k = SiteKind(s.kind[i]);
    const uint8_t rank = k == SiteKind::Wifi ? 0 : k == SiteKind::Satellite ? 2 : 1;
    for (int r = std::max(0, r0 - reach); r <= std::min(g.rows - 1, r0 + reach); ++r)
      for (int c = std::max(0, c0 - reach); c <= std::min(g.cols - 1, c0 + reach); ++c) {
        const size_t cell = size_t(r) * size_t(g.cols) + size_t(c);
        if (!g.is_land(cell)) continue;
        const double km = haversine_km(s.lat[i], s.lon[i], g.lat[cell], g.lon[cell]);
        if (cell == s.cell[i] || km <= r_km) links.push_back({uint32_t(cell), uint32_t(i), share, rank, float(km)});
      }
  }
  std::stable_sort(links.begin(), links.end(), [](const Link& a, const Link& b) {
    if (a.cell != b.cell) return a.cell < b.cell;
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.km < b.km;  // the nearest cell is the best server
  });
  Coverage cov;
  cov.start.assign(g.size() + 1, 0);
  for (const Link& l : links) ++cov.start[l.cell + 1];
  std::partial_sum(cov.start.begin(), cov.start.end(), cov.start.begin());
  for (const Link& l : links) {
    cov.to.push_back(l.site);
    cov.share.push_back(l.share);
    cov.log1m_share.push_back(std::log1p(-double(l.share)));
  }
  return cov;
}

}  // namespace citysim
