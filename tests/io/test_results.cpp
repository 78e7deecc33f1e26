// Results files: what the writer puts in is what the reader gets back, interrupted runs
// stay readable, and info/compare say the right things.
#define BOOST_TEST_MODULE results
#include <boost/test/unit_test.hpp>

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "citysim/io/results.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace citysim;
using namespace citysim::io;

namespace {

// a fresh scratch folder per test; the writer must create it
std::string scratch(const std::string& name) {
  const fs::path dir = fs::path(CITYSIM_BINARY_DIR) / "test_results" / name;
  fs::remove_all(dir);
  return (dir / "run.h5").string();
}

// runs the scenario to its end with a writer and returns the summary read back
ResultsSummary run_to_file(const Scenario& scenario, const std::string& path) {
  Simulation sim(scenario, 2);
  ResultsWriter writer(path);
  sim.add_sink(&writer);
  sim.run();
  return read_results(path);
}

const SeriesData& series(const ResultsSummary& r, const std::string& path) {
  const auto it = std::find_if(r.series.begin(), r.series.end(), [&](const SeriesData& s) { return s.path == path; });
  BOOST_TEST_REQUIRE((it != r.series.end()), "no series " + path);
  return *it;
}

}  // namespace

BOOST_AUTO_TEST_CASE(file_holds_what_the_metrics_held) {
  const std::string path = scratch("complete"), crash_copy = path + ".crash.h5";
  Scenario scenario = test::small_city(6);
  io::apply_override(scenario, "residents.walk_kmh=5");
  Simulation sim(scenario, 2);
  ResultsWriter writer(path);
  sim.add_sink(&writer);

  sim.run(180);  // samples at 06:00, 07:00, 08:00, 09:00
  const std::vector<float> present_at_9 = sim.metrics().find_field("residents/present")->values;
  // a copy of the file as a crash would leave it: flushed after the last sample
  fs::copy_file(path + ".partial", crash_copy);
  sim.run();

  BOOST_TEST(!fs::exists(path + ".partial"));
  BOOST_TEST(fs::exists(path));
  const ResultsSummary r = read_results(path);
  BOOST_TEST(r.complete);
  BOOST_TEST(r.meta.at("seed") == "7");
  BOOST_TEST(r.meta.at("scenario_name") == "small");
  BOOST_TEST(r.meta.at("start") == "2026-08-03T06:00:00+09:00");
  BOOST_TEST(r.meta.at("complete") == "1");
  BOOST_TEST(r.scenario_toml == scenario.source_text);
  BOOST_TEST(r.rows == sim.grid().rows);
  BOOST_TEST(r.cols == sim.grid().cols);
  BOOST_TEST(r.time_s == (std::vector<double>{0, 3600, 7200, 10800, 14400, 18000, 21600}),
             boost::test_tools::per_element());
  BOOST_TEST(r.time_iso.front() == "2026-08-03T06:00:00+09:00");
  BOOST_TEST(r.time_iso.back() == "2026-08-03T12:00:00+09:00");

  BOOST_TEST_REQUIRE(r.series.size() == sim.metrics().series().size());
  for (const Series& s : sim.metrics().series()) {
    BOOST_TEST_CONTEXT(s.info.path) {
      const SeriesData& got = series(r, s.info.path);
      BOOST_TEST(got.values == s.history, boost::test_tools::per_element());
      BOOST_TEST(got.width == s.width());
      BOOST_TEST(got.units == s.info.units);
      BOOST_TEST(got.description == s.info.description);
      BOOST_TEST(got.dimension == s.breakdown.dimension);
      BOOST_TEST(got.labels == s.breakdown.labels, boost::test_tools::per_element());
    }
  }

  BOOST_TEST_REQUIRE(r.fields.size() == sim.metrics().fields().size());
  BOOST_TEST(r.fields[0].shape == (std::vector<size_t>{7, size_t(r.rows), size_t(r.cols)}),
             boost::test_tools::per_element());
  BOOST_TEST(r.fields[0].units == "people");
  BOOST_TEST(r.overrides == std::vector<std::string>{"residents.walk_kmh=5"}, boost::test_tools::per_element());
  BOOST_TEST(r.fields_every == 1);
  BOOST_TEST(read_field(path, "residents/present", 3) == present_at_9, boost::test_tools::per_element());
  BOOST_CHECK_THROW(read_field(path, "residents/present", 7), std::runtime_error);

  const ResultsSummary crashed = read_results(crash_copy);
  BOOST_TEST(!crashed.complete);
  BOOST_TEST(crashed.time_s.size() == 4u);
  BOOST_TEST(describe_results(crashed, crash_copy).find("never closed") != std::string::npos);
  const Series& home = *sim.metrics().find_series("residents/at_home");
  BOOST_TEST(series(crashed, "residents/at_home").values ==
                 std::vector<double>(home.history.begin(), home.history.begin() + 4),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(run_ended_early_is_readable_and_incomplete) {
  const std::string path = scratch("incomplete");
  Simulation sim(test::small_city(6), 2);
  ResultsWriter writer(path, 2);  // fields at samples 0, 2, 4...
  sim.add_sink(&writer);
  sim.run(180);  // samples 0..3
  sim.finish(false);

  // an interrupted run stays under the .partial name: it never replaces a complete file
  BOOST_TEST(!fs::exists(path));
  const ResultsSummary r = read_results(path + ".partial");
  BOOST_TEST(!r.complete);
  BOOST_TEST(r.time_s.size() == 4u);
  BOOST_TEST(r.fields[0].shape.at(0) == 2u);
  BOOST_TEST(r.meta.at("fields_every") == "2");
  BOOST_TEST(describe_results(r, path).find("stopped before the end") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_interrupted_run_never_replaces_a_complete_file) {
  const std::string path = scratch("kept");
  const ResultsSummary complete = run_to_file(test::small_city(6), path);
  {
    Simulation sim(test::small_city(6), 2);
    ResultsWriter writer(path);
    sim.add_sink(&writer);
    sim.run(60);
    sim.finish(false);
  }
  const ResultsSummary kept = read_results(path);
  BOOST_TEST(kept.complete);
  BOOST_TEST(kept.time_s.size() == complete.time_s.size());
  BOOST_TEST(read_results(path + ".partial").time_s.size() == 2u);
  // unless asked: --overwrite-incomplete
  {
    Simulation sim(test::small_city(6), 2);
    ResultsWriter writer(path);
    writer.set_overwrite_incomplete(true);
    sim.add_sink(&writer);
    sim.run(60);
    sim.finish(false);
  }
  BOOST_TEST(!read_results(path).complete);
}

BOOST_AUTO_TEST_CASE(output_paths_that_cannot_be_written_are_named) {
  const std::string dir = fs::path(scratch("outdir")).parent_path().string();
  fs::create_directories(dir);
  BOOST_TEST(output_path_problem(dir) == dir + ": is a directory, expected a results file name");
  BOOST_TEST(output_path_problem(dir + "/new/deeper/x.h5") == "");  // missing folders are made
  const std::string file = dir + "/plain.txt";
  std::ofstream(file) << "x";
  BOOST_TEST(output_path_problem(file + "/x.h5") == file + "/x.h5: " + file + " is not a folder");
}

// metrics the residents module doesn't have: tables, breakdowns sharing a dimension name
BOOST_AUTO_TEST_CASE(tables_and_breakdowns_sharing_a_dimension_name) {
  const std::string path = scratch("tables");
  Simulation sim(test::small_city(2), 2);
  // registered the way a module's init would, before the first step
  Metrics& metrics = const_cast<Metrics&>(sim.metrics());
  const TableId table = metrics.add_table(
      {"test/alerts", "1", "test alerts"},
      {{"cell", ColumnType::Int, "1"}, {"level", ColumnType::Float, "m"}, {"note", ColumnType::Text, ""}});
  const SeriesId xy1 = metrics.add_series({"test/xy1", "1", "x and y"}, {"kind", {"x", "y"}});
  const SeriesId xy2 = metrics.add_series({"test/xy2", "1", "x and y again"}, {"kind", {"x", "y"}});
  const SeriesId pqr = metrics.add_series({"test/pqr", "1", "other kinds"}, {"kind", {"p", "q", "r"}});
  const SeriesId named_kind = metrics.add_series({"other/kind", "1", "a series named like a dimension"});
  const SeriesId ab = metrics.add_series({"other/ab", "1", "a and b"}, {"kind", {"a", "b"}});
  metrics.values(xy1)[1] = 2;
  metrics.values(xy2)[0] = 3;
  metrics.values(pqr)[2] = 4;
  metrics.set(named_kind, 5);
  metrics.values(ab)[0] = 6;
  ResultsWriter writer(path);
  sim.add_sink(&writer);
  metrics.table(table).append({int64_t(1), 0.5, std::string("before the start")});
  sim.run(60);
  metrics.table(table).append({int64_t(2), 1.5, std::string(40, 'x')});  // longer than a text column
  sim.run(90);
  metrics.table(table).append({int64_t(3), 2.5, std::string("after the last sample")});
  sim.finish(true);

  const ResultsSummary r = read_results(path);
  BOOST_TEST_REQUIRE(r.tables.size() == 1u);
  BOOST_TEST(r.tables[0].first == "test/alerts");
  BOOST_TEST(r.tables[0].second == 3u);
  // rows read back as written, units per column, long text cut at 32 bytes
  const Table back = read_table(path, "test/alerts");
  BOOST_TEST_REQUIRE(back.rows == 3u);
  // the first column is when each row was written: seconds since the start (1-minute ticks)
  BOOST_TEST(back.columns[0].name == "time");
  BOOST_TEST(std::get<double>(back.at(0, 0)) == 0.0);
  BOOST_TEST(std::get<double>(back.at(1, 0)) == 60 * 60.0);
  BOOST_TEST(std::get<double>(back.at(2, 0)) == 90 * 60.0);
  BOOST_TEST(std::get<int64_t>(back.at(1, 1)) == 2);
  BOOST_TEST(std::get<double>(back.at(2, 2)) == 2.5);
  BOOST_TEST(std::get<std::string>(back.at(0, 3)) == "before the start");
  BOOST_TEST(std::get<std::string>(back.at(1, 3)) == std::string(32, 'x'));
  BOOST_TEST(back.columns[2].units == "m");
  for (const Series& s : metrics.series()) {
    BOOST_TEST_CONTEXT(s.info.path) {
      const SeriesData& got = series(r, s.info.path);
      BOOST_TEST(got.dimension == s.breakdown.dimension);
      BOOST_TEST(got.labels == s.breakdown.labels, boost::test_tools::per_element());
      BOOST_TEST(got.values == s.history, boost::test_tools::per_element());
    }
  }
  // one label scale per distinct labels, named after the dimension where the name is free
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  for (const char* name : {"series/test/kind", "series/test/kind__pqr", "series/other/kind__ab"})
    BOOST_TEST(H5Lexists(file, name, H5P_DEFAULT) > 0, name);
  BOOST_TEST(H5Lexists(file, "series/test/kind__xy2", H5P_DEFAULT) == 0);
  H5Fclose(file);
}

BOOST_AUTO_TEST_CASE(compare_finds_differences_beyond_tolerance) {
  const ResultsSummary a = run_to_file(test::small_city(3), scratch("seed7"));
  Scenario other = test::small_city(3);
  other.set("run.seed", int64_t(8));
  const ResultsSummary b = run_to_file(other, scratch("seed8"));

  const CompareReport same = compare_results(a, a, 0, 0);
  BOOST_TEST(same.ok);
  BOOST_TEST(same.text.find("all " + std::to_string(a.series.size()) + " series within tolerance") !=
             std::string::npos);

  const CompareReport different = compare_results(a, b, 1e-9, 0);
  BOOST_TEST(!different.ok);
  BOOST_TEST(different.text.find("DIFFERS at 2026-08-03T") != std::string::npos);
  BOOST_TEST(different.text.find("series differ") != std::string::npos);

  BOOST_TEST(compare_results(a, b, 1e9, 1e9).ok);

  ResultsSummary missing = a;
  missing.series.pop_back();
  const CompareReport one_missing = compare_results(a, missing, 0, 0);
  BOOST_TEST(!one_missing.ok);
  BOOST_TEST(one_missing.text.find("MISSING in b") != std::string::npos);
  BOOST_TEST(one_missing.text.find("1 of " + std::to_string(a.series.size()) + " series differ") != std::string::npos);

  ResultsSummary more_rows = a;
  more_rows.tables.emplace_back("test/alerts", 3);
  BOOST_TEST(!compare_results(a, more_rows, 0, 0).ok);

  // the worst difference with its sign, label and time; seeds as a note
  BOOST_TEST(different.text.find("note: different seeds: a 7, b 8") != std::string::npos);
  const auto worst = std::find_if(different.differences.begin(), different.differences.end(),
                                  [](const Difference& d) { return d.what == "series" && d.failure; });
  BOOST_TEST_REQUIRE((worst != different.differences.end()));
  BOOST_TEST(worst->has_worst);
  BOOST_TEST(worst->max_abs == std::abs(worst->a - worst->b));
  BOOST_TEST(different.text.find(", a - b " + std::string(worst->a > worst->b ? "+" : "-")) != std::string::npos);

  // another time axis fails, whatever the values
  ResultsSummary shifted = a;
  shifted.meta["start"] = "2026-08-04T06:00:00+09:00";
  const CompareReport moved = compare_results(a, shifted, 1e9, 1e9);
  BOOST_TEST(!moved.ok);
  BOOST_TEST(moved.text.find("time axis: different start times") != std::string::npos);
  ResultsSummary shorter = a;
  shorter.time_s.pop_back();
  BOOST_TEST(!compare_results(a, shorter, 1e9, 1e9).ok);
  // an incomplete file is a note (its shorter axis is the failure)
  ResultsSummary interrupted = a;
  interrupted.complete = false;
  const CompareReport note = compare_results(a, interrupted, 0, 0);
  BOOST_TEST(note.ok);
  BOOST_TEST(note.text.find("note: b is incomplete") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(compare_files_sees_fields_the_series_hide) {
  // two runs that differ only in one field cell: the series agree, the field does not
  const std::string a_path = scratch("field_a"), b_path = scratch("field_b");
  run_to_file(test::small_city(3), a_path);
  fs::create_directories(fs::path(b_path).parent_path());
  fs::copy_file(a_path, b_path, fs::copy_options::overwrite_existing);
  {
    const hid_t file = H5Fopen(b_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t ds = H5Dopen2(file, "fields/residents/present", H5P_DEFAULT);
    const hsize_t start[3] = {2, 1, 1}, count[3] = {1, 1, 1};
    const hid_t space = H5Dget_space(ds), mem = H5Screate_simple(3, count, nullptr);
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    const float value = 12345;
    H5Dwrite(ds, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, &value);
    H5Sclose(mem), H5Sclose(space), H5Dclose(ds), H5Fclose(file);
  }
  BOOST_TEST(compare_results(read_results(a_path), read_results(b_path), 0, 0).ok);
  const CompareReport report = compare_files(a_path, b_path, 0, 0);
  BOOST_TEST(!report.ok);
  const auto field = std::find_if(report.differences.begin(), report.differences.end(),
                                  [](const Difference& d) { return d.what == "field" && d.failure; });
  BOOST_TEST_REQUIRE((field != report.differences.end()));
  BOOST_TEST(field->path == "residents/present");
  BOOST_TEST(field->label == "row 1 col 1");
  BOOST_TEST(field->b == 12345.0);
  BOOST_TEST(field->time == read_results(a_path).time_iso.at(2));
  BOOST_TEST(report.text.find("1 of " + std::to_string(read_results(a_path).fields.size()) + " fields differ") != std::string::npos);
  BOOST_TEST(report.text.find("grid layers within tolerance") != std::string::npos);
  BOOST_TEST(compare_files(a_path, a_path, 0, 0).ok);
}

BOOST_AUTO_TEST_CASE(info_describes_the_run) {
  const std::string path = scratch("info");
  const std::string text = describe_results(run_to_file(test::small_city(3), path), path);
  BOOST_TEST(text.find("small") != std::string::npos);
  BOOST_TEST(text.find("complete") != std::string::npos);
  BOOST_TEST(text.find("4 samples every 1 h") != std::string::npos);
  BOOST_TEST(text.find("residents/at_home [people]") != std::string::npos);
  BOOST_TEST(text.find("by mode") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(units_are_udunits_in_the_file_and_pretty_in_the_summaries) {
  BOOST_TEST(cf_units("°C") == "degC");
  BOOST_TEST(cf_units("°C·h") == "degC h");
  BOOST_TEST(cf_units("kW/m²") == "kW m-2");
  BOOST_TEST(cf_units("people") == "1");  // a count
  BOOST_TEST(cf_units("sessions/min") == "min-1");
  BOOST_TEST(cf_units("min") == "min");
  BOOST_TEST(cf_units("degrees_north") == "degrees_north");
  BOOST_TEST(cf_units("") == "");
  BOOST_TEST(cf_units("Asia/Tokyo") == "");  // a time column: ISO text, its zone shown only
  BOOST_TEST(display_units("degC", "°C") == "°C");
  BOOST_TEST(display_units("min", "") == "min");  // a file without units_display

  const std::string path = scratch("units");
  const ResultsSummary r = run_to_file(test::small_city(1), path);
  BOOST_TEST(series(r, "residents/at_home").units == "people");  // the reader shows the pretty form
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  BOOST_TEST_REQUIRE(file >= 0);
  const auto has = [&](const char* dataset, const char* attr) {
    const hid_t ds = H5Dopen2(file, dataset, H5P_DEFAULT);
    const bool yes = ds >= 0 && H5Aexists(ds, attr) > 0;
    if (ds >= 0) H5Dclose(ds);
    return yes;
  };
  BOOST_TEST(has("/series/residents/at_home", "units_display"));  // "1" in units, "people" here
  BOOST_TEST(!has("/grid/lat", "units_display"));                 // degrees_north either way
  BOOST_TEST(has("/series/residents/at_home", "units"));
  // /meta/overrides and the tables are dimension scales: xarray needs no phony_dims
  const hid_t overrides = H5Dopen2(file, "/meta/overrides", H5P_DEFAULT);
  BOOST_TEST(H5DSis_scale(overrides) > 0);
  H5Dclose(overrides);
  H5Fclose(file);
}

BOOST_AUTO_TEST_CASE(reading_something_else_names_the_file) {
  const std::string path = scratch("not_hdf5");
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "not an HDF5 file\n";
  try {
    read_results(path);
    BOOST_FAIL("read_results accepted a text file");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find(path) != std::string::npos);
  }
  BOOST_CHECK_EXCEPTION(read_results(path + ".missing"), std::runtime_error, [&](const std::runtime_error& e) {
    return std::string(e.what()) == path + ".missing: no such file";
  });

  const std::string empty = fs::path(path).replace_filename("empty.h5").string();
  H5Fclose(H5Fcreate(empty.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  BOOST_CHECK_EXCEPTION(read_results(empty), std::runtime_error, [&](const std::runtime_error& e) {
    return std::string(e.what()) == empty + ": not a citysim results file (no /meta)";
  });
}
