// The part the `rate` and `vanilla` cells share: a step cell driven by u = W r + P x + b, with
// W [H, H] (recurrent), P [H, F] (input) and b [1, H] (bias) starting U(-k, k), k = s / sqrt(H),
// (P optionally N(0, s^2/F)) and its nonlinearity phi; the options that set them.
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
      : phi_(activation_from_name(o.get_string("phi"))),
        init_scale_(float(o.get_float("init_scale"))),
        fan_in_input_(o.get_string("input_init") == "normal_fan_in") {}

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, k, rng);
    Matrix& p = params.add("P", hidden, features, ParameterRole::kInput).raw;
    if (fan_in_input_)
      fill_normal(p, init_scale_ / std::sqrt(float(features)), rng);
    else
      fill_uniform(p, k, rng);
    fill_uniform(params.add("b", 1, hidden, ParameterRole::kBias).raw, k, rng);
  }

  // u = W r + P x + b, plain copies of the parameters (the engine derives their gradients).
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }

 protected:
  Activation phi_;
  float init_scale_;
  bool fan_in_input_;
};

// phi (one of activation_names(), default tanh), init_scale (s above, default 1) and
// input_init (P as the others, or N(0, s^2/F): variance 1/fan-in, the usual feed-forward start).
inline OptionSchema drive_cell_options() {
  return OptionSchema()
      .add_string("phi", "tanh", "nonlinearity", activation_names())
      .add_float("init_scale", 1.0, "W, P, b start U(-s/sqrt(H), s/sqrt(H))", 0, 100)
      .add_string("input_init", "uniform_h",
                  "input weights P: U(-s/sqrt(H), s/sqrt(H)) like the others (as nn.GRU), or N(0, s^2/F) "
                  "(normal_fan_in: variance 1/fan-in, the usual feed-forward init)",
                  {"uniform_h", "normal_fan_in"});
}

}  // namespace biornn
