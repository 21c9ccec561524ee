// Gate `conductance`: the varying-conductance model of the note's section 3,
//     z_t = dt * phi_z(G_b + (|W| (.) A) r_{t-1} + |P_in| x_t)
// W is the CELL's recurrent weight (found by its role, ParameterRole::kRecurrent; its effective value, after any
// constraint such as Dale's law), A the effective scaling (a `scaling` plugin, [H, H], >= 0), P_in [H, F] and G_b [1,
// H] the gate's own parameters. The block is described (block_specs()) and the engine derives the gradients:
// W gets dRec (.) A (.) sign(W), A gets dRec (.) |W|, P_in gets dIn (.) sign(P_in), where dRec, dIn are
// dLoss/d(|W| (.) A), dLoss/d|P_in|.
//
// Range of z: only phi_z = sigmoid keeps z in [0, dt] (what the rate cell's convex update
// needs: z <= 1). softplus and relu give z in [0, inf) (fine for the conductance cell, whose
// implicit update is stable for any z >= 0); tanh allows negative z and is only for
// experiments.
//
// Defaults, measured on row-wise MNIST (1 epoch, H = 128, rate cell, Adam 2e-3, constant A):
//   G_b = 0: 91.1%, -1: 93.8 / 92.8% (two seeds), -2: 92.7 / 93.9%, -3: 91.5%, -4: 90.7%;
//   with Dale on W, -2 beat -1 (90.2% vs 87.3%). Mean z at the end: 0.47 (G_b = 0), 0.26 (-2).
//   A init (constant scaling, G_b = -1): 0.5: 93.0%, 1: 93.8%, 2: 94.6% (with Dale 86.6%).
// So G_b = -2 and A = 1 are the defaults.
//
// The parameter is named P_in (not P) so it does not clash with the cell's input weight.
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/error.h"
#include "core/sdk/gate.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class ConductanceGate : public Gate {
 public:
  explicit ConductanceGate(const Options& o)
      : dt_(float(o.get_float("dt"))),
        phi_(activation_from_name(o.get_string("phi_z"))),
        g_init_(float(o.get_float("G_b"))),
        init_scale_(float(o.get_float("init_scale"))) {}

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const Parameter* w = params.find_role(ParameterRole::kRecurrent);
    if (!w)
      throw Error(
          "gate 'conductance' scales the cell's recurrent weight |W|, but this cell declares "
          "none (parameters: " +
          params.names() +
          "); use a cell with a recurrent weight "
          "such as rate or conductance");
    if (w->raw.rows() != hidden || w->raw.cols() != hidden)
      throw Error("gate 'conductance': the cell's recurrent weight '" + w->name + "' is not [H, H]");
    const float k = init_scale_ / std::sqrt(float(features));
    fill_uniform(params.add("P_in", hidden, features).raw, k, rng);
    params.add("G_b", 1, hidden).raw.setConstant(g_init_);
  }

  // One block, (|W| (.) A, |P_in|, G_b): the engine derives the gradients to W, A, P_in, G_b
  // (and the layer requires a scaling, since a term is scaled by A).
  std::vector<BlockSpec> block_specs() const override {
    return {{BlockTerm(ParameterRole::kRecurrent, Transform::kAbs).scaled_by_a(), {"P_in", Transform::kAbs}, "G_b"}};
  }

  void forward(GateForward& s) const override {
    activate(phi_, s.pre.array(), s.z.array());
    s.z.array() *= dt_;
  }

  void backward(GateBackward& s) const override {
    if (phi_ == Activation::kSigmoid) {
      // phi' = y (1 - y) with y = z / dt: no exp to recompute.
      s.d_pre.array() = s.d_z.array() * s.z.array() * (1.0f - s.z.array() * (1.0f / dt_));
      return;
    }
    thread_local ScratchArray y, dy;  // per-thread scratch: no allocation per step
    y.resize(s.z.rows(), s.z.cols());
    dy.resize(s.z.rows(), s.z.cols());
    activate(phi_, s.pre.array(), y);
    activate_derivative(phi_, s.pre.array(), y, dy);
    s.d_pre.array() = s.d_z.array() * dt_ * dy;
  }

 private:
  float dt_;
  Activation phi_;
  float g_init_, init_scale_;
};

void register_conductance(Registry* r) {
  r->add<Gate>(
      "conductance",
      "varying conductance: z = dt * phi_z(G_b + (|W| (.) A) r + |P_in| x), W the cell's recurrent "
      "weight, A from the layer's scaling",
      OptionSchema()
          .add_float("dt", 1.0, "time step: z = dt * phi_z(...) (with sigmoid z <= dt; the rate cell needs z <= 1)", 0,
                     1, true)
          .add_string("phi_z", "sigmoid",
                      "conductance nonlinearity; only sigmoid keeps z in [0, dt] (softplus, relu: z >= 0 "
                      "unbounded; tanh: z may be negative)",
                      {"sigmoid", "softplus", "relu", "tanh"})
          .add_float("G_b", -2.0,
                     "initial baseline G_b. Negative so units start slow (sigmoid(-2) = 0.12): the |W| r and "
                     "|P_in| x terms only add to it, and with G_b = 0 the input term alone holds z near 1, "
                     "erasing the state at every step (no memory)",
                     -100, 100)
          .add_float("init_scale", 1.0, "P_in starts U(-s/sqrt(F), s/sqrt(F)) (enters as |P_in|)", 0, 100),
      [](const Options& o) { return std::make_unique<ConductanceGate>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("conductance", "1.0", &biornn::register_conductance)
