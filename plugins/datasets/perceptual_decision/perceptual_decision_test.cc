// Tests of perceptual_decision: the shared task contract, the stimulus, the targets and the score.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "plugins/datasets/common/task_testing.h"

namespace biornn::datasets::testing {
namespace {

const char* const kSo = "plugins/datasets/perceptual_decision/perceptual_decision_plugin.so";

TEST(PerceptualDecision, KeepsTheTaskContract) { expect_task_contract(*make_dataset(kSo, "perceptual_decision")); }
TEST(PerceptualDecision, DrawsTheSameTrialsAheadAsOnDemand) {
  expect_drawn_ahead_is_drawn_on_demand(kSo, "perceptual_decision");
}

TEST(PerceptualDecision, ShapesFollowTheTiming) {
  auto d = make_dataset(kSo, "perceptual_decision",
                        {{"dt_ms", 10.0}, {"stimulus_ms", 500.0}, {"stimulus_jitter_ms", 200.0}});
  EXPECT_EQ(d->steps(), (100 + 500 + 200 + 300) / 10);
  EXPECT_EQ(d->features(), 3);
  EXPECT_EQ(d->classes(), 3);
  EXPECT_EQ(d->target_kind(), TargetKind::kStepClass);
}

// Evidence favours the labelled choice by the trial's coherence; fixation input until the
// response; targets fixate then choose; grace steps unweighted.
TEST(PerceptualDecision, TrialsMatchTheirConditions) {
  auto d = make_dataset(kSo, "perceptual_decision", {{"input_noise", 0.0}});
  std::vector<int64_t> indices(64);
  for (int i = 0; i < 64; ++i) indices[size_t(i)] = i;
  Batch b = draw(*d, Split::kTrain, indices);
  std::vector<float> coherence(64);
  d->conditions(Split::kTrain, indices.data(), 64, coherence.data());
  std::set<float> seen;
  for (int i = 0; i < 64; ++i) {
    seen.insert(std::fabs(coherence[size_t(i)]));
    const int stimulus_step = 10, response = 5 + 30;  // 100 ms fixation, 600 ms stimulus at 20 ms
    const size_t row = size_t(stimulus_step) * 64 + i;
    EXPECT_NEAR(b.x[row * 3 + 2] - b.x[row * 3 + 1], coherence[size_t(i)], 1e-6);
    EXPECT_EQ(b.x[(size_t(response - 1) * 64 + i) * 3 + 0], 1.0f);
    EXPECT_EQ(b.x[(size_t(response) * 64 + i) * 3 + 0], 0.0f);
    EXPECT_EQ(b.labels[size_t(response - 1) * 64 + i], 0);
    const int choice = b.labels[size_t(response) * 64 + i];
    EXPECT_TRUE(choice == 1 || choice == 2);
    if (coherence[size_t(i)] != 0) { EXPECT_EQ(choice == 2, coherence[size_t(i)] > 0); }
    EXPECT_EQ(b.mask[size_t(response) * 64 + i], 0.0f);  // grace: 100 ms
    EXPECT_EQ(b.mask[size_t(response + 5) * 64 + i], 1.0f);
  }
  EXPECT_GE(seen.size(), 5u);  // most of the 6 default levels in 64 trials
}

TEST(PerceptualDecision, ScoreIsTheDecisionInTheResponsePeriod) {
  auto d = make_dataset(kSo, "perceptual_decision");
  Batch b = draw(*d, Split::kTest, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  const std::vector<float> perfect = perfect_outputs(*d, b);
  EXPECT_EQ(accuracy(d->score(perfect.data(), b.T, b.n, b.data())), 1.0);
  const std::vector<float> opposite = opposite_choices(perfect, b);
  EXPECT_EQ(accuracy(d->score(opposite.data(), b.T, b.n, b.data())), 0.0);
  const std::vector<float> silent = constant_outputs(b, 0.0f);  // ties: decides "fixate"
  EXPECT_EQ(accuracy(d->score(silent.data(), b.T, b.n, b.data())), 0.0);
}

TEST(PerceptualDecision, BadOptionsNameTheirPlace) {
  std::string e = option_error(kSo, "perceptual_decision", {{"coherences", std::string("0.5, 2")}});
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
  EXPECT_NE(e.find("element 2 is 2, allowed in [0, 1]"), std::string::npos) << e;
  e = option_error(kSo, "perceptual_decision", {{"coherences", std::string("0.5, x")}});
  EXPECT_NE(e.find("not a number"), std::string::npos) << e;
  e = option_error(kSo, "perceptual_decision", {{"dt_ms", 0.0}});
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
  e = option_error(kSo, "perceptual_decision", {{"response_ms", 100.0}});
  EXPECT_NE(e.find("longer than grace_ms"), std::string::npos) << e;
  e = option_error(kSo, "perceptual_decision", {{"input_noise", -1.0}});
  EXPECT_NE(e.find("task.toml"), std::string::npos) << e;
}

}  // namespace
}  // namespace biornn::datasets::testing
