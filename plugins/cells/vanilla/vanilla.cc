// Cell `vanilla`: the plain (Elman) RNN, h_t = phi(W h_{t-1} + P x_t + b), r_t = h_t.
//
// The gate value z_t is ignored (dLoss/dz = 0): pairing this cell with a gate only adds
// parameters that never receive a gradient, so declare the layer without a gate. (The
// `rate` cell with no gate computes the same model; this cell exists so a graph can say
// "vanilla" and so that no gate machinery is involved at all.)
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class VanillaCell : public StepCell {
 public:
  explicit VanillaCell(const Options& o)
      : phi_(activation_from_name(o.get_string("phi"))), init_scale_(float(o.get_float("init_scale"))) {}

  bool reads_gate() const override { return false; }

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, k, rng);
    fill_uniform(params.add("P", hidden, features, ParameterRole::kInput).raw, k, rng);
    fill_uniform(params.add("b", 1, hidden, ParameterRole::kBias).raw, k, rng);
  }

  // u = W r + P x + b, plain copies of the parameters (the engine derives their gradients).
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }

  // r_0 = h_0 = 0 (the default initial()).
  void forward(CellForward& s) const override {
    activate(phi_, s.pre.array(), s.s.array());
    s.r = s.s;
  }

  void backward(CellBackward& s) const override {
    // h_t depends on h_{t-1} only through the drive (W r_{t-1}), which the engine
    // differentiates: nothing flows through the state itself, d_s_{t-1} = 0.
    const int b = int(s.z.rows()), h = int(s.z.cols());
    thread_local ScratchArray dy;  // per-thread scratch: no allocation per step
    dy.resize(b, h);
    activate_derivative(phi_, s.pre.array(), s.s.array(), dy);
    s.d_pre.array() = (s.d_r.array() + s.d_s.array()) * dy;
    s.d_z.setZero();
    s.d_s.setZero();
  }

 private:
  Activation phi_;
  float init_scale_;
};

void register_vanilla(Registry* r) {
  r->add<Cell>("vanilla", "plain RNN: h = phi(W h + P x + b); ignores z, so give the layer no gate",
               OptionSchema()
                   .add_string("phi", "tanh", "nonlinearity", activation_names())
                   .add_float("init_scale", 1.0, "W, P, b start U(-s/sqrt(H), s/sqrt(H))", 0, 100),
               [](const Options& o) { return std::make_unique<VanillaCell>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("vanilla", "1.0", &biornn::register_vanilla)
