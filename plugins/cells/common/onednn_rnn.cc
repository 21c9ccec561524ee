#include "plugins/cells/common/onednn_rnn.h"

#include <algorithm>
#include <unordered_map>

#include "core/sdk/error.h"

namespace biornn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {
void zero(memory& m) { std::fill_n(static_cast<char*>(m.get_data_handle()), m.get_desc().get_size(), 0); }
float* data(const memory& m) { return static_cast<float*>(m.get_data_handle()); }
}  // namespace

OnednnRnnCell::OnednnRnnCell(std::string name, int gates, int bias_rows, bool cell_state)
    : name_(std::move(name)),
      gates_(gates),
      bias_rows_(bias_rows),
      cell_state_(cell_state),
      engine_(dnnl::engine::kind::cpu, 0),
      stream_(engine_) {}

void OnednnRnnCell::set_shape(int hidden, int features) {
  hidden_ = hidden;
  features_ = features;
  const memory::dim H = hidden, F = features, G = gates_;
  wl_plain_ = memory({{1, 1, F, G, H}, dt::f32, tag::ldigo}, engine_);
  wi_plain_ = memory({{1, 1, H, G, H}, dt::f32, tag::ldigo}, engine_);
  bias_plain_ = memory({{1, 1, bias_rows_, H}, dt::f32, tag::ldgo}, engine_);
  dwl_plain_ = memory(wl_plain_.get_desc(), engine_);
  dwi_plain_ = memory(wi_plain_.get_desc(), engine_);
  dbias_plain_ = memory(bias_plain_.get_desc(), engine_);
}

void OnednnRnnCell::reorder(memory& from, memory& to) { dnnl::reorder(from, to).execute(stream_, from, to); }

OnednnRnnCell::Plan& OnednnRnnCell::plan(int steps, int batch) {
  auto key = std::make_pair(steps, batch);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  const memory::dim T = steps, B = batch, F = features_, H = hidden_, G = gates_;
  Descs d;
  d.src = memory::desc({T, B, F}, dt::f32, tag::tnc);
  d.dst = memory::desc({T, B, H}, dt::f32, tag::tnc);
  d.weights_layer = memory::desc({1, 1, F, G, H}, dt::f32, tag::any);
  d.weights_iter = memory::desc({1, 1, H, G, H}, dt::f32, tag::any);
  d.bias = memory::desc({1, 1, bias_rows_, H}, dt::f32, tag::any);
  // h_0 (and c_0) = 0 are passed as explicit zero memories: oneDNN 2.6's LSTM backward gets
  // dLoss/dW_hh wrong when src_iter is a zero memory descriptor ("use zeros").
  d.iter = memory::desc({1, 1, B, H}, dt::f32, tag::ldnc);
  Descriptors pds = make_descriptors(d, engine_);
  Plan p;
  p.fwd_pd = pds.forward;
  p.bwd_pd = pds.backward;
  p.fwd = dnnl::primitive(p.fwd_pd);
  p.bwd = dnnl::primitive(p.bwd_pd);
  p.workspace = memory(p.fwd_pd.workspace_desc(), engine_);
  // Defensive: with h_0 given as a zero descriptor oneDNN 2.6's LSTM backward read state it
  // had not written (see d.iter above); a zeroed workspace keeps any such read harmless.
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
  p.src_iter = memory(d.iter, engine_);
  p.diff_src_iter = memory(d.iter, engine_);
  zero(p.src_iter);
  if (cell_state_) {
    p.src_iter_c = memory(d.iter, engine_);
    p.diff_src_iter_c = memory(d.iter, engine_);
    zero(p.src_iter_c);
  }
  p.dst.resize(size_t(T * B * H));
  p.diff_src.resize(size_t(T * B * F));
  return plans_.emplace(key, std::move(p)).first->second;
}

void OnednnRnnCell::forward_sequence(const ParameterSet& params, const float* x, int steps, int batch, float* r) {
  try {
    Plan& p = plan(steps, batch);
    to_plain(params, data(wl_plain_), data(wi_plain_), data(bias_plain_));
    reorder(wl_plain_, p.fwd_wl);
    reorder(wi_plain_, p.fwd_wi);
    reorder(bias_plain_, p.fwd_bias);
    memory src(p.fwd_pd.src_layer_desc(), engine_, const_cast<float*>(x));
    memory dst(p.fwd_pd.dst_layer_desc(), engine_, p.dst.data());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, src},          {DNNL_ARG_SRC_ITER, p.src_iter},
                                         {DNNL_ARG_WEIGHTS_LAYER, p.fwd_wl}, {DNNL_ARG_WEIGHTS_ITER, p.fwd_wi},
                                         {DNNL_ARG_BIAS, p.fwd_bias},        {DNNL_ARG_DST_LAYER, dst},
                                         {DNNL_ARG_WORKSPACE, p.workspace}};
    if (cell_state_) args.insert({DNNL_ARG_SRC_ITER_C, p.src_iter_c});
    p.fwd.execute(stream_, args);
    stream_.wait();
    std::copy(p.dst.begin(), p.dst.end(), r);
    last_ = &p;
  } catch (const dnnl::error& e) { throw Error("cell " + name_ + ": oneDNN forward failed: " + e.what()); }
}

void OnednnRnnCell::backward_sequence(ParameterSet& params, const float* x, const float* d_r, float* d_x) {
  if (!last_) throw Error("cell " + name_ + ": backward_sequence() before forward_sequence()");
  try {
    Plan& p = *last_;
    reorder(wl_plain_, p.bwd_wl);
    reorder(wi_plain_, p.bwd_wi);
    reorder(bias_plain_, p.bwd_bias);
    zero(p.diff_wl);
    zero(p.diff_wi);
    zero(p.diff_bias);  // oneDNN accumulates into the weight gradients
    memory src(p.bwd_pd.src_layer_desc(), engine_, const_cast<float*>(x));
    memory dst(p.bwd_pd.dst_layer_desc(), engine_, p.dst.data());
    memory diff_dst(p.bwd_pd.diff_dst_layer_desc(), engine_, const_cast<float*>(d_r));
    memory diff_src(p.bwd_pd.diff_src_layer_desc(), engine_, p.diff_src.data());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, src},
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
                                         {DNNL_ARG_DIFF_BIAS, p.diff_bias}};
    if (cell_state_) {
      args.insert({DNNL_ARG_SRC_ITER_C, p.src_iter_c});
      args.insert({DNNL_ARG_DIFF_SRC_ITER_C, p.diff_src_iter_c});
    }
    p.bwd.execute(stream_, args);
    reorder(p.diff_wl, dwl_plain_);
    reorder(p.diff_wi, dwi_plain_);
    reorder(p.diff_bias, dbias_plain_);
    stream_.wait();
    from_plain(data(dwl_plain_), data(dwi_plain_), data(dbias_plain_), params);
    if (d_x)
      for (size_t i = 0; i < p.diff_src.size(); ++i) d_x[i] += p.diff_src[i];
  } catch (const dnnl::error& e) { throw Error("cell " + name_ + ": oneDNN backward failed: " + e.what()); }
}

}  // namespace biornn
