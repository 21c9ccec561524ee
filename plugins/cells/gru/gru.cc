// Cell `gru`: the standard GRU with reset gate (PyTorch's equations), run on oneDNN's
// linear-before-reset GRU primitives (dnnl::lbr_gru_forward / lbr_gru_backward), which
// compute exactly these equations:
//     r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)        reset gate
//     z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)        update gate
//     n_t = tanh(W_in x_t + b_in + r_t (.) (W_hn h_{t-1} + b_hn))  candidate
//     h_t = (1 - z_t) (.) n_t + z_t (.) h_{t-1},   h_0 = 0,   r_t (the layer's output) = h_t
// Parameters, named and laid out like PyTorch's nn.GRU (weight_ih_l0 etc.), gate order r, z, n:
//     W_ih [3H, F] = [W_ir; W_iz; W_in],   W_hh [3H, H] = [W_hr; W_hz; W_hn],
//     b_ih [1, 3H] = [b_ir, b_iz, b_in],   b_hh [1, 3H] = [b_hr, b_hz, b_hn]
// all initialised U(-k, k), k = init_scale / sqrt(H) (PyTorch: init_scale = 1).
//
// oneDNN's gate order is (u = z, r, o = n) and its weights are [layer, direction, input,
// gate, output] (ldigo); its LBR bias has four rows (b_u, b_r, b_o, b_u') = (b_iz + b_hz,
// b_ir + b_hr, b_in, b_hn). The conversion is a plain copy into ldigo buffers, then a
// oneDNN reorder into whatever layout the primitive picked (and back for the gradients).
//
// A whole-sequence cell: it takes no gate (its gates are its own) and has no "W", so the
// conductance gate, Dale constraints on W and scalings do not apply to it. Planning,
// layouts and the forward/backward calls are shared with lstm (plugins/cells/common).
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "plugins/cells/common/onednn_rnn.h"

namespace biornn {
namespace {

constexpr int kGates = 3;
// oneDNN gate g (u, r, o) is PyTorch gate kFromTorch[g] (r = 0, z = 1, n = 2).
constexpr int kFromTorch[kGates] = {1, 0, 2};

class GruCell : public OnednnRnnCell {
 public:
  explicit GruCell(const Options& o)
      : OnednnRnnCell("gru", kGates, kGates + 1, false), init_scale_(float(o.get_float("init_scale"))) {}

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W_ih", kGates * hidden, features).raw, k, rng);
    fill_uniform(params.add("W_hh", kGates * hidden, hidden).raw, k, rng);
    fill_uniform(params.add("b_ih", 1, kGates * hidden).raw, k, rng);
    fill_uniform(params.add("b_hh", 1, kGates * hidden).raw, k, rng);
    set_shape(hidden, features);
  }

 private:
  Descriptors make_descriptors(const Descs& d, const dnnl::engine& engine) const override {
    const dnnl::memory::desc none;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    dnnl::lbr_gru_forward::primitive_desc fwd(
        dnnl::lbr_gru_forward::desc(dnnl::prop_kind::forward_training, dir, d.src, d.iter, d.weights_layer,
                                    d.weights_iter, d.bias, d.dst, none),
        engine);
    dnnl::lbr_gru_backward::primitive_desc bwd(
        dnnl::lbr_gru_backward::desc(dnnl::prop_kind::backward, dir, d.src, d.iter, d.weights_layer, d.weights_iter,
                                     d.bias, d.dst, none, d.src, d.iter, d.weights_layer, d.weights_iter, d.bias, d.dst,
                                     none),
        engine, fwd);
    return {fwd, bwd};
  }

  // PyTorch-layout parameters -> ldigo weights in oneDNN's gate order and the four-row LBR bias.
  void to_plain(const ParameterSet& params, float* wl, float* wi, float* b) const override {
    const int H = hidden_, F = features_;
    const Matrix &wih = params.get("W_ih").value, &whh = params.get("W_hh").value;
    const Matrix &bih = params.get("b_ih").value, &bhh = params.get("b_hh").value;
    for (int g = 0; g < kGates; ++g) {
      const int tg = kFromTorch[g];
      for (int f = 0; f < F; ++f)
        for (int o = 0; o < H; ++o) wl[(size_t(f) * kGates + g) * H + o] = wih(tg * H + o, f);
      for (int i = 0; i < H; ++i)
        for (int o = 0; o < H; ++o) wi[(size_t(i) * kGates + g) * H + o] = whh(tg * H + o, i);
    }
    for (int o = 0; o < H; ++o) {
      b[0 * H + o] = bih(0, 1 * H + o) + bhh(0, 1 * H + o);  // u = z
      b[1 * H + o] = bih(0, 0 * H + o) + bhh(0, 0 * H + o);  // r
      b[2 * H + o] = bih(0, 2 * H + o);                      // o = n, input part
      b[3 * H + o] = bhh(0, 2 * H + o);                      // u': n's recurrent bias
    }
  }

  void from_plain(const float* wl, const float* wi, const float* b, ParameterSet& params) const override {
    const int H = hidden_, F = features_;
    Matrix &wih = params.get("W_ih").grad, &whh = params.get("W_hh").grad;
    Matrix &bih = params.get("b_ih").grad, &bhh = params.get("b_hh").grad;
    for (int g = 0; g < kGates; ++g) {
      const int tg = kFromTorch[g];
      for (int f = 0; f < F; ++f)
        for (int o = 0; o < H; ++o) wih(tg * H + o, f) += wl[(size_t(f) * kGates + g) * H + o];
      for (int i = 0; i < H; ++i)
        for (int o = 0; o < H; ++o) whh(tg * H + o, i) += wi[(size_t(i) * kGates + g) * H + o];
    }
    for (int o = 0; o < H; ++o) {
      bih(0, 1 * H + o) += b[0 * H + o];
      bhh(0, 1 * H + o) += b[0 * H + o];
      bih(0, 0 * H + o) += b[1 * H + o];
      bhh(0, 0 * H + o) += b[1 * H + o];
      bih(0, 2 * H + o) += b[2 * H + o];
      bhh(0, 2 * H + o) += b[3 * H + o];
    }
  }

  float init_scale_;
};

void register_gru(Registry* r) {
  r->add<Cell>("gru",
               "standard GRU with reset gate (PyTorch equations, gate order r, z, n) on oneDNN's "
               "LBR-GRU primitives; takes no gate",
               OptionSchema().add_float("init_scale", 1.0,
                                        "every parameter starts U(-s/sqrt(H), s/sqrt(H)) (1 = PyTorch)", 0, 100),
               [](const Options& o) { return std::make_unique<GruCell>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("gru", "1.0", &biornn::register_gru)
