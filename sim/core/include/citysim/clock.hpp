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

// ---- calendar: the one place for the day, the hour and the month's length ----
constexpr int64_t kSecondsPerDay = 86400;
// seconds since the local midnight before (or at) t, also before 1970
constexpr int64_t seconds_of_day(LocalSeconds t) { return ((t % kSecondsPerDay) + kSecondsPerDay) % kSecondsPerDay; }
constexpr LocalSeconds midnight_of(LocalSeconds t) { return t - seconds_of_day(t); }
constexpr double hour_of_day(LocalSeconds t) { return double(seconds_of_day(t)) / 3600.0; }
constexpr bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }
int days_in_month(int year, int month);  // month 1..12
int day_of_year(const CivilTime& c);     // 1 on 1 January

// the run's clock: start, tick length and the current tick
struct Clock {
  LocalSeconds start = 0;
  int tick_minutes = 1;
  int64_t tick = 0;  // ticks done so far

  LocalSeconds now() const { return start + tick * tick_minutes * 60; }
  int64_t elapsed_minutes() const { return tick * tick_minutes; }
  // minutes since local midnight of the current day
  int minute_of_day() const { return int(seconds_of_day(now()) / 60); }
  // days since the local midnight before the start
  int64_t day_index() const;
};

}  // namespace citysim
