// Helpers shared by the vertiport tests: a vertiport-only run and table access.
#pragma once
#include <boost/test/unit_test.hpp>

#include <string>
#include <variant>

#include "support.hpp"

namespace citysim::test {

// a vertiport-only run on the small test city (residents off), `hours` long
inline Scenario vertiport_run(double hours, const std::string& vertiport_toml, const std::string& events = "") {
  return small_city(hours, "[residents]\nenabled = false\n[vertiport]\nenabled = true\n" + vertiport_toml + events,
                    "2026-08-03T00:00");
}

inline const Table& table(const Simulation& sim, const std::string& path) {
  const Table* t = sim.metrics().find_table(path);
  BOOST_REQUIRE(t);
  return *t;
}
inline size_t column(const Table& t, const std::string& name) {
  for (size_t c = 0; c < t.columns.size(); ++c)
    if (t.columns[c].name == name) return c;
  BOOST_FAIL("no column " + name);
  return 0;
}
inline double num(const Table& t, size_t row, const std::string& name) {
  const Cell c = t.at(row, column(t, name));
  return std::holds_alternative<double>(c) ? std::get<double>(c) : double(std::get<int64_t>(c));
}
inline std::string text(const Table& t, size_t row, const std::string& name) {
  return std::get<std::string>(t.at(row, column(t, name)));
}

}  // namespace citysim::test
