// Tests of flip_flop: the task contract, targets that hold the last pulse, and the score.
#include <gtest/gtest.h>

#include "plugins/datasets/common/task_testing.h"

namespace biornn::datasets::testing {
namespace {

const char* const kSo = "plugins/datasets/flip_flop/flip_flop_plugin.so";

TEST(FlipFlop, KeepsTheTaskContract) { expect_task_contract(*make_dataset(kSo, "flip_flop")); }
TEST(FlipFlop, DrawsTheSameTrialsAheadAsOnDemand) { expect_drawn_ahead_is_drawn_on_demand(kSo, "flip_flop"); }

TEST(FlipFlop, TargetsHoldTheLastPulse) {
  auto d = make_dataset(kSo, "flip_flop", {{"pulse_at_start", false}, {"steps", 200}});
  EXPECT_EQ(d->features(), 3);
  EXPECT_EQ(d->classes(), 3);
  EXPECT_EQ(d->target_kind(), TargetKind::kStepValue);
  const int n = 16;
  std::vector<int64_t> indices(n);
  for (int i = 0; i < n; ++i) indices[size_t(i)] = i;
  Batch b = draw(*d, Split::kTrain, indices);
  int pulses = 0, before_first = 0;
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) {
      float held = 0;
      for (int t = 0; t < b.T; ++t) {
        const size_t at = (size_t(t) * n + i) * 3 + k;
        if (b.x[at] != 0) {
          EXPECT_TRUE(b.x[at] == 1 || b.x[at] == -1);
          held = b.x[at];
          ++pulses;
        }
        EXPECT_EQ(b.targets[at], held);
        before_first += held == 0;
        EXPECT_EQ(b.mask[size_t(t) * n + i], 1.0f);
      }
    }
  // 0.05 a step: about 10 pulses per bit and trial, and about 20 steps before the first.
  EXPECT_GT(pulses, n * 3 * 5);
  EXPECT_LT(pulses, n * 3 * 15);
  EXPECT_GT(before_first, 0);
}

TEST(FlipFlop, ScoreCountsStepsAfterTheFirstPulse) {
  auto d = make_dataset(kSo, "flip_flop", {{"pulse_at_start", false}});
  Batch b = draw(*d, Split::kTest, {0, 1, 2, 3});
  const std::vector<float> perfect = perfect_outputs(*d, b);
  Score s = d->score(perfect.data(), b.T, b.n, b.data());
  EXPECT_EQ(accuracy(s), 1.0);
  EXPECT_LT(s.counted, 4 * 3 * 100);  // steps before a bit's first pulse are not counted
  std::vector<float> flipped = perfect;
  for (float& v : flipped) v = -v;
  EXPECT_EQ(accuracy(d->score(flipped.data(), b.T, b.n, b.data())), 0.0);
  const std::vector<float> always_up = constant_outputs(b, 0.5f);
  const double a = accuracy(d->score(always_up.data(), b.T, b.n, b.data()));
  EXPECT_GT(a, 0.2);
  EXPECT_LT(a, 0.8);
}

TEST(FlipFlop, ConditionsAreTheFinalBits) {
  auto d = make_dataset(kSo, "flip_flop");
  Batch b = draw(*d, Split::kTrain, {3});
  std::vector<float> c(3);
  const int64_t three = 3;
  d->conditions(Split::kTrain, &three, 1, c.data());
  for (int k = 0; k < 3; ++k) EXPECT_EQ(c[size_t(k)], b.targets[size_t(b.T - 1) * 3 + k]);
}

TEST(FlipFlop, BadOptionsNameTheirPlace) {
  std::string e = option_error(kSo, "flip_flop", {{"pulse_probability", 1.5}});
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
  e = option_error(kSo, "flip_flop", {{"bits", 0}});
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
}

}  // namespace
}  // namespace biornn::datasets::testing
