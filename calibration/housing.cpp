// Training the vacancy predictor the way the city trained its model on about 220,000
// households: snapshots of tenants and units from a simulated history (policy A), a
// label "the tenancy ended within h months", logistic regression by IRLS with an L2
// penalty on the earlier years, evaluation on a held-out later period.
#include "housing.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"
#include "modules/housing.hpp"
#include "modules/housing_predictor.hpp"

namespace citysim::calibrate {

namespace {

// one snapshot row: a unit's features at month `month` and the tenancies ended so far
struct Row {
  int month;
  uint32_t unit;
  uint8_t ended;  // tenancies_ended mod 256; a change means the tenancy ended
  std::array<float, kHousingFeatures> x;
};

Eigen::MatrixXd design(const std::vector<const Row*>& rows) {
  Eigen::MatrixXd X(Eigen::Index(rows.size()), kHousingFeatures);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int j = 0; j < kHousingFeatures; ++j) X(Eigen::Index(i), j) = rows[i]->x[size_t(j)];
  return X;
}

}  // namespace

int train_housing_predictor(const HousingTrainOptions& o) {
  std::vector<std::string> sets = o.sets;
  sets.push_back("housing.enabled=true");
  sets.push_back("housing.policy=vacant_only");
  sets.push_back("run.tick_minutes=1440");
  sets.push_back("run.duration_hours=" + std::to_string(int64_t(std::lround(o.years * 365)) * 24));
  Scenario sc = io::load_scenario(o.scenario, sets);
  Simulation sim(sc, o.threads);
  auto* housing = dynamic_cast<HousingModule*>(sim.module("housing"));
  const HousingState& st = housing->state();
  const size_t n = st.stock.units();

  // the history: snapshots of occupied units, and tenancies ended at every month start
  std::vector<Row> rows;
  std::map<int, std::vector<uint8_t>> ended_at;  // month -> tenancies_ended mod 256 (n)
  const auto capture = [&] {
    const int month = int(st.month_index);
    auto& e = ended_at[month];
    e.resize(n);
    for (size_t u = 0; u < n; ++u) e[u] = uint8_t(st.tenancies_ended[u]);
    if (month % o.snapshot_every_months != 0) return;
    const int year = civil(sim.clock().now()).year;
    const Rng rng(sim.run_params().seed, Stream::Test);
    for (uint32_t u = 0; u < n; ++u) {
      if (st.status[u] != uint8_t(UnitStatus::Occupied)) continue;
      Draws d(rng, u, uint32_t(month));
      if (!d.bernoulli(o.sample)) continue;
      Row r{month, u, e[u], {}};
      housing_features(st.stock, u, year, r.x.data());
      rows.push_back(r);
    }
  };
  capture();
  int64_t seen = st.month_index;
  while (!sim.finished()) {
    sim.step(1);
    if (st.month_index != seen) {
      seen = st.month_index;
      capture();
    }
  }
  const int months = int(seen), train_months = int(std::lround(o.train_years * 12));
  std::printf("history: %zu units, %d months, %zu snapshot rows (every %d months, %.0f%% of units)\n", n, months,
              rows.size(), o.snapshot_every_months, o.sample * 100);

  std::ofstream out(o.out);
  if (!out) throw ScenarioError({o.out, 0}, "", "cannot write the coefficients file");
  out.precision(10);
  out << "# vacancy predictor: P(tenancy ends within horizon_months) = 1 / (1 + exp(-sum coef * feature))\n"
         "# trained by citysim-calibrate housing on "
      << o.scenario << " (" << o.years << " years, train until year " << o.train_years << ", l2 " << o.l2 << ")\n";
  out << "horizon_months,n_train,n_test,auc_test";
  for (const char* name : kHousingFeatureNames) out << "," << name;
  out << "\n";
  for (const int h : o.horizons) {
    // training: snapshots whose horizon ends within the training period; test: after it
    std::vector<const Row*> train, test;
    for (const Row& r : rows) {
      if (r.month + h > months) continue;  // the label is not known yet
      if (r.month + h <= train_months) train.push_back(&r);
      else if (r.month >= train_months) test.push_back(&r);  // rows straddling the split are dropped
    }
    const auto labels = [&](const std::vector<const Row*>& set) {
      Eigen::VectorXd y(Eigen::Index(set.size()));
      for (size_t i = 0; i < set.size(); ++i) y(Eigen::Index(i)) = ended_at[set[i]->month + h][set[i]->unit] != set[i]->ended;
      return y;
    };
    if (train.empty() || test.empty()) {
      std::fprintf(stderr, "horizon %d: no %s rows (history %d months, training %d)\n", h, train.empty() ? "training" : "test",
                   months, train_months);
      return 1;
    }
    const Eigen::VectorXd y_train = labels(train), y_test = labels(test);
    const LogisticFit fit = fit_logistic_irls(design(train), y_train, o.l2);
    const Eigen::VectorXd eta = design(test) * fit.coef;
    std::vector<double> score(test.size());
    std::vector<uint8_t> label(test.size());
    for (size_t i = 0; i < test.size(); ++i) {
      score[i] = 1 / (1 + std::exp(-eta(Eigen::Index(i))));
      label[i] = y_test(Eigen::Index(i)) > 0.5;
    }
    const double a = auc(score, label);
    const auto pr = precision_recall(score, label, o.threshold);
    std::printf("\nhorizon %d months: train %zu rows (%.2f%% vacated), test %zu rows (%.2f%% vacated), IRLS %d iterations%s\n", h,
                train.size(), 100 * y_train.mean(), test.size(), 100 * y_test.mean(), fit.iterations,
                fit.converged ? "" : " (NOT converged)");
    std::printf("  AUC %.3f; at threshold %.2f: %zu flagged, precision %.3f, recall %.3f\n", a, o.threshold, pr.flagged,
                pr.precision, pr.recall);
    std::printf("  calibration by decile (mean predicted / observed):");
    for (const auto& b : calibration_bins(score, label, 10)) std::printf(" %.3f/%.3f", b.mean_predicted, b.observed);
    std::printf("\n  coefficients:");
    for (int j = 0; j < kHousingFeatures; ++j) std::printf(" %s=%.3f", kHousingFeatureNames[j], fit.coef(j));
    std::printf("\n");
    out << h << "," << train.size() << "," << test.size() << "," << a;
    for (int j = 0; j < kHousingFeatures; ++j) out << "," << fit.coef(j);
    out << "\n";
  }
  std::printf("\nwrote %s\n", o.out.c_str());
  return 0;
}

}  // namespace citysim::calibrate
