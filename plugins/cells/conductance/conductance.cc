// Cell `conductance`: the voltage cell of the note's section 2, integrated with implicit Euler.
//
// Plain form (reversal = false), one linear block u_t = W r_{t-1} + P x_t + b:
//     V_t = (V_{t-1} + dt * u_t) / (1 + dt * z_t),        r_t = phi(V_t)
// i.e. dV/dt = -z V + u with the leak z V taken at t (implicit) and the drive at t-1's rates.
// z_t is the gate's total conductance, read as max(z_t, 0): a gate with phi_z = tanh gives
// z down to -dt_gate, and 1 + dt z would reach 0 (a division by zero). Without a gate z = 1. Note that the
// conductance and fixed gates already multiply by their own dt (z = dt_gate * phi_z(...));
// when they feed this cell, leave one of the two dt's at 1 unless you want their product.
//
// Reversal-potential form (reversal = true), three linear blocks:
//     g_E = W+ r_{t-1},  g_I = W- r_{t-1},  I = P x_t + b,
//     W+ = max(W, 0), W- = max(-W, 0)  (elementwise)
// and, with reversal_scheme = "implicit" (the default; conductances taken at t like the leak):
//     V_t = (V_{t-1} + dt * (g_E E_E + g_I E_I + I)) / (1 + dt * (z_t + g_E + g_I))
// or, with reversal_scheme = "explicit" (synaptic drive at V_{t-1}, only z implicit):
//     V_t = (V_{t-1} + dt * (g_E (E_E - V_{t-1}) + g_I (E_I - V_{t-1}) + I)) / (1 + dt * z_t)
// Both discretise dV/dt = -z V + g_E (E_E - V) + g_I (E_I - V) + I. The implicit one is
// stable for any dt and conductances >= 0 (V_t is a weighted mean of V_{t-1}, E_E, E_I and
// the input); the explicit one multiplies V_{t-1} by (1 - dt (g_E + g_I)) / (1 + dt z) and
// oscillates or diverges once dt (g_E + g_I) > 2 + dt z. Measured on row-wise MNIST, one
// epoch, H = 128, fixed gate, Dale on W: with sigmoid rates and the Dale default spectral
// radius 1, g_E + g_I ~ 7 at initialisation and the explicit scheme did not learn at all
// (9.8%), the implicit one barely (25.6%). What worked: phi = relu with Dale
// spectral_radius = 0.3 (implicit 83.6%, explicit 81.4%; radius 1: implicit 68.8%).
// Conductances scale with |W|, so keep W small for this form.
// Which synapses are excitatory is read off the sign of the effective W: with a `dale`
// constraint on W (W_eff = |W_raw| s_j) W+ is exactly |W| on the excitatory (presynaptic)
// columns and W- exactly |W| on the inhibitory ones, so no core change is needed; without
// a Dale constraint each synapse's own sign decides its type. Conductances are only >= 0
// when rates are: use phi = sigmoid, softplus or relu with reversal = true (with tanh,
// negative rates give negative conductances and the implicit denominator may vanish).
//
// State s = V, rate r = phi(V); V_0 = 0 and r_0 = phi(0).
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

// z is a conductance: a gate whose phi_z goes negative (tanh saturates at -1) would make
// 1 + dt z zero or negative, so the cell reads max(z, 0) (d/dz = 0 below 0).
auto conductance(const ConstMatrixMap& z) { return z.array().max(0.0f); }
auto conducts(const ConstMatrixMap& z) { return (z.array() > 0.0f).cast<float>(); }

class ConductanceCell : public StepCell {
 public:
  explicit ConductanceCell(const Options& o)
      : phi_(activation_from_name(o.get_string("phi"))),
        dt_(float(o.get_float("dt"))),
        init_scale_(float(o.get_float("init_scale"))),
        reversal_(o.get_bool("reversal")),
        e_e_(float(o.get_float("E_E"))),
        e_i_(float(o.get_float("E_I"))),
        implicit_(o.get_string("reversal_scheme") == "implicit") {}

  bool reads_gate() const override { return true; }

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, k, rng);
    fill_uniform(params.add("P", hidden, features, ParameterRole::kInput).raw, k, rng);
    fill_uniform(params.add("b", 1, hidden, ParameterRole::kBias).raw, k, rng);
  }

  // Plain: block 0 = (W, P, b). Reversal: block 0 = W+ (g_E), block 1 = W- (g_I),
  // block 2 = (P, b) (recurrent blocks first, so the per-step GEMM is only 2H wide).
  // The engine derives the gradients: W gets g_0 (.) [W > 0] - g_1 (.) [W < 0] in the reversal form.
  std::vector<BlockSpec> block_specs() const override {
    if (!reversal_) return {{"W", "P", "b"}};
    return {{{"W", Transform::kPositivePart}}, {{"W", Transform::kNegativePart}}, {{}, "P", "b"}};
  }

  // r = phi(V) (V_0 = 0, the default initial(), so r_0 = phi(0)).
  void rate(ConstMatrixMap s, MatrixMap r) const override { activate(phi_, s.array(), r.array()); }
  void rate_backward(ConstMatrixMap s, ConstMatrixMap r, ConstMatrixMap d_r, MatrixMap d_s) const override {
    thread_local ScratchArray dphi;
    dphi.resize(s.rows(), s.cols());
    activate_derivative(phi_, s.array(), r.array(), dphi);
    d_s.array() += d_r.array() * dphi;
  }

  void forward(CellForward& s) const override {
    const int h = int(s.z.cols());
    const auto a = 1.0f + dt_ * conductance(s.z);  // 1 + dt z, >= 1
    if (!reversal_) {
      s.s.array() = (s.s_prev.array() + dt_ * s.pre.array()) / a;
    } else {
      const auto vp = s.s_prev.array();
      const auto ge = s.pre.leftCols(h).array(), gi = s.pre.middleCols(h, h).array(),
                 in = s.pre.middleCols(2 * h, h).array();
      if (implicit_)
        s.s.array() = (vp + dt_ * (ge * e_e_ + gi * e_i_ + in)) / (a + dt_ * (ge + gi));
      else
        s.s.array() = (vp + dt_ * (ge * (e_e_ - vp) + gi * (e_i_ - vp) + in)) / a;
    }
    activate(phi_, s.s.array(), s.r.array());
  }

  void backward(CellBackward& s) const override {
    const int b = int(s.z.rows()), h = int(s.z.cols());
    thread_local ScratchArray dv, dnum;  // per-thread scratch: no allocation per step
    dv.resize(b, h);
    activate_derivative(phi_, s.s.array(), s.r.array(), dv);
    dv = s.d_s.array() + s.d_r.array() * dv;  // dLoss/dV_t
    if (!reversal_) {
      // V = num / a, num = V_{t-1} + dt u, a = 1 + dt z.
      dnum = dv / (1.0f + dt_ * conductance(s.z));
      s.d_z.array() = -dnum * s.s.array() * dt_ * conducts(s.z);
      s.d_pre.array() = dnum * dt_;
      s.d_s.array() = dnum;
      return;
    }
    const auto v = s.s.array(), vp = s.s_prev.array();
    const auto ge = s.pre.leftCols(h).array(), gi = s.pre.middleCols(h, h).array();
    if (implicit_) {
      // V = num / den, num = V_{t-1} + dt (g_E E_E + g_I E_I + I), den = 1 + dt (z + g_E + g_I):
      // d/d g_E = dt (E_E - V) / den, d/d g_I = dt (E_I - V) / den, d/dz = -dt V / den.
      dnum = dv / (1.0f + dt_ * (conductance(s.z) + ge + gi));
      s.d_z.array() = -dnum * v * dt_ * conducts(s.z);
      s.d_pre.leftCols(h).array() = dnum * dt_ * (e_e_ - v);
      s.d_pre.middleCols(h, h).array() = dnum * dt_ * (e_i_ - v);
      s.d_pre.middleCols(2 * h, h).array() = dnum * dt_;
      s.d_s.array() = dnum;
      return;
    }
    // V = num / a, num = V_{t-1} + dt (g_E (E_E - V_{t-1}) + g_I (E_I - V_{t-1}) + I).
    dnum = dv / (1.0f + dt_ * conductance(s.z));
    s.d_z.array() = -dnum * v * dt_ * conducts(s.z);
    s.d_pre.leftCols(h).array() = dnum * dt_ * (e_e_ - vp);
    s.d_pre.middleCols(h, h).array() = dnum * dt_ * (e_i_ - vp);
    s.d_pre.middleCols(2 * h, h).array() = dnum * dt_;
    s.d_s.array() = dnum * (1.0f - dt_ * (ge + gi));
  }

 private:
  Activation phi_;
  float dt_, init_scale_;
  bool reversal_;
  float e_e_, e_i_;
  bool implicit_;
};

void register_conductance(Registry* r) {
  r->add<Cell>(
      "conductance",
      "voltage cell, implicit Euler: V = (V + dt (W r + P x + b)) / (1 + dt z), r = phi(V); "
      "optional reversal-potential drive g_E (E_E - V) + g_I (E_I - V)",
      OptionSchema()
          .add_float("dt", 1.0, "integration time step (the leak/gate term z is implicit, so any dt > 0 is stable)", 0,
                     100, true)
          .add_string("phi", "tanh",
                      "rate nonlinearity r = phi(V) (with reversal = true use sigmoid, "
                      "softplus or relu so conductances stay >= 0)",
                      activation_names())
          .add_float("init_scale", 1.0, "W, P, b start U(-s/sqrt(H), s/sqrt(H))", 0, 100)
          .add_bool("reversal", false,
                    "reversal-potential form: recurrent drive g_E (E_E - V) + g_I (E_I - V) with "
                    "g_E = max(W,0) r, g_I = max(-W,0) r (W's sign gives the synapse type; use a dale "
                    "constraint on W for per-sender types)")
          .add_string(
              "reversal_scheme", "implicit",
              "implicit: conductances at t, V = (V + dt (g_E E_E + g_I E_I + I)) / (1 + dt (z + g_E + g_I)), "
              "stable for any dt; explicit: drive g (E - V) at V_{t-1}, unstable once dt (g_E + g_I) > 2 + dt z",
              {"implicit", "explicit"})
          .add_float("E_E", 1.0, "excitatory reversal potential (reversal = true only)", -100, 100)
          .add_float("E_I", -1.0, "inhibitory reversal potential (reversal = true only)", -100, 100),
      [](const Options& o) { return std::make_unique<ConductanceCell>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("conductance", "1.0", &biornn::register_conductance)
