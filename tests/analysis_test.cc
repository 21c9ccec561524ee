// Tests of the analysis tools: the fixed-point finder on hand-made maps whose fixed points are
// known, the Jacobian against finite differences, PCA on data of known structure, .npz output.
#include <gtest/gtest.h>

#include <filesystem>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/analysis/analysis.h"
#include "core/analysis/dimensionality.h"
#include "core/analysis/fixed_points.h"
#include "core/platform/npz.h"
#include "core/experiment/plugin_loader.h"
#include "core/analysis/pca.h"
#include "core/platform/files.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

// Each coordinate follows h + dt (h - h^3): fixed at -1, 0, 1 in every coordinate; +-1 stable
// (multiplier 1 - 2 dt), 0 unstable (1 + dt). In D dimensions: 3^D points, 2^D stable.
class Bistable : public StateMap {
 public:
  explicit Bistable(int dim) : dim_(dim) {}
  int dimension() const override { return dim_; }
  void apply(const float* h, int n, float* f) override {
    last_.assign(h, h + size_t(n) * dim_);
    for (size_t k = 0; k < last_.size(); ++k) f[k] = h[k] + kDt * (h[k] - h[k] * h[k] * h[k]);
  }
  void vector_jacobian(const float* v, int n, float* g) override {
    for (size_t k = 0; k < size_t(n) * dim_; ++k) g[k] = v[k] * (1 + kDt * (1 - 3 * last_[k] * last_[k]));
  }

 private:
  static constexpr float kDt = 0.2f;
  int dim_;
  std::vector<float> last_;
};

// F(h) = tanh(A h + b): a coupled map whose Jacobian is diag(1 - F^2) A.
class TanhMap : public StateMap {
 public:
  TanhMap(Eigen::MatrixXf a, Eigen::VectorXf b) : a_(std::move(a)), b_(std::move(b)) {}
  int dimension() const override { return int(b_.size()); }
  void apply(const float* h, int n, float* f) override {
    const int D = dimension();
    f_.resize(n, D);
    for (int i = 0; i < n; ++i) {
      Eigen::VectorXf x = Eigen::Map<const Eigen::VectorXf>(h + size_t(i) * D, D);
      Eigen::VectorXf y = (a_ * x + b_).array().tanh();
      f_.row(i) = y.transpose();
      Eigen::Map<Eigen::VectorXf>(f + size_t(i) * D, D) = y;
    }
  }
  void vector_jacobian(const float* v, int n, float* g) override {
    const int D = dimension();
    for (int i = 0; i < n; ++i) {
      Eigen::VectorXf u = Eigen::Map<const Eigen::VectorXf>(v + size_t(i) * D, D).array() *
                          (1 - f_.row(i).transpose().array().square());
      Eigen::Map<Eigen::VectorXf>(g + size_t(i) * D, D) = a_.transpose() * u;
    }
  }

 private:
  Eigen::MatrixXf a_, f_;
  Eigen::VectorXf b_;
};

TEST(FixedPoints, FindsAndClassifiesEveryPointOfABistableGrid) {
  Bistable map(2);
  std::vector<float> starts;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.6f, 1.6f);
  for (int i = 0; i < 200; ++i) starts.push_back(u(rng));
  // Saddles attract q's descent only from nearby: add starts near the axes, as trajectories
  // between two memories would give.
  for (float a : {-1.0f, 0.0f, 1.0f})
    for (float b : {-1.0f, 0.0f, 1.0f}) {
      starts.push_back(a + 0.05f * u(rng));
      starts.push_back(b + 0.05f * u(rng));
    }
  const FixedPointSearch s = find_fixed_points(map, starts, int(starts.size()) / 2, FixedPointOptions{});
  ASSERT_EQ(s.points.size(), 9u);
  int by_unstable[3] = {0, 0, 0};
  for (const FixedPoint& p : s.points) {
    ++by_unstable[p.unstable];
    for (float c : p.state) {
      const float nearest = std::round(c);
      EXPECT_NEAR(c, nearest, 5e-3);
    }
    const bool at_zero_0 = std::fabs(p.state[0]) < 0.5, at_zero_1 = std::fabs(p.state[1]) < 0.5;
    EXPECT_EQ(p.unstable, int(at_zero_0) + int(at_zero_1));
    EXPECT_NEAR(std::abs(p.eigenvalues[0]), p.unstable > 0 ? 1.2 : 0.6, 1e-3);
    EXPECT_LT(p.q, FixedPointOptions{}.tolerance);
  }
  EXPECT_EQ(by_unstable[0], 4);
  EXPECT_EQ(by_unstable[1], 4);
  EXPECT_EQ(by_unstable[2], 1);
  EXPECT_TRUE(s.points.front().stable());
  int starts_total = 0;
  for (const FixedPoint& p : s.points) starts_total += p.starts;
  EXPECT_EQ(starts_total, s.converged);
}

TEST(FixedPoints, JacobianMatchesFiniteDifferences) {
  const int D = 5;
  std::mt19937 rng(2);
  std::normal_distribution<float> g(0, 1);
  Eigen::MatrixXf a(D, D);
  Eigen::VectorXf b(D), h(D);
  for (int i = 0; i < D; ++i) {
    b(i) = 0.3f * g(rng);
    h(i) = g(rng);
    for (int j = 0; j < D; ++j) a(i, j) = 0.8f * g(rng);
  }
  TanhMap map(a, b);
  const Eigen::MatrixXd J = jacobian(map, h.data());
  const float eps = 1e-3f;
  for (int j = 0; j < D; ++j) {
    Eigen::VectorXf up = h, down = h, fu(D), fd(D);
    up(j) += eps;
    down(j) -= eps;
    map.apply(up.data(), 1, fu.data());
    map.apply(down.data(), 1, fd.data());
    for (int i = 0; i < D; ++i) EXPECT_NEAR(J(i, j), (fu(i) - fd(i)) / (2 * eps), 2e-3) << i << "," << j;
  }
}

TEST(FixedPoints, AContractionHasOneStablePoint) {
  const int D = 4;
  Eigen::MatrixXf a = 0.5f * Eigen::MatrixXf::Identity(D, D);
  a(0, 1) = 0.3f;
  Eigen::VectorXf b = Eigen::VectorXf::Constant(D, 0.2f);
  TanhMap map(a, b);
  std::vector<float> starts(size_t(20) * D);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-2, 2);
  for (float& s : starts) s = u(rng);
  const FixedPointSearch s = find_fixed_points(map, starts, 20, FixedPointOptions{});
  ASSERT_EQ(s.points.size(), 1u);
  EXPECT_EQ(s.points[0].starts, 20);
  EXPECT_TRUE(s.points[0].stable());
  Eigen::VectorXf h = Eigen::Map<const Eigen::VectorXf>(s.points[0].state.data(), D), f(D);
  map.apply(h.data(), 1, f.data());
  EXPECT_LT((f - h).norm(), std::sqrt(2 * FixedPointOptions{}.tolerance));  // q < tolerance
}

TEST(FixedPoints, RefusesStartsOfTheWrongSize) {
  Bistable map(3);
  EXPECT_THROW(find_fixed_points(map, std::vector<float>(7), 2, FixedPointOptions{}), Error);
}

// The cells and gates a trained layer may use, loaded once.
Registry& plugins() {
  // Both live until exit (reachable from these statics): the plugins' factories must outlive
  // every object they made.
  static Registry* r = [] {
    auto* registry = new Registry;
    static PluginLoader* loader = new PluginLoader(*registry);
    for (const char* so : {"plugins/cells/rate/rate_plugin.so", "plugins/cells/conductance/conductance_plugin.so",
                           "plugins/cells/gru/gru_plugin.so", "plugins/gates/learned/learned_plugin.so",
                           "plugins/gates/conductance/conductance_plugin.so"})
      loader->load(testing::runfile(so));
    return registry;
  }();
  return *r;
}

std::unique_ptr<RecurrentLayer> layer_of(const std::string& cell, const std::string& gate, int H, int F, Rng& rng) {
  Registry& r = plugins();
  auto c = r.create<Cell>(cell, Options(r.get("cell", cell).schema));
  std::unique_ptr<Gate> g;
  if (!gate.empty()) g = r.create<Gate>(gate, Options(r.get("gate", gate).schema));
  return std::make_unique<RecurrentLayer>("rnn", H, F, std::move(c), std::move(g), nullptr,
                                          std::vector<ConstrainedParameter>{}, rng);
}

// A trained layer's step map: its Jacobian (from the engine's step_backward) against finite
// differences of its step, for the simple GRU and the conductance cell.
TEST(LayerStepMap, JacobianOfATrainedLayersStepMatchesFiniteDifferences) {
  for (const auto& [cell, gate] :
       {std::pair<std::string, std::string>{"rate", "learned"}, {"conductance", "learned"}}) {
    Rng rng(7);
    auto layer = layer_of(cell, gate, 6, 3, rng);
    LayerStepMap map(*layer, {0.5f, -0.2f, 0.1f});
    const int D = map.dimension();
    std::vector<float> h(static_cast<size_t>(D));
    std::mt19937 g(8);
    std::normal_distribution<float> normal(0, 0.5f);
    for (float& v : h) v = normal(g);
    const Eigen::MatrixXd J = jacobian(map, h.data());
    const float eps = 1e-2f;
    double worst = 0;
    for (int j = 0; j < D; ++j) {
      std::vector<float> up = h, down = h, fu(h.size()), fd(h.size());
      up[size_t(j)] += eps;
      down[size_t(j)] -= eps;
      map.apply(up.data(), 1, fu.data());
      map.apply(down.data(), 1, fd.data());
      for (int i = 0; i < D; ++i)
        worst = std::max(worst, std::fabs(J(i, j) - (fu[size_t(i)] - fd[size_t(i)]) / (2 * eps)));
    }
    EXPECT_LT(worst, 2e-3) << cell;
  }
}

TEST(LayerStepMap, WholeSequenceCellsSayWhyNot) {
  Rng rng(9);
  auto layer = layer_of("gru", "", 4, 2, rng);
  EXPECT_NE(why_no_step_map(*layer).find("whole-sequence"), std::string::npos);
  try {
    LayerStepMap map(*layer, {0, 0});
    ADD_FAILURE() << "a gru layer gave a step map";
  } catch (const Error& e) { EXPECT_NE(std::string(e.what()).find("oneDNN"), std::string::npos) << e.what(); }
  auto rate = layer_of("rate", "learned", 4, 2, rng);
  EXPECT_EQ(why_no_step_map(*rate), "");
  EXPECT_THROW(LayerStepMap(*rate, {0, 0, 0}), Error);
}

// Six hand-made trials of a context task: conditions (context, motion, colour); the choice
// follows motion in context 0 and colour in context 1, except trial 5, which chose wrongly.
Activity context_trials() {
  Activity a;
  a.trials = 6;
  a.conditions = {0, 0.5f, -0.5f, 0, -0.5f, 0.5f, 0, 0.5f, 0.5f, 1, 0.5f, -0.5f, 1, -0.5f, 0.5f, 1, 0.5f, 0.5f};
  a.condition_kinds = {ConditionKind::kCategory, ConditionKind::kSignedEvidence, ConditionKind::kSignedEvidence};
  a.decisions = {2, 1, 2, 1, 2, 1};
  a.correct = {1, 1, 1, 1, 1, 0};
  return a;
}

TEST(ChoiceTable, CountsChoicesAndScoresPerContextAndValue) {
  const std::vector<std::string> names = {"context", "motion", "colour"};
  const std::vector<ChoiceRow> rows = choice_table(context_trials(), names);
  ASSERT_EQ(rows.size(), 8u);    // 2 conditions x 2 contexts x 2 values
  const ChoiceRow& m = rows[1];  // motion, context 0, +0.5: trials 0 and 2, both chose 2
  EXPECT_EQ(m.condition, "motion");
  EXPECT_EQ(m.context, 0);
  EXPECT_FLOAT_EQ(m.value, 0.5f);
  EXPECT_EQ(m.trials, 2);
  EXPECT_DOUBLE_EQ(m.choice2, 100);
  EXPECT_DOUBLE_EQ(m.correct, 100);
  const ChoiceRow& c = rows[7];  // colour, context 1, +0.5: trials 4 (chose 2) and 5 (chose 1)
  EXPECT_EQ(c.condition, "colour");
  EXPECT_EQ(c.context, 1);
  EXPECT_EQ(c.trials, 2);
  EXPECT_DOUBLE_EQ(c.choice2, 50);
  EXPECT_DOUBLE_EQ(c.correct, 50);
}

TEST(ChoiceTable, PoolsSignsByMagnitudeAndNeedsDecisions) {
  const std::vector<std::string> names = {"context", "motion", "colour"};
  const std::vector<std::string> lines = accuracy_by_magnitude(context_trials(), names);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "% correct by |motion| in context 0: 0.5 100.0% (3)");
  EXPECT_EQ(lines[1], "% correct by |motion| in context 1: 0.5 66.7% (3)");
  Activity none = context_trials();
  none.decisions.clear();
  EXPECT_THROW(choice_table(none, names), Error);
}

// Issue 19: only signed evidence gets psychometric rows; a category or a direction gets a
// score per value, a magnitude with many values a score per quartile.
TEST(ChoiceTable, FollowsTheKindOfEachCondition) {
  const std::vector<std::string> names = {"context", "motion", "colour"};
  Activity a = context_trials();
  a.condition_kinds[2] = ConditionKind::kCircular;  // colour as a direction: no psychometric rows
  for (const ChoiceRow& r : choice_table(a, names)) EXPECT_EQ(r.condition, "motion");
  const std::vector<ConditionScore> scores = scores_by_condition(a, names);
  ASSERT_EQ(scores.size(), 4u);  // context 0 and 1; colour -0.5 and 0.5
  EXPECT_EQ(scores[0].condition, "context");
  EXPECT_EQ(scores[0].label, "0");
  EXPECT_EQ(scores[0].trials, 3);
  EXPECT_DOUBLE_EQ(scores[0].correct, 100);
  EXPECT_EQ(scores[1].label, "1");
  EXPECT_NEAR(scores[1].correct, 200.0 / 3, 1e-9);
  EXPECT_EQ(scores[3].condition, "colour");
  EXPECT_EQ(scores[3].label, "0.5");
  EXPECT_EQ(scores[3].trials, 4);
  EXPECT_DOUBLE_EQ(scores[3].correct, 75);

  Activity m;  // a magnitude with 40 values: 4 quartiles of 10 trials; the top quartile wrong
  m.trials = 40;
  for (int i = 0; i < 40; ++i) {
    m.conditions.push_back(float(i));
    m.correct.push_back(i < 30 ? 1.0f : 0.0f);
  }
  m.condition_kinds = {ConditionKind::kMagnitude};
  const std::vector<ConditionScore> q = scores_by_condition(m, {"f1"});
  ASSERT_EQ(q.size(), 4u);
  for (const ConditionScore& r : q) EXPECT_EQ(r.trials, 10) << r.label;
  EXPECT_EQ(q[0].label, "0 to 9");
  EXPECT_DOUBLE_EQ(q[2].correct, 100);
  EXPECT_DOUBLE_EQ(q[3].correct, 0);
}

// Issue 19: participation ratio (sum l)^2 / sum l^2: 1 for activity on a line, D for equal
// variance in D directions, 2 for two equal directions; per period from Activity::periods.
TEST(Dimensionality, ParticipationRatioOfKnownSpectra) {
  EXPECT_DOUBLE_EQ(participation_ratio({4, 0, 0}), 1);
  EXPECT_DOUBLE_EQ(participation_ratio({1, 1, 1, 1}), 4);
  EXPECT_DOUBLE_EQ(participation_ratio({0, 0}), 0);
  // T = 4 steps x n = 2 trials x H = 3 units; period 0 (steps 0-1) moves along unit 0 only,
  // period 1 (steps 2-3) along units 1 and 2 with equal variance.
  Activity a;
  a.steps = 4;
  a.trials = 2;
  a.hidden = 3;
  a.rates = {1, 0, 0, -1, 0,  0, 2, 0, 0,  -2, 0,  0,    // steps 0, 1
             0, 1, 1, 0,  -1, 1, 0, 1, -1, 0,  -1, -1};  // steps 2, 3
  a.period_names = {"stimulus", "response"};
  a.periods = {0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<PeriodDimensionality> d = dimensionality_by_period(a);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].period, "stimulus");
  EXPECT_EQ(d[1].samples, 4);
  EXPECT_NEAR(d[1].participation_ratio, 1, 1e-9);
  EXPECT_NEAR(d[1].explained[0], 1, 1e-9);
  EXPECT_NEAR(d[2].participation_ratio, 2, 1e-9);
  EXPECT_NEAR(d[2].explained[0], 0.5, 1e-9);
  EXPECT_GT(d[0].participation_ratio, 2);  // all steps: three directions, unequal
  const std::vector<double> speed = rate_speed(a);
  ASSERT_EQ(speed.size(), 3u);
  EXPECT_NEAR(speed[0], (1 + 1) / 2.0, 1e-9);  // trial 0: (1,0,0) -> (2,0,0); trial 1: (-1,0,0) -> (-2,0,0)
  EXPECT_THROW(covariance_spectrum(a.rates.data(), 1, 3), Error);
}

TEST(Pca, RecoversTheDirectionsOfLargestVariance) {
  // Samples 3 u e1' + 1 v e2' + 0.01 noise in 4-D, where e1', e2' are rotated axes.
  const int n = 2000, D = 4;
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0, 1);
  Eigen::VectorXf e1(D), e2(D);
  e1 << 1, 1, 0, 0;
  e2 << 0, 0, 1, -1;
  e1.normalize();
  e2.normalize();
  std::vector<float> x(size_t(n) * D);
  for (int i = 0; i < n; ++i) {
    Eigen::VectorXf row = 3 * g(rng) * e1 + 1 * g(rng) * e2;
    for (int d = 0; d < D; ++d) x[size_t(i) * D + d] = row(d) + 0.01f * g(rng) + 5.0f;
  }
  const Pca p = fit_pca(x.data(), n, D, 2);
  EXPECT_NEAR(std::fabs(p.components.row(0).dot(e1.cast<double>())), 1.0, 1e-3);
  EXPECT_NEAR(std::fabs(p.components.row(1).dot(e2.cast<double>())), 1.0, 1e-3);
  EXPECT_NEAR(p.variance(0), 9.0, 0.8);
  EXPECT_NEAR(p.variance(1), 1.0, 0.1);
  EXPECT_GT(p.explained(0) + p.explained(1), 0.99);
  EXPECT_NEAR(p.mean(0), 5.0, 0.2);
  const Eigen::MatrixXd y = p.project(x.data(), n);
  EXPECT_EQ(y.rows(), n);
  EXPECT_EQ(y.cols(), 2);
  EXPECT_NEAR(y.col(0).mean(), 0.0, 1e-6);
  EXPECT_THROW(fit_pca(x.data(), 1, D, 2), Error);
}

TEST(Npz, WritesNpyHeadersNumpyReads) {
  const std::string three = npy_bytes({"a", {2, 3, 4}, std::vector<float>(24, 1.0f), {}});
  EXPECT_NE(three.find("'shape': (2, 3, 4)"), std::string::npos);
  EXPECT_NE(three.find("'<f4'"), std::string::npos);
  EXPECT_EQ((three.find('\n') + 1) % 64, 0u);  // header padded to 64 bytes
  const std::string one = npy_bytes({"b", {3}, {}, {1, 2, 3}});
  EXPECT_NE(one.find("'shape': (3,)"), std::string::npos);
  EXPECT_NE(one.find("'<i4'"), std::string::npos);
  EXPECT_EQ(one.size(), (one.find('\n') + 1) + 12);
  const std::string path = testing::temp_dir("npz") + "/x.npz";
  write_npz(path, {{"a", {2, 3, 4}, std::vector<float>(24, 1.0f), {}}, {"b", {3}, {}, {1, 2, 3}}});
  const std::string zip = testing::read_file(path);
  EXPECT_EQ(zip.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_NE(zip.find("a.npy"), std::string::npos);
  EXPECT_NE(zip.find("b.npy"), std::string::npos);
}

// Issue 19: .npz files read back (ours, numpy's Fortran order and its compressed form).
TEST(Npz, ReadsWhatItWritesAndNumpysForms) {
  const std::string dir = testing::temp_dir("npz_read");
  write_npz(dir + "/a.npz", {{"w", {2, 3}, {1, 2, 3, 4, 5, 6}, {}}, {"i", {3}, {}, {7, 8, 9}}});
  const std::vector<NpyRead> back = read_npz(dir + "/a.npz");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "w");
  EXPECT_EQ(back[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back[0].values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(back[1].values, (std::vector<float>{7, 8, 9}));
  std::string fortran = npy_bytes({"f", {2, 3}, {1, 4, 2, 5, 3, 6}, {}});  // column by column
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_EQ(parse_npy(fortran, "f.npy").values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  std::string cut = npy_bytes({"c", {4}, {1, 2, 3, 4}, {}});
  cut.resize(cut.size() - 3);
  EXPECT_THROW(parse_npy(cut, "c.npy"), Error);
  testing::write_file(dir + "/bad.npz", "PK not really");
  EXPECT_THROW(read_npz(dir + "/bad.npz"), Error);
  if (testing::run({"/usr/bin/python3", "-c", "import numpy"}).exit_code != 0) GTEST_SKIP() << "no numpy";
  const auto made = testing::run({"/usr/bin/python3", "-c",
                                  "import numpy as n; n.savez_compressed('" + dir +
                                      "/z.npz', m=n.asfortranarray(n.arange(6, dtype=n.float64).reshape(2, 3)))"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::vector<NpyRead> z = read_npz(dir + "/z.npz");
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(z[0].name, "m");
  EXPECT_EQ(z[0].values, (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

// Issue 19: a multi-task run logs each task's test score every epoch and writes it to
// metrics.csv (test_accuracy.<task>), named as the dataset names its tasks.
TEST(MultitaskRun, LogsAndWritesEachTasksScore) {
  const std::string dir = testing::temp_dir("multitask_scores");
  testing::write_file(dir + "/g.toml",
                      testing::tiny_task_graph("plugin = \"multitask\"\ntasks = [\"fdgo\", \"fdanti\", \"dm1\"]\n"
                                               "train_trials = 256\ntest_trials = 128",
                                               8, 2));
  const auto trained = testing::run({testing::runfile("runners/train"), dir + "/g.toml", "--run-dir", dir + "/run"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err << trained.out;
  const std::string log = testing::read_file(dir + "/run/train.log");
  EXPECT_NE(log.find("per task (128 test trials): fdgo "), std::string::npos) << log;
  const std::string csv = testing::read_file(dir + "/run/metrics.csv");
  const std::string header = csv.substr(0, csv.find('\n'));
  for (const std::string task : {"fdgo", "fdanti", "dm1"})
    EXPECT_NE(header.find("test_accuracy." + task), std::string::npos) << header;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;  // header and 2 epochs

  // analyze --task: one task's trials; an unknown task lists the recorded ones.
  const auto analyze = [&](const std::string& task) {
    return testing::run({testing::runfile("runners/analyze"), dir + "/run", "--task", task, "--trials", "48",
                         "--starts", "4", "--iterations", "20"});
  };
  const auto one = analyze("fdanti");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("analyze: --task fdanti: "), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("analyze: score per task (% correct): fdgo "), std::string::npos) << one.out;
  const auto unknown = analyze("nope");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("--task nope: 0 of the 48 recorded trials are of that task (the recorded tasks: fdgo, "
                             "fdanti, dm1)"),
            std::string::npos)
      << unknown.err;
}

TEST(SelectTrials, KeepsTheChosenTrialsOfEveryArray) {
  Activity a;
  a.steps = 2;
  a.trials = 3;
  a.hidden = 1;
  a.rates = {0, 1, 2, 10, 11, 12};  // [T=2, n=3, 1]
  a.mask = {1, 1, 1, 1, 1, 1};
  a.conditions = {5, 6, 7};
  a.correct = {1, 0, 1};
  const Activity s = select_trials(a, {2, 0});
  EXPECT_EQ(s.trials, 2);
  EXPECT_EQ(s.rates, (std::vector<float>{2, 0, 12, 10}));
  EXPECT_EQ(s.conditions, (std::vector<float>{7, 5}));
  EXPECT_EQ(s.correct, (std::vector<float>{1, 1}));
  EXPECT_TRUE(s.gates.empty());
  EXPECT_THROW(select_trials(a, {3}), Error);
}

// The analyze runner on a (barely) trained task run writes every plot as SVG and as PNG.
TEST(AnalyzeRunner, WritesEveryPlotAsSvgAndPng) {
  const std::string dir = testing::temp_dir("analyze");
  testing::write_file(dir + "/g.toml", R"([train]
epochs = 1
max_batches = 4
batch_size = 32
validation_size = 64
threads = 1
[optimizer]
plugin = "adam"
[nodes.data]
plugin = "perceptual_decision"
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 12
gate = { plugin = "learned" }
[nodes.readout]
plugin = "readout"
input = "rnn"
pooling = "all"
)");
  const auto trained = testing::run({testing::runfile("runners/train"), dir + "/g.toml", "--run-dir", dir + "/run"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err << trained.out;
  const auto analyzed = testing::run(
      {testing::runfile("runners/analyze"), dir + "/run", "--trials", "32", "--starts", "8", "--iterations", "200"});
  ASSERT_EQ(analyzed.exit_code, 0) << analyzed.err << analyzed.out;
  for (const std::string stem : {"pca", "psychometric_coherence", "performance", "fixed_points"}) {
    const std::string svg = testing::read_file(dir + "/run/analysis/" + stem + ".svg");
    const std::string png = testing::read_file(dir + "/run/analysis/" + stem + ".png");
    EXPECT_NE(svg.find("<svg"), std::string::npos) << stem;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << stem;
    EXPECT_NE(analyzed.out.find(stem + ".svg, .png"), std::string::npos) << analyzed.out;
  }
}

// Issue 20: analyze on a run that has not finished (still training, interrupted, killed) says
// so before analysing its checkpoint; on a finished run it says nothing of the kind.
TEST(AnalyzeRunner, SaysWhenTheRunHasNotFinished) {
  const std::string dir = testing::temp_dir("analyze_unfinished");
  testing::write_file(dir + "/g.toml", testing::tiny_task_graph("plugin = \"perceptual_decision\""));
  const auto trained = testing::run({testing::runfile("runners/train"), dir + "/g.toml", "--run-dir", dir + "/run"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err << trained.out;
  const auto analyze = [&] {
    return testing::run(
        {testing::runfile("runners/analyze"), dir + "/run", "--trials", "8", "--starts", "2", "--iterations", "20"});
  };
  const auto finished = analyze();
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  EXPECT_EQ(finished.out.find("warning"), std::string::npos) << finished.out;

  const std::string summary = testing::read_file(dir + "/run/summary.json");
  std::string interrupted = summary;
  interrupted.replace(interrupted.find("\"completed\""), 11, "\"interrupted\"");
  testing::write_file(dir + "/run/summary.json", interrupted);
  const auto stopped = analyze();
  EXPECT_NE(stopped.out.find("ended with status 'interrupted'"), std::string::npos) << stopped.out << stopped.err;
  EXPECT_NE(stopped.out.find("analysing its checkpoint of epoch 1"), std::string::npos) << stopped.out;

  std::filesystem::remove(dir + "/run/summary.json");
  const auto killed = analyze();
  EXPECT_NE(killed.out.find("has no summary.json"), std::string::npos) << killed.out << killed.err;

  // Issue 19: the same network from --graph and --weights (a run's parameters.npz) scores the
  // same; a mis-shaped or missing parameter is one line naming it.
  const auto by_weights = testing::run({testing::runfile("runners/analyze"), "--graph", dir + "/run/graph.toml",
                                        "--weights", dir + "/run/parameters.npz", "--out", dir + "/w", "--trials", "8",
                                        "--starts", "2", "--iterations", "20"});
  ASSERT_EQ(by_weights.exit_code, 0) << by_weights.err;
  const auto score = [](const std::string& out) { return out.substr(out.find("task score")); };
  EXPECT_EQ(score(by_weights.out).substr(0, 20), score(finished.out).substr(0, 20)) << by_weights.out;
  EXPECT_NE(by_weights.out.find("weights from " + dir + "/run/parameters.npz"), std::string::npos);
  std::string graph = testing::read_file(dir + "/g.toml");
  graph.replace(graph.find("hidden = 8"), 10, "hidden = 9");
  testing::write_file(dir + "/g9.toml", graph);
  const auto wrong = testing::run({testing::runfile("runners/analyze"), "--graph", dir + "/g9.toml", "--weights",
                                   dir + "/run/parameters.npz", "--out", dir + "/w9"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("parameters.npz: 'rnn."), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("is [8, "), std::string::npos) << wrong.err;
  EXPECT_EQ(std::count(wrong.err.begin(), wrong.err.end(), '\n'), 1) << wrong.err;

  testing::write_file(dir + "/run/summary.json", summary);
  const FileLock training(dir + "/run/lock", "host somewhere pid 4242\n");
  ASSERT_TRUE(training.held());
  const auto running = analyze();
  EXPECT_NE(running.out.find("is still training (host somewhere pid 4242)"), std::string::npos) << running.out;
}

}  // namespace
}  // namespace biornn
