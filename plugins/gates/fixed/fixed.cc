// Gate `fixed`: the fixed-conductance model, z = dt * sigmoid(G_b), per unit and constant in time.
#include "core/sdk/gate.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class FixedGate : public Gate {
 public:
  explicit FixedGate(const Options& o)
      : dt_(float(o.get_float("dt"))), g_init_(float(o.get_float("G_b"))), learnable_(o.get_bool("learnable")) {}

  void create_parameters(ParameterSet& params, int hidden, int, Rng&) override {
    Parameter& g = params.add("G_b", 1, hidden);
    g.raw.setConstant(g_init_);
    g.trainable = learnable_;
  }

  // One bias-only block: pre = G_b at every step.
  std::vector<BlockSpec> block_specs() const override { return {{{}, {}, "G_b"}}; }

  void forward(GateForward& s) const override { s.z.array() = dt_ / (1.0f + (-s.pre.array()).exp()); }

  void backward(GateBackward& s) const override {
    // z = dt * sigma(G_b): dz/dG_b = dt * sigma (1 - sigma) = z (1 - z / dt).
    s.d_pre.array() = s.d_z.array() * s.z.array() * (1.0f - s.z.array() / dt_);
  }

 private:
  float dt_, g_init_;
  bool learnable_;
};

void register_fixed(Registry* r) {
  r->add<Gate>("fixed", "fixed conductance: z = dt * sigmoid(G_b), one value per unit, constant in time",
               OptionSchema()
                   .add_float("dt", 1.0, "time step (z is at most dt)", 0, 1, true)
                   .add_float("G_b", 0.0, "initial G_b (0: z = dt/2)")
                   .add_bool("learnable", true, "train G_b (false: keep it at its initial value)"),
               [](const Options& o) { return std::make_unique<FixedGate>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("fixed", "1.0", &biornn::register_fixed)
