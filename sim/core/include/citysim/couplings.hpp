// What modules tell each other. Shared per-cell state lives in Couplings (written by
// one module, read by later phases); one-off happenings go through typed event streams
// (World::events). Each item names its writer; an empty vector or function means that module is off.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "citysim/clock.hpp"

namespace citysim {

struct Couplings {
  // heat -> residents' exposure, watch-over, vertiports: outdoor WBGT now (cells), °C
  std::vector<float> wbgt_c;
  // heat -> everyone: 0 none, 1 heat-stroke alert (警戒アラート), 2 special alert (特別警戒アラート),
  // in force on day heat_alert_day (the clock's day_index; -1 = heat off), and the one
  // issued for the day after (announced the evening before)
  int heat_alert_level = 0, heat_alert_tomorrow = 0;
  int64_t heat_alert_day = -1;
  // the alert level in force on `day`, as far as it is known now (0 = none or unknown)
  int heat_alert_on(int64_t day) const {
    return day == heat_alert_day ? heat_alert_level : day == heat_alert_day + 1 ? heat_alert_tomorrow : 0;
  }
  // heat/weather -> vertiports: wind speed now, m/s, and rain, mm/h (city-wide)
  float wind_m_s = 0, rain_mm_h = 0;
  // network -> watch-over and others: probability a session started in the cell now
  // is carried, 0..1; computed from the network's state when asked, since only a few
  // cells are asked about, on few ticks
  std::function<float(uint32_t cell)> network_ok;
};

// heat -> watch-over: a resident falls ill from heat
struct HeatIllnessEvent {
  uint32_t resident;   // index into Residents
  uint32_t cell;
  LocalSeconds time;
  float wbgt_c;        // WBGT the resident was exposed to, °C
  uint8_t severity;    // 1 mild, 2 moderate (needs transport), 3 severe
  bool at_home;
};

// watch-over -> network: a report or emergency call needs a session with priority
struct PrioritySessionEvent {
  uint32_t cell;
  LocalSeconds time;
  float holding_min;   // expected session length, minutes
};

}  // namespace citysim
