// consumer SCENARIO: runs it to the end and prints what the test compares with `citysim run`
#include <cstdio>

#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const citysim::Scenario scenario = citysim::io::load_scenario(argv[1]);
  citysim::Simulation sim(scenario, 1);
  sim.run();
  std::printf("%zu residents, %lld ticks\n", sim.residents().count, (long long)sim.clock().tick);
  return 0;
}
