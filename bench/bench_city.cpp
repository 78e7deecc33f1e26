// What a shared city saves at a member's start: build_city alone, the city cache's key, and
// the whole Simulation construction with its own city and with a prebuilt shared one
// (residents synthesis and modules included), medians of N repeats on one thread.
//   build/bin/bench_city scenarios/tokyo.toml [N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "citysim/city.hpp"
#include "citysim/ensemble/ensemble.hpp"
#include "citysim/io/scenario_file.hpp"
#include "citysim/simulation.hpp"

using namespace citysim;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_city SCENARIO [N]\n");
    return 2;
  }
  const int n = argc > 2 ? std::max(1, std::atoi(argv[2])) : 7;
  const Scenario sc = io::load_scenario(argv[1]);
  std::vector<double> city, key, own, shared;
  const auto prebuilt = std::make_shared<const Grid>(build_city(CityParams::from(sc), RunParams::from(sc).seed));
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    const Grid g = build_city(CityParams::from(sc), RunParams::from(sc).seed);
    city.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    const std::string k = ensemble::CityCache::key(sc);
    key.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    { const Simulation a(sc, 1); }
    own.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    { const Simulation b(sc, prebuilt, 1); }
    shared.push_back(seconds_since(t0));
  }
  std::printf("%s, medians of %d, 1 thread\n", argv[1], n);
  std::printf("build_city:                          %.4f s\n", median(city));
  std::printf("city cache key (hash of keys, files): %.4f s\n", median(key));
  std::printf("Simulation with its own city:        %.3f s\n", median(own));
  std::printf("Simulation on a shared city:         %.3f s\n", median(shared));
  std::printf("saved per member by sharing:         %.4f s (build_city - key: %.4f s)\n", median(own) - median(shared),
              median(city) - median(key));
  return 0;
}
