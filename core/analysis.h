// Analysis of trained networks on tasks: the decisions of choice trials.
#pragma once

#include "core/dataset.h"

namespace biornn {

// The decision of trial i of a kStepClass batch of n trials (outputs [T, n, classes]): the class
// with the largest mean output over the steps that ask for a choice (label > 0 and mask > 0);
// -1 if the trial has no such step. Class 0 is "fixate", so a network that does not answer
// decides 0.
int decision(const float* outputs, int steps, int n, int classes, const BatchData& batch, int i);

// The label of those steps (the right choice), or -1.
int choice_label(int steps, int n, const BatchData& batch, int i);

}  // namespace biornn
