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
// conductance gate, Dale constraints on W and scalings do not apply to it. Primitives are
// created once per (T, B) and cached; the forward pass always runs in training mode and
// keeps its workspace for backward_sequence().
#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <map>
#include <utility>

#include "core/cell.h"
#include "core/error.h"
#include "core/plugin_api.h"

namespace biornn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

constexpr int kGates = 3;
// oneDNN gate g (u, r, o) is PyTorch gate kFromTorch[g] (r = 0, z = 1, n = 2).
constexpr int kFromTorch[kGates] = {1, 0, 2};

class GruCell : public Cell {
 public:
  explicit GruCell(const Options& o)
      : init_scale_(float(o.get_float("init_scale"))), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    hidden_ = hidden;
    features_ = features;
    const float k = init_scale_ / std::sqrt(float(hidden));
    fill_uniform(params.add("W_ih", kGates * hidden, features).raw, k, rng);
    fill_uniform(params.add("W_hh", kGates * hidden, hidden).raw, k, rng);
    fill_uniform(params.add("b_ih", 1, kGates * hidden).raw, k, rng);
    fill_uniform(params.add("b_hh", 1, kGates * hidden).raw, k, rng);
    const int H = hidden, F = features;
    wl_user_ = memory({{1, 1, F, kGates, H}, dt::f32, tag::ldigo}, engine_);
    wi_user_ = memory({{1, 1, H, kGates, H}, dt::f32, tag::ldigo}, engine_);
    bias_user_ = memory({{1, 1, kGates + 1, H}, dt::f32, tag::ldgo}, engine_);
    dwl_user_ = memory(wl_user_.get_desc(), engine_);
    dwi_user_ = memory(wi_user_.get_desc(), engine_);
    dbias_user_ = memory(bias_user_.get_desc(), engine_);
  }

  // Never called (runs_whole_sequence), but the interface requires them.
  int num_blocks() const override { return 0; }
  void prepare(const ParameterSet&, LinearBlock*) const override {}
  void accumulate(const LinearBlock*, ParameterSet&) const override {}
  void forward(CellForward&) const override { throw Error("cell gru runs whole sequences only"); }
  void backward(CellBackward&) const override { throw Error("cell gru runs whole sequences only"); }

  bool runs_whole_sequence() const override { return true; }

  void forward_sequence(const ParameterSet& params, const float* x, int steps, int batch, float* r) override {
    try {
      Plan& p = plan(steps, batch);
      to_user(params);
      load(wl_user_, p.fwd_wl);
      load(wi_user_, p.fwd_wi);
      load(bias_user_, p.fwd_bias);
      memory src(p.fwd_pd.src_layer_desc(), engine_, const_cast<float*>(x));
      memory dst(p.fwd_pd.dst_layer_desc(), engine_, p.dst.data());
      p.fwd.execute(stream_, {{DNNL_ARG_SRC_LAYER, src},
                              {DNNL_ARG_SRC_ITER, p.src_iter},
                              {DNNL_ARG_WEIGHTS_LAYER, p.fwd_wl},
                              {DNNL_ARG_WEIGHTS_ITER, p.fwd_wi},
                              {DNNL_ARG_BIAS, p.fwd_bias},
                              {DNNL_ARG_DST_LAYER, dst},
                              {DNNL_ARG_WORKSPACE, p.workspace}});
      stream_.wait();
      std::copy(p.dst.begin(), p.dst.end(), r);
      last_ = &p;
    } catch (const dnnl::error& e) {
      throw Error(std::string("cell gru: oneDNN forward failed: ") + e.what());
    }
  }

  void backward_sequence(ParameterSet& params, const float* x, const float* d_r, float* d_x) override {
    if (!last_) throw Error("cell gru: backward_sequence() before forward_sequence()");
    try {
      Plan& p = *last_;
      load(wl_user_, p.bwd_wl);
      load(wi_user_, p.bwd_wi);
      load(bias_user_, p.bwd_bias);
      zero(p.diff_wl);
      zero(p.diff_wi);
      zero(p.diff_bias);  // oneDNN accumulates into the weight gradients
      memory src(p.bwd_pd.src_layer_desc(), engine_, const_cast<float*>(x));
      memory dst(p.bwd_pd.dst_layer_desc(), engine_, p.dst.data());
      memory diff_dst(p.bwd_pd.diff_dst_layer_desc(), engine_, const_cast<float*>(d_r));
      memory diff_src(p.bwd_pd.diff_src_layer_desc(), engine_, p.diff_src.data());
      p.bwd.execute(stream_, {{DNNL_ARG_SRC_LAYER, src},
                              {DNNL_ARG_SRC_ITER, p.src_iter},
                              {DNNL_ARG_DIFF_SRC_ITER, p.diff_src_iter},
                              {DNNL_ARG_WEIGHTS_LAYER, p.bwd_wl},
                              {DNNL_ARG_WEIGHTS_ITER, p.bwd_wi},
                              {DNNL_ARG_BIAS, p.bwd_bias},
                              {DNNL_ARG_DST_LAYER, dst},
                              {DNNL_ARG_WORKSPACE, p.workspace},
                              {DNNL_ARG_DIFF_DST_LAYER, diff_dst},
                              {DNNL_ARG_DIFF_SRC_LAYER, diff_src},
                              {DNNL_ARG_DIFF_WEIGHTS_LAYER, p.diff_wl},
                              {DNNL_ARG_DIFF_WEIGHTS_ITER, p.diff_wi},
                              {DNNL_ARG_DIFF_BIAS, p.diff_bias}});
      store(p.diff_wl, dwl_user_);
      store(p.diff_wi, dwi_user_);
      store(p.diff_bias, dbias_user_);
      stream_.wait();
      from_user(params);
      if (d_x)
        for (size_t i = 0; i < p.diff_src.size(); ++i) d_x[i] += p.diff_src[i];
    } catch (const dnnl::error& e) {
      throw Error(std::string("cell gru: oneDNN backward failed: ") + e.what());
    }
  }

 private:
  struct Plan {
    dnnl::lbr_gru_forward::primitive_desc fwd_pd;
    dnnl::lbr_gru_backward::primitive_desc bwd_pd;
    dnnl::lbr_gru_forward fwd;
    dnnl::lbr_gru_backward bwd;
    memory src_iter, diff_src_iter;  // zeros in; dLoss/dh_0 (unused)
    memory workspace, fwd_wl, fwd_wi, fwd_bias, bwd_wl, bwd_wi, bwd_bias, diff_wl, diff_wi, diff_bias;
    std::vector<float> dst, diff_src;  // [T, B, H] outputs (needed by backward), [T, B, F]
  };

  Plan& plan(int steps, int batch) {
    auto key = std::make_pair(steps, batch);
    auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
    const memory::dim T = steps, B = batch, F = features_, H = hidden_;
    const memory::desc src_md({T, B, F}, dt::f32, tag::tnc), dst_md({T, B, H}, dt::f32, tag::tnc);
    const memory::desc wl_any({1, 1, F, kGates, H}, dt::f32, tag::any);
    const memory::desc wi_any({1, 1, H, kGates, H}, dt::f32, tag::any);
    const memory::desc bias_any({1, 1, kGates + 1, H}, dt::f32, tag::any);
    // h_0 (and c_0) = 0 are passed as explicit zero memories: oneDNN 2.6's LSTM backward
    // gets dLoss/dW_hh wrong when src_iter is a zero memory descriptor ("use zeros").
    const memory::desc iter_md({1, 1, B, H}, dt::f32, tag::ldnc);
    const memory::desc none;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    Plan p;
    p.fwd_pd = dnnl::lbr_gru_forward::primitive_desc(
        dnnl::lbr_gru_forward::desc(dnnl::prop_kind::forward_training, dir, src_md, iter_md, wl_any, wi_any,
                                    bias_any, dst_md, none),
        engine_);
    p.bwd_pd = dnnl::lbr_gru_backward::primitive_desc(
        dnnl::lbr_gru_backward::desc(dnnl::prop_kind::backward, dir, src_md, iter_md, wl_any, wi_any, bias_any,
                                     dst_md, none, src_md, iter_md, wl_any, wi_any, bias_any, dst_md, none),
        engine_, p.fwd_pd);
    p.fwd = dnnl::lbr_gru_forward(p.fwd_pd);
    p.bwd = dnnl::lbr_gru_backward(p.bwd_pd);
    p.workspace = memory(p.fwd_pd.workspace_desc(), engine_);
    // Defensive: with h_0 given as a zero descriptor oneDNN 2.6's LSTM backward read state
    // it had not written (see iter_md above); a zeroed workspace keeps any such read harmless.
    zero(p.workspace);
    p.fwd_wl = memory(p.fwd_pd.weights_layer_desc(), engine_);
    p.fwd_wi = memory(p.fwd_pd.weights_iter_desc(), engine_);
    p.fwd_bias = memory(p.fwd_pd.bias_desc(), engine_);
    p.bwd_wl = memory(p.bwd_pd.weights_layer_desc(), engine_);
    p.bwd_wi = memory(p.bwd_pd.weights_iter_desc(), engine_);
    p.bwd_bias = memory(p.bwd_pd.bias_desc(), engine_);
    p.diff_wl = memory(p.bwd_pd.diff_weights_layer_desc(), engine_);
    p.diff_wi = memory(p.bwd_pd.diff_weights_iter_desc(), engine_);
    p.diff_bias = memory(p.bwd_pd.diff_bias_desc(), engine_);
    p.src_iter = memory(iter_md, engine_);
    p.diff_src_iter = memory(iter_md, engine_);
    zero(p.src_iter);
    p.dst.resize(size_t(T * B * H));
    p.diff_src.resize(size_t(T * B * F));
    return plans_.emplace(key, std::move(p)).first->second;
  }

  // user (plain ldigo / ldgo) -> primitive layout, and back.
  void load(memory& user, memory& prim) {
    dnnl::reorder(user, prim).execute(stream_, user, prim);
  }
  void store(memory& prim, memory& user) {
    dnnl::reorder(prim, user).execute(stream_, prim, user);
  }
  static void zero(memory& m) {
    std::fill_n(static_cast<char*>(m.get_data_handle()), m.get_desc().get_size(), 0);
  }

  // Row-major PyTorch-layout parameters -> ldigo weights and the four-row LBR bias.
  void to_user(const ParameterSet& params) {
    const int H = hidden_, F = features_;
    const Matrix &wih = params.get("W_ih").value, &whh = params.get("W_hh").value;
    const Matrix &bih = params.get("b_ih").value, &bhh = params.get("b_hh").value;
    float* wl = static_cast<float*>(wl_user_.get_data_handle());
    float* wi = static_cast<float*>(wi_user_.get_data_handle());
    float* b = static_cast<float*>(bias_user_.get_data_handle());
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

  // ldigo gradients -> adds to the parameters' grad.
  void from_user(ParameterSet& params) const {
    const int H = hidden_, F = features_;
    Matrix &wih = params.get("W_ih").grad, &whh = params.get("W_hh").grad;
    Matrix &bih = params.get("b_ih").grad, &bhh = params.get("b_hh").grad;
    const float* wl = static_cast<const float*>(dwl_user_.get_data_handle());
    const float* wi = static_cast<const float*>(dwi_user_.get_data_handle());
    const float* b = static_cast<const float*>(dbias_user_.get_data_handle());
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
  int hidden_ = 0, features_ = 0;
  dnnl::engine engine_;
  dnnl::stream stream_;
  memory wl_user_, wi_user_, bias_user_, dwl_user_, dwi_user_, dbias_user_;
  std::map<std::pair<int, int>, Plan> plans_;  // by (T, B); std::map keeps addresses stable
  Plan* last_ = nullptr;                       // the plan of the last forward_sequence()
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
