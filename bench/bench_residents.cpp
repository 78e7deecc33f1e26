// Residents throughput: resident-steps per second, ns per resident-step, memory per
// resident. Usage: bench_residents SCENARIO [threads] [key=value ...]
// Prints one line of key=value pairs (step_s.MODULE: seconds in that module's step);
// bench/run.sh takes medians over repeats.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_residents SCENARIO [threads] [key=value ...]\n");
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  std::vector<std::string> sets;
  for (int i = 3; i < argc; ++i) sets.push_back(argv[i]);
  try {
    const citysim::Scenario sc = citysim::io::load_scenario(argv[1], sets);
    const auto t0 = std::chrono::steady_clock::now();
    citysim::Simulation sim(sc, threads);
    const auto t1 = std::chrono::steady_clock::now();
    sim.run();
    const auto t2 = std::chrono::steady_clock::now();
    const double setup_s = std::chrono::duration<double>(t1 - t0).count();
    const double run_s = std::chrono::duration<double>(t2 - t1).count();
    const double steps = double(sim.residents().count) * double(sim.clock().tick);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double peak_bytes = double(ru.ru_maxrss) * 1024.0;
    std::printf("residents=%zu ticks=%lld threads=%d setup_s=%.3f run_s=%.3f wall_s=%.3f steps_per_s=%.4g "
                "ns_per_step=%.3f peak_mb=%.1f bytes_per_resident=%.1f array_bytes_per_resident=%.1f",
                sim.residents().count, (long long)sim.clock().tick, sim.threads(), setup_s, run_s, setup_s + run_s,
                steps / run_s, 1e9 * run_s / steps, peak_bytes / 1e6, peak_bytes / double(sim.residents().count),
                double(sim.residents().bytes()) / double(sim.residents().count));
    // where the run's time went, module by module (the rest is sampling and the timeline)
    const auto names = sim.module_names();
    for (size_t i = 0; i < names.size(); ++i) std::printf(" step_s.%s=%.3f", names[i].c_str(), sim.module_step_seconds()[i]);
    std::printf("\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
