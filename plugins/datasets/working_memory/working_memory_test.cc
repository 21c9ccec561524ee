// Tests of working_memory: the task contract, the frequency pairs of Romo et al., the delay
// jitter and the score.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "plugins/datasets/common/task_testing.h"

namespace biornn::datasets::testing {
namespace {

const char* const kSo = "plugins/datasets/working_memory/working_memory_plugin.so";

TEST(WorkingMemory, KeepsTheTaskContract) { expect_task_contract(*make_dataset(kSo, "working_memory")); }
TEST(WorkingMemory, DrawsTheSameTrialsAheadAsOnDemand) { expect_drawn_ahead_is_drawn_on_demand(kSo, "working_memory"); }

TEST(WorkingMemory, PairsAreRomos) {
  auto d = make_dataset(kSo, "working_memory", {{"input_noise", 0.0}});
  EXPECT_EQ(d->steps(), (100 + 200 + 600 + 200 + 200 + 300) / 20);
  const int n = 300;
  std::vector<int64_t> indices(n);
  for (int i = 0; i < n; ++i) indices[size_t(i)] = i;
  Batch b = draw(*d, Split::kTrain, indices);
  std::vector<float> c(size_t(n) * 2);
  d->conditions(Split::kTrain, indices.data(), n, c.data());
  std::set<std::pair<int, int>> pairs;
  std::set<int> delays;
  for (int i = 0; i < n; ++i) {
    const float f1 = c[size_t(i) * 2], f2 = c[size_t(i) * 2 + 1];
    EXPECT_EQ(std::fabs(f1 - f2), 8.0f);
    EXPECT_TRUE(f1 >= 10 && f1 <= 34 && f2 >= 10 && f2 <= 34);
    pairs.insert({int(f1), int(f2)});
    // f1 is on the stimulus channel during steps 5..15, then silence until f2.
    EXPECT_NEAR(b.x[(size_t(6) * n + i) * 2 + 1], (1 + (f1 - 10) / 24) / 2, 1e-6);
    int silent = 0, t = 15;
    while (b.x[(size_t(t) * n + i) * 2 + 1] == 0) ++silent, ++t;
    delays.insert(silent);
    EXPECT_NEAR(b.x[(size_t(t) * n + i) * 2 + 1], (1 + (f2 - 10) / 24) / 2, 1e-6);
    EXPECT_EQ(b.labels[size_t(b.T - 1) * n + i], f1 > f2 ? 1 : 2);
  }
  EXPECT_EQ(pairs.size(), 10u);
  EXPECT_GT(delays.size(), 5u);  // the delay jitters (600 + up to 200 ms)
  EXPECT_GE(*delays.begin(), 30);
  EXPECT_LE(*delays.rbegin(), 40);
}

TEST(WorkingMemory, ScoreIsTheDecision) {
  auto d = make_dataset(kSo, "working_memory");
  Batch b = draw(*d, Split::kTest, {0, 1, 2, 3, 4, 5, 6, 7});
  const std::vector<float> perfect = perfect_outputs(*d, b);
  EXPECT_EQ(accuracy(d->score(perfect.data(), b.T, b.n, b.data())), 1.0);
  const std::vector<float> opposite = opposite_choices(perfect, b);
  EXPECT_EQ(accuracy(d->score(opposite.data(), b.T, b.n, b.data())), 0.0);
}

TEST(WorkingMemory, BadOptionsNameTheirPlace) {
  std::string e = option_error(kSo, "working_memory", {{"dt_ms", 0.001}});
  EXPECT_NE(e.find("more than 100000"), std::string::npos) << e;
  EXPECT_NE(e.find("task.toml:4:1"), std::string::npos) << e;
}

}  // namespace
}  // namespace biornn::datasets::testing
