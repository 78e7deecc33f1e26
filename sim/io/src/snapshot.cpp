#include "citysim/io/snapshot.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "citysim/hash.hpp"
#include "citysim/io/scenario_file.hpp"
#include "h5.hpp"

namespace citysim::io {

namespace {

constexpr const char* kFormat = "citysim snapshot";
constexpr int32_t kFormatVersion = 2;  // 2: every table has its time column
constexpr hsize_t kChunkBytes = hsize_t(4) << 20;

using h5::check;
using h5::Handle;
using h5::write_strings;

std::string now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  return buf;
}

// every file the scenario names (Path keys with a value), in schema order
std::vector<std::string> data_files_of(const Scenario& sc) {
  std::vector<std::string> files;
  for (const KeySpec& spec : sc.schema().keys())
    if (spec.kind == ValueKind::Path)
      if (std::string p = sc.get_path(spec.key); !p.empty() && std::filesystem::is_regular_file(p))
        files.push_back(std::move(p));
  return files;
}

void write_text(hid_t parent, const std::string& name, const std::string& text) {
  const char* p = text.c_str();
  h5::write_dataset(parent, name, h5::vlen_string_type(), {}, &p);
}

std::string read_text(hid_t parent, const std::string& name) {
  Handle ds = h5::open_dataset(parent, name);
  const auto all = h5::read_all_strings(ds);
  return all.empty() ? "" : all[0];
}

// a byte section: chunked, each chunk with a Fletcher32 checksum
void write_bytes(hid_t parent, const std::string& name, const std::vector<uint8_t>& bytes, const std::string& layout) {
  const hsize_t n = bytes.size();
  Handle space(check(H5Screate_simple(1, &n, nullptr), "dataspace"), H5Sclose);
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "dataset properties"), H5Pclose);
  if (n > 0) {
    const hsize_t chunk = std::min(n, kChunkBytes);
    check(H5Pset_chunk(dcpl, 1, &chunk), "chunking");
    check(H5Pset_fletcher32(dcpl), "checksum filter");
  }
  Handle ds(check(H5Dcreate2(parent, name.c_str(), H5T_NATIVE_UINT8, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                  "cannot create " + name),
            H5Dclose);
  if (n > 0) check(H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), "cannot write " + name);
  h5::set_attr(ds, "layout", layout);
}

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

Handle open_snapshot(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw SnapshotError(path + ": no such snapshot file");
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw SnapshotError(path + ": not a readable HDF5 file (truncated or corrupted snapshot)");
  Handle file(f, H5Fclose);
  if (!H5Aexists(file, "format") || h5::attr_text(file, "format") != kFormat)
    throw SnapshotError(path + ": not a citysim snapshot (a results file? snapshots are written by --checkpoint-every, "
                               "--snapshot-at or sim.snapshot())");
  return file;
}

int64_t attr_int(hid_t obj, const char* name) { return std::stoll(h5::attr_text(obj, name)); }

// reads with HDF5's printing off; every failure is a SnapshotError naming the file
template <class F>
auto reading(const std::string& path, F&& f) -> decltype(f()) {
  H5E_auto2_t func = nullptr;
  void* data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  struct Restore {
    H5E_auto2_t func;
    void* data;
    ~Restore() { H5Eset_auto2(H5E_DEFAULT, func, data); }
  } restore{func, data};
  try {
    return f();
  } catch (const SnapshotError&) {
    throw;
  } catch (const std::exception& e) {
    throw SnapshotError(path + ": " + e.what());
  }
}

}  // namespace

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  Fnv1a f;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    f.add(buf.data(), size_t(in.gcount()));
  }
  return f.hex();
}

// every key's value (file paths resolved), so a scenario edited in Python before the run is
// rebuilt as it was, not from its file alone
// a key's value as a setting: a file path as an absolute path (the snapshot's scenario is
// read again beside an absolute base_dir, so a path relative to where the run stood is not
// the same file there)
Value setting_of(const Scenario& sc, const KeySpec& spec) {
  if (spec.kind != ValueKind::Path) return sc.get(spec.key);
  const std::string path = sc.get_path(spec.key);
  return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

std::vector<uint8_t> settings_of(const Scenario& sc) {
  std::vector<std::pair<std::string, Value>> settings;
  for (const KeySpec& spec : sc.schema().keys()) settings.emplace_back(spec.key, setting_of(sc, spec));
  StateArchive ar;
  ar(settings);
  return ar.take();
}

void write_snapshot(Simulation& sim, const std::string& path, const ResultsWriter* results) {
  const Scenario& sc = sim.initial_scenario();
  for (const TimelineEvent& ev : sim.scenario().events())
    if (ev.index >= int(sc.events().size()))
      throw SnapshotError("the timeline holds events added during the run (" + ev.kind + " at " + format_datetime(ev.at) +
                          "): a snapshot file cannot hold them yet; Simulation::fork copies them in memory");
  const std::string tmp = path + ".tmp";
  h5::guarded(path, [&] {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    {
      Handle file(check(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "cannot create"), H5Fclose);
      h5::set_attr(file, "format", kFormat);
      h5::set_attr(file, "format_version", kFormatVersion);
      h5::set_attr(file, "version", kVersion);
      h5::set_attr(file, "git_revision", git_revision());
      h5::set_attr(file, "tick", int64_t(sim.clock().tick));
      h5::set_attr(file, "total_ticks", int64_t(sim.total_ticks()));
      h5::set_attr(file, "time", format_datetime(sim.clock().now()));
      h5::set_attr(file, "complete", int32_t(sim.finished() ? 1 : 0));  // as results files say it
      h5::set_attr(file, "created", now_iso());
      h5::set_attr(file, "source_path", sc.source_path);
      h5::set_attr(file, "base_dir", std::filesystem::absolute(sc.base_dir).lexically_normal().string());
      h5::set_attr(file, "fields_every", int32_t(results ? results->fields_every() : 1));
      write_text(file, "scenario_toml", sc.source_text);
      write_strings(file, "overrides", sc.overrides);
      write_bytes(file, "settings", settings_of(sc), "");
      std::vector<std::string> files = data_files_of(sc), hashes;
      for (const auto& f : files) hashes.push_back(file_hash(f));
      write_strings(file, "data_files", files);
      write_strings(file, "data_file_hashes", hashes);

      Handle state = h5::create_group(file, "state");
      Fnv1a content;
      const auto sections = sim.state_sections();
      for (size_t i = 0; i < sections.size(); ++i) {
        StateArchive count = StateArchive::counter(), ar;
        sim.archive_section(i, count);
        ar.reserve(count.counted());  // one allocation, no copies as it grows
        sim.archive_section(i, ar);
        content.add(ar.bytes().data(), ar.bytes().size());
        write_bytes(state, sections[i], ar.bytes(), ar.shape());
      }
      h5::set_attr(file, "content_hash", content.hex());
      Handle res = h5::create_group(file, "results");
      Handle fields = h5::create_group(res, "fields");
      if (results) results->save_fields(fields);
    }
    fsync_path(tmp, false);
    std::filesystem::rename(tmp, path);
    fsync_path(parent.empty() ? "." : parent.string(), true);
  });
}

SnapshotInfo read_snapshot_info(const std::string& path) {
  return reading(path, [&] {
    Handle file = open_snapshot(path);
    SnapshotInfo info;
    info.path = path;
    const int64_t format_version = attr_int(file, "format_version");
    if (format_version != kFormatVersion)
      throw SnapshotError(path + ": snapshot format " + std::to_string(format_version) + ", this citysim reads format " +
                          std::to_string(kFormatVersion));
    info.version = h5::attr_text(file, "version");
    info.git_revision = h5::attr_text(file, "git_revision");
    info.tick = attr_int(file, "tick");
    info.total_ticks = attr_int(file, "total_ticks");
    info.time = h5::attr_text(file, "time");
    info.finished = attr_int(file, "complete") != 0;
    info.created = h5::attr_text(file, "created");
    info.content_hash = h5::attr_text(file, "content_hash");
    info.fields_every = int(attr_int(file, "fields_every"));
    info.source_path = h5::attr_text(file, "source_path");
    info.base_dir = h5::attr_text(file, "base_dir");
    info.scenario_toml = read_text(file, "scenario_toml");
    info.overrides = h5::read_all_strings(h5::open_dataset(file, "overrides"));
    {
      Handle ds = h5::open_dataset(file, "settings");
      info.settings.resize(h5::shape(ds).at(0));
      if (!info.settings.empty() &&
          H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, info.settings.data()) < 0)
        throw SnapshotError(path + ": the scenario settings fail their checksum (a corrupted snapshot)");
    }
    info.data_files = h5::read_all_strings(h5::open_dataset(file, "data_files"));
    info.data_file_hashes = h5::read_all_strings(h5::open_dataset(file, "data_file_hashes"));
    if (info.version != kVersion)
      throw SnapshotError(path + ": written by citysim " + info.version + ", this is citysim " + kVersion +
                          ": resume it with that version");
    return info;
  });
}

Scenario snapshot_scenario(const SnapshotInfo& info) {
  // the file's text for its timeline, then every key as the run had it
  Scenario sc = parse_scenario(info.scenario_toml, info.source_path, info.base_dir);
  std::vector<std::pair<std::string, Value>> settings;
  StateArchive ar(info.settings.data(), info.settings.size());
  try {
    ar(settings);
    ar.expect_end("scenario settings");
  } catch (const SnapshotError& e) {
    throw SnapshotError(info.path + ": " + e.what());
  }
  // keys checked against each other (lists of one length) may need the others first: set what
  // differs, again while some key still waits for another
  std::vector<std::pair<std::string, Value>> waiting;
  for (auto& kv : settings)
    if (const KeySpec* spec = sc.schema().find(kv.first))
      if (setting_of(sc, *spec) != kv.second)
        waiting.push_back(std::move(kv));
  while (!waiting.empty()) {
    std::vector<std::pair<std::string, Value>> again;
    for (auto& kv : waiting) try {
        sc.set(kv.first, kv.second, {info.path, 0});
      } catch (const ScenarioError&) {
        again.push_back(std::move(kv));
      }
    if (again.size() == waiting.size()) sc.set(again[0].first, again[0].second, {info.path, 0});  // says why
    waiting = std::move(again);
  }
  sc.overrides = info.overrides;
  sc.check_consistency();
  return sc;
}

std::vector<Change> branch_changes(const Scenario& snap, const Scenario& variant) {
  std::vector<Change> changes;
  for (const KeySpec& spec : snap.schema().keys()) {
    const bool differs = spec.kind == ValueKind::Path ? snap.get_path(spec.key) != variant.get_path(spec.key)
                                                      : snap.get(spec.key) != variant.get(spec.key);
    if (!differs) continue;
    if (is_structural_key(spec.key))
      throw ScenarioError(variant.loc_of(spec.key), spec.key,
                          "cannot differ from the snapshot's scenario (" + value_to_string(snap.get(spec.key)) + " there, " +
                              value_to_string(variant.get(spec.key)) + " here): it shapes the clock, the city or which "
                              "modules are built, so a branch cannot change it; run from the start instead");
    changes.emplace_back(spec.key, variant.get(spec.key));
  }
  const auto& a = snap.events();
  const auto& b = variant.events();
  bool same = a.size() == b.size();
  for (size_t i = 0; same && i < a.size(); ++i) same = a[i].kind == b[i].kind && a[i].at == b[i].at && a[i].values == b[i].values;
  if (!same)
    throw ScenarioError({variant.source_path, 0}, "events",
                        "the timeline differs from the snapshot's scenario: a branch keeps the snapshot's [[events]] "
                        "(change keys, or add later events with Simulation::schedule)");
  return changes;
}

std::unique_ptr<Simulation> load_snapshot(const SnapshotInfo& info, int threads, const std::vector<Change>& branch,
                                          double* read_seconds) {
  if (info.finished)
    throw SnapshotError(info.path + ": the run had reached its end (" + info.time + "): there is nothing to resume");
  Scenario sc = snapshot_scenario(info);
  for (const auto& [key, value] : branch) {
    require_changeable(key, {"branch", 0}, key);
    Scenario probe = sc;
    probe.set(key, value, {"branch", 0});  // a bad value is refused before anything is built
    sc.overrides.push_back(key + "=" + value_to_string(value));
  }
  // the files the run read must be the ones it will read now
  for (size_t i = 0; i < info.data_files.size(); ++i) {
    const std::string& f = info.data_files[i];
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec))
      throw SnapshotError(info.path + ": the data file " + f + " the run read is gone");
    if (file_hash(f) != info.data_file_hashes[i])
      throw SnapshotError(info.path + ": the data file " + f + " changed since the snapshot was taken (its hash " +
                          file_hash(f) + ", was " + info.data_file_hashes[i] + ")");
  }
  auto sim = std::make_unique<Simulation>(sc, threads);
  const auto read_start = std::chrono::steady_clock::now();
  reading(info.path, [&] {
    Handle file = open_snapshot(info.path);
    Handle state = h5::open_group(file, "state");
    const auto sections = sim->state_sections();
    const auto stored = h5::members(state);
    if (stored.size() != sections.size())
      throw SnapshotError(info.path + ": the snapshot holds " + std::to_string(stored.size()) + " state sections, this "
                          "scenario builds " + std::to_string(sections.size()));
    for (size_t i = 0; i < sections.size(); ++i) {
      if (!h5::exists(state, sections[i]))
        throw SnapshotError(info.path + ": the snapshot has no state for " + sections[i]);
      Handle ds = h5::open_dataset(state, sections[i]);
      if (h5::attr_text(ds, "layout") != sim->section_layout(i))
        throw SnapshotError(info.path + ": the state of " + sections[i] + " has another layout (a snapshot from another "
                            "build of citysim " + info.version + ", revision " + info.git_revision + ")");
      const hsize_t n = h5::shape(ds).at(0);
      std::vector<uint8_t> bytes(n);
      if (n > 0 && H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
        throw SnapshotError(info.path + ": the state of " + sections[i] + " fails its checksum (a corrupted snapshot)");
      StateArchive ar(bytes.data(), bytes.size());
      try {
        sim->archive_section(i, ar);
        ar.expect_end(sections[i]);
      } catch (const SnapshotError& e) {
        throw SnapshotError(info.path + ": " + sections[i] + ": " + e.what());
      }
    }
  });
  if (read_seconds) *read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
  for (const auto& [key, value] : branch) sim->set_param(key, value);
  return sim;
}

}  // namespace citysim::io
