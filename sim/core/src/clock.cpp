#include "citysim/clock.hpp"

#include <cstdio>
#include <regex>

namespace citysim {
namespace {

// days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm)
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = int(doy - (153 * mp + 2) / 5 + 1);
  m = int(mp < 10 ? mp + 3 : mp - 9);
  y = int(yoe + era * 400 + (m <= 2));
}

}  // namespace

int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : dm[m - 1];
}

int day_of_year(const CivilTime& c) {
  static const int month_start[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  return month_start[c.month - 1] + c.day + (is_leap_year(c.year) && c.month > 2 ? 1 : 0);
}

std::optional<LocalSeconds> parse_datetime(const std::string& text) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  const int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  const int h = m[4].matched ? std::stoi(m[4]) : 0, mi = m[5].matched ? std::stoi(m[5]) : 0;
  const int s = m[6].matched ? std::stoi(m[6]) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  int offset_s = 9 * 3600;  // Asia/Tokyo unless the text says otherwise
  if (m[7].matched) {
    const std::string z = m[7];
    if (z == "Z") {
      offset_s = 0;
    } else {
      const int oh = std::stoi(z.substr(1, 2)), om = std::stoi(z.substr(z.size() - 2));
      offset_s = (z[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
  }
  const LocalSeconds local = days_from_civil(y, unsigned(mo), unsigned(d)) * 86400 + h * 3600 + mi * 60 + s;
  return local + (9 * 3600 - offset_s);
}

CivilTime civil(LocalSeconds t) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  const int64_t sod = t - days * 86400;
  CivilTime c{};
  civil_from_days(days, c.year, c.month, c.day);
  c.hour = int(sod / 3600);
  c.minute = int(sod % 3600 / 60);
  c.second = int(sod % 60);
  c.weekday = int(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
  return c;
}

std::string format_datetime(LocalSeconds t) {
  const CivilTime c = civil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+09:00", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

int64_t Clock::day_index() const {
  const auto floor_day = [](LocalSeconds t) { return t >= 0 ? t / 86400 : -((-t + 86399) / 86400); };
  return floor_day(now()) - floor_day(start);
}

}  // namespace citysim
