// Test plugin: carries the ABI fingerprint of a build against changed interface headers
// (CellForward with one more member, see tests/plugins/BUILD) with the current API version.
#include "core/plugin_api.h"
#include "tests/plugins/changed/interface_hash.h"

namespace {
void register_nothing(biornn::Registry*) {}
struct ChangedCellForward {  // CellForward as the changed header declares it
  biornn::CellForward current;
  float added_by_a_newer_core;
};
}  // namespace

extern "C" __attribute__((visibility("default"))) const BiornnPluginInfo* biornn_plugin_entry() {
  static const BiornnAbiFingerprint abi{{uint32_t(sizeof(ChangedCellForward)), uint32_t(sizeof(biornn::CellBackward)),
                                         uint32_t(sizeof(biornn::GateForward)), uint32_t(sizeof(biornn::GateBackward)),
                                         uint32_t(sizeof(biornn::LinearBlock)), uint32_t(sizeof(biornn::Parameter)),
                                         uint32_t(sizeof(biornn::PluginInfo)), uint32_t(sizeof(BiornnPluginInfo))},
                                        CHANGED_INTERFACE_HASH};
  static const BiornnPluginInfo info{BIORNN_PLUGIN_API_VERSION, &abi, "changed_abi", "0.1", &register_nothing};
  return &info;
}
