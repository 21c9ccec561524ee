// Cell `rate`: the gated rate cell, h_t = (1 - z_t) h_{t-1} + z_t phi(W r_{t-1} + P x_t + b), r_t = h_t.
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class RateCell : public StepCell {
 public:
  explicit RateCell(const Options& o)
      : phi_(activation_from_name(o.get_string("phi"))),
        init_scale_(float(o.get_float("init_scale"))),
        fan_in_input_(o.get_string("input_init") == "normal_fan_in") {}

  bool reads_gate() const override { return true; }

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

  void forward(CellForward& s) const override {
    thread_local ScratchArray y;  // per-thread scratch: no allocation per step
    y.resize(s.z.rows(), s.z.cols());
    activate(phi_, s.pre.array(), y);
    s.s.array() = s.s_prev.array() + s.z.array() * (y - s.s_prev.array());
    s.r = s.s;
  }

  void backward(CellBackward& s) const override {
    thread_local ScratchArray y, dy;
    y.resize(s.z.rows(), s.z.cols());
    dy.resize(s.z.rows(), s.z.cols());
    activate(phi_, s.pre.array(), y);
    activate_derivative(phi_, s.pre.array(), y, dy);
    // dh = d_r + d_s (everything that reaches h_t), kept in dy's place to avoid a buffer.
    dy *= s.d_r.array() + s.d_s.array();  // dy = dh * phi'
    s.d_z.array() = (s.d_r.array() + s.d_s.array()) * (y - s.s_prev.array());
    s.d_s.array() = (s.d_r.array() + s.d_s.array()) * (1.0f - s.z.array());
    s.d_pre.array() = dy * s.z.array();
  }

 private:
  Activation phi_;
  float init_scale_;
  bool fan_in_input_;
};

void register_rate(Registry* r) {
  r->add<Cell>("rate",
               "gated rate cell: h = (1-z) h + z phi(W r + P x + b), r = h (z = 1: vanilla RNN; "
               "learned z: update-gate-only GRU)",
               OptionSchema()
                   .add_string("phi", "tanh", "nonlinearity", activation_names())
                   .add_float("init_scale", 1.0, "weights start U(-s/sqrt(H), s/sqrt(H))", 0, 100)
                   .add_string("input_init", "uniform_h",
                               "input weights P: U(-s/sqrt(H), s/sqrt(H)) like the others (as nn.GRU), or "
                               "N(0, s^2/F) (normal_fan_in: variance 1/fan-in, the usual feed-forward init)",
                               {"uniform_h", "normal_fan_in"}),
               [](const Options& o) { return std::make_unique<RateCell>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("rate", "1.0", &biornn::register_rate)
