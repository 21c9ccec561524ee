// Cell `leaky`: the README's worked example of a new cell, in one file.
//   h_t = (1 - alpha) h_{t-1} + alpha * phi(W r_{t-1} + P x_t + b),   r_t = h_t
// A leaky integrator with a fixed leak alpha; it ignores the gate's z (declare no gate).
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class LeakyCell : public StepCell {
 public:
  explicit LeakyCell(const Options& o)
      : alpha_(float(o.get_float("alpha"))), phi_(activation_from_name(o.get_string("phi"))) {}

  bool reads_gate() const override { return false; }  // no gate: declare the layer without one

  // 1. Parameters: named, shaped, initialised from the run's seeded generator.
  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = 1.0f / std::sqrt(float(hidden));
    fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, k, rng);
    fill_uniform(params.add("P", hidden, features, ParameterRole::kInput).raw, k, rng);
    params.add("b", 1, hidden, ParameterRole::kBias);  // zeros
  }

  // 2. The linear part, u = W r + P x + b: the engine turns it into one big GEMM. Described
  // term by term (plain copies of W, P, b), so the engine also derives its gradients.
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }

  // 3. The elementwise step and its exact derivative (checked by the shared gradient check).
  // Per-step code runs in the hot loop: scratch is thread_local and sized once (no allocation).
  void forward(CellForward& s) const override {
    thread_local ScratchArray y;
    y.resize(s.pre.rows(), s.pre.cols());
    activate(phi_, s.pre.array(), y);
    s.s.array() = (1 - alpha_) * s.s_prev.array() + alpha_ * y;
    s.r = s.s;
  }
  void backward(CellBackward& s) const override {
    thread_local ScratchArray y, dy, dh;
    y.resize(s.pre.rows(), s.pre.cols());
    dy.resize(s.pre.rows(), s.pre.cols());
    activate(phi_, s.pre.array(), y);
    activate_derivative(phi_, s.pre.array(), y, dy);
    dh = s.d_r.array() + s.d_s.array();  // everything that reaches h_t
    s.d_pre.array() = dh * alpha_ * dy;
    s.d_z.setZero();                    // z is not used
    s.d_s.array() = dh * (1 - alpha_);  // what flows on to h_{t-1}
  }

 private:
  float alpha_;
  Activation phi_;
};

// 4. Registration: the name a graph uses, a doc line, the options with ranges.
void register_leaky(Registry* r) {
  r->add<Cell>("leaky", "leaky integrator h = (1-alpha) h + alpha phi(W r + P x + b) (README example)",
               OptionSchema()
                   .add_float("alpha", 0.5, "leak per step", 0, 1, true)
                   .add_string("phi", "tanh", "nonlinearity", activation_names()),
               [](const Options& o) { return std::make_unique<LeakyCell>(o); });
}

}  // namespace
}  // namespace biornn

// 5. The one C entry point, carrying the plugin API version.
BIORNN_PLUGIN("leaky", "1.0", &biornn::register_leaky)
