// The part of a whole-sequence cell on oneDNN's RNN primitives that does not depend on the
// cell (gru, lstm): primitives planned once per (T, B), weights moved between the
// parameters' PyTorch layout and the primitives' layouts, the forward and backward calls.
//
// A cell derives from OnednnRnnCell and gives its primitive descriptors and its weight
// layout conversion. Its parameters are laid out as oneDNN's plain ldigo weights
// ([layer, direction, input, gate, output]) and ldgo bias by to_plain(), then reordered
// into whatever layout the primitive picked (and back for the gradients).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/sdk/cell.h"

namespace biornn {

class OnednnRnnCell : public SequenceCell {
 public:
  void forward_sequence(const ParameterSet& params, const float* x, int steps, int batch, float* r) override;
  void backward_sequence(ParameterSet& params, const float* x, const float* d_r, float* d_x) override;

 protected:
  // `name` for errors; `gates` per unit; `bias_rows` rows of the ldgo bias (LBR-GRU: gates + 1);
  // `cell_state`: the primitive also carries a c state (LSTM).
  OnednnRnnCell(std::string name, int gates, int bias_rows, bool cell_state);

  // Call from create_parameters(): allocates the plain weight and bias buffers.
  void set_shape(int hidden, int features);

  // The memory descriptors of a plan: layers in tnc, h_0 (and c_0) in ldnc, weights and bias
  // as format `any` (the primitive picks).
  struct Descs {
    dnnl::memory::desc src, iter, weights_layer, weights_iter, bias, dst;
  };
  struct Descriptors {
    dnnl::rnn_primitive_desc_base forward, backward;
  };
  virtual Descriptors make_descriptors(const Descs& d, const dnnl::engine& engine) const = 0;
  // Effective parameters -> plain ldigo weights [F][gates*H], [H][gates*H] and the ldgo bias.
  virtual void to_plain(const ParameterSet& params, float* weights_layer, float* weights_iter, float* bias) const = 0;
  // Plain gradients -> added to the parameters' grad.
  virtual void from_plain(const float* d_weights_layer, const float* d_weights_iter, const float* d_bias,
                          ParameterSet& params) const = 0;

  int hidden_ = 0, features_ = 0;

 private:
  struct Plan {
    dnnl::rnn_primitive_desc_base fwd_pd, bwd_pd;
    dnnl::primitive fwd, bwd;
    dnnl::memory src_iter, diff_src_iter, src_iter_c, diff_src_iter_c;  // zeros in; dLoss/d(h_0, c_0) unused
    dnnl::memory workspace, fwd_wl, fwd_wi, fwd_bias, bwd_wl, bwd_wi, bwd_bias, diff_wl, diff_wi, diff_bias;
    std::vector<float> dst, diff_src;  // [T, B, H] outputs (needed by backward), [T, B, F]
  };
  Plan& plan(int steps, int batch);
  void reorder(dnnl::memory& from, dnnl::memory& to);

  std::string name_;
  int gates_, bias_rows_;
  bool cell_state_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::memory wl_plain_, wi_plain_, bias_plain_, dwl_plain_, dwi_plain_, dbias_plain_;
  std::map<std::pair<int, int>, Plan> plans_;  // by (T, B); std::map keeps addresses stable
  Plan* last_ = nullptr;                       // the plan of the last forward_sequence()
};

}  // namespace biornn
