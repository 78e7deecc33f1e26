#define BOOST_TEST_MODULE housing_predictor
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "citysim/rng.hpp"
#include "modules/housing.hpp"
#include "modules/housing_predictor.hpp"

using namespace citysim;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(irls_matches_the_closed_form_of_a_saturated_model) {
  // one binary feature: the fit reproduces the two group rates exactly,
  // b0 = logit(6/30) = -ln 4, b1 = logit(15/20) - logit(6/30) = ln 12
  Eigen::MatrixXd X(50, 2);
  Eigen::VectorXd y(50);
  for (int i = 0; i < 50; ++i) {
    const bool group1 = i >= 30;
    X(i, 0) = 1;
    X(i, 1) = group1;
    y(i) = group1 ? (i - 30 < 15) : (i < 6);
  }
  const LogisticFit fit = fit_logistic_irls(X, y);
  BOOST_TEST(fit.converged);
  BOOST_TEST(fit.iterations < 10);
  BOOST_TEST(fit.coef(0) == -std::log(4.0), tt::tolerance(1e-9));
  BOOST_TEST(fit.coef(1) == std::log(12.0), tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(irls_with_l2_solves_the_penalised_score_equations) {
  Eigen::MatrixXd X(50, 2);
  Eigen::VectorXd y(50);
  for (int i = 0; i < 50; ++i) {
    X(i, 0) = 1;
    X(i, 1) = i >= 30;
    y(i) = i >= 30 ? (i - 30 < 15) : (i < 6);
  }
  const double l2 = 5;
  const LogisticFit fit = fit_logistic_irls(X, y, l2);
  BOOST_TEST(fit.converged);
  const Eigen::VectorXd mu = (1.0 + (-(X * fit.coef).array()).exp()).inverse().matrix();
  const Eigen::VectorXd score = X.transpose() * (y - mu);
  BOOST_TEST(score(0) == 0.0, tt::tolerance(1e-9));            // the intercept is not penalised
  BOOST_TEST(score(1) - l2 * fit.coef(1) == 0.0, tt::tolerance(1e-9));
  BOOST_TEST(fit.coef(1) < std::log(12.0));                     // shrunk towards zero
  BOOST_TEST(fit.coef(1) > 0.0);
}

BOOST_AUTO_TEST_CASE(irls_recovers_known_coefficients_from_simulated_data) {
  const Eigen::Vector4d truth(-1.5, 0.8, -0.6, 0.4);
  const int n = 200000;
  Eigen::MatrixXd X(n, 4);
  Eigen::VectorXd y(n);
  const Rng rng(3, Stream::Test);
  for (int i = 0; i < n; ++i) {
    Draws d(rng, uint64_t(i), 0);
    X.row(i) << 1, d.normal(), d.bernoulli(0.3), d.uniform(0, 2);
    const double p = 1 / (1 + std::exp(-X.row(i).dot(truth)));
    y(i) = d.bernoulli(p);
  }
  const LogisticFit fit = fit_logistic_irls(X, y, 1.0);
  BOOST_TEST(fit.converged);
  for (int j = 0; j < 4; ++j) BOOST_TEST(std::abs(fit.coef(j) - truth(j)) < 0.04);  // standard errors ~0.01
}

BOOST_AUTO_TEST_CASE(auc_of_known_rankings) {
  // 4 pairs of (positive, negative): 3 ordered right
  BOOST_TEST(auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}) == 0.75, tt::tolerance(1e-12));
  // a tie between a positive and a negative counts one half: (0.5 + 1 + 1 + 1) / 4
  BOOST_TEST(auc({0.5, 0.5, 0.2, 0.9}, {1, 0, 0, 1}) == 0.875, tt::tolerance(1e-12));
  BOOST_TEST(auc({0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}) == 1.0);
  BOOST_TEST(auc({0.1, 0.2, 0.3, 0.4}, {1, 1, 0, 0}) == 0.0);
  BOOST_TEST(auc({0.3, 0.3, 0.3}, {1, 0, 1}) == 0.5);
}

BOOST_AUTO_TEST_CASE(calibration_bins_and_precision_recall_by_hand) {
  const std::vector<double> score = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  const std::vector<uint8_t> label = {0, 0, 1, 0, 0, 1, 1, 0, 1, 1};
  const auto bins = calibration_bins(score, label, 2);
  BOOST_TEST(bins[0].count == 5u);
  BOOST_TEST(bins[0].mean_predicted == 0.3, tt::tolerance(1e-12));
  BOOST_TEST(bins[0].observed == 0.2, tt::tolerance(1e-12));
  BOOST_TEST(bins[1].mean_predicted == 0.8, tt::tolerance(1e-12));
  BOOST_TEST(bins[1].observed == 0.8, tt::tolerance(1e-12));
  // threshold 0.65: flagged 0.7, 0.8, 0.9, 1.0 -> 3 true of 4; 3 of the 5 positives found
  const auto pr = precision_recall(score, label, 0.65);
  BOOST_TEST(pr.flagged == 4u);
  BOOST_TEST(pr.precision == 0.75, tt::tolerance(1e-12));
  BOOST_TEST(pr.recall == 0.6, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(the_bundled_predictor_ranks_old_people_living_alone_first) {
  const auto models = read_vacancy_models(CITYSIM_SOURCE_DIR "/scenarios/data/housing_predictor.csv", "test");
  std::vector<int> horizons;
  for (const auto& m : models) horizons.push_back(m.horizon_months);
  BOOST_TEST(horizons == std::vector<int>({3, 4, 6, 12}), tt::per_element());
  HousingStock s;
  s.estate = {0, 0}; s.plan = {1, 1}; s.area_m2 = {45, 45}; s.floor = {2, 2}; s.elevator = {0, 0};
  s.building_year = {1972, 1972}; s.rent_band = {0, 0}; s.ku = {1, 1}; s.head_age = {88, 38};
  s.birth_month = {1, 1}; s.size = {1, 3}; s.income_band = {0, 1}; s.tenure_months = {400, 60};
  s.care_need = {1, 0};
  float old_alone[kHousingFeatures], family[kHousingFeatures];
  housing_features(s, 0, 2026, old_alone);
  housing_features(s, 1, 2026, family);
  BOOST_TEST(old_alone[1] == 2.3f, tt::tolerance(1e-6f));  // (88 - 65) / 10
  BOOST_TEST(old_alone[3] == 1.0f);
  for (const auto& m : models) BOOST_TEST(m.predict(old_alone) > 2 * m.predict(family));
  // longer horizons, higher probabilities
  BOOST_TEST(models[3].predict(old_alone) > models[0].predict(old_alone));
}

BOOST_AUTO_TEST_CASE(a_bad_predictor_file_is_rejected_with_file_and_line) {
  const auto path = std::filesystem::temp_directory_path() / "citysim_bad_predictor.csv";
  std::string header = "horizon_months";
  for (const char* name : kHousingFeatureNames) header += std::string(",") + name;
  std::ofstream(path) << header << "\n4,-4,0,0,0,0,0,0,0,0,0,0,0\n0,-4,0,0,0,0,0,0,0,0,0,0,0\n";
  try {
    read_vacancy_models(path.string(), "housing.predictor_file");
    BOOST_FAIL("expected a ScenarioError");
  } catch (const ScenarioError& e) {
    BOOST_TEST(std::string(e.what()).find("citysim_bad_predictor.csv:3") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("horizon_months") != std::string::npos);
  }
}
