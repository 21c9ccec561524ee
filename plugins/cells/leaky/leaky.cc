// Cell `leaky`: the README's worked example of a new cell, in one file.
//   h_t = (1 - alpha) h_{t-1} + alpha * phi(W r_{t-1} + P x_t + b),   r_t = h_t
// A leaky integrator with a fixed leak alpha; it ignores the gate's z (declare no gate).
// Written forward-only (LeakyCell: one unit's step; the SDK derives the backward), with a
// hand-written forward/backward beside it as the fast path (FastLeakyCell, the default;
// backward = "derived" picks the derived one).
#include <cmath>

#include "core/sdk/derived_cell.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class LeakyCell : public DerivedCell<LeakyCell> {
 public:
  // 1. The shape of one unit's step: one state variable, one linear block, no gate.
  static constexpr int kStateVariables = 1, kBlocks = 1, kUnitParameters = 0;
  static constexpr bool kReadsGate = false;

  explicit LeakyCell(const Options& o)
      : alpha_(float(o.get_float("alpha"))), phi_(activation_from_name(o.get_string("phi"))) {}

  // 2. Parameters: named, shaped, initialised from the run's seeded generator.
  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = 1.0f / std::sqrt(float(hidden));
    fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, k, rng);
    fill_uniform(params.add("P", hidden, features, ParameterRole::kInput).raw, k, rng);
    params.add("b", 1, hidden, ParameterRole::kBias);  // zeros
  }

  // 3. The linear part, u = W r + P x + b: the engine turns it into one big GEMM. Described
  // term by term (plain copies of W, P, b), so the engine also derives its gradients.
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }

  // 4. One unit's step, for any scalar type T (float to run, dual numbers to differentiate):
  // h_t from h_{t-1} and u. The rate is the first state variable (the default firing_rate).
  template <class T>
  void step(const UnitInput<T>& u, T* h) const {
    h[0] = (1 - alpha_) * u.s_prev[0] + alpha_ * math::activate(phi_, u.pre[0]);
  }

 protected:
  float alpha_;
  Activation phi_;
};

// The same cell with its step and exact derivative written by hand on whole chunks of rows
// (vectorised): the fast path, checked against the derived one by the gradient check.
// Per-step code runs in the hot loop: scratch is thread_local and sized once (no allocation).
class FastLeakyCell : public LeakyCell {
 public:
  using LeakyCell::LeakyCell;

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
    s.d_s.array() = dh * (1 - alpha_);  // what flows on to h_{t-1}; no d_z: z is not read
  }
};

// 5. Registration: the name a graph uses, a doc line, the options with ranges.
void register_leaky(Registry* r) {
  OptionSchema schema;
  schema.add_float("alpha", 0.5, "leak per step", 0, 1, true)
      .add_string("phi", "tanh", "nonlinearity", activation_names());
  r->add<Cell>("leaky", "leaky integrator h = (1-alpha) h + alpha phi(W r + P x + b) (README example)",
               add_backward_option(schema), &make_cell_by_backward<LeakyCell, FastLeakyCell>);
}

}  // namespace
}  // namespace biornn

// 6. The one C entry point, carrying the plugin API version.
BIORNN_PLUGIN("leaky", "1.0", &biornn::register_leaky)
