// Tests of context_integration: the task contract, the context cue, the relevant stimulus
// deciding, and the score.
#include <gtest/gtest.h>

#include "plugins/datasets/common/task_testing.h"

namespace biornn::datasets::testing {
namespace {

const char* const kSo = "plugins/datasets/context_integration/context_integration_plugin.so";

TEST(ContextIntegration, KeepsTheTaskContract) { expect_task_contract(*make_dataset(kSo, "context_integration")); }
TEST(ContextIntegration, DrawsTheSameTrialsAheadAsOnDemand) {
  expect_drawn_ahead_is_drawn_on_demand(kSo, "context_integration");
}

TEST(ContextIntegration, TheCuedStimulusDecides) {
  auto d = make_dataset(kSo, "context_integration", {{"input_noise", 0.0}});
  EXPECT_EQ(d->features(), 7);
  EXPECT_EQ(d->steps(), (100 + 600 + 100 + 300) / 20);
  const int n = 200;
  std::vector<int64_t> indices(n);
  for (int i = 0; i < n; ++i) indices[size_t(i)] = i;
  Batch b = draw(*d, Split::kTrain, indices);
  std::vector<float> c(size_t(n) * 3);
  d->conditions(Split::kTrain, indices.data(), n, c.data());
  int contexts[2] = {0, 0}, irrelevant_agrees = 0;
  for (int i = 0; i < n; ++i) {
    const int context = int(c[size_t(i) * 3]);
    const float motion = c[size_t(i) * 3 + 1], colour = c[size_t(i) * 3 + 2];
    ++contexts[context];
    const size_t stim = (size_t(10) * n + i) * 7, last = (size_t(b.T - 1) * n + i);
    EXPECT_NEAR(b.x[stim + 2] - b.x[stim + 1], motion, 1e-6);
    EXPECT_NEAR(b.x[stim + 4] - b.x[stim + 3], colour, 1e-6);
    EXPECT_EQ(b.x[stim + 5], context == 0 ? 1.0f : 0.0f);
    EXPECT_EQ(b.x[last * 7 + 6], context == 1 ? 1.0f : 0.0f);  // cue stays on
    const float relevant = context == 0 ? motion : colour;
    const float irrelevant = context == 0 ? colour : motion;
    EXPECT_EQ(b.labels[last], relevant > 0 ? 2 : 1);
    irrelevant_agrees += (irrelevant > 0) == (b.labels[last] == 2);
  }
  EXPECT_GT(contexts[0], 60);
  EXPECT_GT(contexts[1], 60);
  EXPECT_GT(irrelevant_agrees, n / 2 - 30);  // the irrelevant stimulus is independent
  EXPECT_LT(irrelevant_agrees, n / 2 + 30);
}

TEST(ContextIntegration, ScoreIsTheDecision) {
  auto d = make_dataset(kSo, "context_integration");
  Batch b = draw(*d, Split::kTest, {0, 1, 2, 3, 4, 5, 6, 7});
  const std::vector<float> perfect = perfect_outputs(*d, b);
  EXPECT_EQ(accuracy(d->score(perfect.data(), b.T, b.n, b.data())), 1.0);
  const std::vector<float> opposite = opposite_choices(perfect, b);
  EXPECT_EQ(accuracy(d->score(opposite.data(), b.T, b.n, b.data())), 0.0);
}

TEST(ContextIntegration, BadOptionsNameTheirPlace) {
  std::string e = option_error(kSo, "context_integration", {{"coherences", std::string("")}});
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
  e = option_error(kSo, "context_integration", {{"delay_ms", -5.0}});
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
}

}  // namespace
}  // namespace biornn::datasets::testing
