// Cell: how a recurrent layer's state is updated from its linear drive and its gate z.
#pragma once

#include "core/parameter_set.h"

namespace biornn {

// Views of one chunk of batch rows at one step t (b rows, H units, k = state_variables()).
// The state holds k variables per unit side by side: columns [v*H, (v+1)*H) are variable v.
struct CellForward {
  ConstMatrixMap pre;     // [b, num_blocks*H]: the cell's linear blocks at step t
  ConstMatrixMap z;       // [b, H]: the gate's output at step t
  ConstMatrixMap s_prev;  // [b, k*H]: state s_{t-1}
  MatrixMap s;            // out [b, k*H]: state s_t
  MatrixMap r;            // out [b, H]: firing rate r_t (what other units and layers see)
};

struct CellBackward {
  ConstMatrixMap pre, z, s_prev, s, r;  // the forward values of step t
  ConstMatrixMap d_r;  // dLoss/d r_t (from the readout, the layer above and step t+1's drive)
  MatrixMap d_s;       // [b, k*H] in: dLoss/d s_t through s_{t+1} only; out: dLoss/d s_{t-1} the same way
  MatrixMap d_pre;     // out [b, num_blocks*H]: dLoss/d pre
  MatrixMap d_z;       // out [b, H]: dLoss/d z
};

class Cell {
 public:
  static constexpr const char* kKind = "cell";
  virtual ~Cell() = default;

  // Adds the cell's parameters to `params`, initialised from `rng`. Called once.
  // The recurrent weight, when there is one, is named "W" ([H, H], W_ij from j to i)
  // so that gates and constraints can refer to it.
  virtual void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) = 0;
  // How many H-wide linear blocks the cell reads each step (usually 1).
  virtual int num_blocks() const { return 1; }
  // Writes its blocks from the parameters' effective values. Once per minibatch.
  virtual void prepare(const ParameterSet& params, LinearBlock* blocks) const = 0;
  // Adds dLoss/d(block) to the matching parameters' `grad`. Once per minibatch.
  virtual void accumulate(const LinearBlock* block_grads, ParameterSet& params) const = 0;
  // How many state variables each unit has (k): the state is [b, k*H], the rate [b, H].
  virtual int state_variables() const { return 1; }
  // The state before the first step, [b, k*H] (default: zeros). The engine then sets
  // r_0 = rate(s_0).
  virtual void initial(MatrixMap s0) const { s0.setZero(); }
  // The rate a state gives, s [b, k*H] -> r [b, H]. forward() must write r_t = rate(s_t);
  // the engine uses it for r_0, from initial() or from a state the caller gives.
  // Default: the first state variable is the rate (r = s[:, 0:H]).
  virtual void rate(ConstMatrixMap s, MatrixMap r) const { r = s.leftCols(r.cols()); }
  // Adds (d rate / d s)^T d_r to d_s ([b, k*H]): the exact derivative of rate().
  virtual void rate_backward(ConstMatrixMap s, ConstMatrixMap r, ConstMatrixMap d_r, MatrixMap d_s) const {
    (void)s;
    (void)r;
    d_s.leftCols(d_r.cols()) += d_r;
  }
  // One step on a chunk of rows. Must not touch anything outside its views (runs in parallel).
  virtual void forward(CellForward& step) const = 0;
  // The exact derivative of forward(); every output view must be fully written.
  virtual void backward(CellBackward& step) const = 0;

  // --- Whole-sequence cells (e.g. `gru`, `lstm` on oneDNN's RNN primitives) -------------
  // A cell that returns true here runs the whole sequence itself: the layer then skips
  // blocks and per-step calls, needs no gate (z is unused), and calls the two methods below
  // after applying constraints (parameters' `value` is ready, `grad` zeroed).
  virtual bool runs_whole_sequence() const { return false; }
  // x: [T, B, F] -> r: [T, B, H] (r_1..r_T). Keeps what backward_sequence needs.
  virtual void forward_sequence(const ParameterSet& params, const float* x, int steps, int batch,
                                float* r) {
    (void)params; (void)x; (void)steps; (void)batch; (void)r;
  }
  // d_r: [T, B, H] = dLoss/dr_t. Adds dLoss/d value to each parameter's `grad`, and
  // dLoss/dx to d_x ([T, B, F]) when d_x is non-null.
  virtual void backward_sequence(ParameterSet& params, const float* x, const float* d_r, float* d_x) {
    (void)params; (void)x; (void)d_r; (void)d_x;
  }
};

}  // namespace biornn
