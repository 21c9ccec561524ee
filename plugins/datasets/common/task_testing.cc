#include "plugins/datasets/common/task_testing.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/sdk/error.h"
#include "core/experiment/plugin_loader.h"
#include "core/testing/testing.h"

namespace biornn::datasets::testing {
BatchData Batch::data() { return {x.data(), labels.data(), targets.data(), mask.data()}; }

Batch draw(const Dataset& d, Split split, const std::vector<int64_t>& indices) {
  Batch b;
  b.T = d.steps();
  b.n = int(indices.size());
  b.F = d.features();
  b.O = d.classes();
  const size_t rows = size_t(b.T) * b.n;
  b.x.assign(rows * b.F, -7.0f);  // garbage that fill() must overwrite
  b.labels.assign(rows, -7);
  b.targets.assign(rows * b.O, -7.0f);
  b.mask.assign(rows, -7.0f);
  d.fill(split, indices.data(), b.n, b.data());
  return b;
}

std::vector<float> perfect_outputs(const Dataset& d, const Batch& b) {
  const size_t rows = size_t(b.T) * b.n;
  if (d.target_kind() == TargetKind::kStepValue) return b.targets;
  std::vector<float> out(rows * b.O, 0.0f);
  for (size_t row = 0; row < rows; ++row) out[row * b.O + size_t(b.labels[row])] = 5.0f;
  return out;
}

std::vector<float> constant_outputs(const Batch& b, float value) {
  return std::vector<float>(size_t(b.T) * b.n * b.O, value);
}

std::vector<float> opposite_choices(const std::vector<float>& outputs, const Batch& b) {
  std::vector<float> out = outputs;
  for (size_t row = 0; row < size_t(b.T) * b.n; ++row) std::swap(out[row * b.O + 1], out[row * b.O + 2]);
  return out;
}

double accuracy(const Score& s) { return s.counted > 0 ? s.correct / s.counted : -1; }

namespace {

// Trial `k` of batch `b` as one vector (inputs, then labels or targets, then mask).
std::vector<float> trial_of(const Batch& b, int k) {
  std::vector<float> v;
  for (int t = 0; t < b.T; ++t) {
    const size_t row = size_t(t) * b.n + k;
    for (int f = 0; f < b.F; ++f) v.push_back(b.x[row * b.F + f]);
    v.push_back(float(b.labels[row]));
    for (int o = 0; o < b.O; ++o) v.push_back(b.targets[row * b.O + o]);
    v.push_back(b.mask[row]);
  }
  return v;
}

}  // namespace

void expect_drawn_ahead_is_drawn_on_demand(const std::string& so, const std::string& name) {
  std::unique_ptr<Dataset> ahead = make_dataset(so, name), on_demand = make_dataset(so, name);
  ahead->load();
  for (Split split : {Split::kTrain, Split::kTest}) {
    const int64_t last = ahead->size(split) - 1;
    const std::vector<int64_t> indices{7, 0, last, 5, 5, 1};
    const Batch a = draw(*ahead, split, indices), b = draw(*on_demand, split, indices);
    EXPECT_EQ(a.x, b.x) << name;
    EXPECT_EQ(a.labels, b.labels) << name;
    EXPECT_EQ(a.targets, b.targets) << name;
    EXPECT_EQ(a.mask, b.mask) << name;
  }
}

void expect_task_contract(const Dataset& d) {
  ASSERT_GT(d.steps(), 0);
  ASSERT_GT(d.features(), 0);
  ASSERT_GT(d.classes(), 0);
  EXPECT_NE(d.target_kind(), TargetKind::kSequenceClass);
  EXPECT_GE(d.size(Split::kTrain), 64);
  EXPECT_GE(d.size(Split::kTest), 64);

  Batch b = draw(d, Split::kTrain, {0, 1, 2, 3, 4, 5, 6, 7});
  const bool step_class = d.target_kind() == TargetKind::kStepClass;
  double mask_sum = 0;
  for (float v : b.x) EXPECT_TRUE(std::isfinite(v) && v != -7.0f);
  for (float m : b.mask) {
    EXPECT_GE(m, 0.0f);
    mask_sum += m;
  }
  EXPECT_GT(mask_sum, 0);
  if (step_class)
    for (int32_t l : b.labels) EXPECT_TRUE(l >= 0 && l < d.classes()) << l;
  else
    for (float v : b.targets) EXPECT_TRUE(std::isfinite(v) && v != -7.0f);

  // Same (split, index): same trial, wherever it sits in a batch; other indices differ.
  Batch again = draw(d, Split::kTrain, {5, 3});
  EXPECT_EQ(trial_of(again, 0), trial_of(b, 5));
  EXPECT_EQ(trial_of(again, 1), trial_of(b, 3));
  EXPECT_NE(trial_of(b, 0), trial_of(b, 1));
  Batch test = draw(d, Split::kTest, {0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_NE(trial_of(test, 0), trial_of(b, 0));

  // Conditions: as many as named, the same for the same trial.
  const size_t c = d.condition_names().size();
  EXPECT_GT(c, 0u);
  std::vector<float> conditions(8 * c, -7.0f), one(c);
  std::vector<int64_t> indices{0, 1, 2, 3, 4, 5, 6, 7};
  d.conditions(Split::kTrain, indices.data(), 8, conditions.data());
  const int64_t five = 5;
  d.conditions(Split::kTrain, &five, 1, one.data());
  for (size_t k = 0; k < c; ++k) EXPECT_EQ(one[k], conditions[5 * c + k]);
  EXPECT_EQ(d.condition_kinds().size(), c) << "one ConditionKind per condition name";

  // Periods (timed tasks): each trial starts in the first, ends in the last, never goes back.
  const int P = int(d.period_names().size());
  if (P > 0) {
    std::vector<int32_t> periods(size_t(b.T) * 8, -1);
    d.periods(Split::kTrain, indices.data(), 8, periods.data());
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(periods[size_t(i)], 0) << "trial " << i;
      EXPECT_EQ(periods[size_t(b.T - 1) * 8 + size_t(i)], P - 1) << "trial " << i;
      for (int t = 1; t < b.T; ++t)
        EXPECT_LE(periods[size_t(t - 1) * 8 + size_t(i)], periods[size_t(t) * 8 + size_t(i)]) << "trial " << i;
    }
  }

  const std::vector<float> perfect = perfect_outputs(d, b);
  Score s = d.score(perfect.data(), b.T, b.n, b.data());
  EXPECT_GT(s.counted, 0);
  EXPECT_EQ(s.correct, s.counted);

  int32_t label = 0;
  try {
    d.batch(Split::kTrain, indices.data(), 1, b.x.data(), &label);
    ADD_FAILURE() << "batch() of a per-step task did not throw";
  } catch (const Error& e) { EXPECT_NE(std::string(e.what()).find("fill()"), std::string::npos) << e.what(); }
  const int64_t outside = d.size(Split::kTest);
  EXPECT_THROW(draw(d, Split::kTest, {outside}), Error);
}

}  // namespace biornn::datasets::testing
