// Simulated time. Tokyo has no daylight saving, so Asia/Tokyo is UTC+09:00 all year
// and a local datetime maps to one instant.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace citysim {

// seconds since 1970-01-01T00:00:00+09:00 (local Tokyo epoch): local calendar
// arithmetic needs no time zone rules
using LocalSeconds = int64_t;

// parse "2026-08-03T14:00", "2026-08-03T14:00:00", "2026-08-03 14:00:00+09:00"
// or a date "2026-08-03"; an offset other than +09:00/Z is converted to Tokyo time.
// returns nullopt on anything else (including impossible dates like 02-30)
std::optional<LocalSeconds> parse_datetime(const std::string& text);
// "2026-08-03T14:00:00+09:00"
std::string format_datetime(LocalSeconds t);

struct CivilTime {
  int year, month, day, hour, minute, second;
  int weekday;  // 0 Monday .. 6 Sunday
};
CivilTime civil(LocalSeconds t);

// the run's clock: start, tick length and the current tick
struct Clock {
  LocalSeconds start = 0;
  int tick_minutes = 1;
  int64_t tick = 0;  // ticks done so far

  LocalSeconds now() const { return start + tick * tick_minutes * 60; }
  int64_t elapsed_minutes() const { return tick * tick_minutes; }
  // minutes since local midnight of the current day
  int minute_of_day() const { return int(((now() % 86400) + 86400) % 86400 / 60); }
  // days since the local midnight before the start
  int64_t day_index() const;
};

}  // namespace citysim
