#include "citysim/areas.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace citysim {

namespace {

void kinds_key(EventKindSpec& e) {
  e.key("kinds", ValueKind::StringList, std::vector<std::string>{},
        "network: site kinds affected (lte, nr_low, nr_high, wifi, satellite; empty = all)");
}

}  // namespace

bool Area::contains(int16_t m, double lat_deg, double lon_deg) const {
  if (m >= 0 && size_t(m) < municipality.size() && municipality[size_t(m)]) return true;
  return radius_km > 0 && haversine_km(lat, lon, lat_deg, lon_deg) <= radius_km;
}

bool Area::contains_cell(const Grid& g, size_t cell) const {
  return g.is_land(cell) && contains(g.municipality_index[cell], g.lat[cell], g.lon[cell]);
}

void describe_area(EventKindSpec& e) {
  e.key("municipalities", ValueKind::StringList, std::vector<std::string>{}, "municipality codes, English or Japanese names");
  e.key("lat", ValueKind::Float, 0.0, "centre of a circle, degrees");
  e.key("lon", ValueKind::Float, 0.0, "centre of a circle, degrees");
  e.key("radius_km", ValueKind::Float, 0.0, "radius of the circle (0 = no circle)").units("km").at_least(0);
}

Area area_of(const TimelineEvent& ev, const Grid& g) {
  Area a;
  a.municipality.assign(g.municipalities.size(), 0);
  for (const auto& name : std::get<std::vector<std::string>>(ev.values.at("municipalities"))) {
    bool found = false;
    for (size_t m = 0; m < g.municipalities.size(); ++m)
      if (g.municipalities[m].named(name)) {
        a.municipality[m] = 1;
        found = true;
      }
    if (!found)
      throw ScenarioError(ev.loc, "events.municipalities",
                          "unknown municipality \"" + name + "\" (expected a code like 13101 or a name, English or Japanese, of the city's municipalities)");
  }
  a.lat = ev.get_double("lat");
  a.lon = ev.get_double("lon");
  a.radius_km = ev.get_double("radius_km");
  const bool any_muni = std::find(a.municipality.begin(), a.municipality.end(), 1) != a.municipality.end();
  if (!any_muni && a.radius_km <= 0)
    throw ScenarioError(ev.loc, "events.municipalities",
                        "an event of kind \"" + ev.kind + "\" needs municipalities or a circle (lat, lon, radius_km > 0)");
  return a;
}

void describe_power_events(Schema& s) {
  auto& cut = s.event("power_cut",
                      "mains power cut in an area: network sites run on battery for their backup hours, then go down; "
                      "air conditioners stop (heat)");
  describe_area(cut);
  kinds_key(cut);
  cut.key("duration_hours", ValueKind::Float, 0.0, "until power is back by itself (0 = until a restoration event)")
      .units("h")
      .at_least(0);
  auto& restore = s.event("restoration", "mains power back in an area (and destroyed network sites rebuilt)");
  describe_area(restore);
  kinds_key(restore);
  restore.key("share_per_hour", ValueKind::Float, 0.0, "share of the affected sites and cells restored per hour (0 = all at once)")
      .range(0, 1);
}

bool is_power_event(const std::string& kind) { return kind == "power_cut" || kind == "restoration"; }

LocalSeconds restored_at(const TimelineEvent& ev, double u) {
  const double per_hour = ev.get_double("share_per_hour");
  const double after_h = per_hour > 0 ? u / per_hour : 0;  // spread evenly: about `share` per hour
  return ev.at + LocalSeconds(std::llround(after_h * 3600));
}

}  // namespace citysim
