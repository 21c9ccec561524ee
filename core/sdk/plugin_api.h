// The C entry point every plugin .so exports, the ABI fingerprint both sides carry, and the
// macro that defines the entry point.
#pragma once

#include <cstdint>

#include "core/sdk/cell.h"
#include "core/sdk/gate.h"
#include "core/sdk/interface_hash.h"  // generated at build time (core/BUILD :interface_hash)
#include "core/sdk/registry.h"

// Bumped whenever an interface in core/ changes in a way that breaks built plugins. The ABI
// fingerprint below catches the changes nobody bumped it for.
#define BIORNN_PLUGIN_API_VERSION 2

extern "C" {
// What a plugin was compiled against: the sizes of the structs that cross the boundary and
// a hash of the interface headers (core/BUILD INTERFACE_HEADERS), computed at build time.
struct BiornnAbiFingerprint {
  uint32_t sizes[8];        // see BIORNN_ABI_SIZES for the order
  char interface_hash[17];  // 16 hex digits of sha256 over the interface headers
};

struct BiornnPluginInfo {
  int api_version;  // BIORNN_PLUGIN_API_VERSION; FIRST, the loader reads nothing else before it
  const BiornnAbiFingerprint* abi;
  const char* name;                                      // plugin package name, e.g. "rate"
  const char* version;                                   // the plugin's own version string
  void (*register_plugins)(biornn::Registry* registry);  // adds factories; may throw biornn::Error
};
}

// The interface structs' sizes as this translation unit sees them.
#define BIORNN_ABI_SIZES                                                               \
  {                                                                                    \
    uint32_t(sizeof(biornn::CellForward)), uint32_t(sizeof(biornn::CellBackward)),     \
        uint32_t(sizeof(biornn::GateForward)), uint32_t(sizeof(biornn::GateBackward)), \
        uint32_t(sizeof(biornn::LinearBlock)), uint32_t(sizeof(biornn::Parameter)),    \
        uint32_t(sizeof(biornn::PluginInfo)), uint32_t(sizeof(BiornnPluginInfo))       \
  }

#define BIORNN_PLUGIN_ENTRY_SYMBOL "biornn_plugin_entry"

// Defines the entry point: BIORNN_PLUGIN("rate", "1.0", &register_rate);
#define BIORNN_PLUGIN(NAME, VERSION, REGISTER_FN)                                                    \
  extern "C" __attribute__((visibility("default"))) const BiornnPluginInfo* biornn_plugin_entry() {  \
    static const BiornnAbiFingerprint abi{BIORNN_ABI_SIZES, BIORNN_INTERFACE_HASH};                  \
    static const BiornnPluginInfo info{BIORNN_PLUGIN_API_VERSION, &abi, NAME, VERSION, REGISTER_FN}; \
    return &info;                                                                                    \
  }

namespace biornn {
// The fingerprint core itself was built with, and one as text: "sizes 96/128/... headers 1a2b...".
const BiornnAbiFingerprint& core_abi_fingerprint();
std::string describe(const BiornnAbiFingerprint& abi);
}  // namespace biornn
