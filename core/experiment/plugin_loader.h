// Loads plugin shared libraries with Boost.DLL and registers what they export.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/sdk/registry.h"

namespace biornn {

struct LoadedPlugin {
  std::string path;
  std::string name;
  std::string version;
};

class PluginLoader {
 public:
  explicit PluginLoader(Registry& registry);
  // Unregisters what it loaded, then unloads the libraries: keep the loader alive longer
  // than every object a plugin created, and the registry longer than the loader.
  ~PluginLoader();

  // Loads one .so. Distinct Errors, each naming the file: cannot load, no entry point,
  // wrong API version (got N, supported M), registration failed. On any error the
  // registry is left as before.
  void load(const std::string& path);
  // Loads every "*_plugin.so" under `dir` (recursively, sorted). Returns errors it
  // collected instead of throwing, so one bad file leaves the rest usable.
  std::vector<std::string> load_directory(const std::string& dir);

  const std::vector<LoadedPlugin>& loaded() const { return loaded_; }

 private:
  struct Impl;
  Registry& registry_;
  std::unique_ptr<Impl> impl_;
  std::vector<LoadedPlugin> loaded_;
};

// The plugin directories for this process: the built plugins next to the running
// binary (Bazel runfiles), then each entry of $BIORNN_PLUGIN_PATH (colon-separated), both as
// process_paths() (core/sdk/data_paths.h) read them.
// `argv0` is the program's argv[0].
std::vector<std::string> default_plugin_directories(const std::string& argv0);

}  // namespace biornn
