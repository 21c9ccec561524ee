// Test plugin: an ordinary plugin compiled against changed interface headers (CellForward
// with one member more, and the hash of the headers with that change: tests/plugins/BUILD
// makes the copies) and the current API version, so the loader refuses it by its ABI
// fingerprint alone.
#include <type_traits>

#include "tests/plugins/changed/core/sdk/plugin_api.h"

static_assert(std::is_same_v<decltype(biornn::CellForward::added_by_a_newer_core), float>,
              "changed_abi.cc must see the changed copy of core/sdk/cell.h, not core's own");

namespace {
void register_nothing(biornn::Registry*) {}
}  // namespace

BIORNN_PLUGIN("changed_abi", "0.1", &register_nothing)
