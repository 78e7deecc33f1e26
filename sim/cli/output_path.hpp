// The default output file of a command: results/<input file name without its extension>
// plus a suffix. `citysim run x.toml` -> results/x.h5; `citysim ensemble x.ens.toml` ->
// results/x.ens.h5 (an input already ending in the suffix's inner part, .ens, keeps it once).
#pragma once
#include <filesystem>
#include <string>

namespace citysim::cli {

inline std::string default_output(const std::string& input_path, const std::string& suffix = ".h5") {
  std::filesystem::path stem = std::filesystem::path(input_path).stem();
  const std::string inner = std::filesystem::path(suffix).stem().string();  // ".ens" of ".ens.h5"; "" of ".h5"
  if (!inner.empty() && inner != suffix && stem.extension() == inner) stem = stem.stem();
  return "results/" + stem.string() + suffix;
}

}  // namespace citysim::cli
