// The C entry point every plugin .so exports, and the macro that defines it.
#pragma once

#include "core/registry.h"

// Bumped whenever an interface in core/ changes in a way that breaks built plugins.
#define BIORNN_PLUGIN_API_VERSION 1

extern "C" {
struct BiornnPluginInfo {
  int api_version;      // BIORNN_PLUGIN_API_VERSION the plugin was built against
  const char* name;     // plugin package name, e.g. "rate"
  const char* version;  // the plugin's own version string
  void (*register_plugins)(biornn::Registry* registry);  // adds factories; may throw biornn::Error
};
}

#define BIORNN_PLUGIN_ENTRY_SYMBOL "biornn_plugin_entry"

// Defines the entry point: BIORNN_PLUGIN("rate", "1.0", &register_rate);
#define BIORNN_PLUGIN(NAME, VERSION, REGISTER_FN)                                     \
  extern "C" __attribute__((visibility("default"))) const BiornnPluginInfo*           \
  biornn_plugin_entry() {                                                             \
    static const BiornnPluginInfo info{BIORNN_PLUGIN_API_VERSION, NAME, VERSION,      \
                                       REGISTER_FN};                                   \
    return &info;                                                                     \
  }
