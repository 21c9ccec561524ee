// Gate: how the update gate / conductance z_t of a layer is computed.
#pragma once

#include "core/parameter_set.h"

namespace biornn {

struct GateForward {
  ConstMatrixMap pre;  // [b, num_blocks*H]: the gate's linear blocks at step t
  MatrixMap z;         // out [b, H]
};

struct GateBackward {
  ConstMatrixMap pre, z;  // forward values of step t
  ConstMatrixMap d_z;     // dLoss/d z_t
  MatrixMap d_pre;        // out [b, num_blocks*H]
};

class Gate {
 public:
  static constexpr const char* kKind = "gate";
  virtual ~Gate() = default;

  // Adds the gate's own parameters (names must not clash with the cell's). Called
  // after the cell's, so the gate may read the cell's "W".
  virtual void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) = 0;
  // Linear blocks the gate reads per step (a constant-in-time gate uses one bias-only block).
  virtual int num_blocks() const { return 1; }
  // True if the gate reads a scaling A (the conductance gate); the layer then requires one.
  virtual bool uses_scaling() const { return false; }
  // Writes its blocks from effective parameter values. `scaling` is the effective A
  // ([H, H], >= 0) when uses_scaling(), else null. Once per minibatch.
  virtual void prepare(const ParameterSet& params, const Matrix* scaling, LinearBlock* blocks) const = 0;
  // Adds dLoss/d(block) to parameters' `grad`, and dLoss/dA to `d_scaling` when used.
  virtual void accumulate(const LinearBlock* block_grads, ParameterSet& params, Matrix* d_scaling) const = 0;
  // z_t from the blocks, for a chunk of rows; runs in parallel, touches only its views.
  virtual void forward(GateForward& step) const = 0;
  virtual void backward(GateBackward& step) const = 0;
};

}  // namespace biornn
