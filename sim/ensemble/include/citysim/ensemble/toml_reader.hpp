// Reading TOML plans and specs (ensemble plans, calibration specs) with file:line:key errors:
// every value read through a Reader names its file, line and key when it does not fit.
// Needs toml++ (the reading library links it).
#pragma once
#include <toml++/toml.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "citysim/ensemble/plan.hpp"
#include "citysim/scenario.hpp"

namespace citysim::ensemble {

inline int line_of(const toml::node& node) { return int(node.source().begin.line); }

struct Reader {
  const std::string& file;
  SourceLoc at(const toml::node& node) const { return {file, line_of(node)}; }
  [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& why) const {
    throw ScenarioError(at(node), key, why);
  }
  void known_keys(const toml::table& t, const std::string& prefix, std::set<std::string> known) const {
    for (const auto& [k, v] : t) {
      if (known.count(std::string(k.str()))) continue;
      std::string list;
      for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
      fail(v, prefix + std::string(k.str()), "unknown key (known here: " + list + ")");
    }
  }
  const toml::table& table(const toml::node& node, const std::string& key) const {
    if (!node.is_table()) fail(node, key, "expected a table");
    return *node.as_table();
  }
  std::string string(const toml::node& node, const std::string& key) const {
    if (!node.is_string()) fail(node, key, "expected a string");
    return node.as_string()->get();
  }
  int64_t integer(const toml::node& node, const std::string& key, int64_t lo, int64_t hi) const {
    if (!node.is_integer() || node.as_integer()->get() < lo || node.as_integer()->get() > hi)
      fail(node, key, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return node.as_integer()->get();
  }
  double number(const toml::node& node, const std::string& key) const {
    if (node.is_integer()) return double(node.as_integer()->get());
    if (!node.is_floating_point()) fail(node, key, "expected a number");
    const double x = node.as_floating_point()->get();
    if (!std::isfinite(x)) fail(node, key, "expected a finite number");
    return x;
  }
  double positive(const toml::node& node, const std::string& key) const {
    const double x = number(node, key);
    if (!(x > 0)) fail(node, key, "expected a number > 0, got " + format_number(x));
    return x;
  }
  // a TOML value as --set text: lists as [a, b], strings unquoted
  std::string text(const toml::node& node, const std::string& key) const {
    if (node.is_string()) return node.as_string()->get();
    if (node.is_boolean()) return node.as_boolean()->get() ? "true" : "false";
    if (node.is_integer()) return std::to_string(node.as_integer()->get());
    if (node.is_floating_point()) return format_number(node.as_floating_point()->get());
    if (node.is_array()) {
      std::string out = "[";
      for (const auto& item : *node.as_array()) out += (out.size() > 1 ? ", " : "") + text(item, key);
      return out + "]";
    }
    fail(node, key, "expected a number, string, boolean or list");
  }
  std::vector<Override> overrides(const toml::node& node, const std::string& key) const {
    std::vector<Override> out;
    for (const auto& [k, v] : table(node, key)) out.push_back({std::string(k.str()), text(v, key + "." + std::string(k.str())), at(v)});
    return out;
  }
};

}  // namespace citysim::ensemble
