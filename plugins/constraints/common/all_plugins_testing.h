// Test helper: a registry with the built-ins and every plugin built here (from the runfiles).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/engine/builtins.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/registry.h"

namespace biornn {

struct AllPlugins {
  Registry registry;
  PluginLoader loader{registry};
  std::vector<std::string> errors;  // load failures, for the test to report
  AllPlugins() {
    register_builtins(registry);
    for (const auto& d : default_plugin_directories(""))
      for (auto& e : loader.load_directory(d)) errors.push_back(std::move(e));
  }
  // A plugin of kind T with its defaults and `set` applied.
  template <class T>
  std::unique_ptr<T> make(const std::string& name, const std::vector<std::pair<std::string, OptionValue>>& set) {
    const OptionSchema& schema = registry.get(T::kKind, name).schema;
    Options o(schema);
    for (const auto& [k, v] : set) o.set(schema, k, v, {}, "test");
    return registry.create<T>(name, o);
  }
};

// One instance per test binary (loading every plugin once).
inline AllPlugins& all_plugins() {
  static AllPlugins p;
  return p;
}

}  // namespace biornn
