#define BOOST_TEST_MODULE scenario_file
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

using namespace citysim;

namespace {
// the message of the ScenarioError a scenario text raises ("" when none)
std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    Scenario sc = io::parse_scenario(text, "bad.toml", CITYSIM_SOURCE_DIR "/tests");
    for (const auto& s : sets) io::apply_override(sc, s);
    sc.check_consistency();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}
std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  const auto dir = std::filesystem::temp_directory_path() / "citysim_test_scenario";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name) << content;
  return dir / name;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_bundled_scenarios_validate) {
  for (const auto& entry : std::filesystem::directory_iterator(CITYSIM_SOURCE_DIR "/scenarios"))
    // *.ens.toml are ensemble plans (tests/ensemble checks them)
    if (entry.path().extension() == ".toml" && entry.path().stem().extension() != ".ens")
      BOOST_CHECK_NO_THROW(io::load_scenario(entry.path().string()));
}

BOOST_AUTO_TEST_CASE(values_are_read_with_their_types) {
  const Scenario sc = io::parse_scenario(
      "[run]\nseed = 42\nduration_hours = 2\nstart = 2026-08-03T14:00:00\n[city]\npopulation_scale = 0.5\n"
      "municipalities = [\"Chiyoda\"]\n",
      "ok.toml", ".");
  BOOST_TEST(sc.get_int("run.seed") == 42);
  BOOST_TEST(sc.get_double("run.duration_hours") == 2.0);  // an integer where a number is expected is fine
  BOOST_TEST(format_datetime(sc.get_time("run.start")) == "2026-08-03T14:00:00+09:00");
  BOOST_TEST(sc.get_double("city.population_scale") == 0.5);
  BOOST_TEST(sc.get_int("city.cell_m") == 1000);  // default
}

BOOST_AUTO_TEST_CASE(unknown_key_names_file_line_and_suggests) {
  BOOST_TEST(error_of("[run]\nseed = 1\n\n[city]\npopulaton_scale = 0.1\n") ==
             "bad.toml:5: key 'city.populaton_scale': unknown key (did you mean 'city.population_scale'?)");
}

BOOST_AUTO_TEST_CASE(wrong_type) {
  BOOST_TEST(error_of("[run]\nseed = \"abc\"\n") ==
             "bad.toml:2: key 'run.seed': expected an integer in [0, inf), got string \"abc\"");
  BOOST_TEST(error_of("[run]\nseed = 1.5\n") == "bad.toml:2: key 'run.seed': expected an integer in [0, inf), got number 1.5");
}

BOOST_AUTO_TEST_CASE(out_of_range) {
  BOOST_TEST(error_of("[city]\npopulation_scale = 1.5\n") ==
             "bad.toml:2: key 'city.population_scale': expected a number in (0, 1], got number 1.5");
  BOOST_TEST(error_of("[city]\npopulation_scale = 0\n") ==
             "bad.toml:2: key 'city.population_scale': expected a number in (0, 1], got integer 0");
  BOOST_TEST(error_of("[city]\ncell_m = 300\n") == "bad.toml:2: key 'city.cell_m': expected one of 1000, 500, 250, got integer 300");
}

BOOST_AUTO_TEST_CASE(bad_date) {
  BOOST_TEST(error_of("[run]\nstart = \"2026-02-30T00:00\"\n") ==
             "bad.toml:2: key 'run.start': expected a datetime like 2026-08-03T00:00 (Asia/Tokyo), got "
             "\"2026-02-30T00:00\" (not a valid date/time)");
}

BOOST_AUTO_TEST_CASE(missing_layer_file) {
  const std::string msg = error_of("[city.layers]\npopulation = \"no_such_file.csv\"\n");
  BOOST_TEST(msg.find("bad.toml:2: key 'city.layers.population': file not found:") == 0);
  BOOST_TEST(msg.find("no_such_file.csv") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_csv_row_names_the_csv_file_and_line) {
  const auto csv = temp_file("pop_bad.csv", "mesh_code,value\n53394611,100\n5339461,abc\n");
  Scenario sc = io::parse_scenario("[city.layers]\npopulation = \"" + csv.string() + "\"\n", "bad.toml", ".");
  try {
    Simulation sim(sc, 1);
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()) ==
               csv.string() + ":3: key 'city.layers.population': malformed CSV row: expected an 8-, 9- or 10-digit "
                              "mesh code in the first column, got \"5339461\"");
  }
  const auto csv2 = temp_file("pop_bad2.csv", "mesh_code,value\n53394611\n");
  sc = io::parse_scenario("[city.layers]\npopulation = \"" + csv2.string() + "\"\n", "bad.toml", ".");
  BOOST_CHECK_EXCEPTION(Simulation(sc, 1), ScenarioError, [&](const ScenarioError& e) {
    return std::string(e.what()).find(csv2.string() + ":2:") == 0 &&
           std::string(e.what()).find("expected 2 fields (mesh_code,value), got 1") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(toml_syntax_error_has_a_line) {
  const std::string msg = error_of("[run]\nseed = 1\nname = \n");
  BOOST_TEST(msg.find("bad.toml:3: TOML syntax error") == 0);
}

BOOST_AUTO_TEST_CASE(overrides_use_the_same_keys_and_checks) {
  BOOST_TEST(error_of("", {"city.population_scale=0.05"}) == "");
  BOOST_TEST(error_of("", {"city.population_scale=2"}) ==
             "--set city.population_scale=2: key 'city.population_scale': expected a number in (0, 1], got number 2");
  BOOST_TEST(error_of("", {"city.populationscale=0.1"}).find("did you mean 'city.population_scale'") != std::string::npos);
  BOOST_TEST(error_of("", {"noequals"}) ==
             "--set: key 'noequals': expected key=value, e.g. city.population_scale=0.05");
  Scenario sc = io::parse_scenario("", "x.toml", ".");
  io::apply_override(sc, "city.municipalities=[Chiyoda, Chuo]");
  BOOST_TEST(std::get<std::vector<std::string>>(sc.get("city.municipalities")).size() == 2u);
}

BOOST_AUTO_TEST_CASE(duration_must_be_whole_ticks) {
  BOOST_TEST(error_of("[run]\ntick_minutes = 7\nduration_hours = 1\n") ==
             "bad.toml:3: key 'run.duration_hours': expected a whole number of ticks (tick_minutes = 7)");
}

BOOST_AUTO_TEST_CASE(the_reference_page_is_up_to_date) {
  std::ifstream in(CITYSIM_SOURCE_DIR "/docs/scenario-reference.md");
  const std::string committed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(committed == scenario_schema().markdown(), "docs/scenario-reference.md is stale: run `make docs`");
}

BOOST_AUTO_TEST_CASE(events_are_checked_at_load) {
  BOOST_TEST(error_of("[[events]]\nkind = \"earthquake_xyz\"\nat = \"2026-08-03T10:00\"\n") ==
             "bad.toml:1: key 'events.kind': unknown event kind \"earthquake_xyz\" (known kinds: " +
                 [] {
                   std::string k;
                   for (const auto& e : scenario_schema().events()) k += (k.empty() ? "" : ", ") + e.kind;
                   return k;
                 }() + ")");
  BOOST_TEST(error_of("[[events]]\nkind = \"set\"\nat = \"2026-08-03T10:00\"\nkey = \"residents.walk_kmh\"\nvalue = \"-1\"\n") ==
             "bad.toml:1: key 'residents.walk_kmh': expected a number in (0, inf), got number -1");
  BOOST_TEST(error_of("[run]\nstart = \"2026-08-03T00:00\"\n[[events]]\nkind = \"set\"\nat = \"2026-08-09T10:00\"\n"
                      "key = \"residents.walk_kmh\"\nvalue = \"4\"\n") ==
             "bad.toml:3: key 'events.at': expected a time within the run (2026-08-03T00:00:00+09:00 to "
             "2026-08-04T00:00:00+09:00), got 2026-08-09T10:00:00+09:00");
  BOOST_TEST(error_of("[[events]]\nkind = \"set\"\nat = \"2026-08-03T10:00\"\nkye = \"x\"\n") ==
             "bad.toml:4: key 'events.kye': unknown key for an event of kind \"set\" (its keys: kind, at, key, value)");
}

BOOST_AUTO_TEST_CASE(arrays_of_tables_become_parallel_arrays) {
  const Scenario sc = io::parse_scenario(
      "[[vertiport.sites]]\nnames = \"Ariake\"\nlat = 35.63\nlon = 139.79\n"
      "[[vertiport.sites]]\nnames = \"Haneda\"\nlat = 35.55\nlon = 139.78\n",
      "sites.toml", ".");
  BOOST_TEST((std::get<std::vector<std::string>>(sc.get("vertiport.sites.names")) ==
              std::vector<std::string>{"Ariake", "Haneda"}));
  BOOST_TEST((std::get<std::vector<double>>(sc.get("vertiport.sites.lat")) == std::vector<double>{35.63, 35.55}));
  BOOST_TEST(error_of("[[vertiport.sites]]\nnames = \"A\"\nlat = 35.6\n[[vertiport.sites]]\nnames = \"B\"\n") ==
             "bad.toml:1: key 'vertiport.sites.lat': expected every [[vertiport.sites]] entry to have 'lat' (1 of 2 do)");
}

namespace {
// a parameter struct of every kind of key, named once in keys()
struct Knobs {
  bool on = false;
  int count = 3;
  double share = 0.25;
  std::string file;
  std::array<double, 2> pair = {1, 2};
  std::vector<double> curve = {0.5};
  void keys(ParamKeys& k) {
    k.section("t", "test knobs");
    k.key("t.on", on, "a flag");
    k.key("t.count", count, "a count").range(0, 10);
    k.key("t.share", share, "a share").range(0, 1);
    k.path("t.file", file, "a file");
    k.list("t.pair", pair, "low, high", "two values");
    k.key("t.curve", curve, "any number of values");
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(param_keys_describe_with_the_defaults_and_read_the_same_keys) {
  Schema schema;
  {
    Knobs defaults;
    ParamKeys k(schema);
    defaults.keys(k);
  }
  BOOST_TEST(schema.keys().size() == 6u);
  const KeySpec* count = schema.find("t.count");
  BOOST_REQUIRE(count);
  BOOST_TEST(std::get<int64_t>(count->default_value) == 3);
  BOOST_TEST(*count->max == 10.0);
  BOOST_TEST(std::string(kind_name(schema.find("t.file")->kind)) == kind_name(ValueKind::Path));
  BOOST_TEST(std::get<std::vector<double>>(schema.find("t.pair")->default_value) == (std::vector<double>{1, 2}),
             boost::test_tools::per_element());

  Scenario sc(schema);
  sc.base_dir = CITYSIM_SOURCE_DIR "/tests";  // relative paths resolve against the scenario's folder
  sc.set("t.on", true);
  sc.set("t.count", int64_t(7));
  sc.set("t.file", std::string("golden/small.toml"));
  sc.set("t.pair", std::vector<double>{4, 5});
  Knobs read;
  ParamKeys k(sc);
  read.keys(k);
  BOOST_TEST(read.on);
  BOOST_TEST(read.count == 7);
  BOOST_TEST(read.share == 0.25);  // unset: the default
  BOOST_TEST(read.file == CITYSIM_SOURCE_DIR "/tests/golden/small.toml");
  BOOST_TEST(read.pair[1] == 5.0);
  BOOST_TEST(read.curve.size() == 1u);
  // the ranges described are the ones values are checked against; a list of the wrong
  // length is refused when read, naming the key and what its values are
  BOOST_CHECK_THROW(sc.set("t.share", 2.0), ScenarioError);
  sc.set("t.pair", std::vector<double>{1, 2, 3});
  try {
    ParamKeys again(sc);
    read.keys(again);
    BOOST_FAIL("a list of three values was read for two");
  } catch (const ScenarioError& e) {
    BOOST_TEST(e.key() == "t.pair");
    BOOST_TEST(e.reason() == "expected 2 values (low, high), got 3");
  }
}
