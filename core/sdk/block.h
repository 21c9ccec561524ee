// Linear blocks: the H-wide terms u = recurrent r_{t-1} + input x_t + bias that a cell or a gate
// reads each step, and a description of them from which the engine derives block and gradient.
#pragma once

#include <string>
#include <vector>

#include "core/sdk/parameter_set.h"

namespace biornn {

// One H-wide linear term of a step: pre = r_{t-1} recurrent^T + x_t input^T + bias.
// An empty matrix means "no such term" (the engine treats it as zero).
struct LinearBlock {
  Matrix recurrent;  // [H, H]
  Matrix input;      // [H, F]
  Vector bias;       // [H]
};

// A fixed elementwise map of a parameter's effective value w, and its derivative.
enum class Transform {
  kCopy,          // w                    (d/dw = 1)
  kAbs,           // |w|                  (sign(w); 0 at w = 0)
  kPositivePart,  // max(w, 0)            ([w > 0])
  kNegativePart,  // max(-w, 0) = |min(w, 0)|  (-[w < 0])
};

// One term of a block: transform(parameter), optionally times the layer's scaling A
// elementwise (a gate's recurrent term only: |W| (.) A). The parameter is found by name (the
// plugin's own namespace first, as ParameterSet::get) or, with no name, by its role (how a gate
// reads the cell's recurrent weight). A default-constructed term (or "") is "no such term".
struct BlockTerm {
  std::string name;
  ParameterRole role = ParameterRole::kOther;
  Transform transform = Transform::kCopy;
  bool times_scaling = false;

  BlockTerm() = default;
  BlockTerm(const char* name, Transform t = Transform::kCopy) : name(name), transform(t) {}
  BlockTerm(std::string name, Transform t = Transform::kCopy) : name(std::move(name)), transform(t) {}
  BlockTerm(ParameterRole role, Transform t = Transform::kCopy) : role(role), transform(t) {}
  // This term times A: transform(w) (.) A.
  BlockTerm scaled_by_a() const {
    BlockTerm t = *this;
    t.times_scaling = true;
    return t;
  }
  bool present() const { return !name.empty() || role != ParameterRole::kOther; }
};

// A block described term by term: recurrent [H, H], input [H, F], bias (a [1, H] parameter).
// E.g. {"W", "P", "b"} is u = W r + P x + b; {{"W", Transform::kPositivePart}} is max(W, 0) r.
struct BlockSpec {
  BlockTerm recurrent, input, bias;
};

// Writes `blocks[k]` from `specs[k]` for every k. `scaling` is the layer's A ([H, H]) or null;
// a term with times_scaling and no A is an Error. `who` ("cell", "gate") names the caller in
// errors.
void prepare_blocks(const std::vector<BlockSpec>& specs, const ParameterSet& params, const Matrix* scaling,
                    LinearBlock* blocks, const char* who);
// Adds the derived gradients of dLoss/d(block) `grads[k]`: to each term's parameter `grad`
// (g, g (.) sign(w), g (.) [w > 0], -g (.) [w < 0]; times A for a scaled term), and, to
// `d_scaling` when non-null, g (.) transform(w) for a scaled term. `scaling` is the A that
// prepare_blocks was given.
void accumulate_blocks(const std::vector<BlockSpec>& specs, const LinearBlock* grads, ParameterSet& params,
                       const Matrix* scaling, Matrix* d_scaling, const char* who);
// `specs` as the default prepare()/accumulate() of a cell or gate use them: an Error when it is
// empty (the plugin neither describes its blocks nor overrides prepare/accumulate) or when its
// size is not `num_blocks`.
const std::vector<BlockSpec>& checked_specs(const std::vector<BlockSpec>& specs, int num_blocks, const char* who);
// How many blocks `specs` describes (1 when none: the default num_blocks()).
inline int described_block_count(const std::vector<BlockSpec>& specs) { return specs.empty() ? 1 : int(specs.size()); }
// True if any term is times_scaling (a gate with such a term needs a scaling A).
bool blocks_use_scaling(const std::vector<BlockSpec>& specs);

// The plain block u = W r + P x + b as copies of three parameters ("" for a term the block
// does not have): for a hand-written prepare()/accumulate() that has one plain block among
// others. The same as prepare_blocks/accumulate_blocks with one BlockSpec of copies.
struct PlainBlock {
  std::string recurrent = "W", input = "P", bias = "b";
  BlockSpec spec() const { return {recurrent, input, bias}; }
  void prepare(const ParameterSet& params, LinearBlock& block) const;
  void accumulate(const LinearBlock& grad, ParameterSet& params) const;
};

}  // namespace biornn
