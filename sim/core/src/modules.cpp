// The modules and their fixed phase order. A new module adds one line here.
#include "citysim/city.hpp"
#include "citysim/module.hpp"
#include "citysim/residents.hpp"
#include "citysim/simulation.hpp"

namespace citysim {

const std::vector<ModuleDescriptor>& module_descriptors() {
  static const std::vector<ModuleDescriptor> list = {
      {"residents", ResidentsParams::describe,
       [](const Scenario& sc) { return sc.get_bool("residents.enabled"); }, make_residents_module},
  };
  return list;
}

const Schema& scenario_schema() {
  static const Schema schema = [] {
    Schema s;
    RunParams::describe(s);
    CityParams::describe(s);
    for (const auto& d : module_descriptors()) d.describe(s);
    return s;
  }();
  return schema;
}

}  // namespace citysim
