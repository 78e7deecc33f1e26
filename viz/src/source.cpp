// [SECTION] frames      copying what the renderer needs out of a Simulation
// [SECTION] live        the worker thread and its command queue
// [SECTION] replay      results files: grid rebuilt from the stored scenario, fields read per sample
// [SECTION] ensembles   a variant's member replayed, every series' band over its replicates
#include "source.hpp"


#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "citysim/city.hpp"
#include "citysim/ensemble/metric.hpp"
#include "citysim/ensemble/stats.hpp"
#include "citysim/io/scenario_file.hpp"
#include "h5.hpp"

namespace citysim::viz {

int column_of(const TableData& t, const std::string& name) {
  for (size_t c = 0; c < t.columns.size(); ++c)
    if (t.columns[c] == name || t.columns[c].starts_with(name + " [")) return int(c);
  return -1;
}

const FieldData* Frame::field(const std::string& path) const {
  if (!fields) return nullptr;
  for (const auto& f : *fields)
    if (f.path == path) return &f;
  return nullptr;
}

const Band* Frame::band(const std::string& path) const {
  if (!bands) return nullptr;
  for (const auto& b : *bands)
    if (b.path == path) return &b;
  return nullptr;
}

void SeriesHistory::append_from(const std::vector<double>& history) {
  const size_t total = history.size() / std::max<size_t>(1, width);
  while (samples < total) {
    const size_t block = samples / kBlockSamples, end = std::min(total, (block + 1) * kBlockSamples);
    auto values = std::make_shared<const std::vector<double>>(history.begin() + long(block * kBlockSamples * width),
                                                              history.begin() + long(end * width));
    if (block < blocks.size()) blocks[block] = std::move(values);
    else blocks.push_back(std::move(values));
    samples = end;
  }
}

SeriesHistory series_of(const io::SeriesData& d) {
  SeriesHistory s;
  s.path = d.path, s.units = d.units, s.description = d.description, s.dimension = d.dimension;
  s.labels = d.labels;
  s.width = d.width;
  s.append_from(d.values);
  return s;
}

// [SECTION] frames
namespace {

constexpr size_t kLatestRows = 12;     // rows of each event table shown
constexpr size_t kMarkerRows = 5000;   // located rows drawn as markers, newest
constexpr size_t kSpanRows = 20000;    // rows with a start and an end kept, newest

std::string cell_text(const Cell& c) {
  if (const auto* i = std::get_if<int64_t>(&c)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&c)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", *d);
    return buf;
  }
  return std::get<std::string>(c);
}

double cell_number(const Cell& c) {
  if (const auto* i = std::get_if<int64_t>(&c)) return double(*i);
  if (const auto* d = std::get_if<double>(&c)) return *d;
  return std::nan("");
}

int column_named(const Table& t, std::initializer_list<const char*> names) {
  for (size_t i = 0; i < t.columns.size(); ++i)
    for (const char* n : names)
      if (t.columns[i].name == n) return int(i);
  return -1;
}

// the column saying when a row happens: every table's first column "time", seconds since
// the run start at which the row was written; in files written before tables had it, a
// date-time text column named time, at, issued, onset, start, departure or ending in
// "_at", or minutes since the run start (start_min, depart_min, departure_min); -1 when none
int time_column(const Table& t) {
  if (!t.columns.empty() && t.columns[0].name == "time" && t.columns[0].type == ColumnType::Float) return 0;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    const std::string& n = t.columns[c].name;
    if (t.columns[c].type == ColumnType::Text &&
        (n == "time" || n == "at" || n == "issued" || n == "onset" || n == "start" || n == "departure" || n.ends_with("_at")))
      return int(c);
    if (t.columns[c].type == ColumnType::Float && (n == "start_min" || n == "depart_min" || n == "departure_min")) return int(c);
  }
  return -1;
}

// the rows to show at `now`: those whose time column is not after it (all rows when the
// table has none, or when now is unset: a live run's tables hold only what has happened)
std::vector<size_t> rows_shown(const Table& t, std::optional<LocalSeconds> now, LocalSeconds run_start) {
  std::vector<size_t> rows;
  const int c = time_column(t);
  for (size_t r = 0; r < t.rows; ++r) {
    bool shown = true;
    if (now && c >= 0) {
      const Cell when = t.at(r, size_t(c));
      if (const auto* text = std::get_if<std::string>(&when)) {
        const auto at = parse_datetime(*text);
        shown = !at || *at <= *now;
      } else {
        const double seconds_per_unit = t.columns[size_t(c)].name == "time" ? 1 : 60;
        shown = run_start + LocalSeconds(std::llround(cell_number(when) * seconds_per_unit)) <= *now;
      }
    }
    if (shown) rows.push_back(r);
  }
  return rows;
}

// a table's shown rows: the latest as text, and a marker for each located one (the
// newest kMarkerRows) where its lat/lon, mesh code, cell or municipal office is; and
// the spans of all its rows when they have a start and an end
TableData copy_table(const Table& t, const Grid& grid, const std::vector<size_t>& shown, LocalSeconds run_start) {
  TableData d;
  d.path = t.info.path;
  d.description = t.info.description;
  d.rows = shown.size();
  for (const auto& c : t.columns) {
    d.columns.push_back(c.name + (c.units.empty() || c.units == "1" ? "" : " [" + c.units + "]"));
    d.numeric.push_back(c.type != ColumnType::Text);
  }
  if (const int tc = time_column(t); tc >= 0) d.time_column = t.columns[size_t(tc)].name;
  const auto row_text = [&](size_t r) {
    std::vector<std::string> row;
    for (size_t c = 0; c < t.columns.size(); ++c) row.push_back(cell_text(t.at(r, c)));
    return row;
  };
  for (size_t k = shown.size() > kLatestRows ? shown.size() - kLatestRows : 0; k < shown.size(); ++k)
    d.latest.push_back(row_text(shown[k]));
  const int begins = column_named(t, {"depart_min", "start_min"}), ends = column_named(t, {"landed_min", "end_min"});
  if (begins >= 0 && ends >= 0)
    for (size_t r = t.rows > kSpanRows ? t.rows - kSpanRows : 0; r < t.rows; ++r)
      d.spans.push_back({run_start + LocalSeconds(std::llround(cell_number(t.at(r, size_t(begins))) * 60)),
                         run_start + LocalSeconds(std::llround(cell_number(t.at(r, size_t(ends))) * 60)), row_text(r)});
  const int lat = column_named(t, {"lat", "latitude"}), lon = column_named(t, {"lon", "longitude"});
  const int code = column_named(t, {"mesh_code", "mesh"}), cell = column_named(t, {"cell"});
  const int muni = column_named(t, {"municipality"});
  d.state_column = column_named(t, {"state", "status"});
  if ((lat < 0 || lon < 0) && code < 0 && cell < 0 && muni < 0) return d;
  // a municipality code alone puts the marker at the municipal office
  const auto office_cell = [&](double muni_code) -> int64_t {
    for (const auto& mu : grid.municipalities)
      if (mu.code == int(muni_code)) return grid.cell_at(mu.lat, mu.lon);
    return -1;
  };
  for (size_t k = shown.size() > kMarkerRows ? shown.size() - kMarkerRows : 0; k < shown.size(); ++k) {
    const size_t r = shown[k];
    int64_t where = -1;
    if (lat >= 0 && lon >= 0) where = grid.cell_at(cell_number(t.at(r, size_t(lat))), cell_number(t.at(r, size_t(lon))));
    else if (code >= 0) where = grid.cell_of_code(uint64_t(cell_number(t.at(r, size_t(code)))));
    else if (cell >= 0) where = int64_t(cell_number(t.at(r, size_t(cell))));
    else where = office_cell(cell_number(t.at(r, size_t(muni))));
    if (where < 0 || size_t(where) >= grid.size()) continue;
    d.marker_cell.push_back(where);
    d.marker_rows.push_back(row_text(r));
  }
  return d;
}

// the metrics' series as blocks: the samples added since the last call copied into `work`
void update_series(const Metrics& m, std::vector<SeriesHistory>& work) {
  if (work.size() != m.series().size()) {
    work.clear();
    for (const auto& s : m.series()) {
      SeriesHistory d;
      d.path = s.info.path, d.units = s.info.units, d.description = s.info.description;
      d.dimension = s.breakdown.dimension, d.labels = s.breakdown.labels;
      d.width = s.width();
      work.push_back(std::move(d));
    }
  }
  for (size_t i = 0; i < work.size(); ++i) work[i].append_from(m.series()[i].history);
}

}  // namespace

// [SECTION] live
LiveSource::LiveSource(const Scenario& scenario, int threads, size_t max_agents)
    : scenario_(scenario), threads_(threads), max_agents_(max_agents) {
  sim_ = std::make_unique<Simulation>(scenario_, threads_);
  sim_->step(0);  // the initial sample
  grid_ = sim_->grid();
  publish();
}

LiveSource::~LiveSource() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void LiveSource::advance_to(LocalSeconds t) {
  const int64_t target = (t - sim_->run_params().start) / (60 * sim_->run_params().tick_minutes);
  sim_->step(std::max<int64_t>(0, target - sim_->clock().tick));
  publish();
}

void LiveSource::start() { worker_ = std::thread([this] { loop(); }); }

std::shared_ptr<const Frame> LiveSource::frame() {
  std::lock_guard lock(mu_);
  return latest_;
}

void LiveSource::play(bool on) {
  playing_ = on;
  wake_.notify_all();
}

void LiveSource::set_speed(double speed) {
  std::lock_guard lock(mu_);
  speed_ = speed;
}

void LiveSource::step() {
  {
    std::lock_guard lock(mu_);
    ++pending_steps_;
  }
  wake_.notify_all();
}

void LiveSource::seek(LocalSeconds t) {
  {
    std::lock_guard lock(mu_);
    seek_ = t;
  }
  wake_.notify_all();
}

void LiveSource::set_param(const std::string& key, const Value& value) {
  {
    std::lock_guard lock(mu_);
    edits_.emplace_back(key, value);
  }
  wake_.notify_all();
}

void LiveSource::restart(const Scenario& scenario) {
  {
    std::lock_guard lock(mu_);
    restart_ = scenario;
  }
  wake_.notify_all();
}

std::string LiveSource::last_error() {
  std::lock_guard lock(mu_);
  return error_;
}

// the worker's copy of the state: the only time the simulation waits on the lock is
// the pointer swap at the end
void LiveSource::publish() {
  auto f = std::make_shared<Frame>();
  const Metrics& m = sim_->metrics();
  f->now = sim_->clock().now();
  f->start = sim_->run_params().start;
  f->end = f->start + sim_->total_ticks() * sim_->run_params().tick_minutes * 60;
  f->tick = sim_->clock().tick;
  f->finished = sim_->finished();
  f->sample = m.sample_times().empty() ? 0 : m.sample_times().size() - 1;
  if (m.sample_times().size() != series_samples_) {
    series_samples_ = m.sample_times().size();
    update_series(m, series_work_);
    series_cache_ = std::make_shared<const std::vector<SeriesHistory>>(series_work_);  // block pointers, not values
    times_cache_ = std::make_shared<const std::vector<LocalSeconds>>(m.sample_times());
    auto fields = std::make_shared<std::vector<FieldData>>();
    for (const auto& field : m.fields()) fields->push_back({field.info.path, field.info.units, field.info.description, field.values});
    fields_cache_ = std::move(fields);
  }
  f->series = series_cache_;
  f->sample_times = times_cache_;
  f->fields = fields_cache_;
  tables_cache_.resize(m.tables().size());
  for (size_t i = 0; i < m.tables().size(); ++i)
    if (!tables_cache_[i] || tables_cache_[i]->rows != m.tables()[i].rows)
      tables_cache_[i] = std::make_shared<const TableData>(copy_table(m.tables()[i], grid_, rows_shown(m.tables()[i], {}, f->start), f->start));
  f->tables = tables_cache_;
  // residents evenly spaced through the arrays, so the sample covers the whole city
  const Residents& r = sim_->residents();
  const size_t n = std::min(r.count, max_agents_);
  const auto pick = [&](size_t i) { return i * r.count / n; };
  if (!age_cache_ || age_cache_->size() != n) {
    auto ages = std::make_shared<std::vector<uint8_t>>(n);
    for (size_t i = 0; i < n; ++i) (*ages)[i] = r.age[pick(i)];
    age_cache_ = std::move(ages);
  }
  f->agents.cell.resize(n);
  f->agents.activity.resize(n);
  for (size_t i = 0; i < n; ++i) {
    f->agents.cell[i] = r.cell[pick(i)];
    f->agents.activity[i] = r.activity[pick(i)];
  }
  f->agents.age = age_cache_;
  f->agents.weight = n ? r.weight * double(r.count) / double(n) : r.weight;
  f->ticks_per_second = measured_tps_;
  const auto names = sim_->module_names();
  for (size_t i = 0; i < names.size(); ++i) f->step_seconds.emplace_back(names[i], sim_->module_step_seconds()[i]);
  f->serial = ++serial_;
  std::lock_guard lock(mu_);
  latest_ = std::move(f);
}

// step towards target_tick for at most budget_s of wall time
void LiveSource::run_ticks_for(int64_t target_tick, double budget_s) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const int64_t tick0 = sim_->clock().tick;
  while (sim_->clock().tick < target_tick && !sim_->finished()) {
    sim_->step(1);
    if (std::chrono::duration<double>(clock::now() - t0).count() > budget_s) break;
  }
  const double dt = std::chrono::duration<double>(clock::now() - t0).count();
  if (dt > 0 && sim_->clock().tick > tick0) measured_tps_ = double(sim_->clock().tick - tick0) / dt;
}

// a fresh simulation (restart, or a jump into the past); frames share nothing with the old one
void LiveSource::rebuild(const Scenario& scenario) {
  sim_ = std::make_unique<Simulation>(scenario, threads_);
  sim_->step(0);
  series_samples_ = size_t(-1);
  series_work_.clear();
  age_cache_.reset();
  tables_cache_.clear();
}

void LiveSource::loop() {
  using clock = std::chrono::steady_clock;
  constexpr double kFrameBudget_s = 1.0 / 30;  // a frame for the renderer at least this often
  auto last = clock::now();
  double owed_ticks = 0;
  int64_t seek_tick = -1;  // a jump in progress, -1 = none
  bool throttled = false;  // playing slower than a tick per loop: nap instead of spinning
  for (;;) {
    std::vector<std::pair<std::string, Value>> edits;
    std::optional<Scenario> restart;
    int64_t steps = 0;
    double speed = 0;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(throttled ? 5 : 20), [&] {
        return quit_ || (playing_ && !throttled) || !edits_.empty() || restart_ || seek_ || pending_steps_ > 0 ||
               seek_tick >= 0;
      });
      if (quit_) return;
      edits.swap(edits_);
      restart.swap(restart_);
      if (seek_) {
        seek_tick = std::max<int64_t>(0, (*seek_ - sim_->run_params().start) / (60 * sim_->run_params().tick_minutes));
        seek_.reset();
      }
      steps = std::exchange(pending_steps_, 0);
      speed = speed_;
    }
    bool changed = false;
    throttled = false;
    const auto report = [&](const std::exception& e) {
      std::lock_guard lock(mu_);
      error_ = e.what();
    };
    // a bad restart or knob is reported and skipped; the run goes on as it was
    try {
      if (restart) rebuild(*restart), changed = true;
    } catch (const std::exception& e) {
      report(e);
    }
    for (const auto& [key, value] : edits) {
      try {
        sim_->set_param(key, value);
        changed = true;
      } catch (const std::exception& e) {
        report(e);
      }
    }
    try {
      // the past is gone: start again with the current settings and run forward
      if (seek_tick >= 0 && seek_tick < sim_->clock().tick) {
        const Scenario current = sim_->scenario();
        rebuild(current);
      }
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - last).count();
      last = now;
      if (seek_tick >= 0) {
        run_ticks_for(seek_tick, kFrameBudget_s);
        if (sim_->clock().tick >= seek_tick || sim_->finished()) seek_tick = -1;
        changed = true;
      } else if (playing_) {
        const double tick_s = 60.0 * sim_->run_params().tick_minutes;
        owed_ticks = speed <= 0 ? 1e12 : owed_ticks + dt * speed / tick_s;
        const int64_t before = sim_->clock().tick;
        if (owed_ticks >= 1) run_ticks_for(before + int64_t(owed_ticks), kFrameBudget_s);
        else throttled = true;
        // a slow simulation drops the debt rather than racing to catch up
        owed_ticks = std::min(owed_ticks - double(sim_->clock().tick - before), 1.0);
        changed = changed || sim_->clock().tick != before;
        if (sim_->finished()) playing_ = false;
      } else {
        owed_ticks = 0;
      }
      if (steps > 0) sim_->step(steps), changed = true;
      if (changed) publish();
    } catch (const std::exception& e) {
      // a failing module stops playback; the window stays up with the message
      playing_ = false;
      seek_tick = -1;
      report(e);
    }
  }
}

// [SECTION] replay
bool is_results_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  in.read(head, 8);
  return in.gcount() == 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0;
}

ReplaySource::ReplaySource(const std::string& path) : path_(path), summary_(io::read_results(path)) {
  if (summary_.time_s.empty()) throw std::runtime_error(path + ": the results file holds no samples");
  // the grid is not stored cell by cell: rebuild it from the scenario the run used, its
  // relative data paths from the scenario's folder and those of --set overrides from the
  // folder the run started in, as /meta records them (older files: the results' folder);
  // an ensemble plan's `set` paths resolve against the scenario's folder instead
  namespace fs = std::filesystem;
  const auto meta_dir = [&](const char* name) {
    const auto it = summary_.meta.find(name);
    return it != summary_.meta.end() && !it->second.empty() && fs::is_directory(it->second) ? it->second : std::string();
  };
  const std::string here = fs::path(path).parent_path().string();
  const std::string base = !meta_dir("scenario_dir").empty() ? meta_dir("scenario_dir") : here.empty() ? "." : here;
  const std::string cwd = meta_dir("working_dir");
  scenario_ = io::parse_scenario(summary_.scenario_toml, path + " (stored scenario)", base);
  for (std::string o : summary_.overrides) {
    const size_t eq = o.find('=');
    const KeySpec* spec = eq == std::string::npos ? nullptr : scenario_.schema().find(o.substr(0, eq));
    if (spec && spec->kind == ValueKind::Path && eq + 1 < o.size() && fs::path(o.substr(eq + 1)).is_relative())
      for (const std::string& dir : {cwd, base})
        if (!dir.empty() && fs::is_regular_file(fs::path(dir) / o.substr(eq + 1))) {
          o = o.substr(0, eq + 1) + (fs::path(dir) / o.substr(eq + 1)).lexically_normal().string();
          break;
        }
    io::apply_override(scenario_, o);
  }
  grid_ = build_city(CityParams::from(scenario_), uint64_t(scenario_.get_int("run.seed")));
  if (grid_.rows != summary_.rows || grid_.cols != summary_.cols)
    throw std::runtime_error(path + ": the stored scenario gives a " + std::to_string(grid_.rows) + "x" +
                             std::to_string(grid_.cols) + " grid but the fields are " + std::to_string(summary_.rows) +
                             "x" + std::to_string(summary_.cols));
  name_ = scenario_.get_string("run.name");
  const LocalSeconds start = summary_.time_iso.empty() ? scenario_.get_time("run.start")
                                                       : parse_datetime(summary_.time_iso[0]).value_or(scenario_.get_time("run.start"));
  auto times = std::make_shared<std::vector<LocalSeconds>>();
  for (double s : summary_.time_s) times->push_back(start + LocalSeconds(std::llround(s)));
  times_ = std::move(times);
  auto series = std::make_shared<std::vector<SeriesHistory>>();
  for (const auto& d : summary_.series) series->push_back(series_of(d));
  series_ = std::move(series);
  for (const auto& [table, rows] : summary_.tables) tables_.push_back(io::read_table(path, table));
}

size_t ReplaySource::sample_at(LocalSeconds t) const {
  const auto& ts = *times_;
  const auto it = std::upper_bound(ts.begin(), ts.end(), t);
  return it == ts.begin() ? 0 : size_t(it - ts.begin()) - 1;
}

std::shared_ptr<const Frame> ReplaySource::frame() {
  const auto& ts = *times_;
  const LocalSeconds now = ts.front() + LocalSeconds(std::llround(position_s_));
  const size_t sample = sample_at(now);
  if (frame_ && frame_->sample == sample) return frame_;
  auto f = std::make_shared<Frame>();
  f->now = ts[sample];
  f->start = ts.front();
  f->end = ts.back();
  f->sample = sample;
  f->sample_times = times_;
  f->series = series_;
  f->finished = sample + 1 == ts.size();
  f->complete = summary_.complete;
  auto fields = std::make_shared<std::vector<FieldData>>();
  for (const io::FieldSummary& field : summary_.fields) {
    if (field.shape.empty() || field.shape[0] == 0) continue;
    // fields may be written every N-th sample only: show the latest one written
    const size_t field_sample = std::min(sample / size_t(summary_.fields_every), field.shape[0] - 1);
    fields->push_back({field.path, field.units, field.description, io::read_field(path_, field.path, field_sample)});
  }
  f->fields = std::move(fields);
  for (const Table& t : tables_)
    f->tables.push_back(std::make_shared<const TableData>(copy_table(t, grid_, rows_shown(t, f->now, f->start), f->start)));
  f->serial = ++serial_;
  frame_ = std::move(f);
  return frame_;
}

void ReplaySource::update(double dt_wall_s) {
  if (!playing_) return;
  const double last = double(times_->back() - times_->front());
  position_s_ = speed_ <= 0 ? last : std::min(last, position_s_ + dt_wall_s * speed_);
  if (position_s_ >= last) playing_ = false;
}

void ReplaySource::step() {
  const size_t next = std::min(samples() - 1, sample_at(times_->front() + LocalSeconds(position_s_)) + 1);
  position_s_ = double((*times_)[next] - times_->front());
}

void ReplaySource::seek(LocalSeconds t) {
  position_s_ = std::clamp(double(t - times_->front()), 0.0, double(times_->back() - times_->front()));
}

// [SECTION] ensembles
bool is_ensemble_file(const std::string& path) {
  if (!is_results_file(path)) return false;
  try {
    return io::h5::guarded(path, [&] {
      io::h5::Handle file(io::h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open"), H5Fclose);
      return io::h5::exists(file, "summaries") && io::h5::exists(file, "members");
    });
  } catch (const std::exception&) {
    return false;
  }
}

EnsembleSource::EnsembleSource(const std::string& path) : path_(path) {
  namespace fs = std::filesystem;
  namespace h5 = io::h5;
  std::vector<std::string> member_variant, member_status, member_path;
  h5::guarded(path, [&] {
    h5::Handle file(h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open as HDF5"), H5Fclose);
    name_ = h5::attr_text(file, "name");
    variants_ = h5::read_all_strings(h5::open_dataset(file, "variant"));
    h5::Handle members = h5::open_group(file, "members");
    member_variant = h5::read_all_strings(h5::open_dataset(members, "variant"));
    member_status = h5::read_all_strings(h5::open_dataset(members, "status"));
    member_path = h5::read_all_strings(h5::open_dataset(members, "path"));
  });
  // member paths are relative to the ensemble file's folder
  const fs::path dir = fs::path(path).parent_path();
  members_.resize(variants_.size());
  for (size_t i = 0; i < member_variant.size(); ++i) {
    const auto v = std::find(variants_.begin(), variants_.end(), member_variant[i]);
    const std::string file = (dir / member_path[i]).string();
    if (v != variants_.end() && member_status[i] == "complete" && fs::is_regular_file(file))
      members_[size_t(v - variants_.begin())].push_back(file);
  }
  for (size_t v = 0; v < variants_.size(); ++v) {
    if (members_[v].empty())
      throw std::runtime_error(path + ": variant " + variants_[v] +
                               " has no complete member file to replay (were they removed? keep_members = false removes them)");
    // every series summed over its breakdown, per replicate; quantiles over replicates per
    // sample on the longest member's time axis, NaN past a shorter one's end (as the ensemble file)
    std::vector<io::ResultsSummary> runs;
    for (const auto& m : members_[v]) runs.push_back(io::read_results(m));
    size_t samples = 0;
    for (const auto& r : runs) samples = std::max(samples, r.time_s.size());
    auto bands = std::make_shared<std::vector<Band>>();
    for (const auto& series : runs.front().series) {
      ensemble::MetricSpec metric;
      metric.path = series.path;
      std::vector<std::vector<double>> per_run;
      std::string units;
      for (size_t r = 0; r < runs.size(); ++r) per_run.push_back(ensemble::metric_series(runs[r], metric, members_[v][r], units));
      Band b{series.path, {}, {}, {}, int(runs.size())};
      for (size_t t = 0; t < samples; ++t) {
        std::vector<double> x;
        for (const auto& run : per_run) x.push_back(t < run.size() ? run[t] : std::nan(""));
        const ensemble::Summary sum = ensemble::summarise(x);
        b.q05.push_back(sum.q[0]), b.q50.push_back(sum.q[2]), b.q95.push_back(sum.q[4]);
      }
      bands->push_back(std::move(b));
    }
    bands_.push_back(std::move(bands));
  }
  replay_ = std::make_unique<ReplaySource>(members_[0].front());
}

std::string EnsembleSource::name() const { return name_ + " · " + variants_[variant_]; }

void EnsembleSource::set_variant(size_t index) {
  if (index >= variants_.size() || index == variant_) return;
  const LocalSeconds at = replay_->clock_time();
  const bool was_playing = replay_->playing();
  auto next = std::make_unique<ReplaySource>(members_[index].front());
  next->set_speed(speed_);
  next->seek(at);
  next->play(was_playing);
  replay_ = std::move(next);
  variant_ = index;
  inner_.reset();
}

std::shared_ptr<const Frame> EnsembleSource::frame() {
  const auto inner = replay_->frame();
  if (inner == inner_ && frame_) return frame_;
  auto f = std::make_shared<Frame>(*inner);
  f->variant = variants_[variant_];
  f->bands = bands_[variant_];
  f->serial = (frame_ ? frame_->serial : 0) + 1;
  inner_ = inner;
  frame_ = std::move(f);
  return frame_;
}

}  // namespace citysim::viz
