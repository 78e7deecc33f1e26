// Reading results files back: read_results (the whole summary) and read_field (one slab).
#include <algorithm>
#include <cstring>
#include <filesystem>

#include "citysim/io/results.hpp"
#include "h5.hpp"

namespace citysim::io {
namespace {

using h5::check;
using h5::Handle;

Handle open_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error("no such file");
  return Handle(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open as HDF5"), H5Fclose);
}

// calls f(dataset, "<module>/<name>") for every dataset in the module groups under
// /<root>, skipping the dimension scales linked or stored there
template <class F>
void for_each_metric(hid_t file, const char* root, F&& f) {
  Handle top = h5::open_group(file, root);
  for (const auto& module : h5::members(top)) {
    Handle group(check(H5Oopen(top, module.c_str(), H5P_DEFAULT), "cannot open " + module), H5Oclose);
    if (H5Iget_type(group) != H5I_GROUP) continue;  // e.g. /fields/time
    for (const auto& name : h5::members(group)) {
      Handle ds = h5::open_dataset(group, name);
      // dimension scales are axes (times, labels), except a table: its own row dimension
      if (H5DSis_scale(ds) <= 0 || std::string(root) == "tables") f(ds, module + "/" + name);
    }
  }
}

// the dimension scale attached to dimension `dim` of a dataset
Handle attached_scale(hid_t dataset, unsigned dim) {
  hid_t scale = H5I_INVALID_HID;
  H5DSiterate_scales(
      dataset, dim, nullptr,
      [](hid_t, unsigned, hid_t found, void* out) -> herr_t {
        H5Iinc_ref(found);  // HDF5 closes `found` after the callback; keep it open for us
        *static_cast<hid_t*>(out) = found;
        return 1;  // stop at the first
      },
      &scale);
  return Handle(check(scale, "no dimension scale on dimension " + std::to_string(dim)), H5Dclose);
}

std::string scale_name(hid_t scale) {
  const ssize_t len = H5DSget_scale_name(scale, nullptr, 0);
  if (len < 0) h5::fail("cannot read a dimension scale's name");
  std::string name(size_t(len) + 1, '\0');
  H5DSget_scale_name(scale, name.data(), name.size());
  name.resize(name.find('\0'));
  return name;
}

// a units attribute as shown to people: its `<name>_display` twin (the pretty form, "°C")
// when the file has one, else the CF units themselves (files from before units_display)
std::string shown_units(hid_t ds, const std::string& name) {
  const std::string display = name + "_display";
  return display_units(h5::attr_text(ds, name.c_str()),
                       H5Aexists(ds, display.c_str()) > 0 ? h5::attr_text(ds, display.c_str()) : "");
}

SeriesData read_series(hid_t ds, const std::string& path) {
  SeriesData s;
  s.path = path;
  s.units = shown_units(ds, "units");
  s.description = h5::attr_text(ds, "description");
  s.values = h5::read_all<double>(ds);
  const std::vector<hsize_t> dims = h5::shape(ds);
  if (dims.size() == 2) {
    s.width = size_t(dims[1]);
    Handle scale = attached_scale(ds, 1);
    s.dimension = scale_name(scale);
    s.labels = h5::read_all_strings(scale);
  }
  return s;
}

}  // namespace

ResultsSummary read_results(const std::string& path) {
  return h5::guarded(path, [&] {
    Handle file = open_file(path);
    if (!h5::exists(file, "meta")) throw std::runtime_error("not a citysim results file (no /meta)");
    ResultsSummary r;
    Handle meta = h5::open_group(file, "meta");
    for (const auto& name : h5::attr_names(meta)) r.meta[name] = h5::attr_text(meta, name.c_str());
    r.complete = r.meta.count("complete") && r.meta.at("complete") == "1";
    r.scenario_toml = h5::read_all_strings(h5::open_dataset(meta, "scenario_toml")).at(0);
    if (h5::exists(meta, "overrides")) r.overrides = h5::read_all_strings(h5::open_dataset(meta, "overrides"));
    if (r.meta.count("fields_every")) r.fields_every = std::stoi(r.meta.at("fields_every"));
    r.time_s = h5::read_all<double>(h5::open_dataset(file, "time"));
    r.time_iso = h5::read_all_strings(h5::open_dataset(file, "time_iso"));
    Handle grid = h5::open_group(file, "grid");
    r.rows = std::stoi(h5::attr_text(grid, "rows"));
    r.cols = std::stoi(h5::attr_text(grid, "cols"));
    for (const auto& name : h5::members(grid)) {
      Handle obj(check(H5Oopen(grid, name.c_str(), H5P_DEFAULT), "cannot open grid/" + name), H5Oclose);
      if (H5Iget_type(obj) != H5I_DATASET) continue;
      Handle ds = h5::open_dataset(grid, name);
      const std::vector<hsize_t> dims = h5::shape(ds);
      if (dims.size() == 2 && H5DSis_scale(ds) <= 0) r.grid_layers.push_back(name);
    }
    for_each_metric(file, "series", [&](hid_t ds, const std::string& p) { r.series.push_back(read_series(ds, p)); });
    for_each_metric(file, "fields", [&](hid_t ds, const std::string& p) {
      const std::vector<hsize_t> dims = h5::shape(ds);
      r.fields.push_back({p, shown_units(ds, "units"), h5::attr_text(ds, "description"),
                          std::vector<size_t>(dims.begin(), dims.end())});
    });
    for_each_metric(file, "tables",
                    [&](hid_t ds, const std::string& p) { r.tables.emplace_back(p, size_t(h5::shape(ds).at(0))); });
    return r;
  });
}

std::vector<float> read_field(const std::string& path, const std::string& field, size_t sample) {
  return h5::guarded(path, [&] {
    Handle file = open_file(path);
    Handle ds = h5::open_dataset(file, "fields/" + field);
    const std::vector<hsize_t> dims = h5::shape(ds);  // (time, row, col)
    if (sample >= dims[0])
      throw std::runtime_error(field + ": no field sample " + std::to_string(sample) + " (the file has " +
                               std::to_string(dims[0]) + ")");
    const h5::RowSelection sel = h5::select_rows(ds, sample, 1);
    std::vector<float> values(size_t(dims[1] * dims[2]));
    check(H5Dread(ds, H5T_NATIVE_FLOAT, sel.mem_space, sel.file_space, H5P_DEFAULT, values.data()),
          "cannot read " + field);
    return values;
  });
}

std::vector<double> read_grid_layer(const std::string& path, const std::string& layer) {
  return h5::guarded(path, [&] { return h5::read_all<double>(h5::open_dataset(open_file(path), "grid/" + layer)); });
}

Table read_table(const std::string& path, const std::string& table) {
  return h5::guarded(path, [&] {
    Handle file = open_file(path);
    Handle ds = h5::open_dataset(file, "tables/" + table);
    Table t;
    t.info.path = table;
    t.info.description = h5::attr_text(ds, "description");
    Handle type(check(H5Dget_type(ds), "table type"), H5Tclose);
    if (H5Tget_class(type) != H5T_COMPOUND) throw std::runtime_error(table + ": not a table (compound records)");
    // read every member as the writer made it: int64, float64 or fixed text
    struct Member {
      size_t offset, size;
      ColumnType type;
      Handle text_type;  // text members keep the file's own string type (its padding)
    };
    std::vector<Member> members;
    size_t record_bytes = 0;
    for (int k = 0; k < H5Tget_nmembers(type); ++k) {
      char* raw_name = H5Tget_member_name(type, unsigned(k));
      const std::string name(raw_name);
      H5free_memory(raw_name);
      Handle member(check(H5Tget_member_type(type, unsigned(k)), "member type"), H5Tclose);
      const H5T_class_t cls = H5Tget_class(member);
      const ColumnType ct = cls == H5T_INTEGER ? ColumnType::Int : cls == H5T_FLOAT ? ColumnType::Float : ColumnType::Text;
      const size_t size = ct == ColumnType::Text ? H5Tget_size(member) : 8;
      members.push_back({record_bytes, size, ct,
                         ct == ColumnType::Text ? Handle(check(H5Tcopy(member), "text type"), H5Tclose) : Handle()});
      record_bytes += size;
      const std::string units_attr = name + "_units";
      t.columns.push_back({name, ct, H5Aexists(ds, units_attr.c_str()) > 0 ? shown_units(ds, units_attr) : ""});
    }
    Handle memory(check(H5Tcreate(H5T_COMPOUND, std::max<size_t>(record_bytes, 1)), "memory type"), H5Tclose);
    for (size_t k = 0; k < members.size(); ++k) {
      const hid_t mt = members[k].type == ColumnType::Int ? H5T_NATIVE_INT64
                     : members[k].type == ColumnType::Float ? H5T_NATIVE_DOUBLE : hid_t(members[k].text_type);
      check(H5Tinsert(memory, t.columns[k].name.c_str(), members[k].offset, mt), "member " + t.columns[k].name);
    }
    const size_t rows = size_t(h5::shape(ds).at(0));
    std::vector<unsigned char> buf(rows * record_bytes);
    if (rows > 0) check(H5Dread(ds, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "cannot read " + table);
    for (const auto& c : t.columns) {
      t.index.push_back(c.type == ColumnType::Int ? t.ints.size() : c.type == ColumnType::Float ? t.floats.size() : t.texts.size());
      if (c.type == ColumnType::Int) t.ints.emplace_back();
      else if (c.type == ColumnType::Float) t.floats.emplace_back();
      else t.texts.emplace_back();
    }
    for (size_t r = 0; r < rows; ++r)
      for (size_t k = 0; k < members.size(); ++k) {
        const unsigned char* at = buf.data() + r * record_bytes + members[k].offset;
        if (members[k].type == ColumnType::Int) {
          int64_t v;
          std::memcpy(&v, at, 8);
          t.ints[t.index[k]].push_back(v);
        } else if (members[k].type == ColumnType::Float) {
          double v;
          std::memcpy(&v, at, 8);
          t.floats[t.index[k]].push_back(v);
        } else {
          const char* text = reinterpret_cast<const char*>(at);
          t.texts[t.index[k]].emplace_back(text, strnlen(text, members[k].size));
        }
      }
    t.rows = rows;
    return t;
  });
}

}  // namespace citysim::io
