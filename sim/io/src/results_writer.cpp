// ResultsWriter: the HDF5 results file, laid out as results/README.md describes.
// Datasets are created in begin() for every metric registered by then; sample() and
// end() append what is new since the previous call, then flush, so the .partial file
// is readable at any point after a sample.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>

#include <fcntl.h>
#include <unistd.h>

#include "citysim/boundaries.hpp"
#include "citysim/io/results.hpp"
#include "h5.hpp"

namespace citysim::io {
namespace {

using h5::check;
using h5::Handle;
using h5::write_strings;

constexpr size_t kTextBytes = 32;  // Text table columns: fixed width, longer text is cut

// wall-clock time as ISO 8601 in Tokyo time (LocalSeconds count from the Tokyo epoch,
// 9 hours after the Unix epoch's instant)
std::string wall_clock_iso() {
  const auto unix_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return format_datetime(LocalSeconds(unix_s) + 9 * 3600);
}

void make_scale(hid_t dataset, const std::string& name) {
  check(H5DSset_scale(dataset, name.c_str()), "cannot make " + name + " a dimension scale");
}
void attach(hid_t dataset, hid_t scale, unsigned dim) {
  check(H5DSattach_scale(dataset, scale, dim), "cannot attach a dimension scale");
}

// CF `units` (UDUNITS) and, when it reads differently, the pretty form in `units_display`
void set_units(hid_t obj, const std::string& name, const std::string& units) {
  const std::string cf = cf_units(units);
  h5::set_attr(obj, name.c_str(), cf);
  if (cf != units) h5::set_attr(obj, (name + "_display").c_str(), units);
}

void describe(hid_t obj, const std::string& units, const std::string& description) {
  set_units(obj, "units", units);
  h5::set_attr(obj, "description", description);
}

// a growing time axis in seconds since the run start, with CF units xarray decodes
Handle time_scale(hid_t parent, const std::string& name, const std::string& units, const std::string& description) {
  Handle ds = h5::create_growing(parent, name, H5T_NATIVE_DOUBLE, {}, 512);
  make_scale(ds, name);
  describe(ds, units, description);
  return ds;
}

// rows of a series chunk: about 8 KiB of doubles, and at least 16 rows however wide
hsize_t series_chunk_rows(size_t width) { return std::clamp<hsize_t>(1024 / width, 16, 1024); }

// hard links in `group` to dimension scales elsewhere (absolute paths), under their own
// names: xarray (h5netcdf) reads coordinate values only from the group it opens
void link_scales(hid_t group, const std::vector<std::string>& scales) {
  for (const auto& scale : scales)
    check(H5Lcreate_hard(group, scale.c_str(), group, scale.substr(scale.rfind('/') + 1).c_str(), H5P_DEFAULT,
                         H5P_DEFAULT),
          "cannot link " + scale);
}

// the group of a metric "<module>/<name>" under `root` (a new one gets links to
// `scales`, the dimension scales its datasets use), and the metric's name in it
std::pair<Handle, std::string> metric_group(hid_t root, const std::string& path,
                                            const std::vector<std::string>& scales) {
  const size_t slash = path.find('/');
  const std::string module = path.substr(0, slash), name = path.substr(slash + 1);
  if (h5::exists(root, module)) return {h5::open_group(root, module), name};
  Handle group = h5::create_group(root, module);
  link_scales(group, scales);
  return {std::move(group), name};
}

void write_meta(hid_t file, const Simulation& sim, int fields_every) {
  Handle meta = h5::create_group(file, "meta");
  const RunParams& run = sim.run_params();
  h5::set_attr(meta, "version", kVersion);
  h5::set_attr(meta, "git_revision", git_revision());
  h5::set_attr(meta, "seed", run.seed);
  h5::set_attr(meta, "threads", int32_t(sim.threads()));
  h5::set_attr(meta, "scenario_name", run.name);
  h5::set_attr(meta, "start", format_datetime(run.start));
  h5::set_attr(meta, "fields_every", int32_t(fields_every));  // in the summary too, for replay
  h5::set_attr(meta, "started", wall_clock_iso());
  // end() sets these three; until then the file reads as an interrupted run
  h5::set_attr(meta, "finished", "");
  h5::set_attr(meta, "wall_seconds", std::numeric_limits<double>::quiet_NaN());
  h5::set_attr(meta, "complete", int32_t(0));
  // where the stored scenario's relative paths resolve (its folder) and those of --set
  // overrides (the folder the run started in), so a replay reads the same data files
  // wherever the results file is moved
  h5::set_attr(meta, "scenario_dir", std::filesystem::absolute(sim.scenario().base_dir).lexically_normal().string());
  h5::set_attr(meta, "working_dir", std::filesystem::current_path().string());
  const char* toml = sim.scenario().source_text.c_str();
  h5::write_dataset(meta, "scenario_toml", h5::vlen_string_type(), {}, &toml);
  // its own dimension scale, so that xarray opens /meta without phony_dims
  Handle overrides = write_strings(meta, "overrides", sim.scenario().overrides);
  make_scale(overrides, "overrides");
  h5::set_attr(overrides, "description", "the --set overrides applied to scenario_toml, in order");
}

// /row and /col: grid indices, dimension scales of every (row, col) dataset
std::pair<Handle, Handle> write_grid_axes(hid_t file, const Grid& grid) {
  const auto axis = [&](const char* name, int n, const char* description) {
    std::vector<int32_t> index(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) index[size_t(i)] = i;
    Handle ds = h5::write_dataset(file, name, index, {hsize_t(n)});
    make_scale(ds, name);
    describe(ds, "1", description);
    return ds;
  };
  return {axis("row", grid.rows, "grid row, 0 = north (cell centres in /grid/lat, /grid/lon)"),
          axis("col", grid.cols, "grid column, 0 = west (cell centres in /grid/lat, /grid/lon)")};
}

void write_municipalities(hid_t grid_group, const std::vector<Municipality>& munis) {
  size_t en_bytes = 1, ja_bytes = 1;
  for (const auto& m : munis)
    en_bytes = std::max(en_bytes, m.name_en.size()), ja_bytes = std::max(ja_bytes, m.name_ja.size());
  h5::Compound record;
  record.add("code", H5T_NATIVE_INT32);
  record.add("name_en", h5::fixed_string_type(en_bytes));
  record.add("name_ja", h5::fixed_string_type(ja_bytes));
  record.add("lat", H5T_NATIVE_DOUBLE);
  record.add("lon", H5T_NATIVE_DOUBLE);
  record.add("population", H5T_NATIVE_DOUBLE);
  std::vector<char> buffer(munis.size() * record.size());
  for (size_t i = 0; i < munis.size(); ++i) {
    char* at = buffer.data() + i * record.size();
    h5::put(at + record.offset(0), int32_t(munis[i].code));
    h5::put_text(at + record.offset(1), munis[i].name_en, en_bytes);
    h5::put_text(at + record.offset(2), munis[i].name_ja, ja_bytes);
    h5::put(at + record.offset(3), munis[i].lat);
    h5::put(at + record.offset(4), munis[i].lon);
    h5::put(at + record.offset(5), munis[i].population);
  }
  Handle ds = h5::write_dataset(grid_group, "municipalities", record.type(), {munis.size()}, buffer.data());
  make_scale(ds, "municipalities");  // its own dimension, so that xarray can open /grid
  h5::set_attr(ds, "description",
               "municipalities in the grid: local government code, names, municipal office lat/lon "
               "(degrees), residents (people)");
}

// /grid/outlines: the municipalities' boundary rings, vertices concatenated (ring i is
// vertices start[i] .. start[i+1]-1), so a viewer or a notebook draws real borders
void write_outlines(hid_t grid_group, const std::vector<Outline>& outlines, const std::string& credit) {
  Handle g = h5::create_group(grid_group, "outlines");
  h5::set_attr(g, "description", "municipal boundary rings (simplified), lon/lat degrees");
  h5::set_attr(g, "credit", credit);
  std::vector<double> lon, lat;
  std::vector<int64_t> start;
  std::vector<int32_t> code, ring, vertex;
  for (const Outline& o : outlines) {
    ring.push_back(int32_t(ring.size()));
    start.push_back(int64_t(lon.size()));
    code.push_back(o.code);
    lon.insert(lon.end(), o.lon.begin(), o.lon.end());
    lat.insert(lat.end(), o.lat.begin(), o.lat.end());
  }
  for (size_t i = 0; i < lon.size(); ++i) vertex.push_back(int32_t(i));
  const auto scale = [&](const char* name, const std::vector<int32_t>& index) {
    Handle ds = h5::write_dataset(g, name, index, {index.size()});
    make_scale(ds, name);
    return ds;
  };
  Handle ring_axis = scale("ring", ring), vertex_axis = scale("vertex", vertex);
  const auto data = [&](const char* name, const auto& values, hid_t axis, const char* units, const char* what) {
    Handle ds = h5::write_dataset(g, name, values, {values.size()});
    attach(ds, axis, 0);
    describe(ds, units, what);
  };
  data("lon", lon, vertex_axis, "degrees_east", "longitude of the vertex");
  data("lat", lat, vertex_axis, "degrees_north", "latitude of the vertex");
  data("start", start, ring_axis, "1", "index of the ring's first vertex");
  data("code", code, ring_axis, "1", "local government code of the ring's municipality");
}

void write_grid(hid_t file, const Grid& grid, hid_t row, hid_t col) {
  Handle g = h5::create_group(file, "grid");
  h5::set_attr(g, "level", int32_t(grid.level));
  h5::set_attr(g, "rows", int32_t(grid.rows));
  h5::set_attr(g, "cols", int32_t(grid.cols));
  h5::set_attr(g, "description", "the city grid: JIS X 0410 mesh cells, level = cell size in m");
  link_scales(g, {"/row", "/col"});
  const auto layer = [&](const char* name, const auto& values, const char* units, const std::string& description) {
    Handle ds = h5::write_dataset(g, name, values, {hsize_t(grid.rows), hsize_t(grid.cols)});
    attach(ds, row, 0);
    attach(ds, col, 1);
    describe(ds, units, description);
  };
  std::string land_uses;
  for (int use = 0; use <= int(LandUse::Agricultural); ++use)
    land_uses += (use ? ", " : "") + std::to_string(use) + " " + land_use_name(LandUse(use));
  layer("mesh_code", grid.mesh_code, "1", "JIS X 0410 mesh code of the cell; 0 outside the city's blocks");
  layer("lat", grid.lat, "degrees_north", "latitude of the cell centre; NaN outside the city's blocks");
  layer("lon", grid.lon, "degrees_east", "longitude of the cell centre; NaN outside the city's blocks");
  layer("municipality", grid.municipality, "1", "local government code of the cell; 0 = sea or outside the city");
  layer("land_share", grid.land_share, "1", "share of the cell that is land (inside any municipal boundary of the boundaries file), 0..1");
  layer("land_use", grid.land_use, "1", "land use: " + land_uses);
  layer("population", grid.population, "people", "residents living in the cell");
  layer("day_places", grid.day_places, "people", "jobs and school places in the cell");
  layer("building_year", grid.building_year, "year", "mean construction year of the cell's buildings");
  layer("coast_km", grid.coast_km, "km", "distance to the nearest water cell");
  layer("water", grid.water, "1", "1 = sea, bay, river or lake");
  write_municipalities(g, grid.municipalities);
  if (!grid.outlines.empty()) write_outlines(g, grid.outlines, grid.credit);
}

}  // namespace

std::string cf_units(const std::string& display) {
  // counts of things: dimensionless in UDUNITS; the noun stays in units_display
  static const char* const counts[] = {"people", "trips", "sessions", "households", "aircraft", "flights",
                                       "reports", "sites", "tenancies", "units", "year", "code"};
  for (const char* c : counts)
    if (display == c) return "1";
  if (display == "Asia/Tokyo") return "";  // ISO 8601 text with its time zone: no UDUNITS form
  static const std::map<std::string, std::string> named = {
      {"°C", "degC"},          {"°C·h", "degC h"},  {"°", "degree"},      {"kW/m²", "kW m-2"},
      {"m/s", "m s-1"},        {"1/h", "h-1"},      {"sessions/min", "min-1"}, {"kWh", "kW h"},
      {"years", "year"},       {"person-hours", "h"}, {"person-min", "min"}, {"seat-km", "km"}};
  const auto it = named.find(display);
  return it == named.end() ? display : it->second;
}

std::string display_units(const std::string& units, const std::string& units_display) {
  return units_display.empty() ? units : units_display;
}

struct ResultsWriter::Impl {
  struct TableOut {
    Handle dataset;
    h5::Compound record;
    Handle type;
    size_t rows_written = 0;
  };
  // the file first: members close in reverse order, the file last
  Handle file;
  Handle time, time_iso, field_time;   // /time, /time_iso, /fields/time
  std::vector<Handle> series, fields;  // parallel to Metrics::series() and fields()
  std::vector<TableOut> tables;        // parallel to Metrics::tables()
  LocalSeconds start = 0;
  size_t samples_written = 0, field_rows = 0;
  int64_t last_field_sample = -1;
  // disk space held back (an unlinked file, freed when closed, also by a kill) so that a
  // full disk still leaves room to cut the file back to its last sample and close it
  int reserve_fd = -1;

  ~Impl() { release_reserve(); }
  void hold_reserve(const std::string& partial);
  void release_reserve() noexcept {
    if (reserve_fd >= 0) ::close(reserve_fd);
    reserve_fd = -1;
  }
  void roll_back();  // every dataset back to its rows of the last complete sample

  void create_series(const Metrics& metrics);
  void create_fields(const Metrics& metrics, int fields_every, const std::string& time_units, const Grid& grid,
                     hid_t row, hid_t col);
  void create_tables(const Metrics& metrics);
  void append_new(const Metrics& metrics, int fields_every);
  void append_table_rows(TableOut& out, const Table& table);
  void prefill_fields(const std::string& snapshot_path);
};

// the snapshot's field samples (/results/fields: time, then f000... in Metrics order)
void ResultsWriter::Impl::prefill_fields(const std::string& snapshot_path) {
  Handle snap(check(H5Fopen(snapshot_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open " + snapshot_path),
              H5Fclose);
  Handle group = h5::open_group(snap, "results/fields");
  if (!h5::exists(group, "time")) return;  // a snapshot taken without a results file
  const auto times = h5::read_all<double>(h5::open_dataset(group, "time"));
  h5::append_rows(field_time, H5T_NATIVE_DOUBLE, times.data(), times.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%03zu", i);
    const auto values = h5::read_all<float>(h5::open_dataset(group, name));
    h5::append_rows(fields[i], H5T_NATIVE_FLOAT, values.data(), times.size());
  }
  field_rows = times.size();
  last_field_sample = std::stoll(h5::attr_text(group, "last_field_sample"));
}

void ResultsWriter::save_fields(int64_t group) const {
  if (!impl_) return;
  h5::guarded(partial_path(), [&] {
    const auto times = h5::read_all<double>(impl_->field_time);
    h5::write_dataset(group, "time", times, {hsize_t(times.size())});
    h5::set_attr(group, "last_field_sample", int64_t(impl_->last_field_sample));
    for (size_t i = 0; i < impl_->fields.size(); ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "f%03zu", i);
      const auto values = h5::read_all<float>(impl_->fields[i]);
      h5::write_dataset(group, name, values, h5::shape(impl_->fields[i]));
    }
  });
}

void ResultsWriter::Impl::create_series(const Metrics& metrics) {
  Handle root = h5::create_group(file, "series");
  for (const Series& s : metrics.series()) {
    auto [group, name] = metric_group(root, s.info.path, {"/time"});
    const bool breakdown = !s.breakdown.labels.empty();
    Handle ds = h5::create_growing(group, name, H5T_NATIVE_DOUBLE,
                                   breakdown ? std::vector<hsize_t>{s.width()} : std::vector<hsize_t>{},
                                   series_chunk_rows(s.width()));
    // uncompressed: an append only fills rows past the flushed extent, so a kill mid-write
    // leaves the chunks the file's last flushed metadata points to as they were (a
    // compressed chunk is rewritten whole, and a kill then leaves it undecodable)
    attach(ds, time, 0);
    describe(ds, s.info.units, s.info.description);
    series.push_back(std::move(ds));
  }
  // label scales come after every series so that a series name always wins over a
  // scale name; series of a group share a scale when their labels are the same
  struct Scale {
    std::string name;
    std::vector<std::string> labels;
  };
  std::map<std::string, std::vector<Scale>> made;  // "<module>/<dimension>" -> its scales
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = metrics.series()[i];
    if (s.breakdown.labels.empty()) continue;
    auto [group, name] = metric_group(root, s.info.path, {});
    const std::string& dimension = s.breakdown.dimension;
    auto& scales = made[s.info.path.substr(0, s.info.path.find('/')) + "/" + dimension];
    auto same =
        std::find_if(scales.begin(), scales.end(), [&](const Scale& sc) { return sc.labels == s.breakdown.labels; });
    if (same == scales.end()) {
      const std::string scale_name = h5::exists(group, dimension) ? dimension + "__" + name : dimension;
      Handle scale = write_strings(group, scale_name, s.breakdown.labels);
      make_scale(scale, dimension);  // the scale's NAME is the dimension, whatever the dataset is called
      h5::set_attr(scale, "description", "categories of " + dimension);
      same = scales.insert(scales.end(), {scale_name, s.breakdown.labels});
    }
    attach(series[i], h5::open_dataset(group, same->name), 1);
  }
}

void ResultsWriter::Impl::create_fields(const Metrics& metrics, int fields_every, const std::string& time_units,
                                        const Grid& grid, hid_t row, hid_t col) {
  Handle root = h5::create_group(file, "fields");
  h5::set_attr(root, "sample_stride", int32_t(fields_every));
  field_time = time_scale(root, "time", time_units,
                          "times of the field samples: every sample_stride-th sample of /time, from the first");
  for (const Field& f : metrics.fields()) {
    auto [group, name] = metric_group(root, f.info.path, {"/fields/time", "/row", "/col"});
    Handle ds = h5::create_growing(group, name, H5T_NATIVE_FLOAT, {hsize_t(grid.rows), hsize_t(grid.cols)}, 1, true);
    attach(ds, field_time, 0);
    attach(ds, row, 1);
    attach(ds, col, 2);
    describe(ds, f.info.units, f.info.description);
    fields.push_back(std::move(ds));
  }
}

void ResultsWriter::Impl::create_tables(const Metrics& metrics) {
  Handle root = h5::create_group(file, "tables");
  Handle text = h5::fixed_string_type(kTextBytes);
  for (const Table& t : metrics.tables()) {
    auto [group, name] = metric_group(root, t.info.path, {});
    TableOut out;
    for (const Column& c : t.columns)
      out.record.add(c.name, c.type == ColumnType::Int     ? H5T_NATIVE_INT64
                             : c.type == ColumnType::Float ? H5T_NATIVE_DOUBLE
                                                           : hid_t(text));
    out.type = out.record.type();
    out.dataset = h5::create_growing(group, name, out.type, {}, 512);
    make_scale(out.dataset, name);  // a table is its own (row) dimension: xarray opens /tables without phony_dims
    h5::set_attr(out.dataset, "description", t.info.description);
    for (const Column& c : t.columns) set_units(out.dataset, c.name + "_units", c.units);
    tables.push_back(std::move(out));
  }
}

void ResultsWriter::Impl::append_table_rows(TableOut& out, const Table& table) {
  const size_t first = out.rows_written, size = out.record.size();
  std::vector<char> buffer((table.rows - first) * size);
  for (size_t r = first; r < table.rows; ++r)
    for (size_t c = 0; c < table.columns.size(); ++c) {
      char* at = buffer.data() + (r - first) * size + out.record.offset(c);
      const size_t k = table.index[c];
      switch (table.columns[c].type) {
        case ColumnType::Int: h5::put(at, table.ints[k][r]); break;
        case ColumnType::Float: h5::put(at, table.floats[k][r]); break;
        case ColumnType::Text: h5::put_text(at, table.texts[k][r], kTextBytes); break;
      }
    }
  h5::append_rows(out.dataset, out.type, buffer.data(), table.rows - first);
  out.rows_written = table.rows;
}

void ResultsWriter::Impl::append_new(const Metrics& metrics, int fields_every) {
  const auto& times = metrics.sample_times();
  const size_t first = samples_written, count = times.size() - first;
  if (count > 0) {
    std::vector<double> seconds;
    std::vector<std::string> iso;
    for (size_t i = first; i < times.size(); ++i) {
      seconds.push_back(double(times[i] - start));
      iso.push_back(format_datetime(times[i]));
    }
    std::vector<const char*> iso_ptrs;
    for (const auto& s : iso) iso_ptrs.push_back(s.c_str());
    h5::append_rows(time, H5T_NATIVE_DOUBLE, seconds.data(), count);
    h5::append_rows(time_iso, h5::vlen_string_type(), iso_ptrs.data(), count);
    for (size_t i = 0; i < series.size(); ++i) {
      const Series& s = metrics.series()[i];
      h5::append_rows(series[i], H5T_NATIVE_DOUBLE, s.history.data() + first * s.width(), count);
    }
    samples_written = times.size();
  }
  // fields hold only the current state: write it when the latest sample is on the stride
  const int64_t latest = int64_t(times.size()) - 1;
  if (latest > last_field_sample && latest % fields_every == 0) {
    const double seconds = double(times.back() - start);
    h5::append_rows(field_time, H5T_NATIVE_DOUBLE, &seconds, 1);
    for (size_t i = 0; i < fields.size(); ++i)
      h5::append_rows(fields[i], H5T_NATIVE_FLOAT, metrics.fields()[i].values.data(), 1);
    last_field_sample = latest;
    ++field_rows;
  }
  for (size_t i = 0; i < tables.size(); ++i) append_table_rows(tables[i], metrics.tables()[i]);
  check(H5Fflush(file, H5F_SCOPE_GLOBAL), "cannot flush");
}

void ResultsWriter::Impl::hold_reserve(const std::string& partial) {
  constexpr size_t reserve_bytes = 256 * 1024;
  const std::string name = partial + ".reserve";
  reserve_fd = ::open(name.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (reserve_fd < 0) return;  // no reserve: a full disk may then leave a file HDF5 cannot open
  ::unlink(name.c_str());
  const std::vector<char> zeros(reserve_bytes, 0);
  if (::write(reserve_fd, zeros.data(), zeros.size()) < 0) release_reserve();
}

void ResultsWriter::Impl::roll_back() {
  h5::set_rows(time, samples_written);
  h5::set_rows(time_iso, samples_written);
  for (const Handle& ds : series) h5::set_rows(ds, samples_written);
  h5::set_rows(field_time, field_rows);
  for (const Handle& ds : fields) h5::set_rows(ds, field_rows);
  for (const TableOut& t : tables) h5::set_rows(t.dataset, t.rows_written);
  check(H5Fflush(file, H5F_SCOPE_GLOBAL), "cannot flush");
}

ResultsWriter::ResultsWriter(std::string path, int fields_every) : path_(std::move(path)), fields_every_(fields_every) {
  if (fields_every < 1) throw std::invalid_argument("ResultsWriter: fields_every must be at least 1");
}

ResultsWriter::~ResultsWriter() { close_quietly(); }  // without end() the .partial file stays, closed

void ResultsWriter::begin(const Simulation& sim) {
  const std::string partial = partial_path();
  try {
    begin_file(sim, partial);
  } catch (...) {
    std::error_code ignored;  // a header that failed (a full disk) leaves nothing behind
    std::filesystem::remove(partial + ".new", ignored);
    throw;
  }
}

void ResultsWriter::begin_file(const Simulation& sim, const std::string& partial) {
  h5::guarded(partial, [&] {
    const auto parent = std::filesystem::path(partial).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    auto impl = std::make_unique<Impl>();
    Handle fcpl(check(H5Pcreate(H5P_FILE_CREATE), "file properties"), H5Pclose);
    check(H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "creation order");
    // metadata reaches the disk only at our flushes, never by eviction between them, so
    // a kill between two flushes leaves the state of the last one
    Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "file access properties"), H5Pclose);
    H5AC_cache_config_t mdc;
    mdc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    check(H5Pget_mdc_config(fapl, &mdc), "metadata cache");
    mdc.evictions_enabled = false;
    mdc.incr_mode = H5C_incr__off;
    mdc.flash_incr_mode = H5C_flash_incr__off;
    mdc.decr_mode = H5C_decr__off;
    check(H5Pset_mdc_config(fapl, &mdc), "metadata cache");
    // the header is built under a third name and renamed once flushed: a kill while it is
    // written leaves no .partial (nothing was sampled), never an unreadable one
    const std::string building = partial + ".new";
    impl->file = Handle(check(H5Fcreate(building.c_str(), H5F_ACC_TRUNC, fcpl, fapl), "cannot create"), H5Fclose);
    impl->start = sim.run_params().start;
    impl->hold_reserve(partial);

    write_meta(impl->file, sim, fields_every_);
    const std::string time_units = "seconds since " + format_datetime(impl->start);
    impl->time = time_scale(impl->file, "time", time_units, "time of each sample since the start of the run");
    impl->time_iso = h5::create_growing(impl->file, "time_iso", h5::vlen_string_type(), {}, 512);
    attach(impl->time_iso, impl->time, 0);
    h5::set_attr(impl->time_iso, "description", "time of each sample, ISO 8601, Asia/Tokyo");
    const auto [row, col] = write_grid_axes(impl->file, sim.grid());
    write_grid(impl->file, sim.grid(), row, col);

    impl->create_series(sim.metrics());
    impl->create_fields(sim.metrics(), fields_every_, time_units, sim.grid(), row, col);
    impl->create_tables(sim.metrics());
    if (!origin_.path.empty()) {
      Handle meta = h5::open_group(impl->file, "meta");
      h5::set_attr(meta, "snapshot", origin_.path);
      h5::set_attr(meta, "snapshot_use", origin_.use);
      h5::set_attr(meta, "snapshot_time", origin_.time);
      h5::set_attr(meta, "snapshot_content_hash", origin_.content_hash);
      impl->prefill_fields(origin_.path);
    }
    check(H5Fflush(impl->file, H5F_SCOPE_GLOBAL), "cannot flush");
    std::filesystem::rename(building, partial);
    impl_ = std::move(impl);
  });
}

void ResultsWriter::sample(const Simulation& sim) {
  if (!impl_) throw std::logic_error(path_ + ": ResultsWriter::sample before begin");
  try {
    h5::guarded(partial_path(), [&] { impl_->append_new(sim.metrics(), fields_every_); });
  } catch (const std::exception& e) {
    // a failed write (a full disk) ends the file: the reserve gives back the room to cut
    // it to the last complete sample and close it readable
    salvage_quietly();
    throw std::runtime_error(std::string(e.what()) + " after " + last_sample_time_ +
                             "; the partial file holds every sample up to then");
  }
  last_sample_time_ = format_datetime(sim.clock().now());
}

void ResultsWriter::end(const Simulation& sim, bool complete) {
  if (!impl_) return;  // never begun, already ended, or failed
  const std::string partial = partial_path();
  h5::guarded(partial, [&] {
    impl_->append_new(sim.metrics(), fields_every_);
    {
      Handle meta = h5::open_group(impl_->file, "meta");
      h5::set_attr(meta, "finished", wall_clock_iso());
      h5::set_attr(meta, "wall_seconds", sim.wall_seconds());
      h5::set_attr(meta, "complete", int32_t(complete ? 1 : 0));
    }
    impl_.reset();  // closes every dataset, then the file
    // only a complete run replaces the file at `path`: an interrupted one stays .partial
    if (complete || overwrite_incomplete_) std::filesystem::rename(partial, path_);
  });
}

void ResultsWriter::close_quietly() noexcept {
  H5E_auto2_t func = nullptr;
  void* data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // closing a file on a full disk fails again: say it once
  impl_.reset();
  H5Eset_auto2(H5E_DEFAULT, func, data);
}

void ResultsWriter::salvage_quietly() noexcept {
  if (impl_) {
    impl_->release_reserve();
    H5E_auto2_t func = nullptr;
    void* data = nullptr;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // the error was said once already
    try {
      impl_->roll_back();
    } catch (...) {
      // nothing more to do: close what is there
    }
    H5Eset_auto2(H5E_DEFAULT, func, data);
  }
  close_quietly();
}

std::string output_path_problem(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (path.empty()) return "the output path is empty";
  if (fs::is_directory(p, ec)) return path + ": is a directory, expected a results file name";
  fs::path parent = p.parent_path();
  if (parent.empty()) parent = ".";
  // the nearest existing folder must be writable (missing ones are created)
  fs::path existing = parent;
  while (!existing.empty() && !fs::exists(existing, ec)) existing = existing.parent_path();
  if (existing.empty()) existing = ".";
  if (!fs::is_directory(existing, ec)) return path + ": " + existing.string() + " is not a folder";
  if (::access(existing.c_str(), W_OK) != 0) return path + ": cannot write in " + existing.string() + " (permission denied)";
  if (fs::exists(p, ec) && ::access(p.c_str(), W_OK) != 0) return path + ": the existing file is read-only";
  return "";
}

}  // namespace citysim::io
