#define BOOST_TEST_MODULE clock
#include <boost/test/unit_test.hpp>

#include "citysim/clock.hpp"

using namespace citysim;

BOOST_AUTO_TEST_CASE(parses_and_formats_tokyo_time) {
  const auto t = parse_datetime("2026-08-03T14:30");
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(format_datetime(*t) == "2026-08-03T14:30:00+09:00");
  const CivilTime c = civil(*t);
  BOOST_TEST(c.weekday == 0);  // 3 August 2026 is a Monday
  BOOST_TEST(c.hour == 14);
  BOOST_TEST(*parse_datetime("2026-08-03 14:30:00+09:00") == *t);
  BOOST_TEST(*parse_datetime("2026-08-03T05:30:00Z") == *t);  // UTC converts to Tokyo
  BOOST_TEST(*parse_datetime("2026-08-03") == *t - 14 * 3600 - 30 * 60);
}

BOOST_AUTO_TEST_CASE(rejects_impossible_dates) {
  BOOST_TEST(!parse_datetime("2026-02-29T00:00"));  // 2026 is not a leap year
  BOOST_TEST(!parse_datetime("2026-13-01"));
  BOOST_TEST(!parse_datetime("2026-08-03T24:00"));
  BOOST_TEST(!parse_datetime("3 August 2026"));
  BOOST_TEST(parse_datetime("2028-02-29T00:00").has_value());
}

BOOST_AUTO_TEST_CASE(clock_minute_of_day_and_day_index) {
  Clock clock{*parse_datetime("2026-08-03T23:58"), 1, 0};
  BOOST_TEST(clock.minute_of_day() == 23 * 60 + 58);
  clock.tick = 3;
  BOOST_TEST(clock.minute_of_day() == 1);
  BOOST_TEST(clock.day_index() == 1);
  BOOST_TEST(clock.elapsed_minutes() == 3);
}
