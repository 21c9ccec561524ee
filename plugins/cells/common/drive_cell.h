// The part the `rate` and `vanilla` cells share: a step cell driven by u = W r + P x + b, with
// W [H, H] (recurrent), P [H, F] (input) and b [1, H] (bias) starting U(-k, k), k = s / sqrt(H),
// and its nonlinearity phi; the options `phi` and `init_scale` that set them.
#pragma once

#include <cmath>
#include <vector>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/options.h"

namespace biornn {

class DriveCell : public StepCell {
 public:
  explicit DriveCell(const Options& o)
      : phi_(activation_from_name(o.get_string("phi"))), init_scale_(float(o.get_float("init_scale"))) {}

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, k, rng);
    fill_uniform(params.add("P", hidden, features, ParameterRole::kInput).raw, k, rng);
    fill_uniform(params.add("b", 1, hidden, ParameterRole::kBias).raw, k, rng);
  }

  // u = W r + P x + b, plain copies of the parameters (the engine derives their gradients).
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }

 protected:
  Activation phi_;
  float init_scale_;
};

// phi (one of activation_names(), default tanh) and init_scale (s above, default 1).
inline OptionSchema drive_cell_options() {
  return OptionSchema()
      .add_string("phi", "tanh", "nonlinearity", activation_names())
      .add_float("init_scale", 1.0, "W, P, b start U(-s/sqrt(H), s/sqrt(H))", 0, 100);
}

}  // namespace biornn
