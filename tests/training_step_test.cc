// Core's one training step: the norm and clipping see only trainable parameters (a frozen
// parameter changes nothing else's update), and the per-step losses (masked cross-entropy,
// masked squared error) and the rate regulariser match finite differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <sys/resource.h>

#include "core/experiment/plugin_loader.h"
#include "core/testing/testing.h"
#include "core/engine/training_step.h"

namespace biornn {
namespace {

class StepTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::load_all_plugins(registry_, loader_); }
  std::unique_ptr<Model> make_model(uint64_t seed, Pooling pooling, Loss loss, int outputs, int hidden = H,
                                    int features = F) {
    Rng rng(seed);
    auto model = std::make_unique<Model>();
    auto cell = registry_.create<Cell>("rate", Options(registry_.get("cell", "rate").schema));
    auto gate = registry_.create<Gate>("learned", Options(registry_.get("gate", "learned").schema));
    model->add_layer(std::make_unique<RecurrentLayer>("rnn", hidden, features, std::move(cell), std::move(gate),
                                                      nullptr, std::vector<ConstrainedParameter>{}, rng));
    model->set_readout(std::make_unique<Readout>("out", hidden, outputs, pooling, loss, rng));
    return model;
  }
  std::unique_ptr<Optimizer> sgd(double lr) {
    Options o(registry_.get("optimizer", "sgd").schema);
    o.set(registry_.get("optimizer", "sgd").schema, "learning_rate", lr, {}, "test");
    return registry_.create<Optimizer>("sgd", o);
  }

 public:
  static constexpr int H = 6, F = 3, T = 4, B = 5;

 protected:
  Registry registry_;
  PluginLoader loader_{registry_};
};

TEST_F(StepTest, FrozenParameterLeavesTheOtherUpdatesUnchanged) {
  Rng rng(11);
  Matrix x(T * B, F);
  fill_uniform(x, 1, rng);
  std::vector<int32_t> y = {0, 1, 2, 1, 0};
  Minibatch b{{x.data(), y.data(), nullptr, nullptr}, T, B};

  // The reference gradient of an identical model, and its norm over the trainable parameters.
  auto reference = make_model(7, Pooling::kLast, Loss::kCrossEntropy, 3);
  reference->readout().parameters().get("b").trainable = false;
  reference->run(b, true);
  double trainable_sq = 0, all_sq = 0;
  for (Parameter* p : reference->parameters()) {
    all_sq += p->raw_grad.squaredNorm();
    if (p->trainable) trainable_sq += p->raw_grad.squaredNorm();
  }
  ASSERT_GT(all_sq, trainable_sq * 1.01) << "the frozen parameter's gradient must matter for this test";

  auto model = make_model(7, Pooling::kLast, Loss::kCrossEntropy, 3);
  model->readout().parameters().get("b").trainable = false;
  auto optimizer = sgd(50);
  Collective one;
  StepOptions options;
  options.clip_grad_norm = 1e-3;  // far below the norm: every step is clipped
  TrainingStep step(*model, *optimizer, one, options);
  std::vector<Matrix> before;
  for (Parameter* p : model->parameters()) before.push_back(p->raw);
  const StepResult r = step.run(b, B, 50);
  ASSERT_TRUE(r.finite);
  EXPECT_NEAR(r.gradient_norm, std::sqrt(trainable_sq), 1e-6 * std::sqrt(trainable_sq));
  const double scale = 50 * options.clip_grad_norm / std::sqrt(trainable_sq);
  const auto ps = model->parameters(), refs = reference->parameters();
  for (size_t i = 0; i < ps.size(); ++i) {
    const Matrix expected = ps[i]->trainable ? Matrix(before[i] - float(scale) * refs[i]->raw_grad) : before[i];
    EXPECT_LT((ps[i]->raw - expected).cwiseAbs().maxCoeff(), 1e-6) << model->parameter_names()[i];
  }
}

// A minibatch after the first allocates no large buffer: the weight gradients (here ~3 MB,
// ~800 pages) live in buffers kept between minibatches. Allocating them per step made the
// trainer page-fault ~1,060 times per step at H=512 and cost 25-40% of its speed.
TEST_F(StepTest, LaterMinibatchesPageFaultInNoBuffers) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "AddressSanitizer's allocator quarantines freed memory, so every allocation faults in new pages";
#endif
  constexpr int kH = 384, kF = 28, kT = 8, kB = 32;
  Rng rng(3);
  Matrix x(kT * kB, kF);
  fill_uniform(x, 1, rng);
  std::vector<int32_t> y(kB, 1);
  Minibatch b{{x.data(), y.data(), nullptr, nullptr}, kT, kB};
  auto model = make_model(5, Pooling::kLast, Loss::kCrossEntropy, 3, kH, kF);
  auto faults = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
  };
  for (int i = 0; i < 2; ++i) model->run(b, true);  // buffers sized
  const long before = faults();
  for (int i = 0; i < 4; ++i) model->run(b, true);
  const long per_step = (faults() - before) / 4;
  const long weight_gradient_pages = long(2 * kH) * (kH + kF) * long(sizeof(float)) / 4096;
  EXPECT_LT(per_step, weight_gradient_pages / 10) << "page faults per minibatch: " << per_step;
}

// Two ranks that hold the same numbers: each sum doubles what this rank has. With half the
// global minibatch on this rank, the summed data gradient equals one process's on the whole.
class MirroredRanks : public Collective {
 public:
  int size() const override { return 2; }
  void sum(float* data, size_t n) override {
    std::transform(data, data + n, data, [](float v) { return 2 * v; });
  }
  void sum(double* data, size_t n) override {
    std::transform(data, data + n, data, [](double v) { return 2 * v; });
  }
};

// A rank's half minibatch [T, B, F] and the whole one it is half of, as two mirrored ranks
// see it: each step's rows twice, [T, 2B, F].
struct HalfAndWhole {
  static constexpr int T = StepTest::T, B = StepTest::B, F = StepTest::F;
  explicit HalfAndWhole(uint64_t seed) : x(T * B, F), x2(T * 2 * B, F) {
    Rng rng(seed);
    fill_uniform(x, 1, rng);
    for (int t = 0; t < T; ++t)
      for (int copy = 0; copy < 2; ++copy) x2.middleRows((t * 2 + copy) * B, B) = x.middleRows(t * B, B);
    y2.insert(y2.end(), y.begin(), y.end());
  }
  Minibatch half() const {
    return {{const_cast<float*>(x.data()), const_cast<int32_t*>(y.data()), nullptr, nullptr}, T, B};
  }
  Minibatch whole() const {
    return {{const_cast<float*>(x2.data()), const_cast<int32_t*>(y2.data()), nullptr, nullptr}, T, 2 * B};
  }
  Matrix x, x2;
  std::vector<int32_t> y = {0, 1, 2, 1, 0}, y2 = y;
};

// Issue 20: soft_dale's penalty (and the weight regularisers) are added once after the ranks'
// gradients are summed: two ranks on half a minibatch each step exactly like one process on
// all of it, with lambda = 100 (before, each rank added lambda's gradient: 2 lambda in all).
TEST_F(StepTest, TwoRanksApplyParameterPenaltiesOnce) {
  auto with_soft_dale = [&] {
    Rng rng(9);
    Options o(registry_.get("constraint", "soft_dale").schema);
    o.set(registry_.get("constraint", "soft_dale").schema, "lambda", 100.0, {}, "test");
    std::vector<ConstrainedParameter> cons;
    cons.push_back({"W", registry_.create<Constraint>("soft_dale", o)});
    auto model = std::make_unique<Model>();
    model->add_layer(std::make_unique<RecurrentLayer>(
        "rnn", H, F, registry_.create<Cell>("rate", Options(registry_.get("cell", "rate").schema)), nullptr, nullptr,
        std::move(cons), rng));
    model->set_readout(std::make_unique<Readout>("out", H, 3, Pooling::kLast, Loss::kCrossEntropy, rng));
    return model;
  };
  const HalfAndWhole data(12);
  StepOptions options;
  options.recurrent_l2 = 0.1;
  auto step_with = [&](Collective& c, const Minibatch& b, std::unique_ptr<Model>& model) {
    auto optimizer = sgd(1e-3);
    TrainingStep step(*model, *optimizer, c, options);
    return step.run(b, 2 * B, 1e-3);
  };
  auto one = with_soft_dale(), two = with_soft_dale();
  Collective single;
  MirroredRanks mirrored;
  const StepResult a = step_with(single, data.whole(), one);
  const StepResult b = step_with(mirrored, data.half(), two);
  ASSERT_GT(a.parameter_penalty, 1) << "soft_dale must see violations for this test";
  EXPECT_DOUBLE_EQ(b.parameter_penalty, a.parameter_penalty);
  EXPECT_DOUBLE_EQ(b.penalty, a.penalty);
  EXPECT_NEAR(b.gradient_norm, a.gradient_norm, 1e-5 * a.gradient_norm);
  const auto pa = one->parameters(), pb = two->parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_LT((pa[i]->raw - pb[i]->raw).cwiseAbs().maxCoeff(), 1e-6) << one->parameter_names()[i];
}

// Like MirroredRanks, but a started sum completes only in wait_sums(), as MPI_Iallreduce does:
// records the size of each sum started, and of each float sum done at once.
class DeferredMirroredRanks : public MirroredRanks {
 public:
  using MirroredRanks::sum;
  void sum(float* data, size_t n) override {
    MirroredRanks::sum(data, n);
    summed_at_once.push_back(n);
  }
  void start_sum(float* data, size_t n) override {
    pending_.emplace_back(data, n);
    started.push_back(n);
  }
  void wait_sums() override {
    for (const auto& [data, n] : pending_) MirroredRanks::sum(data, n);
    pending_.clear();
  }
  std::vector<size_t> started, summed_at_once;

 private:
  std::vector<std::pair<float*, size_t>> pending_;
};

// Issue 21: each part of the gradients is summed as soon as the backward pass has it (the
// readout's, then the top layer's started, then the bottom one's at once), and the step waits
// for the sums: two ranks on half a minibatch each take one process's step on all of it.
TEST_F(StepTest, GradientSumsStartAsEachPartIsReadyAndAreWaitedFor) {
  auto two_layers = [&] {
    Rng rng(5);
    auto model = std::make_unique<Model>();
    for (int l = 0; l < 2; ++l)
      model->add_layer(std::make_unique<RecurrentLayer>(
          "rnn" + std::to_string(l), H, l == 0 ? F : H,
          registry_.create<Cell>("rate", Options(registry_.get("cell", "rate").schema)), nullptr, nullptr,
          std::vector<ConstrainedParameter>{}, rng));
    model->set_readout(std::make_unique<Readout>("out", H, 3, Pooling::kLast, Loss::kCrossEntropy, rng));
    return model;
  };
  const HalfAndWhole data(13);
  auto one = two_layers(), two = two_layers();
  auto sgd_one = sgd(0.1), sgd_two = sgd(0.1);
  Collective single;
  DeferredMirroredRanks deferred;
  TrainingStep step_one(*one, *sgd_one, single, {}), step_two(*two, *sgd_two, deferred, {});
  const StepResult a = step_one.run(data.whole(), 2 * B, 0.1);
  const StepResult b = step_two.run(data.half(), 2 * B, 0.1);
  auto size_of = [](ParameterSet& set) {
    size_t n = 0;
    for (const Parameter* p : set.all()) n += size_t(p->size());
    return n;
  };
  EXPECT_EQ(deferred.started,
            (std::vector<size_t>{size_of(two->readout().parameters()), size_of(two->layer(1).parameters())}));
  EXPECT_EQ(deferred.summed_at_once, std::vector<size_t>{size_of(two->layer(0).parameters())});  // the last part
  EXPECT_NEAR(b.gradient_norm, a.gradient_norm, 1e-5 * a.gradient_norm);
  const auto pa = one->parameters(), pb = two->parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_LT((pa[i]->raw - pb[i]->raw).cwiseAbs().maxCoeff(), 1e-6) << one->parameter_names()[i];
}

// loss / counted + penalty / rows (the rate penalty is a mean over examples, whatever the
// mask) against central differences for every parameter entry.
double worst_gradient_error(Model& model, const Minibatch& b) {
  model.run(b, true);
  std::vector<Matrix> analytic;
  for (Parameter* p : model.parameters()) analytic.push_back(p->raw_grad);
  auto objective = [&] {
    const LossSum s = model.run(b, false);
    return s.loss / s.counted + s.penalty / b.rows;
  };
  double worst = 0;
  size_t i = 0;
  for (Parameter* p : model.parameters()) {
    for (Eigen::Index k = 0; k < p->raw.size(); ++k) {
      const float old = p->raw.data()[k];
      const double eps = 3e-3;
      p->raw.data()[k] = float(old + eps);
      const double up = objective();
      p->raw.data()[k] = float(old - eps);
      const double down = objective();
      p->raw.data()[k] = old;
      const double num = (up - down) / (2 * eps), a = analytic[i].data()[k];
      worst = std::max(worst, std::abs(a - num) / std::max(std::abs(a) + std::abs(num), 1e-2));
    }
    ++i;
  }
  return worst;
}

TEST_F(StepTest, PerStepLossesAndRatePenaltyMatchFiniteDifferences) {
  Rng rng(3);
  Matrix x(T * B, F);
  fill_uniform(x, 1, rng);
  std::vector<float> mask(T * B);
  for (int i = 0; i < T * B; ++i) mask[i] = (i * 7 % 3) != 0;  // some steps do not count
  std::vector<int32_t> labels(T * B);
  for (int i = 0; i < T * B; ++i) labels[i] = i % 3;
  Matrix targets(T * B, 2);
  fill_uniform(targets, 1, rng);

  auto ce = make_model(5, Pooling::kAll, Loss::kCrossEntropy, 3);
  const Minibatch step_labels{{x.data(), labels.data(), nullptr, mask.data()}, T, B};
  EXPECT_LT(worst_gradient_error(*ce, step_labels), 2e-2);

  auto mse = make_model(5, Pooling::kAll, Loss::kSquaredError, 2);
  const Minibatch step_values{{x.data(), nullptr, targets.data(), mask.data()}, T, B};
  EXPECT_LT(worst_gradient_error(*mse, step_values), 2e-2);
  mse->set_rate_l2(0.5);
  EXPECT_LT(worst_gradient_error(*mse, step_values), 2e-2);

  // A step whose mask is 0 contributes nothing: changing its target changes no gradient.
  mse->set_rate_l2(0);
  mse->run(step_values, true);
  const Matrix grad = mse->readout().parameters().get("W").raw_grad;
  int masked = 0;
  while (mask[masked] != 0) ++masked;
  targets(masked, 0) += 5;
  mse->run(step_values, true);
  EXPECT_EQ(grad, mse->readout().parameters().get("W").raw_grad);
}

TEST_F(StepTest, LastPoolingWithRatePenaltyMatchesFiniteDifferences) {
  Rng rng(4);
  Matrix x(T * B, F);
  fill_uniform(x, 1, rng);
  std::vector<int32_t> y = {2, 1, 0, 1, 2};
  auto model = make_model(9, Pooling::kLast, Loss::kCrossEntropy, 3);
  model->set_rate_l2(0.3);
  EXPECT_LT(worst_gradient_error(*model, Minibatch{{x.data(), y.data(), nullptr, nullptr}, T, B}), 2e-2);
}

}  // namespace
}  // namespace biornn
