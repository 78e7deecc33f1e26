// Helpers shared by the tests: small inline scenarios that run in well under a second.
#pragma once
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

namespace citysim::test {

// three central wards at 2% of their population, `hours` long, plus extra TOML
inline Scenario small_city(double hours = 6, const std::string& extra = "", const std::string& start = "2026-08-03T06:00") {
  const std::string text = "[run]\nname = \"small\"\nseed = 7\nstart = \"" + start + "\"\nduration_hours = " +
                           std::to_string(hours) +
                           "\ntick_minutes = 1\noutput_every_minutes = 60\n"
                           "[city]\npopulation_scale = 0.02\nmunicipalities = [\"Chiyoda\", \"Chuo\", \"Bunkyo\", \"Taito\"]\n" +
                           extra;
  return io::parse_scenario(text, "small.toml", CITYSIM_SOURCE_DIR "/tests");
}

// everything a run publishes, one entry per series, field and table column, as raw bytes:
// equal runs give equal entries bit for bit (NaN included, which == on doubles misses)
struct Published {
  std::vector<std::string> names, bytes;
  size_t values = 0;  // numbers compared, so a test can require a run that published some
  std::map<std::string, size_t> rows;  // each table's rows
};
template <class T>
void add_bytes(Published& p, const std::string& name, const std::vector<T>& v) {
  p.names.push_back(name);
  p.bytes.emplace_back(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  p.values += v.size();
}
inline Published published(const Simulation& sim) {
  Published p;
  for (const auto& s : sim.metrics().series()) add_bytes(p, "series " + s.info.path, s.history);
  for (const auto& f : sim.metrics().fields()) add_bytes(p, "field " + f.info.path, f.values);
  for (const auto& t : sim.metrics().tables()) {
    p.rows[t.info.path] = t.rows;
    for (size_t c = 0; c < t.ints.size(); ++c) add_bytes(p, "table " + t.info.path + " ints " + std::to_string(c), t.ints[c]);
    for (size_t c = 0; c < t.floats.size(); ++c) add_bytes(p, "table " + t.info.path + " floats " + std::to_string(c), t.floats[c]);
    for (size_t c = 0; c < t.texts.size(); ++c) {
      std::string joined;
      for (const auto& x : t.texts[c]) joined += x + '\0';
      p.names.push_back("table " + t.info.path + " texts " + std::to_string(c));
      p.bytes.push_back(joined);
      p.values += t.texts[c].size();
    }
  }
  add_bytes(p, "resident cells", sim.residents().cell);
  return p;
}

// runs `scenario` to the end on each thread count and requires every published series,
// field and table, and every resident's cell, to be identical to the first run's; returns
// the first run's publication (for checks that the run did something)
inline Published expect_thread_invariant(const Scenario& scenario, std::initializer_list<int> threads = {1, 2, 4}) {
  std::vector<Published> runs;
  for (const int t : threads) {
    Simulation sim(scenario, t);
    sim.run();
    runs.push_back(published(sim));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    BOOST_REQUIRE(runs[r].names == runs[0].names);
    for (size_t i = 0; i < runs[0].bytes.size(); ++i)
      BOOST_CHECK_MESSAGE(runs[r].bytes[i] == runs[0].bytes[i], runs[0].names[i] << " differs between "
                                                                                  << *threads.begin() << " and "
                                                                                  << *(threads.begin() + r) << " threads");
  }
  return runs.front();
}

}  // namespace citysim::test
