// Constraint: maps a raw parameter to the effective one (sign constraints such as Dale's law).
#pragma once

#include <string>
#include <vector>

#include "core/sdk/error.h"
#include "core/sdk/tensor.h"

namespace biornn {

class Constraint {
 public:
  static constexpr const char* kKind = "constraint";
  virtual ~Constraint() = default;

  // Called once after the owner created `p` (raw holds its initial values): may
  // re-initialise raw (e.g. Dale's balanced initialisation).
  virtual void initialize(Parameter& p, Rng& rng) {
    (void)p;
    (void)rng;
  }
  // value = f(raw). Same shape. Once per minibatch.
  virtual void apply(const Matrix& raw, Matrix& value) const = 0;
  // raw_grad = (d value / d raw)^T grad, elementwise for the constraints here (without the
  // penalty's gradient: see add_penalty_gradient).
  virtual void backward(const Matrix& raw, const Matrix& value, const Matrix& grad, Matrix& raw_grad) const = 0;
  // Called after each optimizer step (projection methods change raw here).
  virtual void project(Matrix& raw) const { (void)raw; }
  // A term the constraint adds to the loss as a function of raw (soft constraints such as
  // soft_dale); 0 for hard constraints. It depends on the parameter only, not on the data:
  // the training step adds it once, after the ranks' gradients are summed (so it is never
  // multiplied by the number of ranks), and backward() must leave it out.
  virtual double penalty(const Matrix& raw) const {
    (void)raw;
    return 0;
  }
  // raw_grad += d penalty / d raw. Same shape as raw; nothing for hard constraints.
  virtual void add_penalty_gradient(const Matrix& raw, Matrix& raw_grad) const {
    (void)raw;
    (void)raw_grad;
  }
  // +1/-1 per column (presynaptic unit) when the constraint fixes sender types; else empty.
  virtual std::vector<float> column_signs() const { return {}; }
  // What initialize() derived besides the parameter's values (partial Dale's obeying senders,
  // a mask's synapses, per-synapse signs): saved in the checkpoint and handed back to
  // restore() on resume, so a resumed run never re-derives it from the random stream.
  virtual std::vector<float> state() const { return {}; }
  // Takes back what state() returned for the same graph; throws an Error when it does not fit.
  virtual void restore(const std::vector<float>& state) {
    if (!state.empty())
      throw Error("this constraint keeps no state, but the checkpoint holds " + std::to_string(state.size()) +
                  " values for it: was it written for another graph?");
  }
};

}  // namespace biornn
