// Cell `adaptive_rate`: a gated rate cell with spike-frequency adaptation, the worked
// example of a cell with two state variables per unit and per-unit learnable parameters.
//
//   h_t = (1 - z_t) h_{t-1} + z_t phi(W r_{t-1} + P x_t + b - a_{t-1})     rate
//   a_t = a_{t-1} + (beta h_t - a_{t-1}) / tau_a                            adaptation current
//   r_t = h_t
// A unit that keeps firing builds up a, which lowers its own drive: its rate adapts.
// Per unit, learnable: tau_a = 1 + exp(log_tau_a) (steps, > 1) and beta = exp(log_beta) >= 0.
// State s = [h | a] ([b, 2H]); the rate is the first state variable (the default firing_rate).
// Written forward-only (AdaptiveRateCell: one unit's step; the SDK derives the backward), with
// a hand-written forward/backward beside it as the fast path (FastAdaptiveRateCell, the
// default; backward = "derived" picks the derived one).
#include <cmath>

#include "core/sdk/derived_cell.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class AdaptiveRateCell : public DerivedCell<AdaptiveRateCell> {
 public:
  // One unit: state [h, a], one linear block u, the gate's z, per-unit log_tau_a and log_beta.
  static constexpr int kStateVariables = 2, kBlocks = 1, kUnitParameters = 2;
  static constexpr bool kReadsGate = true;  // z = 1 without a gate

  explicit AdaptiveRateCell(const Options& o)
      : phi_(activation_from_name(o.get_string("phi"))),
        tau_a_(float(o.get_float("tau_a"))),
        beta_(float(o.get_float("beta"))) {}

  std::vector<std::string> unit_parameters() const override { return {"log_tau_a", "log_beta"}; }

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = 1.0f / std::sqrt(float(hidden));
    fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, k, rng);
    fill_uniform(params.add("P", hidden, features, ParameterRole::kInput).raw, k, rng);
    params.add("b", 1, hidden, ParameterRole::kBias);
    params.add("log_tau_a", 1, hidden).raw.setConstant(std::log(tau_a_ - 1.0f));
    params.add("log_beta", 1, hidden).raw.setConstant(std::log(beta_));
  }

  // u = W r + P x + b, plain copies of the parameters (the engine derives their gradients).
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }

  // One unit's step, for any scalar type T (float to run, dual numbers to differentiate).
  template <class T>
  void step(const UnitInput<T>& u, T* s) const {
    const T h_prev = u.s_prev[0], a_prev = u.s_prev[1];
    const T alpha = 1 / (1 + math::exp(u.unit[0])), beta = math::exp(u.unit[1]);  // 1 / tau_a, beta
    const T h = h_prev + u.z * (math::activate(phi_, u.pre[0] - a_prev) - h_prev);
    s[0] = h;
    s[1] = a_prev + (beta * h - a_prev) * alpha;
  }

 protected:
  Activation phi_;
  float tau_a_, beta_;
};

// The same cell with its step and exact derivative written by hand on whole chunks of rows
// (vectorised): the fast path, checked against the derived one by the gradient check.
class FastAdaptiveRateCell : public AdaptiveRateCell {
 public:
  using AdaptiveRateCell::AdaptiveRateCell;

  void forward(CellForward& s) const override {
    const int h = int(s.z.cols());
    Scratch& m = scratch(int(s.z.rows()), h);
    unit_constants(s.unit, m);
    const auto h_prev = s.s_prev.leftCols(h).array(), a_prev = s.s_prev.rightCols(h).array();
    m.v = s.pre.array() - a_prev;
    activate(phi_, m.v, m.y);
    s.s.leftCols(h).array() = h_prev + s.z.array() * (m.y - h_prev);
    const auto h_now = s.s.leftCols(h).array();
    s.s.rightCols(h).array() = a_prev + (h_now.rowwise() * m.beta - a_prev).rowwise() * m.alpha;
    s.r = s.s.leftCols(h);
  }

  void backward(CellBackward& s) const override {
    const int h = int(s.z.cols());
    Scratch& m = scratch(int(s.z.rows()), h);
    unit_constants(s.unit, m);
    const auto h_prev = s.s_prev.leftCols(h).array(), a_prev = s.s_prev.rightCols(h).array();
    const auto h_now = s.s.leftCols(h).array();
    m.v = s.pre.array() - a_prev;
    activate(phi_, m.v, m.y);
    activate_derivative(phi_, m.v, m.y, m.dy);
    const auto da = s.d_s.rightCols(h).array();  // dLoss/d a_t through step t+1
    // Per-unit parameters: a_t depends on alpha = 1/tau_a and beta.
    // d alpha / d log_tau_a = -alpha (1 - alpha); d beta / d log_beta = beta.
    s.d_unit.leftCols(h).array() = (da * (h_now.rowwise() * m.beta - a_prev)).rowwise() * (-m.alpha * (1.0f - m.alpha));
    s.d_unit.rightCols(h).array() = (da * h_now).rowwise() * (m.alpha * m.beta);
    // Everything that reaches h_t: the rate, h_{t+1}, and a_t = ... + alpha beta h_t.
    m.dh = s.d_r.array() + s.d_s.leftCols(h).array() + da.rowwise() * (m.alpha * m.beta);
    m.dy *= m.dh * s.z.array();  // dLoss/d v, v = pre - a_{t-1}
    s.d_z.array() = m.dh * (m.y - h_prev);
    s.d_pre.array() = m.dy;
    s.d_s.rightCols(h).array() = da.rowwise() * (1.0f - m.alpha) - m.dy;
    s.d_s.leftCols(h).array() = m.dh * (1.0f - s.z.array());
  }

 private:
  // Per-thread scratch, sized once: forward/backward allocate nothing per step.
  struct Scratch {
    ScratchArray v, y, dy, dh;
    Eigen::Array<float, 1, Eigen::Dynamic> alpha, beta;
  };
  static Scratch& scratch(int rows, int h) {
    thread_local Scratch m;
    for (ScratchArray* a : {&m.v, &m.y, &m.dy, &m.dh}) a->resize(rows, h);
    m.alpha.resize(h);
    m.beta.resize(h);
    return m;
  }
  // alpha = 1 / tau_a = 1 / (1 + exp(log_tau_a)), beta = exp(log_beta), from the unit rows.
  static void unit_constants(const ConstMatrixMap& unit, Scratch& m) {
    m.alpha = 1.0f / (1.0f + unit.row(0).array().exp());
    m.beta = unit.row(1).array().exp();
  }
};

void register_adaptive_rate(Registry* r) {
  OptionSchema schema;
  schema.add_string("phi", "tanh", "nonlinearity (softplus/relu keep rates >= 0)", activation_names())
      .add_float("tau_a", 5.0, "initial adaptation time constant, in steps (> 1)", 1.0, 1e6, true)
      .add_float("beta", 0.5, "initial adaptation strength (> 0)", 0.0, 1e3, true);
  r->add<Cell>("adaptive_rate",
               "rate cell with spike-frequency adaptation: h = (1-z) h + z phi(W r + P x + b - a), "
               "a += (beta h - a) / tau_a, r = h (two state variables per unit; tau_a, beta learnable per unit)",
               add_backward_option(schema), &make_cell_by_backward<AdaptiveRateCell, FastAdaptiveRateCell>);
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("adaptive_rate", "1.0", &biornn::register_adaptive_rate)
