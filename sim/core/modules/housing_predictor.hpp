// Vacancy predictor: logistic regression fitted by iteratively reweighted least squares
// (Newton-Raphson) with an L2 penalty, and the figures that judge it (AUC, calibration
// by decile, precision and recall at a threshold). Eigen only; used by the calibration
// tool and the tests.
#pragma once
#include <Eigen/Dense>

#include <vector>

namespace citysim {

struct LogisticFit {
  Eigen::VectorXd coef;  // one per column of X (column 0 is usually the intercept)
  int iterations = 0;
  bool converged = false;
};

// maximise sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)] - l2/2 * sum_{j>=1} b_j^2,
// p = 1 / (1 + exp(-X b)); the intercept (column 0) is not penalised
LogisticFit fit_logistic_irls(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double l2 = 0,
                              int max_iterations = 50, double tolerance = 1e-10);

// area under the ROC curve: the probability a random positive scores above a random
// negative, ties counting one half (Mann-Whitney U / (n1 n0))
double auc(const std::vector<double>& score, const std::vector<uint8_t>& label);

// predicted vs observed rate in groups of equal size by predicted probability
struct CalibrationBin {
  double mean_predicted = 0, observed = 0;
  size_t count = 0;
};
std::vector<CalibrationBin> calibration_bins(const std::vector<double>& score, const std::vector<uint8_t>& label,
                                             int bins = 10);

struct PrecisionRecall {
  double precision = 0, recall = 0;
  size_t flagged = 0, true_positives = 0;
};
PrecisionRecall precision_recall(const std::vector<double>& score, const std::vector<uint8_t>& label,
                                 double threshold);

}  // namespace citysim
