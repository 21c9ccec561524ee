// Core's built-in plugins: the optimizers adam and sgd (core/engine/builtin_optimizers.cc).
#pragma once

#include "core/sdk/registry.h"

namespace biornn {

// Registers core's built-in plugins into `r`.
void register_builtins(Registry& r);

}  // namespace biornn
