// Where an [[events]] entry happens, and the power events the core declares.
//
// An area is municipalities (codes or English names) and/or a lat/lon circle. A power
// cut is one real event that several modules react to (the network's sites lose mains
// power, the heat module's air conditioners stop), so the core declares `power_cut` and
// `restoration` once and every module reads the same keys.
#pragma once
#include <cstdint>
#include <vector>

#include "citysim/grid.hpp"
#include "citysim/scenario.hpp"

namespace citysim {

struct Area {
  std::vector<uint8_t> municipality;  // 1 = in the area (grid.municipalities)
  double lat = 0, lon = 0, radius_km = 0;

  // a point in the area: its municipality (index, -1 = none) is listed, or it lies in the circle
  bool contains(int16_t municipality_index, double lat_deg, double lon_deg) const;
  bool contains_cell(const Grid& grid, size_t cell) const;
};

// the area keys of an event kind: municipalities, lat, lon, radius_km
void describe_area(EventKindSpec& event);
// the event's area; throws ScenarioError at the event's line for a municipality that is
// not in the city, or when it names neither municipalities nor a circle
Area area_of(const TimelineEvent& event, const Grid& grid);

// `power_cut` (area, kinds, duration_hours) and `restoration` (area, kinds, share_per_hour)
void describe_power_events(Schema& schema);
bool is_power_event(const std::string& kind);
// when each affected thing gets power back after a restoration: at once, or at a uniform
// time within 1 / share_per_hour hours (u is a uniform draw for that thing)
LocalSeconds restored_at(const TimelineEvent& restoration, double u);

}  // namespace citysim
