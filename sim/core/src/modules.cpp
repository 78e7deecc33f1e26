// The modules and their fixed phase order. A new module adds one line here.
#include "citysim/areas.hpp"
#include "citysim/city.hpp"
#include "citysim/module.hpp"
#include "citysim/residents.hpp"
#include "citysim/simulation.hpp"
#include "modules/heat.hpp"
#include "modules/housing.hpp"
#include "modules/network.hpp"
#include "modules/vertiport.hpp"
#include "modules/watch.hpp"

namespace citysim {

const std::vector<ModuleDescriptor>& module_descriptors() {
  static const std::vector<ModuleDescriptor> list = {
      {"residents", ResidentsParams::describe, "residents.enabled", make_residents_module},
      {"heat", describe_heat, "heat.enabled", make_heat_module},
      {"network", describe_network, "network.enabled", make_network_module},
      {"watch", describe_watch, "watch.enabled", make_watch_module},
      {"vertiport", describe_vertiport, "vertiport.enabled", make_vertiport_module},
      {"housing", describe_housing, "housing.enabled", make_housing_module},
  };
  return list;
}

const ModuleDescriptor* event_owner(const std::string& kind) {
  for (const auto& d : module_descriptors()) {
    Schema own;
    d.describe(own);
    if (own.find_event(kind)) return &d;
  }
  return nullptr;
}

const Schema& scenario_schema() {
  static const Schema schema = [] {
    Schema s;
    RunParams::describe(s);
    CityParams::describe(s);
    auto& set = s.event("set", "change a scenario key at a time: a policy change, a new knob value");
    set.key("key", ValueKind::String, std::string(""), "the key to change, e.g. \"residents.go_out_prob_75plus\"");
    set.key("value", ValueKind::String, std::string(""), "its new value, written as on the command line");
    describe_power_events(s);
    for (const auto& d : module_descriptors()) d.describe(s);
    return s;
  }();
  return schema;
}

}  // namespace citysim
