// Loss terms on parameters: the soft constraints' penalties (soft_dale) and the L1 / L2 weight
// regularisers of [train]. They depend on the parameters, not on the data, so a training step
// adds each one once, after the ranks' gradients are summed (N ranks never apply N times
// lambda), and reports their sum beside the loss. (The rate regulariser is a mean over the
// examples of the global minibatch: it stays in the model's backward pass.)
#pragma once

#include <vector>

#include "core/sdk/tensor.h"

namespace biornn {

// lambda1 * sum |raw| + lambda2 * sum raw^2 on one parameter.
struct WeightPenalty {
  Parameter* parameter;
  double l1, l2;
};

// Adds d penalty / d raw of every parameter's constraint to its raw_grad; returns the sum of
// the penalties. Parameters without a constraint (or with a hard one) add nothing.
double add_constraint_penalties(const std::vector<Parameter*>& params);

// Adds each weight penalty's gradient to its parameter's raw_grad; returns their sum.
double add_weight_penalties(const std::vector<WeightPenalty>& penalties);

}  // namespace biornn
