// The registry a Python process works with: the built-in plugins, every *_plugin.so under the
// given directories, and the python_task dataset. Graphs and models hold a shared_ptr to it, so
// the plugin libraries stay loaded while anything they created lives.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/experiment/plugin_loader.h"
#include "core/sdk/registry.h"

namespace biornn::python {

class Session {
 public:
  explicit Session(const std::vector<std::string>& plugin_directories);
  const Registry& registry() const { return registry_; }
  const PluginLoader& loader() const { return *loader_; }
  // One line per plugin file that could not be loaded (the others are usable).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Registry registry_;  // before the loader: it outlives it
  std::unique_ptr<PluginLoader> loader_;
  std::vector<std::string> warnings_;
};

}  // namespace biornn::python
