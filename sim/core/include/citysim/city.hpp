// Building the city grid: the default Tokyo from the municipalities table and the MLIT
// boundaries, with any
// layer replaceable by a CSV keyed by mesh code (the e-Stat mesh statistics format).
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "citysim/grid.hpp"
#include "citysim/scenario.hpp"

namespace citysim {

struct CityParams {
  std::string source = "tokyo";
  int cell_m = 1000;
  double population_scale = 0.1;
  std::string municipalities_file;  // resolved path
  std::string census_file;          // resolved path
  std::string boundaries_file;      // resolved path (GeoJSON)
  std::vector<std::string> only;    // restrict to these municipalities (code or English name); empty = all
  SourceLoc only_loc;               // where `only` was set, for errors
  bool include_islands = true;
  double island_gap_cells = 1;
  // layer overrides: mesh_code,value CSV files ("" = synthetic)
  std::string layer_population, layer_day_places, layer_land_use, layer_building_year, layer_water;

  void keys(ParamKeys& keys);  // every [city] key, once (describe and from use it)
  static void describe(Schema& schema);
  static CityParams from(const Scenario& scenario);
};

// the municipalities the scenario selects (city.municipalities, include_islands), with
// their census figures; throws ScenarioError naming the file, line and key
std::vector<Municipality> load_municipalities(const CityParams& params);
// the same in two steps: every row of the table with its census figures, then the selection
std::vector<Municipality> load_municipality_table(const CityParams& params);
std::vector<Municipality> select_municipalities(std::vector<Municipality> table, const CityParams& params);

// the grid with every layer filled; deterministic from the seed
Grid build_city(const CityParams& params, uint64_t seed);

// a CSV of `mesh_code,value` rows; throws ScenarioError naming file and line on a bad row
struct MeshValue {
  uint64_t mesh_code;
  double value;
  size_t line;  // in the file, for errors
};
std::vector<MeshValue> read_mesh_csv(const std::string& path, const std::string& key);

// a small CSV reader: header names and rows of fields, with line numbers for errors
struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  int column(const std::string& name, const std::string& key) const;  // throws ScenarioError when absent
  double number(size_t row, int column, const std::string& key) const;  // throws ScenarioError when not a number
};
CsvTable read_csv(const std::string& path, const std::string& key);
CsvTable parse_csv(std::istream& in, const std::string& path, const std::string& key);  // `path` names it in errors
// the rows of a mesh CSV already read (`mesh_code,value` or e-Stat's format)
std::vector<MeshValue> mesh_values(const CsvTable& table, const std::string& key);

}  // namespace citysim
