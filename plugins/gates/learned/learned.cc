// Gate `learned`: the simple GRU's update gate, z_t = sigmoid(W_z r_{t-1} + P_z x_t + b_z).
#include <cmath>

#include "core/sdk/gate.h"
#include "core/sdk/packet.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class LearnedGate : public Gate {
 public:
  explicit LearnedGate(const Options& o)
      : bias_init_(float(o.get_float("bias_init"))),
        init_scale_(float(o.get_float("init_scale"))),
        fan_in_input_(o.get_string("input_init") == "normal_fan_in") {}

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W_z", hidden, hidden).raw, k, rng);
    Matrix& p = params.add("P_z", hidden, features).raw;
    if (fan_in_input_)
      fill_normal(p, init_scale_ / std::sqrt(float(features)), rng);
    else
      fill_uniform(p, k, rng);
    params.add("b_z", 1, hidden).raw.setConstant(bias_init_);
  }

  // u_z = W_z r + P_z x + b_z, plain copies (the engine derives their gradients).
  std::vector<BlockSpec> block_specs() const override { return {{"W_z", "P_z", "b_z"}}; }

  void forward(GateForward& s) const override {
    simd::for_each_packet(int(s.z.rows()), int(s.z.cols()), [&](int i, int j, int n) {
      simd::store(simd::at(s.z, i, j), simd::sigmoid(simd::load(simd::at(s.pre, i, j), n)), n);
    });
  }

  void backward(GateBackward& s) const override {
    simd::for_each_packet(int(s.z.rows()), int(s.z.cols()), [&](int i, int j, int n) {
      const simd::Packet z = simd::load(simd::at(s.z, i, j), n);
      simd::store(simd::at(s.d_pre, i, j),
                  simd::mul(simd::mul(simd::load(simd::at(s.d_z, i, j), n), z), simd::sub(simd::set1(1.0f), z)), n);
    });
  }

 private:
  float bias_init_, init_scale_;
  bool fan_in_input_;
};

void register_learned(Registry* r) {
  r->add<Gate>("learned", "simple GRU update gate: z = sigmoid(W_z r + P_z x + b_z)",
               OptionSchema()
                   .add_float("bias_init", 0.0, "initial b_z (negative: slower units, longer memory)")
                   .add_float("init_scale", 1.0, "W_z, P_z start U(-s/sqrt(H), s/sqrt(H))", 0, 100)
                   .add_string("input_init", "uniform_h",
                               "P_z: U(-s/sqrt(H), s/sqrt(H)) like W_z, or N(0, s^2/F) (normal_fan_in)",
                               {"uniform_h", "normal_fan_in"}),
               [](const Options& o) { return std::make_unique<LearnedGate>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("learned", "1.0", &biornn::register_learned)
