// `citysim-calibrate housing`: train and evaluate the vacancy predictor on a simulated
// history and write the coefficients the housing module loads.
#pragma once
#include <string>
#include <vector>

namespace citysim::calibrate {

struct HousingTrainOptions {
  std::string scenario;                     // a housing scenario (policy is forced to vacant_only)
  std::vector<std::string> sets;            // key=value overrides
  double years = 10;                        // simulated history
  double train_years = 7;                   // snapshots whose horizon ends by then train; later ones test
  std::vector<int> horizons = {3, 4, 6, 12};  // months
  int snapshot_every_months = 12;
  double sample = 0.5;                      // share of units kept in each snapshot
  double l2 = 1.0;                          // ridge penalty on the non-intercept coefficients
  double threshold = 0.12;                  // for precision and recall
  std::string out;                          // coefficients CSV
  int threads = 0;
};

// returns the process exit code; prints the evaluation report on stdout
int train_housing_predictor(const HousingTrainOptions& options);

}  // namespace citysim::calibrate
