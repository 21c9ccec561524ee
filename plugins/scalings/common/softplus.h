// The parametrisation every scaling plugin uses to keep A >= 0, and their shared options.
//
// A = softplus(A_raw) = log(1 + exp(A_raw)): smooth, never exactly 0, and its gradient
// sigmoid(A_raw) fades as A -> 0 instead of bouncing off 0 (as a clip would).
#pragma once

#include <algorithm>
#include <cmath>

#include "core/sdk/options.h"

namespace biornn::scaling {

inline float softplus(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::abs(x))); }
// d softplus / dx at x.
inline float softplus_grad(float x) { return 1.0f / (1.0f + std::exp(-x)); }
// The A_raw whose softplus is y (y > 0).
inline float softplus_inverse(float y) { return y > 20.0f ? y : std::log(std::expm1(y)); }

// `learnable` and `init`, the options of every scaling whose entries all start at one value.
inline OptionSchema schema() {
  return OptionSchema()
      .add_bool("learnable", true, "train A (false: A stays at init)")
      .add_float("init", 1.0, "initial value of every A entry (A = softplus(A_raw), A_raw = softplus^-1(init))", 0, 1e6,
                 true);
}

}  // namespace biornn::scaling
