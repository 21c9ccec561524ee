// What every runner does first: load the built plugins (and --plugin-dir ones) into the registry.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "core/sdk/data_paths.h"
#include "core/experiment/plugin_loader.h"

namespace biornn {

inline void load_plugins(PluginLoader& loader, const char* argv0, const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs = default_plugin_directories(argv0);
  for (const auto& d : extra_dirs) dirs.push_back(resolve_user_path(d));
  for (const auto& d : dirs)
    for (const auto& err : loader.load_directory(d)) spdlog::warn("{}", err);
}

}  // namespace biornn
