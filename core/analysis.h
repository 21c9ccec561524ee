// Analysis of trained networks on tasks: the decisions of choice trials, a trained layer's
// one-step map for the fixed-point finder.
#pragma once

#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/fixed_points.h"
#include "core/recurrent_layer.h"

namespace biornn {

// The decision of trial i of a kStepClass batch of n trials (outputs [T, n, classes]): the class
// with the largest mean output over the steps that ask for a choice (label > 0 and mask > 0);
// -1 if the trial has no such step. Class 0 is "fixate", so a network that does not answer
// decides 0.
int decision(const float* outputs, int steps, int n, int classes, const BatchData& batch, int i);

// The label of those steps (the right choice), or -1.
int choice_label(int steps, int n, const BatchData& batch, int i);

// Why `layer` has no one-step map with a given state ("" when it has one): whole-sequence
// cells (gru, lstm) run all steps inside oneDNN's RNN primitive, which starts from its own zero
// state and exposes neither one step nor its Jacobian.
std::string why_no_step_map(const RecurrentLayer& layer);

// F(s) = one step of a trained per-step layer from state s with the input held at x*
// (noise off), with the exact vector-Jacobian product through the cell's and the gate's own
// backward (RecurrentLayer::step / step_backward). States are [n, state_size].
class LayerStepMap : public StateMap {
 public:
  // Calls layer.prepare(). Throws an Error (why_no_step_map) for whole-sequence cells, and
  // if `input` is not `features` long.
  LayerStepMap(RecurrentLayer& layer, std::vector<float> input);
  int dimension() const override { return layer_.state_size(); }
  void apply(const float* h, int n, float* f) override;
  void vector_jacobian(const float* v, int n, float* g) override;

 private:
  RecurrentLayer& layer_;
  std::vector<float> input_, x_;  // x_: input_ repeated for the batch of the last apply()
};

}  // namespace biornn
