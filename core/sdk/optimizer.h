// Optimizer: updates raw parameters from raw gradients.
#pragma once

#include <vector>

#include "core/sdk/tensor.h"

namespace biornn {

class Optimizer {
 public:
  static constexpr const char* kKind = "optimizer";
  virtual ~Optimizer() = default;
  // One update of every trainable p.raw from p.raw_grad. The parameter list is the
  // same, in the same order, on every call.
  virtual void step(const std::vector<Parameter*>& params, double learning_rate) = 0;
  // The learning rate named in the graph.
  virtual double learning_rate() const = 0;
  // The optimizer's own state (moments, step count) as a flat list of matrices, for
  // checkpoints; set_state() takes back exactly what state() gave.
  virtual std::vector<Matrix> state() const = 0;
  virtual void set_state(const std::vector<Matrix>& state) = 0;
};

}  // namespace biornn
