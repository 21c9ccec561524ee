// Tests of soft_dale: lambda = 0 trains bit for bit like `none` (same seed, real trainer and
// Adam on an MNIST subset), a large lambda drives the violating fraction down, the penalty
// and its gradient, and the violating-fraction metric of core/diagnostics.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/sdk/data_paths.h"
#include "core/analysis/diagnostics.h"
#include "core/experiment/graph.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"
#include "plugins/constraints/common/all_plugins_testing.h"
#include "core/experiment/trainer.h"

namespace biornn {
namespace {

AllPlugins& loaded() {
  EXPECT_EQ(all_plugins().errors, std::vector<std::string>{});
  return all_plugins();
}

bool have_mnist() {
  for (const auto& d : data_search_paths("mnist"))
    if (std::filesystem::exists(d)) return true;
  return false;
}

// Trains a small rate network with `constraint` on W for one epoch; returns the experiment.
std::unique_ptr<Experiment> train_with(const std::string& constraint, TrainResult* result, int train_limit = 500) {
  const std::string text = R"(
[train]
epochs = 1
batch_size = 50
validation_size = 0
threads = 1
log_every = 1000
seed = 4
[optimizer]
plugin = "adam"
learning_rate = 0.01
[nodes.data]
plugin = "mnist"
train_limit = )" + std::to_string(train_limit) +
                           R"(
test_limit = 100
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 16
gate = { plugin = "learned" }
constraints = [ )" + constraint +
                           R"( ]
[nodes.out]
plugin = "readout"
input = "rnn"
)";
  Graph g = parse_graph_text(text, "soft_dale_test.toml", {}, loaded().registry);
  auto e = build_experiment(g, loaded().registry);
  *result = train(*e, g);
  return e;
}

const Matrix& effective_w(Experiment& e) { return e.model.layer(0).parameters().find("W")->value; }

TEST(SoftDale, LambdaZeroTrainsBitForBitLikeNone) {
  if (!have_mnist()) GTEST_SKIP() << "MNIST not found; run tools/setup.sh";
  TrainResult a, b;
  auto none = train_with(R"({ plugin = "none", parameter = "W" })", &a);
  auto soft = train_with(R"({ plugin = "soft_dale", parameter = "W", lambda = 0.0 })", &b);
  const Matrix &wa = effective_w(*none), &wb = effective_w(*soft);
  ASSERT_EQ(wa.size(), wb.size());
  EXPECT_EQ(0, std::memcmp(wa.data(), wb.data(), sizeof(float) * wa.size()));
  EXPECT_EQ(a.epochs.back().train_loss, b.epochs.back().train_loss);
  EXPECT_EQ(a.epochs.back().test_accuracy, b.epochs.back().test_accuracy);
  EXPECT_GT(sign_violation_fraction(wb, soft->model.layer(0).parameters().find("W")->constraint->column_signs()),
            0.2);  // unconstrained: about half of the synapses have the other sign
}

TEST(SoftDale, LargeLambdaDrivesViolationsDown) {
  if (!have_mnist()) GTEST_SKIP() << "MNIST not found; run tools/setup.sh";
  TrainResult r;
  auto e = train_with(R"({ plugin = "soft_dale", parameter = "W", lambda = 10000.0 })", &r, 2000);
  const auto metrics = constraint_metrics(e->model);
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_TRUE(metrics[0].types_from_constraint);
  // From ~50% violating at initialisation (the owner's uniform W) to a few synapses.
  EXPECT_LT(metrics[0].violating_fraction, 0.02) << describe(metrics[0]);
  std::printf("lambda 1e4, 40 Adam steps: %s\n", describe(metrics[0]).c_str());
}

TEST(SoftDale, PenaltyIsLambdaTimesSquaredViolations) {
  const OptionSchema& schema = loaded().registry.get("constraint", "soft_dale").schema;
  Options o(schema);
  o.set(schema, "lambda", 2.0, {}, "test");
  o.set(schema, "excitatory_fraction", 0.5, {}, "test");
  auto c = loaded().registry.create<Constraint>("soft_dale", o);
  Parameter p;
  p.name = "W";
  p.resize(2, 2);
  p.raw << 0.5f, 0.25f, -0.5f, 1.0f;  // column 0 excitatory, column 1 inhibitory
  Rng rng(1);
  c->initialize(p, rng);
  // Violations: W_10 = -0.5 (E sender), W_01 = 0.25 and W_11 = 1 (I sender).
  EXPECT_NEAR(c->penalty(p.raw), 2.0 * (0.25 + 0.0625 + 1.0), 1e-6);
  Matrix grad = Matrix::Zero(2, 2), raw_grad;
  c->backward(p.raw, p.raw, grad, raw_grad);
  EXPECT_TRUE(raw_grad.isZero(0)) << "backward() must leave the penalty out (added once, after the rank sum)";
  c->add_penalty_gradient(p.raw, raw_grad);
  EXPECT_FLOAT_EQ(raw_grad(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(raw_grad(1, 0), 2 * 2.0f * -0.5f);
  EXPECT_FLOAT_EQ(raw_grad(0, 1), 2 * 2.0f * 0.25f);
  EXPECT_FLOAT_EQ(raw_grad(1, 1), 2 * 2.0f * 1.0f);
}

TEST(ConstraintMetrics, ViolatingFractionWithTypesOrMajoritySigns) {
  Matrix w(2, 3);
  w << 1, -1, 2, -1, -1, 3;
  // Types +, -, +: column 0 has one negative entry (wrong), column 1 none, column 2 none.
  EXPECT_DOUBLE_EQ(sign_violation_fraction(w, {1, -1, 1}), 1.0 / 6);
  // Types -, +, -: column 0 one positive, column 1 two negatives, column 2 two positives.
  EXPECT_DOUBLE_EQ(sign_violation_fraction(w, {-1, 1, -1}), 5.0 / 6);
  // No types: each column against its majority sign (a 1-1 tie counts one).
  EXPECT_DOUBLE_EQ(sign_violation_fraction(w, {}), 1.0 / 6);
}

}  // namespace
}  // namespace biornn
