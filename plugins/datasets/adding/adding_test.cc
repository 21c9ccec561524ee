// Tests of adding: the task contract, the marked numbers and their sum, and the score.
#include <gtest/gtest.h>

#include "plugins/datasets/common/task_testing.h"

namespace biornn::datasets::testing {
namespace {

const char* const kSo = "plugins/datasets/adding/adding_plugin.so";

TEST(Adding, KeepsTheTaskContract) { expect_task_contract(*make_dataset(kSo, "adding")); }
TEST(Adding, DrawsTheSameTrialsAheadAsOnDemand) { expect_drawn_ahead_is_drawn_on_demand(kSo, "adding"); }

TEST(Adding, TheTargetIsTheSumOfTheMarkedNumbers) {
  auto d = make_dataset(kSo, "adding", {{"steps", 50}});
  EXPECT_EQ(d->steps(), 50);
  EXPECT_EQ(d->features(), 2);
  EXPECT_EQ(d->classes(), 1);
  const int n = 32;
  std::vector<int64_t> indices(n);
  for (int i = 0; i < n; ++i) indices[size_t(i)] = i;
  Batch b = draw(*d, Split::kTrain, indices);
  double mean_target = 0;
  for (int i = 0; i < n; ++i) {
    int marks[2] = {0, 0};
    float sum = 0;
    for (int t = 0; t < b.T; ++t) {
      const size_t row = size_t(t) * n + i;
      EXPECT_GE(b.x[row * 2], 0.0f);
      EXPECT_LT(b.x[row * 2], 1.0f);
      if (b.x[row * 2 + 1] == 1) {
        ++marks[t < 25 ? 0 : 1];
        sum += b.x[row * 2];
      }
      EXPECT_EQ(b.mask[row], t == b.T - 1 ? 1.0f : 0.0f);
    }
    EXPECT_EQ(marks[0], 1);
    EXPECT_EQ(marks[1], 1);
    EXPECT_FLOAT_EQ(b.targets[size_t(b.T - 1) * n + i], sum);
    mean_target += sum / n;
  }
  EXPECT_NEAR(mean_target, 1.0, 0.25);
}

TEST(Adding, ScoreCountsTrialsWithinTheTolerance) {
  auto d = make_dataset(kSo, "adding");
  std::vector<int64_t> indices(200);
  for (int i = 0; i < 200; ++i) indices[size_t(i)] = i;
  Batch b = draw(*d, Split::kTest, indices);
  const std::vector<float> perfect = perfect_outputs(*d, b);
  EXPECT_EQ(accuracy(d->score(perfect.data(), b.T, b.n, b.data())), 1.0);
  // Answering the mean (1) is within 0.2 of the sum only when the sum is in (0.8, 1.2): ~ 1/3.
  const std::vector<float> mean = constant_outputs(b, 1.0f);
  const double a = accuracy(d->score(mean.data(), b.T, b.n, b.data()));
  EXPECT_GT(a, 0.2);
  EXPECT_LT(a, 0.5);
}

TEST(Adding, BadOptionsNameTheirPlace) {
  std::string e = option_error(kSo, "adding", {{"steps", 1}});
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
}

}  // namespace
}  // namespace biornn::datasets::testing
