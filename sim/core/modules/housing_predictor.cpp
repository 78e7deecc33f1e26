#include "modules/housing_predictor.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace citysim {

LogisticFit fit_logistic_irls(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double l2, int max_iterations,
                              double tolerance) {
  const Eigen::Index p = X.cols();
  LogisticFit fit;
  fit.coef = Eigen::VectorXd::Zero(p);
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(p, l2);
  penalty(0) = 0;
  for (fit.iterations = 1; fit.iterations <= max_iterations; ++fit.iterations) {
    const Eigen::VectorXd mu = (1.0 + (-(X * fit.coef).array()).exp()).inverse().matrix();
    const Eigen::VectorXd w = (mu.array() * (1.0 - mu.array())).max(1e-12).matrix();
    // newton step: (X' W X + L) d = X' (y - mu) - L b
    Eigen::MatrixXd H = X.transpose() * w.asDiagonal() * X;
    H.diagonal() += penalty;
    const Eigen::VectorXd g = X.transpose() * (y - mu) - penalty.cwiseProduct(fit.coef);
    const Eigen::VectorXd step = H.ldlt().solve(g);
    fit.coef += step;
    if (step.cwiseAbs().maxCoeff() < tolerance) {
      fit.converged = true;
      break;
    }
  }
  fit.iterations = std::min(fit.iterations, max_iterations);
  return fit;
}

namespace {
// indices sorted by score, ties by index (a stable order for equal scores)
std::vector<size_t> order_by_score(const std::vector<double>& score) {
  std::vector<size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), size_t(0));
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  return idx;
}
}  // namespace

double auc(const std::vector<double>& score, const std::vector<uint8_t>& label) {
  const auto idx = order_by_score(score);
  // sum of the positives' mid-ranks
  double rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) ++j;
    const double mid_rank = 0.5 * double(i + 1 + j);  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k)
      if (label[idx[k]]) {
        rank_sum += mid_rank;
        ++positives;
      }
    i = j;
  }
  const double n1 = double(positives), n0 = double(idx.size() - positives);
  if (n1 == 0 || n0 == 0) return 0.5;
  return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0);
}

std::vector<CalibrationBin> calibration_bins(const std::vector<double>& score, const std::vector<uint8_t>& label,
                                             int bins) {
  const auto idx = order_by_score(score);
  std::vector<CalibrationBin> out(static_cast<size_t>(bins));
  const size_t n = idx.size();
  for (size_t r = 0; r < n; ++r) {
    auto& b = out[r * size_t(bins) / n];
    b.mean_predicted += score[idx[r]];
    b.observed += label[idx[r]];
    ++b.count;
  }
  for (auto& b : out)
    if (b.count > 0) {
      b.mean_predicted /= double(b.count);
      b.observed /= double(b.count);
    }
  return out;
}

PrecisionRecall precision_recall(const std::vector<double>& score, const std::vector<uint8_t>& label,
                                 double threshold) {
  PrecisionRecall pr;
  size_t positives = 0;
  for (size_t i = 0; i < score.size(); ++i) {
    positives += label[i];
    if (score[i] >= threshold) {
      ++pr.flagged;
      pr.true_positives += label[i];
    }
  }
  pr.precision = pr.flagged ? double(pr.true_positives) / double(pr.flagged) : 0;
  pr.recall = positives ? double(pr.true_positives) / double(positives) : 0;
  return pr;
}

}  // namespace citysim
