#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "citysim/ensemble/ensemble.hpp"
#include "citysim/ensemble/metric.hpp"
#include "citysim/ensemble/stats.hpp"
#include "citysim/io/results.hpp"
#include "citysim/simulation.hpp"
#include "h5.hpp"

namespace citysim::ensemble {

namespace fs = std::filesystem;
namespace h5 = io::h5;
using h5::check;
using h5::Handle;
using h5::write_strings;

namespace {

// CF `units` (UDUNITS) and the pretty form in `units_display`, as results files have them
void set_units(hid_t obj, const std::string& units) {
  const std::string cf = io::cf_units(units);
  h5::set_attr(obj, "units", cf);
  if (cf != units) h5::set_attr(obj, "units_display", units);
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kQuantileNames[] = {"q05", "q25", "q50", "q75", "q95"};

template <class F>
std::vector<double> per_variant(size_t variants, F f) {
  std::vector<double> out(variants);
  for (size_t v = 0; v < variants; ++v) out[v] = f(v);
  return out;
}

}  // namespace

void write_ensemble(const Plan& plan, const std::vector<MemberRecord>& records, const std::string& path, bool complete) {
  const size_t V = plan.variants.size(), R = size_t(plan.replicates());
  const std::string dir = members_dir(path);
  // the members' results, read once; the time axis is the longest member's
  std::vector<io::ResultsSummary> results(records.size());
  std::vector<double> time_s;
  std::vector<std::string> time_iso;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].status != "complete") continue;
    results[i] = io::read_results(dir + "/" + member_path(plan, records[i].member));
    if (results[i].time_s.size() > time_s.size()) time_s = results[i].time_s, time_iso = results[i].time_iso;
  }
  const size_t T = time_s.size();
  const std::string partial = path + ".partial";
  fs::create_directories(fs::absolute(path).parent_path());
  h5::guarded(partial, [&] {
    Handle file(check(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "cannot create"), H5Fclose);
    size_t done = 0, failed = 0;
    for (const auto& r : records) done += r.status == "complete", failed += r.status == "failed";
    h5::set_attr(file, "name", plan.name);
    h5::set_attr(file, "version", std::string(kVersion));
    h5::set_attr(file, "git_revision", std::string(io::git_revision()));
    h5::set_attr(file, "complete", int32_t(complete ? 1 : 0));
    h5::set_attr(file, "baseline", plan.variants[plan.baseline].name);
    h5::set_attr(file, "replicates", int32_t(R));
    h5::set_attr(file, "members_total", int32_t(records.size()));
    h5::set_attr(file, "members_complete", int32_t(done));
    h5::set_attr(file, "members_failed", int32_t(failed));
    h5::set_attr(file, "bootstrap_resamples", int32_t(plan.bootstrap_resamples));
    write_strings(file, "plan_toml", {plan.text});
    std::vector<std::string> names;
    for (const auto& v : plan.variants) names.push_back(v.name);
    write_strings(file, "variant", names);
    std::vector<uint64_t> seeds(plan.seeds.begin(), plan.seeds.end());
    h5::write_dataset(file, "seed", seeds, {R});
    h5::write_dataset(file, "time", time_s, {T});
    write_strings(file, "time_iso", time_iso);

    // the members table: one column per dataset, one row per member
    Handle members = h5::create_group(file, "members");
    std::vector<std::string> variant, status, error, rel, hash, overrides;
    std::vector<int32_t> replicate;
    std::vector<uint64_t> seed;
    std::vector<double> wall;
    for (const auto& r : records) {
      variant.push_back(plan.variants[r.member.variant].name);
      replicate.push_back(r.member.replicate);
      seed.push_back(r.member.seed);
      status.push_back(r.status), error.push_back(r.error), hash.push_back(r.hash), wall.push_back(r.wall_seconds);
      rel.push_back(fs::path(dir).filename().string() + "/" + member_path(plan, r.member));
      std::string o;
      for (const auto& s : plan.variants[r.member.variant].set) o += (o.empty() ? "" : " ") + s.assignment();
      overrides.push_back(o);
    }
    const hsize_t M = records.size();
    write_strings(members, "variant", variant);
    h5::write_dataset(members, "replicate", replicate, {M});
    h5::write_dataset(members, "seed", seed, {M});
    write_strings(members, "overrides", overrides);
    write_strings(members, "status", status);
    write_strings(members, "error", error);
    h5::write_dataset(members, "wall_seconds", wall, {M});
    write_strings(members, "path", rel);
    write_strings(members, "scenario_hash", hash);

    // external links resolve against the ensemble file's folder
    if (plan.keep_members) {
      Handle links = h5::create_group(file, "member_files");
      for (size_t v = 0; v < V; ++v) {
        Handle group = h5::create_group(links, names[v]);
        for (size_t r = 0; r < R; ++r) {
          const size_t i = v * R + r;
          if (records[i].status != "complete") continue;
          check(H5Lcreate_external(rel[i].c_str(), "/", group, ("r" + std::to_string(r)).c_str(), H5P_DEFAULT, H5P_DEFAULT),
                "cannot link member file " + rel[i]);
        }
      }
    }

    Handle summaries = h5::create_group(file, "summaries"), contrasts = h5::create_group(file, "contrasts");
    for (size_t k = 0; k < plan.metrics.size(); ++k) {
      const MetricSpec& m = plan.metrics[k];
      std::vector<double> values(V * R * T, kNaN), reduced(V * R, kNaN);
      std::string units;
      for (size_t i = 0; i < records.size(); ++i) {
        if (records[i].status != "complete") continue;
        const std::string file_name = member_path(plan, records[i].member);
        const std::vector<double> s = metric_series(results[i], m, file_name, units);
        std::copy(s.begin(), s.begin() + std::min(s.size(), T), values.begin() + i * T);
        reduced[i] = reduce_metric(s, results[i].time_s, m);
      }
      Handle g = h5::create_group(summaries, m.id());
      h5::set_attr(g, "path", m.path);
      set_units(g, units);
      std::string labels;
      for (const auto& l : m.labels) labels += (labels.empty() ? "" : ",") + l;
      h5::set_attr(g, "labels", labels);
      h5::set_attr(g, "reduce", std::string(reduce_name(m.reduce)));
      h5::set_attr(g, "window_from_hours", m.from_hours);
      h5::set_attr(g, "window_to_hours", m.to_hours);
      h5::write_dataset(g, "values", values, {V, R, T});
      h5::write_dataset(g, "reduced", reduced, {V, R});
      // per time step over replicates
      std::vector<Summary> per_step(V * T);
      for (size_t v = 0; v < V; ++v)
        for (size_t t = 0; t < T; ++t) {
          std::vector<double> x(R);
          for (size_t r = 0; r < R; ++r) x[r] = values[(v * R + r) * T + t];
          per_step[v * T + t] = summarise(x);
        }
      const auto step_field = [&](const char* name, auto get) {
        std::vector<double> out(V * T);
        for (size_t i = 0; i < out.size(); ++i) out[i] = get(per_step[i]);
        h5::write_dataset(g, name, out, {V, T});
      };
      step_field("mean", [](const Summary& s) { return s.mean; });
      step_field("sd", [](const Summary& s) { return s.sd; });
      step_field("se", [](const Summary& s) { return s.se; });
      for (size_t q = 0; q < kQuantiles.size(); ++q) step_field(kQuantileNames[q], [q](const Summary& s) { return s.q[q]; });
      // the reduced value per variant
      std::vector<Summary> red(V);
      for (size_t v = 0; v < V; ++v) red[v] = summarise(std::vector<double>(reduced.begin() + v * R, reduced.begin() + (v + 1) * R));
      const auto red_field = [&](const std::string& name, auto get) {
        h5::write_dataset(g, "reduced_" + name, per_variant(V, [&](size_t v) { return get(red[v]); }), {V});
      };
      red_field("n", [](const Summary& s) { return double(s.n); });
      red_field("mean", [](const Summary& s) { return s.mean; });
      red_field("sd", [](const Summary& s) { return s.sd; });
      red_field("se", [](const Summary& s) { return s.se; });
      red_field("ci_lo", [](const Summary& s) { return s.ci_lo; });
      red_field("ci_hi", [](const Summary& s) { return s.ci_hi; });
      for (size_t q = 0; q < kQuantiles.size(); ++q) red_field(kQuantileNames[q], [q](const Summary& s) { return s.q[q]; });

      // paired by replicate against the baseline; the bootstrap seed is fixed per variant
      std::vector<Contrast> c(V);
      const std::vector<double> base(reduced.begin() + plan.baseline * R, reduced.begin() + (plan.baseline + 1) * R);
      for (size_t v = 0; v < V; ++v)
        c[v] = v == plan.baseline ? Contrast{} : contrast(std::vector<double>(reduced.begin() + v * R, reduced.begin() + (v + 1) * R),
                                                             base, plan.bootstrap_resamples, plan.seed + v);
      Handle cg = h5::create_group(contrasts, m.id());
      h5::set_attr(cg, "baseline", names[plan.baseline]);
      set_units(cg, units);
      const auto c_field = [&](const char* name, auto get) {
        h5::write_dataset(cg, name, per_variant(V, [&](size_t v) { return v == plan.baseline ? kNaN : double(get(c[v])); }), {V});
      };
      c_field("pairs", [](const Contrast& x) { return x.pairs; });
      c_field("mean_diff", [](const Contrast& x) { return x.mean_diff; });
      c_field("rel_diff", [](const Contrast& x) { return x.rel_diff; });
      c_field("t_lo", [](const Contrast& x) { return x.t_lo; });
      c_field("t_hi", [](const Contrast& x) { return x.t_hi; });
      c_field("boot_lo", [](const Contrast& x) { return x.boot_lo; });
      c_field("boot_hi", [](const Contrast& x) { return x.boot_hi; });
      c_field("excludes_zero", [](const Contrast& x) { return x.pairs >= 2 && x.excludes_zero; });
    }
    check(H5Fflush(file, H5F_SCOPE_GLOBAL), "cannot flush");
  });
  if (!complete) return;  // an incomplete ensemble stays <path>.partial: a complete <path> is never replaced by it
  fs::rename(partial, path);
  if (!plan.keep_members) fs::remove_all(dir);
}

// ---- the report --------------------------------------------------------------------

namespace {

struct ReportMetric {
  std::string id, path, units, labels, reduce;
  double from_h, to_h;
  std::vector<double> n, mean, lo, hi;
  std::vector<double> pairs, diff, rel, t_lo, t_hi, b_lo, b_hi;
};
struct Report {
  std::string name, baseline;
  bool complete = false;
  int replicates = 0;
  std::vector<std::string> variants, m_variant, m_status, m_error;
  std::vector<int32_t> m_replicate;
  std::vector<ReportMetric> metrics;
};

Report read_report(const std::string& path) {
  return h5::guarded(path, [&] {
    Handle file(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open as HDF5"), H5Fclose);
    if (!h5::exists(file, "summaries") || !h5::exists(file, "members")) throw std::runtime_error("not an ensemble file (no /summaries)");
    Report r;
    r.name = h5::attr_text(file, "name");
    r.baseline = h5::attr_text(file, "baseline");
    r.complete = h5::attr_text(file, "complete") == "1";
    r.replicates = std::stoi(h5::attr_text(file, "replicates"));
    r.variants = h5::read_all_strings(h5::open_dataset(file, "variant"));
    Handle members = h5::open_group(file, "members");
    r.m_variant = h5::read_all_strings(h5::open_dataset(members, "variant"));
    r.m_status = h5::read_all_strings(h5::open_dataset(members, "status"));
    r.m_error = h5::read_all_strings(h5::open_dataset(members, "error"));
    r.m_replicate = h5::read_all<int32_t>(h5::open_dataset(members, "replicate"));
    Handle summaries = h5::open_group(file, "summaries"), contrasts = h5::open_group(file, "contrasts");
    for (const auto& id : h5::members(summaries)) {
      Handle g = h5::open_group(summaries, id), c = h5::open_group(contrasts, id);
      const auto d = [](hid_t group, const char* name) { return h5::read_all<double>(h5::open_dataset(group, name)); };
      const std::string shown = H5Aexists(g, "units_display") > 0 ? h5::attr_text(g, "units_display") : "";
      r.metrics.push_back({id, h5::attr_text(g, "path"), io::display_units(h5::attr_text(g, "units"), shown),
                           h5::attr_text(g, "labels"),
                           h5::attr_text(g, "reduce"), std::stod(h5::attr_text(g, "window_from_hours")),
                           std::stod(h5::attr_text(g, "window_to_hours")), d(g, "reduced_n"), d(g, "reduced_mean"),
                           d(g, "reduced_ci_lo"), d(g, "reduced_ci_hi"), d(c, "pairs"), d(c, "mean_diff"), d(c, "rel_diff"),
                           d(c, "t_lo"), d(c, "t_hi"), d(c, "boot_lo"), d(c, "boot_hi")});
    }
    return r;
  });
}

std::string num(double x) {
  if (!std::isfinite(x)) return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, std::fabs(x) >= 100 ? "%.0f" : "%.3g", x);
  return text;
}
std::string interval(double lo, double hi) { return "[" + num(lo) + ", " + num(hi) + "]"; }
std::string json_num(double x) { return std::isfinite(x) ? h5::format_number(x) : "null"; }
std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

std::string what(const ReportMetric& m) {
  std::string w = m.path + (m.labels.empty() ? "" : " " + m.labels) + " (" + m.reduce;
  if (m.from_h > 0 || std::isfinite(m.to_h)) w += " over hours " + num(m.from_h) + "-" + num(m.to_h);
  return w + (m.units.empty() ? "" : ", " + m.units) + ")";
}

}  // namespace

std::string report_text(const std::string& path) {
  const Report r = read_report(path);
  size_t complete = 0;
  for (const auto& s : r.m_status) complete += s == "complete";
  std::ostringstream out;
  out << "ensemble " << r.name << ": " << r.variants.size() << " variants x " << r.replicates << " replicates, "
      << complete << " of " << r.m_status.size() << " members complete" << (r.complete ? "" : " (INCOMPLETE)")
      << "; baseline " << r.baseline << "\n";
  out << "values: mean [95% t-interval] over replicates; differences paired by seed, [95% t-interval] (relative)\n";
  for (const auto& m : r.metrics) {
    const size_t b = size_t(std::find(r.variants.begin(), r.variants.end(), r.baseline) - r.variants.begin());
    out << "\n" << what(m) << ":\n";
    for (size_t v = 0; v < r.variants.size(); ++v) {
      out << "  " << r.variants[v] << " " << num(m.mean[v]) << " " << interval(m.lo[v], m.hi[v]) << " (n=" << num(m.n[v]) << ")";
      if (v == b) out << "  baseline";
      else if (m.pairs[v] < 2) out << "; difference not computed: " << num(m.pairs[v]) << " paired replicate(s), needs 2";
      else
        out << "; difference " << num(m.diff[v]) << " " << interval(m.t_lo[v], m.t_hi[v]) << " (" << num(100 * m.rel[v])
            << "%), bootstrap " << interval(m.b_lo[v], m.b_hi[v]);
      out << "\n";
    }
  }
  bool header = false;
  for (size_t i = 0; i < r.m_status.size(); ++i) {
    if (r.m_status[i] == "complete") continue;
    if (!header) out << "\nmembers not complete:\n", header = true;
    out << "  " << r.m_variant[i] << " replicate " << r.m_replicate[i] << ": " << r.m_status[i]
        << (r.m_error[i].empty() ? "" : ": " + r.m_error[i]) << "\n";
  }
  return out.str();
}

std::string report_json(const std::string& path) {
  const Report r = read_report(path);
  std::ostringstream out;
  out << "{\"name\": " << json_str(r.name) << ", \"complete\": " << (r.complete ? "true" : "false")
      << ", \"baseline\": " << json_str(r.baseline) << ", \"replicates\": " << r.replicates << ", \"members\": [";
  for (size_t i = 0; i < r.m_status.size(); ++i)
    out << (i ? ", " : "") << "{\"variant\": " << json_str(r.m_variant[i]) << ", \"replicate\": " << r.m_replicate[i]
        << ", \"status\": " << json_str(r.m_status[i]) << ", \"error\": " << json_str(r.m_error[i]) << "}";
  out << "], \"metrics\": [";
  for (size_t k = 0; k < r.metrics.size(); ++k) {
    const auto& m = r.metrics[k];
    out << (k ? ", " : "") << "{\"id\": " << json_str(m.id) << ", \"path\": " << json_str(m.path) << ", \"units\": "
        << json_str(m.units) << ", \"reduce\": " << json_str(m.reduce) << ", \"variants\": [";
    for (size_t v = 0; v < r.variants.size(); ++v)
      out << (v ? ", " : "") << "{\"name\": " << json_str(r.variants[v]) << ", \"n\": " << json_num(m.n[v])
          << ", \"mean\": " << json_num(m.mean[v]) << ", \"ci\": [" << json_num(m.lo[v]) << ", " << json_num(m.hi[v])
          << "], \"pairs\": " << json_num(m.pairs[v]) << ", \"difference\": " << json_num(m.diff[v])
          << ", \"relative_difference\": " << json_num(m.rel[v]) << ", \"difference_ci\": [" << json_num(m.t_lo[v]) << ", "
          << json_num(m.t_hi[v]) << "], \"difference_bootstrap\": [" << json_num(m.b_lo[v]) << ", " << json_num(m.b_hi[v]) << "]}";
    out << "]}";
  }
  out << "]}\n";
  return out.str();
}

}  // namespace citysim::ensemble
