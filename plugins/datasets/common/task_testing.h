// Helpers for the tests of the task datasets: load a task plugin, draw batches, make outputs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/sdk/dataset.h"
#include "core/sdk/options.h"
#include "core/sdk/registry.h"
#include "plugins/datasets/common/dataset_testing.h"

namespace biornn::datasets::testing {

// One batch as fill() writes it, in owned buffers.
struct Batch {
  int T = 0, n = 0, F = 0, O = 0;
  std::vector<float> x, targets, mask;
  std::vector<int32_t> labels;
  BatchData data();
};
Batch draw(const Dataset& d, Split split, const std::vector<int64_t>& indices);

// Outputs [T, n, O] that a perfect network would give: one-hot logits of the labels
// (kStepClass) or the targets themselves (kStepValue).
std::vector<float> perfect_outputs(const Dataset& d, const Batch& b);
// Outputs of a network that always answers `value` on every output.
std::vector<float> constant_outputs(const Batch& b, float value);
// Outputs of a choice network that answers the other choice (classes 1 and 2 swapped).
std::vector<float> opposite_choices(const std::vector<float>& outputs, const Batch& b);

double accuracy(const Score& s);

// Checks (gtest EXPECTs) what every task must do: the shapes it declares, every buffer written,
// the same trial for the same (split, index) in any batch, different trials for other indices and
// in the test split, masks in [0, inf) with some steps counted, conditions as many as named,
// a score of 100% for perfect outputs, and batch() refused with a message naming fill().
void expect_task_contract(const Dataset& d);

// load() draws the splits ahead (TaskDataset::kCacheBytes permitting) and fill() then copies:
// checks that this gives the bytes of trials drawn at each fill(), in both splits, at indices in
// any order and repeated, up to each split's last trial.
void expect_drawn_ahead_is_drawn_on_demand(const std::string& so, const std::string& name);

}  // namespace biornn::datasets::testing
