// ConstraintChain: several constraints on one parameter (e.g. dale and mask on W), composed in order.
#pragma once

#include <memory>
#include <vector>

#include "core/sdk/constraint.h"

namespace biornn {

// value = c_n(... c_2(c_1(raw))): each link maps the previous link's output. backward() runs
// the links in reverse (each one's backward at its own input); add_penalty_gradient() takes
// each soft link's penalty gradient at its input back to raw the same way. initialize() and project() run every link in
// order on the raw parameter: a later link may rely on an earlier one (mask reads dale's sender types), and each
// projection acts on raw (so links after the first should be ones whose apply is the identity on feasible values, such
// as mask or dale with mode = clip; abs links compose too, with their projection a no-op). column_signs(): the first
// link's that has sender types.
class ConstraintChain : public Constraint {
 public:
  explicit ConstraintChain(std::vector<std::unique_ptr<Constraint>> links);

  void initialize(Parameter& p, Rng& rng) override;
  void apply(const Matrix& raw, Matrix& value) const override;
  void backward(const Matrix& raw, const Matrix& value, const Matrix& grad, Matrix& raw_grad) const override;
  void project(Matrix& raw) const override;
  double penalty(const Matrix& raw) const override;
  void add_penalty_gradient(const Matrix& raw, Matrix& raw_grad) const override;
  std::vector<float> column_signs() const override;
  // Each link's state after its length: [n_1, s_1..., n_2, s_2..., ...].
  std::vector<float> state() const override;
  void restore(const std::vector<float>& state) override;

 private:
  // inputs[k] = the input of link k (inputs[0] = raw); returns the last link's output.
  Matrix forward(const Matrix& raw, std::vector<Matrix>* inputs) const;
  std::vector<std::unique_ptr<Constraint>> links_;
};

struct ConstrainedParameter;  // core/engine/recurrent_layer.h

// Merges the constraints that name the same parameter into one ConstraintChain, in the order
// given (the chain takes the place of the first one); others pass through unchanged.
std::vector<ConstrainedParameter> chain_constraints(std::vector<ConstrainedParameter> constraints);

}  // namespace biornn
