// Tests of the Yang et al. 2019 task family: the task contract for every task and the mix, and
// each task against its definition (when the fixation input goes off, which stimuli appear in
// which period and modality, the response class, no-go trials), the score and bad options.
#include <gtest/gtest.h>

#include <cmath>

#include "plugins/datasets/common/task_testing.h"

namespace biornn::datasets::testing {
namespace {

const char* const kSo = "plugins/datasets/multitask/multitask_plugin.so";
const std::vector<std::string> kTasks = {"fdgo",      "reactgo", "delaygo", "fdanti", "reactanti",
                                         "delayanti", "dm1",     "dm2",     "ctxdm1", "ctxdm2",
                                         "multidm",   "dmsgo",   "dmsnogo", "dmcgo",  "dmcnogo"};
constexpr int N = 8;  // directions
enum { kTask, kDirection1, kDirection2, kCoherence, kResponse };

struct Trials {
  std::unique_ptr<Dataset> d;
  Batch b;
  std::vector<float> c;  // conditions [n, 5]
  float x(int t, int i, int f) const { return b.x[(size_t(t) * b.n + i) * b.F + f]; }
  int label(int t, int i) const { return b.labels[size_t(t) * b.n + i]; }
  float cond(int i, int k) const { return c[size_t(i) * 5 + k]; }
  // The summed input of modality m (0, 1) at step t.
  float modality(int t, int i, int m) const {
    float s = 0;
    for (int j = 0; j < N; ++j) s += x(t, i, 1 + m * N + j);
    return s;
  }
  // The ring unit with the largest input in modality m at step t.
  int peak(int t, int i, int m) const {
    int best = 0;
    for (int j = 1; j < N; ++j)
      if (x(t, i, 1 + m * N + j) > x(t, i, 1 + m * N + best)) best = j;
    return best;
  }
  // The modality with input in this trial (the one with more, summed over the trial).
  int used_modality(int i) const {
    float s[2] = {0, 0};
    for (int t = 0; t < b.T; ++t)
      for (int m = 0; m < 2; ++m) s[m] += modality(t, i, m);
    return s[1] > s[0] ? 1 : 0;
  }
  int fixation_off(int i) const {
    for (int t = 0; t < b.T; ++t)
      if (x(t, i, 0) == 0) return t;
    return b.T;
  }
  int response_begin(int i) const {  // the first grace step
    for (int t = 1; t < b.T; ++t)
      if (b.mask[size_t(t) * b.n + i] == 0) return t;
    return -1;
  }
};

Trials trials(const std::string& task, int n = 64) {
  Trials r;
  r.d = make_dataset(kSo, task, {{"input_noise", 0.0}});
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) indices[size_t(i)] = i;
  r.b = draw(*r.d, Split::kTrain, indices);
  r.c.resize(size_t(n) * 5);
  r.d->conditions(Split::kTrain, indices.data(), n, r.c.data());
  return r;
}

TEST(RingTasks, EveryTaskAndTheMixKeepTheTaskContract) {
  for (const std::string& t : kTasks) {
    SCOPED_TRACE(t);
    expect_task_contract(*make_dataset(kSo, t));
  }
  expect_task_contract(*make_dataset(kSo, "multitask"));
}

TEST(RingTasks, EveryTaskAndTheMixDrawTheSameTrialsAheadAsOnDemand) {
  for (const std::string& t : kTasks) expect_drawn_ahead_is_drawn_on_demand(kSo, t);
  expect_drawn_ahead_is_drawn_on_demand(kSo, "multitask");
}

TEST(RingTasks, ShapesAreTheFamilys) {
  auto d = make_dataset(kSo, "dm1");
  EXPECT_EQ(d->features(), 1 + 2 * N + 15);
  EXPECT_EQ(d->classes(), 1 + N);
  EXPECT_EQ(d->steps(), (500 + 500 + 500 + 300 + 300) / 20);
}

// Every task: its rule unit on all trial and no other; fixation targets until the response.
TEST(RingTasks, RuleInputIsOneHotAndTargetsFixateUntilTheResponse) {
  for (size_t k = 0; k < kTasks.size(); ++k) {
    SCOPED_TRACE(kTasks[k]);
    const Trials r = trials(kTasks[k], 16);
    for (int i = 0; i < r.b.n; ++i) {
      EXPECT_EQ(r.cond(i, kTask), float(k));
      const int begin = r.response_begin(i);
      ASSERT_GT(begin, 0);
      for (int t = 0; t < r.b.T; ++t) {
        for (size_t rule = 0; rule < kTasks.size(); ++rule)
          EXPECT_EQ(r.x(t, i, 1 + 2 * N + int(rule)), rule == k ? 1.0f : 0.0f);
        EXPECT_EQ(r.label(t, i), t < begin ? 0 : int(r.cond(i, kResponse)));
      }
    }
  }
}

// Go, Anti, their reaction-time and delayed versions: when the stimulus is on, when the
// fixation goes off, and which way to respond.
TEST(RingTasks, GoAndAntiTasksFollowTheirDefinitions) {
  for (const std::string task : {"fdgo", "reactgo", "delaygo", "fdanti", "reactanti", "delayanti"}) {
    SCOPED_TRACE(task);
    const Trials r = trials(task);
    const bool anti = std::string(task).find("anti") != std::string::npos;
    for (int i = 0; i < r.b.n; ++i) {
      const int begin = r.response_begin(i);
      const int m = r.used_modality(i);
      const int direction = int(r.cond(i, kDirection1));
      const int response = (anti ? (direction + N / 2) % N : direction) + 1;
      EXPECT_EQ(r.cond(i, kResponse), float(response));
      for (int t = 0; t < r.b.T; ++t) EXPECT_EQ(r.modality(t, i, 1 - m), 0.0f);  // one modality only
      if (task[0] == 'r') {  // react: the stimulus is the go cue; fixation stays on
        EXPECT_EQ(r.fixation_off(i), r.b.T);
        EXPECT_EQ(r.modality(begin - 1, i, m), 0.0f);
        EXPECT_EQ(r.peak(begin, i, m), direction);
      } else {
        EXPECT_EQ(r.fixation_off(i), begin);   // the go cue
        EXPECT_EQ(r.modality(0, i, m), 0.0f);  // fixation period: no stimulus
        const bool delayed = task[0] == 'd';
        EXPECT_EQ(r.modality(begin, i, m) > 0, !delayed);  // fd: still on; delay: gone
        EXPECT_EQ(r.modality(begin - 1, i, m) > 0, !delayed);
      }
    }
  }
}

// Decision tasks: two stimuli a quarter to three quarters of the ring apart; the response is
// the direction with the stronger evidence in the relevant modality (both for multidm).
TEST(RingTasks, DecisionTasksRespondToTheStrongerStimulus) {
  for (const std::string task : {"dm1", "dm2", "ctxdm1", "ctxdm2", "multidm"}) {
    SCOPED_TRACE(task);
    const Trials r = trials(task);
    for (int i = 0; i < r.b.n; ++i) {
      const int d1 = int(r.cond(i, kDirection1)), d2 = int(r.cond(i, kDirection2));
      const int apart = std::min((d1 - d2 + N) % N, (d2 - d1 + N) % N);
      EXPECT_GE(apart, N / 4);
      const int begin = r.response_begin(i), during = begin - 1;
      EXPECT_EQ(r.fixation_off(i), begin);
      EXPECT_EQ(r.modality(begin, i, 0) + r.modality(begin, i, 1), 0.0f);  // stimuli end at the go cue
      const bool in1 = r.modality(during, i, 0) > 0, in2 = r.modality(during, i, 1) > 0;
      EXPECT_EQ(in1, task != std::string("dm2"));
      EXPECT_EQ(in2, task != std::string("dm1"));
      // The evidence of each modality from its inputs at the two directions.
      auto evidence = [&](int m) { return r.x(during, i, 1 + m * N + d1) - r.x(during, i, 1 + m * N + d2); };
      const double relevant = task == std::string("multidm") ? evidence(0) + evidence(1)
                              : (task == std::string("dm2") || task == std::string("ctxdm2")) ? evidence(1)
                                                                                              : evidence(0);
      EXPECT_EQ(r.cond(i, kResponse), float(1 + (relevant > 0 ? d1 : d2))) << relevant;
      EXPECT_GT(relevant * r.cond(i, kCoherence), 0);
    }
  }
}

// Match tasks: stimulus 1, a delay without input, stimulus 2 on through the response; respond
// toward stimulus 2 on go trials (match for *go, non-match for *nogo), else keep fixating.
TEST(RingTasks, MatchTasksGoOnlyOnTheirKindOfTrial) {
  for (const std::string task : {"dmsgo", "dmsnogo", "dmcgo", "dmcnogo"}) {
    SCOPED_TRACE(task);
    const Trials r = trials(task);
    int go = 0;
    for (int i = 0; i < r.b.n; ++i) {
      const int d1 = int(r.cond(i, kDirection1)), d2 = int(r.cond(i, kDirection2));
      const bool category = task[2] == 'c';
      const bool match = category ? (d1 < N / 2) == (d2 < N / 2) : d1 == d2;
      const bool wants_go = std::string(task).find("nogo") == std::string::npos ? match : !match;
      EXPECT_EQ(r.cond(i, kResponse), wants_go ? float(1 + d2) : 0.0f);
      go += wants_go;
      const int begin = r.response_begin(i);
      EXPECT_EQ(r.fixation_off(i), begin);
      const int m = r.used_modality(i);
      EXPECT_EQ(r.peak(begin, i, m), d2);  // stimulus 2 still on at the response
      EXPECT_EQ(r.modality(begin, i, 1 - m), 0.0f);
      bool delay_without_input = false;  // some step between the stimuli has no input
      bool saw_first = false;
      for (int t = 0; t < begin; ++t) {
        const float s = r.modality(t, i, m);
        if (s > 0 && !saw_first) {
          saw_first = true;
          EXPECT_EQ(r.peak(t, i, m), d1);
        }
        delay_without_input = delay_without_input || (saw_first && s == 0);
      }
      EXPECT_TRUE(delay_without_input);
    }
    EXPECT_GT(go, 10);
    EXPECT_LT(go, 54);
  }
}

// The score: a broken fixation or a response on a no-go trial is wrong.
TEST(RingTasks, ScoreNeedsFixationAndTheRightResponse) {
  for (const std::string task : {"dmsnogo", "fdanti"}) {
    Trials r = trials(task, 32);
    std::vector<float> perfect = perfect_outputs(*r.d, r.b);
    EXPECT_EQ(accuracy(r.d->score(perfect.data(), r.b.T, r.b.n, r.b.data())), 1.0);
    std::vector<float> broken = perfect;  // answers one step early
    for (int i = 0; i < r.b.n; ++i) {
      const size_t row = size_t(r.response_begin(i) - 2) * r.b.n + i;
      broken[row * r.b.O + 0] = 0;
      broken[row * r.b.O + 1] = 9;
    }
    EXPECT_EQ(accuracy(r.d->score(broken.data(), r.b.T, r.b.n, r.b.data())), 0.0);
  }
  Trials nogo = trials("dmsgo", 32);
  std::vector<float> always_go = perfect_outputs(*nogo.d, nogo.b);
  for (int i = 0; i < nogo.b.n; ++i)
    for (int t = nogo.response_begin(i); t < nogo.b.T; ++t) {
      const size_t row = size_t(t) * nogo.b.n + i;
      always_go[row * nogo.b.O + 1 + int(nogo.cond(i, kDirection2))] = 9;  // responds on every trial
    }
  const double a = accuracy(nogo.d->score(always_go.data(), nogo.b.T, nogo.b.n, nogo.b.data()));
  EXPECT_GT(a, 0.2);
  EXPECT_LT(a, 0.8);  // right on match trials only
}

TEST(RingTasks, TheMixFollowsItsRatios) {
  auto d = make_dataset(kSo, "multitask", {{"tasks", std::string("fdgo, dm1")}, {"ratios", std::string("3, 1")}});
  std::vector<int64_t> indices(400);
  for (int i = 0; i < 400; ++i) indices[size_t(i)] = i;
  std::vector<float> c(400 * 5);
  d->conditions(Split::kTrain, indices.data(), 400, c.data());
  int fdgo = 0;
  for (int i = 0; i < 400; ++i) fdgo += c[size_t(i) * 5] == 0;
  EXPECT_NEAR(fdgo / 400.0, 0.75, 0.07);
}

TEST(RingTasks, BadOptionsAreOneLineErrors) {
  EXPECT_NE(option_error(kSo, "multitask", {{"tasks", std::string("fdgo, flipflop")}})
                .find("unknown task 'flipflop' (known tasks: fdgo, reactgo"),
            std::string::npos);
  EXPECT_NE(option_error(kSo, "multitask", {{"tasks", std::string("fdgo, dm1")}, {"ratios", std::string("1")}})
                .find("1 numbers for 2 tasks"),
            std::string::npos);
  EXPECT_NE(option_error(kSo, "dm1", {{"directions", int64_t(6)}}).find("multiple of 4"), std::string::npos);
}

}  // namespace
}  // namespace biornn::datasets::testing
