#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlopt.hpp>
#include <unistd.h>

#include "citysim/calibrate/calibrate.hpp"
#include "citysim/ensemble/ensemble.hpp"
#include "citysim/ensemble/metric.hpp"
#include "citysim/io/results.hpp"

namespace citysim::calibrate {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double misfit(const Spec& spec, const std::vector<double>& simulated, std::vector<double>* residuals) {
  double sum = 0;
  size_t k = 0;
  if (residuals) residuals->assign(simulated.size(), std::numeric_limits<double>::quiet_NaN());
  for (const Target& t : spec.targets)
    for (const Observation& o : t.observations) {
      const double r = (simulated[k] - o.value) / o.sigma;
      if (residuals) (*residuals)[k] = r;
      sum += 0.5 * t.weight * r * r;
      ++k;
    }
  return std::isfinite(sum) ? sum : kInfeasibleLoss;
}

namespace {

// the metric each observation reads: the target's, or the sample at a CSV row's time
struct ObsMetric {
  ensemble::MetricSpec metric;
  const ensemble::MetricSpec* denominator = nullptr;
};
std::vector<ObsMetric> observation_metrics(const Spec& spec) {
  std::vector<ObsMetric> out;
  for (const Target& t : spec.targets)
    for (const Observation& o : t.observations) {
      ensemble::MetricSpec m = t.metric;
      if (o.time_hours >= 0) {
        m.from_hours = o.time_hours - 0.5 / 3600, m.to_hours = o.time_hours + 0.5 / 3600;
        m.reduce = ensemble::Reduce::Final;
      }
      out.push_back({m, t.has_denominator ? &t.denominator : nullptr});
    }
  return out;
}

class Driver {
 public:
  Driver(const Spec& spec, const Options& o) : spec_(spec), o_(o), metrics_(observation_metrics(spec)) {
    work_ = o.work_dir.empty() ? (fs::temp_directory_path() / ("citysim-calibrate-" + std::to_string(::getpid()))).string()
                               : o.work_dir;
    fs::create_directories(work_);
    plan_.path = spec.path, plan_.text = spec.text, plan_.name = spec.name, plan_.base = spec.base;
    plan_.seed = spec.seed, plan_.seeds = spec.seeds, plan_.set = spec.set, plan_.keep_members = o.keep_members;
    plan_.metrics = {};
  }
  ~Driver() {
    if (!o_.keep_members && o_.work_dir.empty()) {
      std::error_code ec;
      fs::remove_all(work_, ec);
    }
  }

  bool stopped() const { return o_.stop && *o_.stop; }

  // evaluates candidates (unit coordinates) as one batch of members; returns their indices
  std::vector<int> evaluate(const std::vector<std::vector<double>>& us, const std::string& phase) {
    std::vector<int> out(us.size(), -1);
    std::vector<size_t> fresh;  // candidates not yet evaluated
    for (size_t c = 0; c < us.size(); ++c) {
      const auto it = cache_.find(us[c]);
      if (it != cache_.end()) out[c] = it->second;
      else {
        const auto dup = std::find_if(fresh.begin(), fresh.end(), [&](size_t f) { return us[f] == us[c]; });
        if (dup == fresh.end()) fresh.push_back(c);
      }
    }
    ensemble::Plan plan = plan_;
    std::vector<int> variant_eval;  // plan variant -> evaluation index
    std::vector<ensemble::Variant> batch;
    for (size_t c : fresh) {
      Evaluation e;
      e.index = int(result.evaluations.size());
      e.phase = phase;
      e.u = us[c];
      ensemble::Variant v;
      char name[32];
      std::snprintf(name, sizeof name, "e%06d", e.index);
      v.name = name;
      for (size_t i = 0; i < spec_.parameters.size(); ++i) {
        const Parameter& p = spec_.parameters[i];
        double x = p.from_unit(e.u[i]);
        if (p.integer) x = std::round(x);
        e.x.push_back(x);
        v.set.push_back({p.key, p.text(x), p.loc});
      }
      e.simulated.assign(metrics_.size(), std::numeric_limits<double>::quiet_NaN());
      e.residual = e.simulated;
      // a candidate whose scenario does not validate is infeasible; it never becomes a member
      try {
        plan.variants = {v};
        plan.scenario(plan.members().front());
      } catch (const std::exception& ex) {
        e.status = "failed", e.error = ex.what();
      }
      for (size_t i = 0; i < e.x.size(); ++i) e.prior += spec_.parameters[i].prior.nll(e.x[i]);
      if (!std::isfinite(e.prior)) e.status = "failed", e.error = "outside the prior's support";
      cache_[e.u] = e.index;
      result.evaluations.push_back(e);
      if (e.status == "ok") variant_eval.push_back(e.index), batch.push_back(v);
    }
    for (size_t c = 0; c < us.size(); ++c)
      if (out[c] < 0) out[c] = cache_.at(us[c]);
    if (variant_eval.empty()) return finish(out, fresh);

    plan.variants = batch;
    const std::string batch_path = work_ + "/batch.h5";
    ensemble::RunOptions ro;
    ro.jobs = o_.jobs, ro.threads_per_member = o_.threads_per_member, ro.stop = o_.stop;
    const std::vector<ensemble::MemberRecord> records = ensemble::run_members(plan, batch_path, ro);
    const std::string dir = ensemble::members_dir(batch_path);
    const size_t R = size_t(plan.replicates());
    for (size_t v = 0; v < plan.variants.size(); ++v) {
      Evaluation& e = result.evaluations[size_t(variant_eval[v])];
      std::vector<double> sum(metrics_.size(), 0.0);
      for (size_t r = 0; r < R && e.status == "ok"; ++r) {
        const ensemble::MemberRecord& rec = records[v * R + r];
        e.wall_seconds += rec.wall_seconds;
        result.member_seconds += rec.wall_seconds;
        if (rec.status != "complete") {
          e.status = rec.status == "interrupted" ? "interrupted" : "failed";
          e.error = rec.status == "failed" ? "replicate " + std::to_string(r) + ": " + rec.error : "replicate " + std::to_string(r) + " " + rec.status;
          break;
        }
        const std::string file = dir + "/" + ensemble::member_path(plan, rec.member);
        try {
          const io::ResultsSummary res = io::read_results(file);
          for (size_t k = 0; k < metrics_.size(); ++k) {
            std::string units;
            const ensemble::MetricSpec& m = metrics_[k].metric;
            double value = ensemble::reduce_metric(ensemble::metric_series(res, m, file, units), res.time_s, m);
            if (const ensemble::MetricSpec* d = metrics_[k].denominator)
              value /= ensemble::reduce_metric(ensemble::metric_series(res, *d, file, units), res.time_s, *d);
            sum[k] += value;
          }
        } catch (const std::exception& ex) {
          e.status = "failed", e.error = ex.what();
        }
      }
      if (e.status == "ok") {
        for (size_t k = 0; k < sum.size(); ++k) e.simulated[k] = sum[k] / double(R);
        e.misfit = misfit(spec_, e.simulated, &e.residual);
        if (e.misfit >= kInfeasibleLoss) e.status = "failed", e.error = "a target has no sample in its window";
      }
      if (!o_.keep_members) {
        std::error_code ec;
        fs::remove_all(dir + "/" + plan.variants[v].name, ec);
      }
    }
    return finish(out, fresh);
  }

  Result result;

 private:
  std::vector<int> finish(const std::vector<int>& out, const std::vector<size_t>& fresh) {
    for (size_t c : fresh) {
      Evaluation& e = result.evaluations[size_t(out[c])];
      e.loss = e.status == "ok" ? e.misfit + e.prior : kInfeasibleLoss;
      if (e.status == "ok" && result.evaluations[size_t(result.best)].loss > e.loss) result.best = e.index;
      if (result.evaluations.size() == 1) result.best = e.index;
      if (o_.on_evaluation) o_.on_evaluation(e, result);
    }
    return out;
  }

  const Spec& spec_;
  const Options& o_;
  std::vector<ObsMetric> metrics_;
  std::string work_;
  ensemble::Plan plan_;
  std::map<std::vector<double>, int> cache_;
};

nlopt::algorithm algorithm(Method m) {
  switch (m) {
    case Method::Bobyqa: return nlopt::LN_BOBYQA;
    case Method::NelderMead: return nlopt::LN_NELDERMEAD;
    case Method::Crs2: return nlopt::GN_CRS2_LM;
    case Method::Isres: return nlopt::GN_ISRES;
    case Method::Mcmc: break;
  }
  return nlopt::LN_BOBYQA;
}

const char* result_name(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS: return "success";
    case nlopt::STOPVAL_REACHED: return "stopval reached";
    case nlopt::FTOL_REACHED: return "ftol_abs reached";
    case nlopt::XTOL_REACHED: return "xtol_rel reached";
    case nlopt::MAXEVAL_REACHED: return "max_evaluations reached";
    case nlopt::MAXTIME_REACHED: return "time limit reached";
    case nlopt::FAILURE: return "failure";
    case nlopt::INVALID_ARGS: return "invalid arguments";
    case nlopt::OUT_OF_MEMORY: return "out of memory";
    case nlopt::ROUNDOFF_LIMITED: return "roundoff limited";
    case nlopt::FORCED_STOP: return "stopped";
    default: return "?";
  }
}

// central differences of the loss in the unit coordinates, the stencil moved inside the
// unit cube where the optimum is nearer a bound than the step; one batch of members
void hessian(const Spec& spec, Driver& d) {
  Result& res = d.result;
  const size_t P = spec.parameters.size();
  const double h = spec.hessian_step;
  std::vector<double> c = res.evaluations[size_t(res.best)].u;
  for (size_t i = 0; i < P; ++i)
    if (c[i] < h || c[i] > 1 - h) {
      c[i] = std::clamp(c[i], h, 1 - h);
      res.warnings.push_back(spec.parameters[i].key + " is within the Hessian step of its bound: its curvature is taken " +
                             "at a point moved inside the bounds, and its standard error assumes the bound is not binding");
    }
  std::vector<std::vector<double>> pts{c};
  const auto shifted = [&](size_t i, double si, size_t j, double sj) {
    std::vector<double> u = c;
    u[i] += si * h;
    if (j < P) u[j] += sj * h;
    return u;
  };
  for (size_t i = 0; i < P; ++i) pts.push_back(shifted(i, 1, P, 0)), pts.push_back(shifted(i, -1, P, 0));
  for (size_t i = 0; i < P; ++i)
    for (size_t j = i + 1; j < P; ++j)
      for (double si : {1.0, -1.0})
        for (double sj : {1.0, -1.0}) pts.push_back(shifted(i, si, j, sj));
  const int search_best = res.best;
  const std::vector<int> idx = d.evaluate(pts, "hessian");
  if (d.stopped()) return;
  if (res.best != search_best)
    res.warnings.push_back("a point of the Hessian stencil (evaluation " + std::to_string(res.best) + ", loss " +
                           format_number(res.evaluations[size_t(res.best)].loss) + ") is below the optimiser's optimum (evaluation " +
                           std::to_string(search_best) + ", loss " + format_number(res.evaluations[size_t(search_best)].loss) +
                           "): the loss is flat at this scale; the optimum reported is that point, the standard errors are "
                           "taken around the optimiser's");
  std::vector<double> f;
  bool failed = false;
  for (int k : idx) {
    f.push_back(res.evaluations[size_t(k)].loss);
    failed |= res.evaluations[size_t(k)].status != "ok";
  }
  if (failed) {
    res.warnings.push_back("an evaluation of the Hessian stencil failed: no standard errors");
    return;
  }
  Eigen::MatrixXd H(P, P);
  size_t k = 1 + 2 * P;
  for (size_t i = 0; i < P; ++i) H(i, i) = (f[1 + 2 * i] - 2 * f[0] + f[2 + 2 * i]) / (h * h);
  for (size_t i = 0; i < P; ++i)
    for (size_t j = i + 1; j < P; ++j) {
      H(i, j) = H(j, i) = (f[k] - f[k + 1] - f[k + 2] + f[k + 3]) / (4 * h * h);
      k += 4;
    }
  res.hessian = H;
  res.se.assign(P, std::numeric_limits<double>::quiet_NaN());
  res.se_transformed = res.se;
  res.identified.assign(P, 1);
  res.correlation = Eigen::MatrixXd::Constant(P, P, std::numeric_limits<double>::quiet_NaN());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
  const Eigen::VectorXd lambda = eig.eigenvalues();
  const double top = std::max(lambda.cwiseAbs().maxCoeff(), 1e-300);
  bool singular = false;
  for (Eigen::Index e = 0; e < lambda.size(); ++e) {
    if (lambda(e) > 1e-6 * top && lambda(e) > 1e-9) continue;
    singular = true;
    std::string who;
    for (size_t i = 0; i < P; ++i)
      if (std::fabs(eig.eigenvectors()(Eigen::Index(i), e)) > 0.3) {
        res.identified[i] = 0;
        who += (who.empty() ? "" : ", ") + spec.parameters[i].key;
      }
    res.warnings.push_back("not identified: the loss is flat (curvature " + format_number(lambda(e)) +
                           ") along a direction of " + who + "; the targets do not pin these parameters down");
  }
  if (singular) return;
  const Eigen::MatrixXd C = H.inverse();  // covariance of the unit coordinates (loss = NLL)
  const Evaluation& best = res.evaluations[size_t(res.best)];
  for (size_t i = 0; i < P; ++i) {
    const Parameter& p = spec.parameters[i];
    const double range = p.transformed(p.upper) - p.transformed(p.lower);
    const double se_u = std::sqrt(C(Eigen::Index(i), Eigen::Index(i)));
    res.se_transformed[i] = se_u * range;
    res.se[i] = res.se_transformed[i] * p.dx_dz(best.x[i]);
    if (se_u > 0.5) {
      res.identified[i] = 0;
      res.warnings.push_back("poorly identified: " + p.key + "'s standard error is more than half its bounds' range");
    }
    for (size_t j = 0; j < P; ++j)
      res.correlation(Eigen::Index(i), Eigen::Index(j)) =
          C(Eigen::Index(i), Eigen::Index(j)) / std::sqrt(C(Eigen::Index(i), Eigen::Index(i)) * C(Eigen::Index(j), Eigen::Index(j)));
  }
}

// the posterior sample (method = "mcmc"): every half-step of the walkers is one batch
void sample(const Spec& spec, Driver& d, const std::vector<double>& u0) {
  SamplerOptions so;
  so.walkers = spec.walkers, so.steps = spec.steps, so.burn_in = spec.burn_in, so.seed = spec.seed;
  const LogDensityBatch density = [&](const std::vector<std::vector<double>>& us, std::vector<int>& evaluations) {
    evaluations = d.evaluate(us, "sample");
    std::vector<double> lp;
    for (int k : evaluations) lp.push_back(log_posterior(spec, d.result.evaluations[size_t(k)]));
    return lp;
  };
  d.result.posterior = summarise(spec, sample_posterior(density, u0, so, [&] { return d.stopped(); }), spec.burn_in);
  const Posterior& post = d.result.posterior;
  if (post.acceptance < 0.1)
    d.result.warnings.push_back("the sampler accepted " + format_number(post.acceptance) +
                                " of its moves: the posterior may be too narrow for the walkers' spread, or the loss noisy");
  if (post.effective_draws < 100)
    d.result.warnings.push_back("about " + std::to_string(int(post.effective_draws)) +
                                " effective draws after burn-in: run more steps for stable quantiles");
}

}  // namespace

double log_posterior(const Spec& spec, const Evaluation& e) {
  if (e.status != "ok") return -std::numeric_limits<double>::infinity();
  double lp = -(e.misfit + e.prior);
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const Parameter& p = spec.parameters[i];
    if (p.prior.kind == PriorKind::LogNormal) lp -= std::log(e.x[i]);  // the density of x, not of log x
    lp += std::log(p.dx_dz(e.x[i]));  // dx/du up to the constant range of z
  }
  return lp;
}

Posterior summarise(const Spec& spec, Chain chain, int burn_in) {
  Posterior post;
  const size_t P = spec.parameters.size();
  post.burn_in = std::min(burn_in, std::max(0, chain.steps - 1));
  const int kept_steps = chain.steps - post.burn_in;
  double longest = 1;
  for (size_t i = 0; i < P && kept_steps > 0; ++i) {
    const Parameter& p = spec.parameters[i];
    std::vector<double> xs;
    for (int s = post.burn_in; s < chain.steps; ++s)
      for (int k = 0; k < chain.walkers; ++k) xs.push_back(p.from_unit(chain.at(s, k, int(i))));
    double mean = 0, var = 0;
    for (double x : xs) mean += x;
    mean /= double(xs.size());
    for (double x : xs) var += (x - mean) * (x - mean);
    post.mean.push_back(mean);
    post.sd.push_back(std::sqrt(var / double(std::max<size_t>(1, xs.size() - 1))));
    std::vector<double> sorted = xs;
    std::sort(sorted.begin(), sorted.end());
    const auto q = [&](double f) { return sorted[std::min(sorted.size() - 1, size_t(f * double(sorted.size())))]; };
    post.q05.push_back(q(0.05)), post.q50.push_back(q(0.5)), post.q95.push_back(q(0.95));
    // the walkers' mean path: its autocorrelation time is the ensemble's (Goodman & Weare)
    std::vector<double> path;
    for (int s = post.burn_in; s < chain.steps; ++s) {
      double m = 0;
      for (int k = 0; k < chain.walkers; ++k) m += chain.at(s, k, int(i));
      path.push_back(m / chain.walkers);
    }
    const double tau = autocorrelation_time(path);
    post.autocorrelation_steps.push_back(tau);
    if (std::isfinite(tau)) longest = std::max(longest, tau);
  }
  for (double a : chain.acceptance) post.acceptance += a / double(std::max<size_t>(1, chain.acceptance.size()));
  post.effective_draws = double(std::max(0, kept_steps)) * chain.walkers / longest;
  post.chain = std::move(chain);
  return post;
}

Result calibrate(const Spec& spec, const Options& o) {
  const auto t0 = Clock::now();
  Driver d(spec, o);
  Result& res = d.result;
  const size_t P = spec.parameters.size();
  std::vector<double> u0;
  for (const auto& p : spec.parameters) u0.push_back(p.to_unit(p.initial));
  res.initial = d.evaluate({u0}, "initial").front();
  if (spec.method == Method::Mcmc) {
    sample(spec, d, u0);
    res.stop_reason = d.stopped() ? "stopped" : "steps done";
    res.complete = !d.stopped();
    res.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return res;
  }

  nlopt::opt opt(algorithm(spec.method), unsigned(P));
  opt.set_lower_bounds(std::vector<double>(P, 0.0));
  opt.set_upper_bounds(std::vector<double>(P, 1.0));
  opt.set_maxeval(spec.max_evaluations);
  opt.set_xtol_rel(spec.xtol_rel);
  opt.set_ftol_abs(spec.ftol_abs);
  if (!is_global(spec.method)) opt.set_initial_step(std::vector<double>(P, 0.15));
  if (spec.population > 0) opt.set_population(unsigned(spec.population));
  struct Ctx {
    Driver* d;
    nlopt::opt* opt;
  } ctx{&d, &opt};
  opt.set_min_objective(
      [](const std::vector<double>& u, std::vector<double>&, void* data) -> double {
        auto* c = static_cast<Ctx*>(data);
        if (c->d->stopped()) {
          c->opt->force_stop();
          return kInfeasibleLoss;
        }
        ++c->d->result.search_evaluations;
        std::vector<double> v = u;
        for (double& x : v) x = std::clamp(x, 0.0, 1.0);
        return c->d->result.evaluations[size_t(c->d->evaluate({v}, "search").front())].loss;
      },
      &ctx);
  std::vector<double> u = u0;
  double f = 0;
  try {
    res.stop_reason = result_name(opt.optimize(u, f));
  } catch (const nlopt::forced_stop&) {
    res.stop_reason = "stopped";
  } catch (const std::exception& e) {
    res.stop_reason = std::string("optimiser: ") + e.what();
  }
  if (d.stopped()) res.complete = false;
  if (res.complete && spec.hessian && res.evaluations[size_t(res.best)].status == "ok") hessian(spec, d);
  if (d.stopped()) res.complete = false;
  if (res.evaluations[size_t(res.best)].status != "ok") res.warnings.push_back("every evaluation failed: no optimum");
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return res;
}

}  // namespace citysim::calibrate
