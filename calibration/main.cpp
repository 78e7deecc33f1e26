// citysim-calibrate — fit model parameters. Subcommands:
//   housing   train the public-housing vacancy predictor on a simulated history
#include <CLI/CLI.hpp>

#include <cstdio>

#include "citysim/scenario.hpp"
#include "housing.hpp"

int main(int argc, char** argv) {
  CLI::App app{"citysim-calibrate: fit citysim model parameters"};
  app.require_subcommand(1);
  citysim::calibrate::HousingTrainOptions h;
  auto* housing = app.add_subcommand("housing", "train the vacancy predictor (IRLS logistic regression) and write its coefficients");
  housing->add_option("scenario", h.scenario, "housing scenario (e.g. scenarios/housing-baseline.toml)")->required()->check(CLI::ExistingFile);
  housing->add_option("-o,--out", h.out, "coefficients CSV to write (e.g. scenarios/data/housing_predictor.csv)")->required();
  housing->add_option("--set", h.sets, "override a scenario key (key=value), repeatable");
  housing->add_option("--years", h.years, "years of simulated history")->check(CLI::Range(1.0, 20.0));
  housing->add_option("--train-years", h.train_years, "snapshots whose horizon ends by this year train; later ones are held out")->check(CLI::Range(0.5, 20.0));
  housing->add_option("--horizons", h.horizons, "horizons in months, one model each")->delimiter(',')->check(CLI::Range(1, 36));
  housing->add_option("--snapshot-every", h.snapshot_every_months, "months between snapshots of the tenants")->check(CLI::Range(1, 60));
  housing->add_option("--sample", h.sample, "share of units in each snapshot")->check(CLI::Range(0.01, 1.0));
  housing->add_option("--l2", h.l2, "L2 penalty (ridge) on the non-intercept coefficients")->check(CLI::Range(0.0, 1e6));
  housing->add_option("--threshold", h.threshold, "probability at which a unit counts as predicted vacant")->check(CLI::Range(0.0, 1.0));
  housing->add_option("--threads", h.threads, "threads (0 = all cores)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (housing->parsed()) return citysim::calibrate::train_housing_predictor(h);
  } catch (const citysim::ScenarioError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
