// calibration.h5, the calibrated scenario and the report
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <toml++/toml.h>

#include "citysim/calibrate/calibrate.hpp"
#include "citysim/io/results.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"
#include "h5.hpp"

namespace citysim::calibrate {

namespace fs = std::filesystem;
namespace h5 = io::h5;
using h5::check;
using h5::Handle;
using h5::write_strings;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

std::string metric_text(const ensemble::MetricSpec& m, const std::string& csv);
std::string selection_text(const Target& t) {
  std::string s = metric_text(t.metric, t.csv);
  if (t.has_denominator) s += " / " + t.denominator.path + " " + metric_text(t.denominator, "");
  return s;
}
std::string metric_text(const ensemble::MetricSpec& m, const std::string& csv) {
  std::string s = m.labels.empty() ? "" : "[";
  if (m.labels.size() > 3) s += std::to_string(m.labels.size()) + " labels: " + m.labels.front() + "+...+" + m.labels.back();
  else
    for (size_t i = 0; i < m.labels.size(); ++i) s += (i ? "+" : "") + m.labels[i];
  if (!m.labels.empty()) s += "] ";
  if (!csv.empty()) return s + "series from " + fs::path(csv).filename().string();
  if (m.to_hours - m.from_hours < 2.0 / 3600) return s + "at " + format_number(m.from_hours + 0.5 / 3600) + " h";
  s += ensemble::reduce_name(m.reduce);
  if (m.from_hours > 0 || std::isfinite(m.to_hours))
    s += " over " + format_number(m.from_hours) + "-" + (std::isfinite(m.to_hours) ? format_number(m.to_hours) : "end") + " h";
  return s;
}

std::vector<double> flatten(const Eigen::MatrixXd& m) {
  std::vector<double> out;
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) out.push_back(m(i, j));
  return out;
}

}  // namespace

void write_calibration(const Spec& spec, const Result& res, const std::string& path, bool complete) {
  const std::string partial = path + ".partial";
  if (!fs::absolute(path).parent_path().empty()) fs::create_directories(fs::absolute(path).parent_path());
  const size_t P = spec.parameters.size(), O = spec.observations(), E = res.evaluations.size(), T = spec.targets.size();
  h5::guarded(partial, [&] {
    Handle file(check(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "cannot create"), H5Fclose);
    h5::set_attr(file, "name", spec.name);
    h5::set_attr(file, "version", std::string(kVersion));
    h5::set_attr(file, "git_revision", std::string(io::git_revision()));
    h5::set_attr(file, "complete", int32_t(complete ? 1 : 0));
    h5::set_attr(file, "method", std::string(method_name(spec.method)));
    h5::set_attr(file, "stop_reason", res.stop_reason);
    h5::set_attr(file, "replicates", int32_t(spec.replicates()));
    h5::set_attr(file, "evaluations", int32_t(E));
    h5::set_attr(file, "search_evaluations", int32_t(res.search_evaluations));
    h5::set_attr(file, "initial", int32_t(res.initial));
    h5::set_attr(file, "best", int32_t(res.best));
    h5::set_attr(file, "loss_initial", E ? res.evaluations[size_t(res.initial)].loss : kNaN);
    h5::set_attr(file, "loss_best", E ? res.evaluations[size_t(res.best)].loss : kNaN);
    h5::set_attr(file, "wall_seconds", res.wall_seconds);
    h5::set_attr(file, "member_seconds", res.member_seconds);
    h5::set_attr(file, "date", today_utc());
    write_strings(file, "spec_toml", {spec.text});
    write_strings(file, "base", {spec.base});
    std::vector<uint64_t> seeds(spec.seeds.begin(), spec.seeds.end());
    h5::write_dataset(file, "seed", seeds, {hsize_t(seeds.size())});
    write_strings(file, "warnings", res.warnings);

    Handle par = h5::create_group(file, "parameters");
    std::vector<std::string> key, transform, prior;
    std::vector<double> lower, upper, initial, optimum, se, se_t;
    std::vector<int32_t> identified;
    for (size_t i = 0; i < P; ++i) {
      const Parameter& p = spec.parameters[i];
      key.push_back(p.key), transform.push_back(transform_name(p.transform)), prior.push_back(prior_name(p.prior.kind));
      lower.push_back(p.lower), upper.push_back(p.upper), initial.push_back(p.initial);
      optimum.push_back(E ? res.evaluations[size_t(res.best)].x[i] : kNaN);
      se.push_back(res.se.empty() ? kNaN : res.se[i]);
      se_t.push_back(res.se_transformed.empty() ? kNaN : res.se_transformed[i]);
      identified.push_back(res.identified.empty() ? -1 : res.identified[i]);
    }
    write_strings(par, "key", key);
    write_strings(par, "transform", transform);
    write_strings(par, "prior", prior);
    h5::write_dataset(par, "lower", lower, {P});
    h5::write_dataset(par, "upper", upper, {P});
    h5::write_dataset(par, "initial", initial, {P});
    h5::write_dataset(par, "optimum", optimum, {P});
    h5::write_dataset(par, "se", se, {P});
    h5::write_dataset(par, "se_transformed", se_t, {P});
    h5::write_dataset(par, "identified", identified, {P});
    const Eigen::MatrixXd nan = Eigen::MatrixXd::Constant(Eigen::Index(P), Eigen::Index(P), kNaN);
    h5::write_dataset(file, "correlation", flatten(res.correlation.size() ? res.correlation : nan), {P, P});
    h5::write_dataset(file, "hessian", flatten(res.hessian.size() ? res.hessian : nan), {P, P});

    Handle tg = h5::create_group(file, "targets");
    std::vector<std::string> tname, tpath, tsel;
    std::vector<double> tweight;
    for (const Target& t : spec.targets)
      tname.push_back(t.name), tpath.push_back(t.metric.path), tsel.push_back(selection_text(t)), tweight.push_back(t.weight);
    write_strings(tg, "name", tname);
    write_strings(tg, "path", tpath);
    write_strings(tg, "selection", tsel);
    h5::write_dataset(tg, "weight", tweight, {T});

    Handle ob = h5::create_group(file, "observations");
    std::vector<int32_t> otarget;
    std::vector<double> ovalue, osigma, otime;
    for (size_t t = 0; t < T; ++t)
      for (const Observation& o : spec.targets[t].observations)
        otarget.push_back(int32_t(t)), ovalue.push_back(o.value), osigma.push_back(o.sigma), otime.push_back(o.time_hours >= 0 ? o.time_hours : kNaN);
    h5::write_dataset(ob, "target", otarget, {O});
    h5::write_dataset(ob, "observed", ovalue, {O});
    h5::write_dataset(ob, "sigma", osigma, {O});
    h5::write_dataset(ob, "time_hours", otime, {O});

    Handle ev = h5::create_group(file, "evaluations");
    std::vector<double> x, u, loss, misfit, prior_nll, wall, sim, resid;
    std::vector<std::string> phase, status, error;
    for (const Evaluation& e : res.evaluations) {
      x.insert(x.end(), e.x.begin(), e.x.end());
      u.insert(u.end(), e.u.begin(), e.u.end());
      loss.push_back(e.loss), misfit.push_back(e.misfit), prior_nll.push_back(e.prior), wall.push_back(e.wall_seconds);
      sim.insert(sim.end(), e.simulated.begin(), e.simulated.end());
      resid.insert(resid.end(), e.residual.begin(), e.residual.end());
      phase.push_back(e.phase), status.push_back(e.status), error.push_back(e.error);
    }
    h5::write_dataset(ev, "x", x, {E, P});
    h5::write_dataset(ev, "u", u, {E, P});
    h5::write_dataset(ev, "loss", loss, {E});
    h5::write_dataset(ev, "misfit", misfit, {E});
    h5::write_dataset(ev, "prior", prior_nll, {E});
    h5::write_dataset(ev, "wall_seconds", wall, {E});
    h5::write_dataset(ev, "simulated", sim, {E, O});
    h5::write_dataset(ev, "residual", resid, {E, O});
    write_strings(ev, "phase", phase);
    write_strings(ev, "status", status);
    write_strings(ev, "error", error);

    const Posterior& post = res.posterior;
    if (post.chain.steps > 0) {
      const Chain& c = post.chain;
      Handle po = h5::create_group(file, "posterior");
      h5::set_attr(po, "burn_in", int32_t(post.burn_in));
      h5::set_attr(po, "acceptance", post.acceptance);
      h5::set_attr(po, "effective_draws", post.effective_draws);
      std::vector<double> cx;
      for (size_t k = 0; k < c.u.size(); ++k) cx.push_back(spec.parameters[k % P].from_unit(c.u[k]));
      const hsize_t S = hsize_t(c.steps), W = hsize_t(c.walkers);
      h5::write_dataset(po, "x", cx, {S, W, P});
      h5::write_dataset(po, "log_posterior", c.log_p, {S, W});
      h5::write_dataset(po, "evaluation", c.evaluation, {S, W});
      h5::write_dataset(po, "walker_acceptance", c.acceptance, {W});
      h5::write_dataset(po, "mean", post.mean, {P});
      h5::write_dataset(po, "sd", post.sd, {P});
      h5::write_dataset(po, "q05", post.q05, {P});
      h5::write_dataset(po, "q50", post.q50, {P});
      h5::write_dataset(po, "q95", post.q95, {P});
      h5::write_dataset(po, "autocorrelation_steps", post.autocorrelation_steps, {P});
    }
  });
  if (complete) fs::rename(partial, path);
}

void write_calibrated_scenario(const Spec& spec, const Result& res, const std::string& path) {
  std::ifstream in(spec.base, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  toml::table root = toml::parse(text.str(), spec.base);
  const Scenario base = io::load_scenario(spec.base);
  const fs::path base_dir = fs::absolute(spec.base).parent_path(), out_dir = fs::absolute(path).parent_path();
  // relative file paths of the base resolve against its folder: rewrite them for the new file's
  for (const KeySpec& k : base.schema().keys()) {
    if (k.kind != ValueKind::Path || !base.is_set(k.key)) continue;
    const std::string v = base.get_string(k.key);
    if (v.empty() || fs::path(v).is_absolute()) continue;
    const std::string rel = fs::relative(base_dir / v, out_dir).lexically_normal().string();
    const size_t dot = k.key.rfind('.');
    auto* t = root.at_path(k.key.substr(0, dot)).as_table();
    if (t) t->insert_or_assign(k.key.substr(dot + 1), rel);
  }
  const auto assign = [&](const std::string& key, const std::string& value_text) {
    const KeySpec* ks = base.schema().find(key);
    toml::table* t = &root;
    size_t from = 0, dot;
    while ((dot = key.find('.', from)) != std::string::npos) {
      const std::string part = key.substr(from, dot - from);
      if (!t->contains(part) || !(*t)[part].is_table()) t->insert_or_assign(part, toml::table{});
      t = (*t)[part].as_table();
      from = dot + 1;
    }
    const std::string leaf = key.substr(from);
    Scenario probe = base;
    probe.set_from_string(key, value_text);
    const Value v = probe.get(key);
    if (!ks) return;
    std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::vector<double>>) {
            toml::array a;
            for (double d : x) a.push_back(d);
            t->insert_or_assign(leaf, a);
          } else if constexpr (std::is_same_v<X, std::vector<std::string>>) {
            toml::array a;
            for (const auto& s : x) a.push_back(s);
            t->insert_or_assign(leaf, a);
          } else {
            t->insert_or_assign(leaf, x);
          }
        },
        v);
  };
  for (const auto& o : spec.set) assign(o.key, o.text);
  const Evaluation& best = res.evaluations[size_t(res.best)];
  for (size_t i = 0; i < spec.parameters.size(); ++i) assign(spec.parameters[i].key, spec.parameters[i].text(best.x[i]));
  std::ostringstream out;
  out << "# Calibrated by `citysim calibrate " << spec.path << "` on " << today_utc() << " (citysim " << kVersion << ")\n";
  out << "# base: " << spec.base << "; " << spec.replicates() << " replicate(s), " << method_name(spec.method) << ", "
      << res.evaluations.size() << " evaluations, loss " << format_number(res.evaluations[size_t(res.initial)].loss) << " -> "
      << format_number(best.loss) << "\n# fitted:\n";
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    out << "#   " << spec.parameters[i].key << " = " << spec.parameters[i].text(best.x[i]);
    if (!res.se.empty() && std::isfinite(res.se[i])) out << " (standard error " << format_number(res.se[i]) << ")";
    out << "\n";
  }
  out << "# targets:\n";
  size_t k = 0;
  for (const Target& t : spec.targets) {
    out << "#   " << t.name << ": " << t.metric.path << " " << selection_text(t);
    if (t.observations.size() == 1)
      out << ", observed " << format_number(t.observations[0].value) << " +- " << format_number(t.observations[0].sigma)
          << ", simulated " << format_number(best.simulated[k]);
    else out << ", " << t.observations.size() << " observations";
    out << "\n";
    k += t.observations.size();
  }
  out << "\n" << toml::toml_formatter(root, toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings) << "\n";
  const std::string partial = path + ".partial";
  if (!out_dir.empty()) fs::create_directories(out_dir);
  {
    std::ofstream f(partial, std::ios::binary);
    f << out.str();
    if (!f) throw std::runtime_error(path + ": cannot write");
  }
  fs::rename(partial, path);
}

namespace {

struct Loaded {
  std::string name, method, stop_reason, date;
  bool complete = false;
  int replicates = 0, evaluations = 0, search = 0, initial = 0, best = 0;
  double loss_initial = kNaN, loss_best = kNaN, wall = 0, member = 0;
  std::vector<std::string> key, tname, tpath, tsel, warnings, status;
  std::vector<double> lower, upper, initial_x, optimum, se, correlation, observed, sigma, time_h, sim, resid, loss;
  std::vector<int32_t> identified, otarget;
  size_t P = 0, O = 0;
  // method = "mcmc": the posterior's summary (empty otherwise)
  std::vector<double> post_mean, post_sd, post_q05, post_q50, post_q95, post_tau;
  double acceptance = kNaN, effective_draws = kNaN;
};

Loaded load(const std::string& path) {
  return h5::guarded(path, [&] {
    Loaded l;
    Handle file(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open"), H5Fclose);
    if (!h5::exists(file, "evaluations") || !h5::exists(file, "parameters"))
      throw std::runtime_error("not a calibration file (no /evaluations or /parameters)");
    l.name = h5::attr_text(file, "name"), l.method = h5::attr_text(file, "method");
    l.stop_reason = h5::attr_text(file, "stop_reason"), l.date = h5::attr_text(file, "date");
    l.complete = h5::attr_text(file, "complete") == "1";
    l.replicates = std::stoi(h5::attr_text(file, "replicates"));
    l.evaluations = std::stoi(h5::attr_text(file, "evaluations"));
    l.search = std::stoi(h5::attr_text(file, "search_evaluations"));
    l.initial = std::stoi(h5::attr_text(file, "initial"));
    l.best = std::stoi(h5::attr_text(file, "best"));
    l.loss_initial = std::stod(h5::attr_text(file, "loss_initial"));
    l.loss_best = std::stod(h5::attr_text(file, "loss_best"));
    l.wall = std::stod(h5::attr_text(file, "wall_seconds"));
    l.member = std::stod(h5::attr_text(file, "member_seconds"));
    const auto strings = [&](const char* name) { return h5::read_all_strings(h5::open_dataset(file, name)); };
    const auto numbers = [&](const char* name) { return h5::read_all<double>(h5::open_dataset(file, name)); };
    l.warnings = strings("warnings");
    l.key = strings("parameters/key");
    l.lower = numbers("parameters/lower"), l.upper = numbers("parameters/upper");
    l.initial_x = numbers("parameters/initial"), l.optimum = numbers("parameters/optimum"), l.se = numbers("parameters/se");
    l.identified = h5::read_all<int32_t>(h5::open_dataset(file, "parameters/identified"));
    l.correlation = numbers("correlation");
    l.tname = strings("targets/name"), l.tpath = strings("targets/path"), l.tsel = strings("targets/selection");
    l.otarget = h5::read_all<int32_t>(h5::open_dataset(file, "observations/target"));
    l.observed = numbers("observations/observed"), l.sigma = numbers("observations/sigma"), l.time_h = numbers("observations/time_hours");
    l.sim = numbers("evaluations/simulated"), l.resid = numbers("evaluations/residual"), l.loss = numbers("evaluations/loss");
    l.status = strings("evaluations/status");
    l.P = l.key.size(), l.O = l.observed.size();
    if (h5::exists(file, "posterior")) {
      l.post_mean = numbers("posterior/mean"), l.post_sd = numbers("posterior/sd");
      l.post_q05 = numbers("posterior/q05"), l.post_q50 = numbers("posterior/q50"), l.post_q95 = numbers("posterior/q95");
      l.post_tau = numbers("posterior/autocorrelation_steps");
      const Handle po = h5::open_group(file, "posterior");
      l.acceptance = std::stod(h5::attr_text(po, "acceptance"));
      l.effective_draws = std::stod(h5::attr_text(po, "effective_draws"));
    }
    return l;
  });
}

std::string num(double x) {
  if (!std::isfinite(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string json_num(double x) { return std::isfinite(x) ? h5::format_number(x) : "null"; }
std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += c;
  }
  return out + "\"";
}

// one row per target: its observations' sums (a single observation: the value itself)
struct TargetRow {
  double observed = 0, sigma2 = 0, before = 0, after = 0, chi2_before = 0, chi2_after = 0;
  size_t n = 0;
};
std::vector<TargetRow> target_rows(const Loaded& l) {
  std::vector<TargetRow> rows(l.tname.size());
  for (size_t k = 0; k < l.O; ++k) {
    TargetRow& r = rows[size_t(l.otarget[k])];
    const double b = l.evaluations ? l.sim[size_t(l.initial) * l.O + k] : kNaN, a = l.evaluations ? l.sim[size_t(l.best) * l.O + k] : kNaN;
    r.observed += l.observed[k], r.sigma2 += l.sigma[k] * l.sigma[k], r.before += b, r.after += a, ++r.n;
    r.chi2_before += std::pow(l.resid[size_t(l.initial) * l.O + k], 2);
    r.chi2_after += std::pow(l.resid[size_t(l.best) * l.O + k], 2);
  }
  return rows;
}

}  // namespace

std::string report_text(const std::string& path) {
  const Loaded l = load(path);
  std::ostringstream out;
  out << "calibration " << l.name << ": " << l.method << ", " << l.evaluations << " evaluations (" << l.search
      << " optimiser calls), " << l.replicates << " replicate(s) each; " << l.stop_reason << (l.complete ? "" : "; INCOMPLETE")
      << "\nloss " << num(l.loss_initial) << " at the initial values -> " << num(l.loss_best) << " at the optimum (evaluation "
      << l.best << "); " << num(l.wall) << " s wall, " << num(l.member) << " s in members\n\n";
  out << "parameter                                  initial      optimum      std.err   bounds\n";
  for (size_t i = 0; i < l.P; ++i) {
    char line[512];
    std::snprintf(line, sizeof line, "%-40s %10s %12s %12s   [%s, %s]%s\n", l.key[i].c_str(), num(l.initial_x[i]).c_str(),
                  num(l.optimum[i]).c_str(), num(l.se[i]).c_str(), num(l.lower[i]).c_str(), num(l.upper[i]).c_str(),
                  l.identified[i] == 0 ? "  not identified" : "");
    out << line;
  }
  if (!l.post_mean.empty()) {
    out << "\nposterior (" << num(l.effective_draws) << " effective draws, " << num(l.acceptance)
        << " of moves accepted)\nparameter                                     mean           sd          5%         50%         95%   autocorr.\n";
    for (size_t i = 0; i < l.P; ++i) {
      char line[512];
      std::snprintf(line, sizeof line, "%-40s %10s %12s %11s %11s %11s %9s\n", l.key[i].c_str(), num(l.post_mean[i]).c_str(),
                    num(l.post_sd[i]).c_str(), num(l.post_q05[i]).c_str(), num(l.post_q50[i]).c_str(), num(l.post_q95[i]).c_str(),
                    num(l.post_tau[i]).c_str());
      out << line;
    }
  }
  if (l.P > 1 && std::isfinite(l.correlation[1])) {
    out << "\ncorrelation:\n";
    for (size_t i = 0; i < l.P; ++i) {
      out << "  ";
      for (size_t j = 0; j < l.P; ++j) {
        char cell[32];
        std::snprintf(cell, sizeof cell, "%8.3f", l.correlation[i * l.P + j]);
        out << cell;
      }
      out << "   " << l.key[i] << "\n";
    }
  }
  out << "\ntarget                           observed     sigma    before     after   z before  z after\n";
  const std::vector<TargetRow> rows = target_rows(l);
  for (size_t t = 0; t < rows.size(); ++t) {
    const TargetRow& r = rows[t];
    char line[512];
    if (r.n == 1)
      std::snprintf(line, sizeof line, "%-30s %10s %9s %9s %9s %9s %8s\n", l.tname[t].c_str(), num(r.observed).c_str(),
                    num(std::sqrt(r.sigma2)).c_str(), num(r.before).c_str(), num(r.after).c_str(),
                    num(std::sqrt(r.chi2_before) * ((r.before >= r.observed) ? 1 : -1)).c_str(),
                    num(std::sqrt(r.chi2_after) * ((r.after >= r.observed) ? 1 : -1)).c_str());
    else
      std::snprintf(line, sizeof line, "%-30s %zu points: rms z %s before, %s after\n", l.tname[t].c_str(), r.n,
                    num(std::sqrt(r.chi2_before / double(r.n))).c_str(), num(std::sqrt(r.chi2_after / double(r.n))).c_str());
    out << line;
    out << "  " << l.tpath[t] << " " << l.tsel[t] << "\n";
  }
  for (const auto& w : l.warnings) out << "\nwarning: " << w;
  if (!l.warnings.empty()) out << "\n";
  return out.str();
}

std::string report_json(const std::string& path) {
  const Loaded l = load(path);
  std::ostringstream out;
  out << "{\"name\": " << json_str(l.name) << ", \"complete\": " << (l.complete ? "true" : "false") << ", \"method\": "
      << json_str(l.method) << ", \"stop_reason\": " << json_str(l.stop_reason) << ", \"evaluations\": " << l.evaluations
      << ", \"replicates\": " << l.replicates << ", \"loss_initial\": " << json_num(l.loss_initial)
      << ", \"loss_best\": " << json_num(l.loss_best) << ", \"best\": " << l.best << ", \"wall_seconds\": " << json_num(l.wall)
      << ", \"parameters\": [";
  for (size_t i = 0; i < l.P; ++i)
    out << (i ? ", " : "") << "{\"key\": " << json_str(l.key[i]) << ", \"initial\": " << json_num(l.initial_x[i])
        << ", \"optimum\": " << json_num(l.optimum[i]) << ", \"se\": " << json_num(l.se[i]) << ", \"lower\": "
        << json_num(l.lower[i]) << ", \"upper\": " << json_num(l.upper[i]) << ", \"identified\": "
        << (l.identified[i] < 0 ? "null" : l.identified[i] ? "true" : "false") << "}";
  out << "], \"correlation\": [";
  for (size_t i = 0; i < l.P; ++i) {
    out << (i ? ", " : "") << "[";
    for (size_t j = 0; j < l.P; ++j) out << (j ? ", " : "") << json_num(l.correlation[i * l.P + j]);
    out << "]";
  }
  out << "], \"targets\": [";
  const std::vector<TargetRow> rows = target_rows(l);
  for (size_t t = 0; t < rows.size(); ++t) {
    out << (t ? ", " : "") << "{\"name\": " << json_str(l.tname[t]) << ", \"path\": " << json_str(l.tpath[t])
        << ", \"selection\": " << json_str(l.tsel[t]) << ", \"observations\": [";
    bool first = true;
    for (size_t k = 0; k < l.O; ++k) {
      if (size_t(l.otarget[k]) != t) continue;
      out << (first ? "" : ", ") << "{\"time_hours\": " << json_num(l.time_h[k]) << ", \"observed\": " << json_num(l.observed[k])
          << ", \"sigma\": " << json_num(l.sigma[k]) << ", \"before\": " << json_num(l.sim[size_t(l.initial) * l.O + k])
          << ", \"after\": " << json_num(l.sim[size_t(l.best) * l.O + k]) << ", \"z_before\": "
          << json_num(l.resid[size_t(l.initial) * l.O + k]) << ", \"z_after\": " << json_num(l.resid[size_t(l.best) * l.O + k]) << "}";
      first = false;
    }
    out << "]}";
  }
  out << "], \"loss_trace\": [";
  for (size_t e = 0; e < l.loss.size(); ++e) out << (e ? ", " : "") << json_num(l.loss[e]);
  out << "], \"warnings\": [";
  for (size_t i = 0; i < l.warnings.size(); ++i) out << (i ? ", " : "") << json_str(l.warnings[i]);
  out << "]}\n";
  return out.str();
}

}  // namespace citysim::calibrate
