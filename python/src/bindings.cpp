// citysim._citysim: the pybind11 layer over the Simulation facade. It binds only the core
// and io APIs (scenario, schema, metrics registry, grid, residents, mesh, clock), never a
// module: every module's output reaches Python through the metrics registry.
//
// [SECTION] views      zero-copy read-only numpy views owned by the Python Simulation
// [SECTION] scenario   Scenario, the schema, ScenarioError
// [SECTION] metrics    series / fields / tables / the registry listing
// [SECTION] module     the PYBIND11_MODULE definition

#include "citysim/io/scenario_file.hpp"
#include "citysim/mesh.hpp"
#include "common.hpp"

namespace citysim::py_ext {

namespace {

// ---- [SECTION] views -------------------------------------------------------------------

// a read-only array over engine memory; `owner` (the Python Simulation) is kept alive by
// the array's base, so the view is valid as long as the array is
template <class T>
py::array view(const std::vector<T>& data, std::vector<py::ssize_t> shape, py::handle owner) {
  py::array_t<T> a(shape, data.data(), owner);
  a.attr("flags").attr("writeable") = false;
  return a;
}

std::vector<py::ssize_t> grid_shape(const Grid& g) { return {g.rows, g.cols}; }

// ---- [SECTION] scenario ------------------------------------------------------------------

[[noreturn]] void unknown_key(const Schema& schema, const std::string& key) {
  const std::string hint = schema.suggest(key);
  throw ScenarioError({}, key, "unknown key" + (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
}

py::object get_key(const Scenario& sc, const std::string& key) {
  if (!sc.schema().find(key)) unknown_key(sc.schema(), key);
  return from_value(sc.get(key));
}

py::dict key_spec(const KeySpec& k) {
  py::dict d;
  d["key"] = k.key;
  d["kind"] = kind_name(k.kind);
  d["default"] = from_value(k.default_value);
  d["unit"] = k.unit;
  d["doc"] = k.doc;
  d["min"] = k.min ? py::cast(*k.min) : py::none();
  d["max"] = k.max ? py::cast(*k.max) : py::none();
  d["choices"] = k.choices;
  d["expected"] = k.expectation();
  return d;
}

py::dict event_dict(const TimelineEvent& ev) {
  py::dict d;
  d["kind"] = ev.kind;
  d["at"] = format_datetime(ev.at);
  for (const auto& [k, v] : ev.values) d[py::str(k)] = from_value(v);
  return d;
}

std::map<std::string, Value> event_values(py::dict values, const SourceLoc& loc) {
  std::map<std::string, Value> out;
  for (auto [k, v] : values) {
    const std::string name = py::str(k);
    out[name] = to_value(v, "events." + name, loc);
  }
  return out;
}

// ---- [SECTION] metrics ---------------------------------------------------------------------

py::dict info_dict(const MetricInfo& info, const char* kind) {
  py::dict d;
  d["path"] = info.path;
  d["kind"] = kind;
  d["units"] = io::cf_units(info.units);  // UDUNITS, as the results file writes it
  d["units_display"] = info.units;        // the pretty form ("°C") for plots and summaries
  d["description"] = info.description;
  return d;
}

[[noreturn]] void unknown_metric(const Metrics& m, const std::string& path, const char* kind) {
  std::string known;
  const auto add = [&](const MetricInfo& i) { known += (known.empty() ? "" : ", ") + i.path; };
  if (std::string(kind) == "series") for (const auto& s : m.series()) add(s.info);
  if (std::string(kind) == "field") for (const auto& f : m.fields()) add(f.info);
  if (std::string(kind) == "table") for (const auto& t : m.tables()) add(t.info);
  std::string other;
  if (m.find_series(path)) other = " ('" + path + "' is a series)";
  if (m.find_field(path)) other = " ('" + path + "' is a field)";
  if (m.find_table(path)) other = " ('" + path + "' is a table)";
  throw py::key_error("no " + std::string(kind) + " '" + path + "'" + other + "; known: " + (known.empty() ? "none" : known));
}

py::list metrics_list(const Metrics& m) {
  py::list out;
  for (const auto& s : m.series()) {
    py::dict d = info_dict(s.info, "series");
    d["dimension"] = s.breakdown.dimension;
    d["labels"] = s.breakdown.labels;
    out.append(d);
  }
  for (const auto& f : m.fields()) out.append(info_dict(f.info, "field"));
  for (const auto& t : m.tables()) {
    py::dict d = info_dict(t.info, "table");
    py::list cols;
    for (const auto& c : t.columns) cols.append(py::make_tuple(c.name, io::cf_units(c.units)));
    d["columns"] = cols;
    out.append(d);
  }
  return out;
}

// samples x width history (a copy: history grows as the run goes on)
py::tuple series_data(const Metrics& m, const std::string& path) {
  const Series* s = m.find_series(path);
  if (!s) unknown_metric(m, path, "series");
  const size_t width = std::max<size_t>(1, s->width());
  const size_t samples = s->history.size() / width;
  py::array_t<double> values({py::ssize_t(samples), py::ssize_t(width)});
  std::copy(s->history.begin(), s->history.begin() + py::ssize_t(samples * width), values.mutable_data());
  py::dict info = info_dict(s->info, "series");
  info["dimension"] = s->breakdown.dimension;
  info["labels"] = s->breakdown.labels;
  return py::make_tuple(values, info);
}

py::dict table_data(const Metrics& m, const std::string& path) {
  const Table* t = m.find_table(path);
  if (!t) unknown_metric(m, path, "table");
  py::dict d = info_dict(t->info, "table");
  py::list columns;
  for (size_t c = 0; c < t->columns.size(); ++c) {
    const Column& col = t->columns[c];
    py::object data;
    if (col.type == ColumnType::Int) data = py::array_t<int64_t>(py::ssize_t(t->rows), t->ints[t->index[c]].data());
    else if (col.type == ColumnType::Float) data = py::array_t<double>(py::ssize_t(t->rows), t->floats[t->index[c]].data());
    else data = py::cast(t->texts[t->index[c]]);
    columns.append(py::make_tuple(col.name, io::cf_units(col.units), col.units, data));
  }
  d["columns"] = columns;
  d["rows"] = t->rows;
  return d;
}

py::array sample_times(const Metrics& m) {
  const auto& t = m.sample_times();
  return py::array_t<int64_t>(py::ssize_t(t.size()), t.data());
}

py::dict grid_info(const Grid& g) {
  py::dict d;
  d["rows"] = g.rows;
  d["cols"] = g.cols;
  d["cell_m"] = int(g.level);
  d["cell_area_km2"] = g.cell_area_km2();
  py::list blocks;
  for (const auto& b : g.blocks) {
    py::dict bd;
    bd["name"] = b.name;
    bd["rows"] = b.rows;
    bd["cols"] = b.cols;
    bd["row0"] = b.row0;
    bd["col0"] = b.col0;
    blocks.append(bd);
  }
  d["blocks"] = blocks;
  py::list munis;
  for (const auto& mu : g.municipalities) {
    py::dict md;
    md["code"] = mu.code;
    md["name_ja"] = mu.name_ja;
    md["name_en"] = mu.name_en;
    md["kind"] = mu.kind;
    md["area"] = mu.area;
    md["lat"] = mu.lat;
    md["lon"] = mu.lon;
    md["population"] = mu.population;
    md["area_km2"] = mu.area_km2;
    md["share_65plus"] = mu.share_65plus;
    munis.append(md);
  }
  d["municipalities"] = munis;
  py::list outlines;  // (code, lon, lat) per boundary ring
  for (const Outline& o : g.outlines)
    outlines.append(py::make_tuple(o.code, py::array_t<double>(py::ssize_t(o.lon.size()), o.lon.data()),
                                   py::array_t<double>(py::ssize_t(o.lat.size()), o.lat.data())));
  d["outlines"] = outlines;
  d["credit"] = g.credit;
  return d;
}

py::array grid_layer(const Grid& g, const std::string& name, py::handle owner) {
  const auto shape = grid_shape(g);
  if (name == "mesh_code") return view(g.mesh_code, shape, owner);
  if (name == "lat") return view(g.lat, shape, owner);
  if (name == "lon") return view(g.lon, shape, owner);
  if (name == "municipality") return view(g.municipality, shape, owner);
  if (name == "municipality_index") return view(g.municipality_index, shape, owner);
  if (name == "land_use") return view(g.land_use, shape, owner);
  if (name == "land_share") return view(g.land_share, shape, owner);
  if (name == "population") return view(g.population, shape, owner);
  if (name == "day_places") return view(g.day_places, shape, owner);
  if (name == "building_year") return view(g.building_year, shape, owner);
  if (name == "water") return view(g.water, shape, owner);
  if (name == "coast_km") return view(g.coast_km, shape, owner);
  throw py::key_error("no grid layer '" + name +
                      "'; known: mesh_code, lat, lon, municipality, municipality_index, land_use, land_share, population, "
                      "day_places, building_year, water, coast_km");
}

py::dict residents_views(const Simulation& sim, py::handle owner) {
  const Residents& r = sim.residents();
  const std::vector<py::ssize_t> n{py::ssize_t(r.count)};
  py::dict d;
  d["age"] = view(r.age, n, owner);
  d["role"] = view(r.role, n, owner);
  d["flags"] = view(r.flags, n, owner);
  d["household"] = view(r.household, n, owner);
  d["home_cell"] = view(r.home_cell, n, owner);
  d["day_cell"] = view(r.day_cell, n, owner);
  d["cell"] = view(r.cell, n, owner);
  d["activity"] = view(r.activity, n, owner);
  d["mode"] = view(r.mode, n, owner);
  d["present"] = view(r.present, grid_shape(sim.grid()), owner);
  d["outdoors"] = view(r.outdoors, grid_shape(sim.grid()), owner);
  return d;
}

py::dict enum_names() {
  py::dict d;
  py::list roles, activities, modes, uses;
  for (int i = 0; i < kRoles; ++i) roles.append(role_name(Role(i)));
  for (int i = 0; i < kActivities; ++i) activities.append(activity_name(Activity(i)));
  for (int i = 0; i < kModes; ++i) modes.append(mode_name(Mode(i)));
  for (int i = 0; i <= int(LandUse::Agricultural); ++i) uses.append(land_use_name(LandUse(i)));
  d["role"] = roles;
  d["activity"] = activities;
  d["mode"] = modes;
  d["land_use"] = uses;
  py::dict flags;
  flags["lives_alone"] = int(LivesAlone);
  flags["smartphone"] = int(Smartphone);
  flags["air_conditioning"] = int(AirConditioning);
  flags["outdoors"] = int(Outdoors);
  flags["commuter"] = int(Commuter);
  d["flags"] = flags;
  return d;
}

}  // namespace

}  // namespace citysim::py_ext

// ---- [SECTION] module ------------------------------------------------------------------------

PYBIND11_MODULE(_citysim, m) {
  using namespace citysim;
  using namespace citysim::py_ext;
  m.doc() = "citysim engine bindings; use the `citysim` package, which wraps these with docs and helpers";
  m.attr("__version__") = kVersion;
  register_scenario_error(m);
  py::register_exception<SnapshotError>(m, "SnapshotError", PyExc_ValueError);

  m.def("format_datetime", &format_datetime, "Tokyo local seconds -> '2026-08-03T14:00:00+09:00'");
  m.def("parse_datetime", [](const std::string& s) {
    const auto t = parse_datetime(s);
    if (!t) throw ScenarioError({}, "", "expected a datetime like 2026-08-03T14:00, got \"" + s + "\"");
    return *t;
  }, "ISO text -> Tokyo local seconds (seconds since 1970-01-01T00:00+09:00)");
  m.def("data_dir", &data_dir);
  m.def("schema_keys", [] {
    py::list out;
    for (const auto& k : scenario_schema().keys()) out.append(key_spec(k));
    return out;
  });
  m.def("schema_events", [] {
    py::list out;
    for (const auto& e : scenario_schema().events()) {
      py::dict d;
      d["kind"] = e.kind;
      d["doc"] = e.doc;
      py::list keys;
      for (const auto& k : e.keys) keys.append(key_spec(k));
      d["keys"] = keys;
      out.append(d);
    }
    return out;
  });
  m.def("schema_markdown", [] { return scenario_schema().markdown(); });
  m.def("enum_names", &enum_names);

  // mesh: JIS X 0410 codes <-> latitude/longitude, levels named by cell size in metres
  m.def("mesh_code", [](double lat, double lon, int cell_m) {
    const MeshLevel level = mesh_level_from_cell_m(cell_m);
    return mesh_code(level, mesh_index_of(level, lat, lon));
  }, py::arg("lat"), py::arg("lon"), py::arg("cell_m") = 1000);
  m.def("mesh_center", [](uint64_t code) {
    MeshLevel level;
    const MeshIndex idx = mesh_index_from_code(code, &level);
    return py::make_tuple(mesh_center_lat(level, idx), mesh_center_lon(level, idx));
  }, py::arg("code"));
  m.def("mesh_cell_m", [](uint64_t code) { return int(mesh_level_of_code(code)); }, py::arg("code"));
  m.def("mesh_cell_size_deg", [](int cell_m) {
    const MeshLevel level = mesh_level_from_cell_m(cell_m);
    return py::make_tuple(mesh_cell_lat_deg(level), mesh_cell_lon_deg(level));
  }, py::arg("cell_m") = 1000);

  py::class_<Scenario>(m, "Scenario")
      .def(py::init<>(), "An empty scenario: every schema key at its default (use Scenario.load, "
                         "from_toml or from_dict to read one)")
      .def("_assign", [](Scenario& self, const Scenario& other) { self = other; })
      .def_static("_load", &io::load_scenario, py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
                  py::arg("allow_empty") = false)
      .def_static("_parse", &io::parse_scenario, py::arg("text"), py::arg("source_name"), py::arg("base_dir"))
      .def("set", [](Scenario& self, const std::string& key, py::handle value, const std::string& file, int line) {
        const SourceLoc loc{file, line};
        self.set(key, to_value(value, key, loc), loc);
      }, py::arg("key"), py::arg("value"), py::arg("file") = "", py::arg("line") = 0,
      "Set a key (validated like the file; raises ScenarioError); file/line say where the value came from")
      .def("set_from_string", [](Scenario& self, const std::string& key, const std::string& text) {
        self.set_from_string(key, text);
      }, py::arg("key"), py::arg("text"), "Set a key from text as --set writes it (\"0.05\", \"[\\\"Chiyoda\\\"]\"), validated")
      .def("apply_override", [](Scenario& self, const std::string& a) { io::apply_override(self, a); }, py::arg("assignment"),
           "Apply one \"key=value\" override exactly as citysim run --set does (a relative file path is "
           "taken from the current directory)")
      .def("get", &get_key, "The value of a key (its default unless set); KeyError-like ScenarioError when unknown")
      .def("__getitem__", &get_key, "The value of a key, as get()")
      .def("__setitem__", [](Scenario& self, const std::string& key, py::handle value) {
        self.set(key, to_value(value, key, {}), {});
      }, "Set a key, validated (raises ScenarioError)")
      .def("__contains__", [](const Scenario& self, const std::string& key) { return self.schema().find(key) != nullptr; },
           "True when the key is in the schema")
      .def("is_set", &Scenario::is_set, "True when the key was set (by the file, an override or set()), not a default")
      .def("loc_of", [](const Scenario& self, const std::string& key) {
        const auto loc = self.loc_of(key);
        return py::make_tuple(loc.file, loc.line);
      }, "(file, line) where the key was set; (\"\", 0) for a default")
      .def("keys", [](const Scenario& self) {
        std::vector<std::string> out;
        for (const auto& k : self.schema().keys()) out.push_back(k.key);
        return out;
      }, "Every schema key, dotted (\"city.population_scale\"), in schema order")
      .def_property_readonly("events", [](const Scenario& self) {
        py::list out;
        for (const auto& ev : self.events()) out.append(event_dict(ev));
        return out;
      }, "The timeline's [[events]] entries as dicts (kind, at, and the kind's keys), in time order")
      .def("add_event", [](Scenario& self, const std::string& kind, const std::string& at, py::dict values,
                           const std::string& file, int line) {
        const SourceLoc loc{file, line};
        self.add_event(kind, at, event_values(values, loc), loc);
      }, py::arg("kind"), py::arg("at"), py::arg("values"), py::arg("file") = "", py::arg("line") = 0,
      "Add an [[events]] entry: kind (citysim.event_kinds()), at (ISO time, Asia/Tokyo) and its keys, validated")
      .def("check_consistency", &Scenario::check_consistency,
           "Check the rules between keys (raises ScenarioError), as loading a file does")
      .def_readwrite("source_path", &Scenario::source_path, "The TOML file it was read from (\"\" when built in Python)")
      .def_readwrite("source_text", &Scenario::source_text, "The TOML text it was read from, stored in results files")
      .def_readwrite("base_dir", &Scenario::base_dir, "The folder relative file paths in the file resolve against")
      .def_readwrite("overrides", &Scenario::overrides, "The \"key=value\" overrides applied, in order (as --set)");

  py::class_<PySimulation>(m, "Simulation")
      .def(py::init([](const Scenario& scenario, int threads) {
        py::gil_scoped_release release;
        return std::make_unique<PySimulation>(scenario, threads);
      }), py::arg("scenario"), py::arg("threads") = 0)
      .def_static("from_snapshot", &PySimulation::from_snapshot, py::arg("path"), py::arg("threads") = 0,
                  py::arg("overrides") = py::dict())
      .def("snapshot", &PySimulation::snapshot, py::arg("path"))
      .def("fork", &PySimulation::fork, py::arg("threads") = 0)
      .def("advance", &PySimulation::advance, py::arg("target_tick"), py::arg("on_progress") = py::none(),
           py::arg("check_every_s") = 0.1)
      .def("set", &PySimulation::set)
      .def("schedule", &PySimulation::schedule, py::arg("kind"), py::arg("at"), py::arg("values"))
      .def("pending_events", &PySimulation::pending_events)
      .def("record", &PySimulation::record, py::arg("path"), py::arg("fields_every") = 1)
      .def("close", &PySimulation::close)
      .def("save", &PySimulation::save, py::arg("path"), py::arg("fields_every") = 1,
           py::arg("on_progress") = py::none())
      .def_property_readonly("tick", [](const PySimulation& s) { return s.peek().ticks_done(); })
      .def_property_readonly("total_ticks", [](const PySimulation& s) { return s.peek().total_ticks(); })
      .def_property_readonly("now", [](const PySimulation& s) {
        const Clock& c = s.peek().clock();
        return Clock{c.start, c.tick_minutes, s.peek().ticks_done()}.now();
      })
      .def_property_readonly("start", [](const PySimulation& s) { return s.peek().clock().start; })
      .def_property_readonly("tick_minutes", [](const PySimulation& s) { return s.peek().clock().tick_minutes; })
      .def_property_readonly("output_every_minutes", [](const PySimulation& s) { return s.peek().run_params().output_every_minutes; })
      .def_property_readonly("finished", [](const PySimulation& s) { return s.peek().ticks_done() >= s.peek().total_ticks(); })
      .def_property_readonly("threads", [](const PySimulation& s) { return s.peek().threads(); })
      .def_property_readonly("wall_seconds", [](const PySimulation& s) { return s.peek().wall_seconds(); })
      .def_property_readonly("module_names", [](PySimulation& s) { return s.sim().module_names(); })
      .def_property_readonly("module_step_seconds", [](PySimulation& s) { return s.sim().module_step_seconds(); })
      .def_property_readonly("scenario", [](PySimulation& s) { return s.sim().scenario(); })
      .def_property_readonly("residents_count", [](PySimulation& s) { return s.sim().residents().count; })
      .def_property_readonly("residents_weight", [](PySimulation& s) { return s.sim().residents().weight; })
      .def_property_readonly("households", [](PySimulation& s) { return s.sim().residents().households; })
      .def("field", [](py::object self, const std::string& path) {
        const Simulation& sim = self.cast<PySimulation&>().sim();
        const Field* f = sim.metrics().find_field(path);
        if (!f) unknown_metric(sim.metrics(), path, "field");
        return py::make_tuple(view(f->values, grid_shape(sim.grid()), self), info_dict(f->info, "field"));
      })
      .def("residents", [](py::object self) { return residents_views(self.cast<PySimulation&>().sim(), self); })
      .def("grid_layer", [](py::object self, const std::string& name) {
        return grid_layer(self.cast<PySimulation&>().sim().grid(), name, self);
      })
      .def("grid_info", [](PySimulation& s) { return grid_info(s.sim().grid()); })
      .def("cell_of_code", [](PySimulation& s, uint64_t code) { return s.sim().grid().cell_of_code(code); })
      .def("cell_at", [](PySimulation& s, double lat, double lon) { return s.sim().grid().cell_at(lat, lon); })
      .def("series", [](PySimulation& s, const std::string& path) { return series_data(s.sim().metrics(), path); })
      .def("table", [](PySimulation& s, const std::string& path) { return table_data(s.sim().metrics(), path); })
      .def("sample_times", [](PySimulation& s) { return sample_times(s.sim().metrics()); })
      .def("metrics", [](PySimulation& s) { return metrics_list(s.sim().metrics()); });
}
