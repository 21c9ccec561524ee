// Cell `lstm`: the standard LSTM (PyTorch's equations, no peepholes, no projection), run on
// oneDNN's LSTM primitives (dnnl::lstm_forward / lstm_backward):
//     i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)       input gate
//     f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)       forget gate
//     g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)          candidate
//     o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)       output gate
//     c_t = f_t (.) c_{t-1} + i_t (.) g_t,   h_t = o_t (.) tanh(c_t),   h_0 = c_0 = 0
// The layer's output r_t is h_t (c_t stays inside the cell).
// Parameters, named and laid out like PyTorch's nn.LSTM (weight_ih_l0 etc.), gate order i, f, g, o:
//     W_ih [4H, F] = [W_ii; W_if; W_ig; W_io],   W_hh [4H, H] = [W_hi; W_hf; W_hg; W_ho],
//     b_ih [1, 4H],   b_hh [1, 4H]
// all initialised U(-k, k), k = init_scale / sqrt(H) (PyTorch: init_scale = 1); forget_bias
// is then added to b_ih's forget block (PyTorch: 0).
//
// oneDNN uses the same gate order (i, f, c~ = g, o); its weights are [layer, direction,
// input, gate, output] (ldigo) and it has one bias b = b_ih + b_hh (both get its gradient).
// The conversion is a plain copy into ldigo buffers, then a oneDNN reorder into whatever
// layout the primitive picked (and back for the gradients).
//
// A whole-sequence cell: it takes no gate (its gates are its own) and has no "W", so the
// conductance gate, Dale constraints on W and scalings do not apply to it. Planning,
// layouts and the forward/backward calls are shared with gru (plugins/cells/common).
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "plugins/cells/common/onednn_rnn.h"

namespace biornn {
namespace {

constexpr int kGates = 4;  // i, f, g, o in both PyTorch and oneDNN

class LstmCell : public OnednnRnnCell {
 public:
  explicit LstmCell(const Options& o)
      : OnednnRnnCell("lstm", kGates, kGates, true),
        init_scale_(float(o.get_float("init_scale"))),
        forget_bias_(float(o.get_float("forget_bias"))) {}

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W_ih", kGates * hidden, features).raw, k, rng);
    fill_uniform(params.add("W_hh", kGates * hidden, hidden).raw, k, rng);
    fill_uniform(params.add("b_ih", 1, kGates * hidden).raw, k, rng);
    fill_uniform(params.add("b_hh", 1, kGates * hidden).raw, k, rng);
    params.get("b_ih").raw.middleCols(hidden, hidden).array() += forget_bias_;
    set_shape(hidden, features);
  }

 private:
  Descriptors make_descriptors(const Descs& d, const dnnl::engine& engine) const override {
    const dnnl::memory::desc none;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    dnnl::lstm_forward::primitive_desc fwd(
        dnnl::lstm_forward::desc(dnnl::prop_kind::forward_training, dir, d.src, d.iter, d.iter, d.weights_layer,
                                 d.weights_iter, d.bias, d.dst, none, none),
        engine);
    dnnl::lstm_backward::primitive_desc bwd(
        dnnl::lstm_backward::desc(dnnl::prop_kind::backward, dir, d.src, d.iter, d.iter, d.weights_layer,
                                  d.weights_iter, d.bias, d.dst, none, none, d.src, d.iter, d.iter, d.weights_layer,
                                  d.weights_iter, d.bias, d.dst, none, none),
        engine, fwd);
    return {fwd, bwd};
  }

  // PyTorch-layout parameters -> ldigo weights (same gate order) and the summed bias.
  void to_plain(const ParameterSet& params, float* wl, float* wi, float* b) const override {
    const int H = hidden_, F = features_;
    const Matrix &wih = params.get("W_ih").value, &whh = params.get("W_hh").value;
    const Matrix &bih = params.get("b_ih").value, &bhh = params.get("b_hh").value;
    const int G = kGates * H;  // ldigo with gates in PyTorch order: [in][g*H + o] = W^T
    for (int f = 0; f < F; ++f)
      for (int go = 0; go < G; ++go) wl[size_t(f) * G + go] = wih(go, f);
    for (int i = 0; i < H; ++i)
      for (int go = 0; go < G; ++go) wi[size_t(i) * G + go] = whh(go, i);
    for (int go = 0; go < G; ++go) b[go] = bih(0, go) + bhh(0, go);
  }

  // The one bias's gradient goes to both b_ih and b_hh.
  void from_plain(const float* wl, const float* wi, const float* b, ParameterSet& params) const override {
    const int H = hidden_, F = features_;
    Matrix &wih = params.get("W_ih").grad, &whh = params.get("W_hh").grad;
    Matrix &bih = params.get("b_ih").grad, &bhh = params.get("b_hh").grad;
    const int G = kGates * H;
    for (int f = 0; f < F; ++f)
      for (int go = 0; go < G; ++go) wih(go, f) += wl[size_t(f) * G + go];
    for (int i = 0; i < H; ++i)
      for (int go = 0; go < G; ++go) whh(go, i) += wi[size_t(i) * G + go];
    for (int go = 0; go < G; ++go) {
      bih(0, go) += b[go];
      bhh(0, go) += b[go];
    }
  }

  float init_scale_, forget_bias_;
};

void register_lstm(Registry* r) {
  r->add<Cell>(
      "lstm",
      "standard LSTM (PyTorch equations, gate order i, f, g, o) on oneDNN's LSTM primitives; "
      "takes no gate",
      OptionSchema()
          .add_float("init_scale", 1.0, "every parameter starts U(-s/sqrt(H), s/sqrt(H)) (1 = PyTorch)", 0, 100)
          .add_float("forget_bias", 0.0,
                     "added to the forget gate's b_ih at initialisation (PyTorch: 0; 1 is a common "
                     "choice for long sequences)",
                     -100, 100),
      [](const Options& o) { return std::make_unique<LstmCell>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("lstm", "1.0", &biornn::register_lstm)
