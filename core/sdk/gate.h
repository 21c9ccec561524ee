// Gate: how the update gate / conductance z_t of a layer is computed.
#pragma once

#include <vector>

#include "core/sdk/block.h"
#include "core/sdk/parameter_set.h"

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

  // Adds the gate's own parameters (in the gate's own namespace: a name the cell also uses is
  // stored as "gate.<name>"). Called after the cell's, so the gate may read the cell's
  // recurrent weight (ParameterSet::find_role(ParameterRole::kRecurrent)).
  virtual void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) = 0;
  // The gate's linear blocks, described term by term (core/sdk/block.h), e.g. the conductance
  // gate's {|W| (.) A, |P_in|, G_b}. From it the defaults below compute the blocks and derive
  // the gradients, to the parameters and to A. A gate whose blocks are no such transform leaves
  // this empty and overrides num_blocks(), prepare() and accumulate() (and uses_scaling()).
  virtual std::vector<BlockSpec> block_specs() const { return {}; }
  // Linear blocks the gate reads per step (a constant-in-time gate uses one bias-only block).
  // Default: as many as block_specs(), or 1.
  virtual int num_blocks() const { return described_block_count(block_specs()); }
  // True if the gate reads a scaling A (the conductance gate); the layer then requires one.
  // Default: whether a term of block_specs() is scaled by A.
  virtual bool uses_scaling() const { return blocks_use_scaling(block_specs()); }
  // Writes its blocks from effective parameter values. `scaling` is the effective A
  // ([H, H], >= 0) when uses_scaling(), else null. Once per minibatch.
  // Default: from block_specs() (keeping a copy of A for accumulate() when a term uses it).
  virtual void prepare(const ParameterSet& params, const Matrix* scaling, LinearBlock* blocks) const {
    const std::vector<BlockSpec> specs = block_specs();
    prepare_blocks(checked_specs(specs, num_blocks(), "gate"), params, scaling, blocks, "gate");
    if (scaling && blocks_use_scaling(specs)) prepared_scaling_ = *scaling;
  }
  // Adds dLoss/d(block) to parameters' `grad`, and dLoss/dA to `d_scaling` when used.
  // Default: the gradients derived from block_specs(), with A as prepare() saw it.
  virtual void accumulate(const LinearBlock* block_grads, ParameterSet& params, Matrix* d_scaling) const {
    const std::vector<BlockSpec> specs = block_specs();
    const Matrix* scaling = blocks_use_scaling(specs) ? &prepared_scaling_ : nullptr;
    accumulate_blocks(checked_specs(specs, num_blocks(), "gate"), block_grads, params, scaling, d_scaling, "gate");
  }
  // z_t from the blocks, for a chunk of rows; runs in parallel, touches only its views.
  virtual void forward(GateForward& step) const = 0;
  virtual void backward(GateBackward& step) const = 0;

 private:
  mutable Matrix prepared_scaling_;  // A of the last default prepare() that needed it
};

}  // namespace biornn
