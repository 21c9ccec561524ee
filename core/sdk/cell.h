// Cell: how a recurrent layer's state is updated (per step from its linear drive and its gate z,
// or a whole sequence at once).
#pragma once

#include <string>
#include <vector>

#include "core/sdk/block.h"
#include "core/sdk/parameter_set.h"

namespace biornn {

// Views of one chunk of batch rows at one step t (b rows, H units, k = state_variables()).
// The state holds k variables per unit side by side: columns [v*H, (v+1)*H) are variable v.
struct CellForward {
  ConstMatrixMap pre;     // [b, num_blocks*H]: the cell's linear blocks at step t
  ConstMatrixMap z;       // [b, H]: the gate's output at step t
  ConstMatrixMap s_prev;  // [b, k*H]: state s_{t-1}
  MatrixMap s;            // out [b, k*H]: state s_t
  MatrixMap r;            // out [b, H]: firing rate r_t (what other units and layers see)
  ConstMatrixMap unit;    // [n, H]: row v = effective value of unit_parameters()[v] (n may be 0)
};

struct CellBackward {
  ConstMatrixMap pre, z, s_prev, s, r;  // the forward values of step t
  ConstMatrixMap d_r;                   // dLoss/d r_t (from the readout, the layer above and step t+1's drive)
  MatrixMap d_s;        // [b, k*H] in: dLoss/d s_t through s_{t+1} only; out: dLoss/d s_{t-1} the same way
  MatrixMap d_pre;      // out [b, num_blocks*H]: dLoss/d pre
  MatrixMap d_z;        // out [b, H]: dLoss/d z; [b, 0] (nothing to write) when !reads_gate()
  ConstMatrixMap unit;  // [n, H]: as in CellForward
  MatrixMap d_unit;     // out [b, n*H]: dLoss/d unit per row (columns [v*H, (v+1)*H) for row v
                        // of `unit`); the engine sums it over rows and steps into their grad
};

// What every cell plugin is: registered under kind "cell", it adds its parameters to the
// layer. A cell is either a StepCell (the engine runs the recurrence and calls it once per
// step) or a SequenceCell (it runs the whole sequence itself); the layer refuses anything else.
// The least to write is a DerivedCell (core/sdk/derived_cell.h): a StepCell given as one
// unit's step, templated on the scalar type, whose backward is derived.
class Cell {
 public:
  static constexpr const char* kKind = "cell";
  virtual ~Cell() = default;

  // Adds the cell's parameters to `params`, initialised from `rng`. Called once, before the
  // gate's. The recurrent weight, when there is one, is added with ParameterRole::kRecurrent
  // ([H, H], W_ij from j to i): gates, scalings and diagnostics find it by that role.
  virtual void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) = 0;
  // True for a SequenceCell (not a virtual: what a cell is follows from its interface).
  bool runs_whole_sequence() const;
};

// A cell the engine steps: per step it gets its linear blocks (GEMMs the engine does) and
// the gate's z, and updates its state elementwise.
class StepCell : public Cell {
 public:
  // True if forward() reads the gate's z. A layer that gives a gate to a cell that does not
  // is refused (its parameters would never get a gradient); without a gate z = 1.
  virtual bool reads_gate() const = 0;
  // How many state variables each unit has (k): the state is [b, k*H], the rate [b, H].
  virtual int state_variables() const { return 1; }
  // Names of the cell's per-unit parameters (each [1, H], added in create_parameters), e.g.
  // a learnable time constant. forward/backward see their effective values as `unit` and
  // write dLoss/d unit per row; the engine reduces it into the parameters' grad.
  virtual std::vector<std::string> unit_parameters() const { return {}; }
  // The cell's H-wide linear blocks, described term by term (core/sdk/block.h): each term a copy,
  // |.|, positive or negative part of one parameter, e.g. {{"W", "P", "b"}} for
  // u = W r + P x + b. From it the defaults below compute the blocks and derive their
  // gradients. A cell whose blocks are no such transform leaves this empty and overrides
  // num_blocks(), prepare() and accumulate() instead.
  virtual std::vector<BlockSpec> block_specs() const { return {}; }
  // How many linear blocks the cell reads each step (default: as many as block_specs(), or 1).
  virtual int num_blocks() const { return described_block_count(block_specs()); }
  // Writes its blocks from the parameters' effective values. Once per minibatch.
  // Default: from block_specs().
  virtual void prepare(const ParameterSet& params, LinearBlock* blocks) const {
    prepare_blocks(checked_specs(block_specs(), num_blocks(), "cell"), params, nullptr, blocks, "cell");
  }
  // Adds dLoss/d(block) to the matching parameters' `grad`. Once per minibatch.
  // Default: the gradients derived from block_specs().
  virtual void accumulate(const LinearBlock* block_grads, ParameterSet& params) const {
    accumulate_blocks(checked_specs(block_specs(), num_blocks(), "cell"), block_grads, params, nullptr, nullptr,
                      "cell");
  }
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
  // One step on a chunk of rows. Must not touch anything outside its views (runs in parallel)
  // and must not allocate (keep scratch thread_local, sized once).
  virtual void forward(CellForward& step) const = 0;
  // The exact derivative of forward(); every output view must be fully written.
  virtual void backward(CellBackward& step) const = 0;
};

// A cell that runs the whole sequence itself (e.g. `gru`, `lstm` on oneDNN's RNN
// primitives): it takes no gate (its gates are its own), has no per-step state the engine
// sees, and always starts from its own zero state. The layer calls these after applying
// constraints (parameters' `value` is ready, `grad` zeroed).
class SequenceCell : public Cell {
 public:
  // x: [T, B, F] -> r: [T, B, H] (r_1..r_T). Keeps what backward_sequence needs.
  virtual void forward_sequence(const ParameterSet& params, const float* x, int steps, int batch, float* r) = 0;
  // d_r: [T, B, H] = dLoss/dr_t of the last forward_sequence. Adds dLoss/d value to each
  // parameter's `grad`, and dLoss/dx to d_x ([T, B, F]) when d_x is non-null.
  virtual void backward_sequence(ParameterSet& params, const float* x, const float* d_r, float* d_x) = 0;
};

inline bool Cell::runs_whole_sequence() const { return dynamic_cast<const SequenceCell*>(this) != nullptr; }

}  // namespace biornn
