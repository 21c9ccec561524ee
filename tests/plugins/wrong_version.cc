// Test plugin: claims an API version this core does not support.
#include "core/sdk/plugin_api.h"

namespace {
void register_nothing(biornn::Registry*) {}
}  // namespace

extern "C" __attribute__((visibility("default"))) const BiornnPluginInfo* biornn_plugin_entry() {
  static const BiornnPluginInfo info{BIORNN_PLUGIN_API_VERSION + 41, nullptr, "wrong_version", "0.1",
                                     &register_nothing};
  return &info;
}
