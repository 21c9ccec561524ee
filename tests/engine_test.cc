// The engine against simple references: cached and per-thread (packed) oneDNN GEMMs vs Eigen,
// the forward pass vs the simple GRU's equations in double precision, chunked vs one chunk,
// the readout's and a stacked model's gradients vs finite differences, the checker catching a
// wrong gradient, errors from inside the parallel recurrence, the same seed giving the same
// numbers, the gradients at the ends of the state (initial state, one step), and compute contexts
// that each get their own thread count and FTZ and leave neither behind.
#include <gtest/gtest.h>
#include <omp.h>
#include <xmmintrin.h>

#include <atomic>
#include <cmath>

#include "core/engine/compute_context.h"
#include "core/sdk/error.h"
#include "core/engine/gradient_check.h"
#include "core/engine/model.h"
#include "core/experiment/plugin_loader.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

TEST(Gemm, MatchesEigenForEveryTransposeAndCachesPrimitives) {
  ComputeContext ctx;
  Rng rng(3);
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (bool acc : {false, true}) {
        const int m = 7, n = 5, k = 9;
        Matrix a(ta ? k : m, ta ? m : k), b(tb ? n : k, tb ? k : n), c(m, n);
        fill_uniform(a, 1, rng);
        fill_uniform(b, 1, rng);
        fill_uniform(c, 1, rng);
        Matrix opa = ta ? Matrix(a.transpose()) : a, opb = tb ? Matrix(b.transpose()) : b;
        Matrix expect = opa * opb + (acc ? c : Matrix::Zero(m, n));
        ctx.gemm(ta, tb, m, n, k, a.data(), int(a.cols()), b.data(), int(b.cols()), c.data(), n, acc);
        EXPECT_LT((c - expect).cwiseAbs().maxCoeff(), 1e-4) << ta << tb << acc;
      }
  const int before = ctx.primitives_created();
  Matrix a = Matrix::Ones(4, 4), c(4, 4);
  for (int i = 0; i < 5; ++i) ctx.gemm(false, false, 4, 4, 4, a.data(), 4, a.data(), 4, c.data(), 4, false);
  EXPECT_EQ(ctx.primitives_created(), before + 1);
  EXPECT_FLOAT_EQ(c(0, 0), 4.0f);
}

// gemm_serial (plain and packed B) from two threads at once against Eigen, with uneven rows.
TEST(Gemm, SerialAndPackedFromTwoThreadsMatchEigen) {
  ComputeContext ctx(ComputeOptions{2, false});
  Rng rng(4);
  const int n = 48, k = 40, ldc = 56;
  Matrix w(n, k);  // stored [N, K]: B = w^T, as the engine's forward product
  fill_uniform(w, 1, rng);
  for (bool packed : {false, true})
    for (bool acc : {false, true}) {
      const int rows[2] = {9, 14};
      Matrix a[2], c[2], expect[2];
      GemmShape shape[2];
      AlignedBuffer wp[2];
      for (int i = 0; i < 2; ++i) {
        a[i].resize(rows[i], k);
        c[i].resize(rows[i], ldc);
        fill_uniform(a[i], 1, rng);
        fill_uniform(c[i], 1, rng);
        expect[i] = c[i];
        expect[i].leftCols(n) = a[i] * w.transpose() + (acc ? Matrix(c[i].leftCols(n)) : Matrix::Zero(rows[i], n));
        shape[i] = GemmShape{false, true, rows[i], n, k, k, k, ldc, acc, packed};
        if (packed) {
          wp[i].resize(ctx.packed_b_bytes(shape[i]) / sizeof(float) + 1);
          ctx.pack_b(shape[i], w.data(), wp[i].data());
        }
      }
#pragma omp parallel for num_threads(2)
      for (int i = 0; i < 2; ++i)
        for (int rep = 0; rep < 20; ++rep) {
          Matrix out = c[i];
          ctx.gemm_serial(shape[i], a[i].data(), packed ? wp[i].data() : w.data(), out.data());
          if (rep == 19) c[i] = out;
        }
      for (int i = 0; i < 2; ++i)
        EXPECT_LT((c[i] - expect[i]).cwiseAbs().maxCoeff(), 1e-4)
            << "packed " << packed << " acc " << acc << " rows " << rows[i];
    }
}

// A cell with a deliberately wrong backward: the shared checker must catch it.
class WrongCell : public StepCell {
 public:
  bool reads_gate() const override { return true; }
  void create_parameters(ParameterSet& p, int h, int f, Rng& rng) override {
    fill_uniform(p.add("W", h, h, ParameterRole::kRecurrent).raw, 0.5f, rng);
    fill_uniform(p.add("P", h, f).raw, 0.5f, rng);
  }
  void prepare(const ParameterSet& p, LinearBlock* b) const override {
    b[0].recurrent = p.get("W").value;
    b[0].input = p.get("P").value;
  }
  void accumulate(const LinearBlock* g, ParameterSet& p) const override {
    p.get("W").grad += g[0].recurrent;
    p.get("P").grad += g[0].input;
  }
  void forward(CellForward& s) const override {
    s.s.array() = (1 - s.z.array()) * s.s_prev.array() + s.z.array() * s.pre.array().tanh();
    s.r = s.s;
  }
  void backward(CellBackward& s) const override {
    Eigen::ArrayXXf y = s.pre.array().tanh();
    Eigen::ArrayXXf dh = s.d_r.array() + s.d_s.array();
    s.d_pre.array() = dh * s.z.array() * (1 - y);  // wrong: should be 1 - y*y
    s.d_z.array() = dh * (y - s.s_prev.array());
    s.d_s.array() = dh * (1 - s.z.array());
  }
};

class PluginsLoaded : public ::testing::Test {
 protected:
  void SetUp() override { testing::load_all_plugins(registry_, loader_); }
  Registry registry_;
  PluginLoader loader_{registry_};
};

TEST_F(PluginsLoaded, CheckerCatchesAWrongGradient) {
  registry_.add<Cell>("wrong", "test", OptionSchema(), [](const Options&) { return std::make_unique<WrongCell>(); });
  auto bad = check_layer(registry_, {"wrong", "learned", "", {}});
  ASSERT_FALSE(bad.skipped) << bad.skip_reason;
  EXPECT_GT(bad.worst_relative_error, 0.1) << bad.worst_entry;
  auto good = check_layer(registry_, {"rate", "learned", "", {}});
  EXPECT_LT(good.worst_relative_error, 2e-2) << good.worst_entry;
}

std::unique_ptr<RecurrentLayer> make_layer(const Registry& r, const std::string& name, int h, int f, Rng& rng) {
  auto cell = r.create<Cell>("rate", Options(r.get("cell", "rate").schema));
  auto gate = r.create<Gate>("learned", Options(r.get("gate", "learned").schema));
  return std::make_unique<RecurrentLayer>(name, h, f, std::move(cell), std::move(gate), nullptr,
                                          std::vector<ConstrainedParameter>{}, rng);
}

// Finite differences through two stacked layers and the readout (mean pooling): checks the
// d_x path between layers and the readout's own gradients.
TEST_F(PluginsLoaded, StackedModelWithReadoutMatchesFiniteDifferences) {
  Rng rng(5);
  Model model;
  model.add_layer(make_layer(registry_, "l1", 4, 3, rng));
  model.add_layer(make_layer(registry_, "l2", 5, 4, rng));
  model.set_readout(std::make_unique<Readout>("out", 5, 3, Pooling::kMean, rng));
  const int T = 3, B = 2;
  Matrix x(T * B, 3);
  fill_uniform(x, 1, rng);
  std::vector<int32_t> y = {2, 0};
  model.run(x.data(), T, B, y.data(), true, nullptr);
  std::vector<Matrix> analytic;
  for (Parameter* p : model.parameters()) analytic.push_back(p->raw_grad);
  double worst = 0;
  size_t i = 0;
  for (Parameter* p : model.parameters()) {
    for (Eigen::Index k = 0; k < p->raw.size(); ++k) {
      const float old = p->raw.data()[k];
      const double eps = 3e-3;
      p->raw.data()[k] = float(old + eps);
      const double up = model.run(x.data(), T, B, y.data(), false, nullptr) / B;
      p->raw.data()[k] = float(old - eps);
      const double down = model.run(x.data(), T, B, y.data(), false, nullptr) / B;
      p->raw.data()[k] = old;
      const double num = (up - down) / (2 * eps), a = analytic[i].data()[k];
      worst = std::max(worst, std::abs(a - num) / std::max(std::abs(a) + std::abs(num), 1e-2));
    }
    ++i;
  }
  std::printf("stacked model + readout: worst relative error %.2e\n", worst);
  EXPECT_LT(worst, 2e-2);
}

// The recurrence runs one chunk of batch rows per thread. Two uneven chunks (10 + 11 rows)
// must give what one chunk gives (same model, same data), and pass the gradient check.
TEST_F(PluginsLoaded, ChunkedRecurrenceMatchesOneChunk) {
  auto run = [&](int threads) {
    ComputeContext ctx(ComputeOptions{threads, false});
    Rng rng(12);
    Model model;
    model.set_context(ctx);
    model.add_layer(make_layer(registry_, "l1", 24, 5, rng));
    model.set_readout(std::make_unique<Readout>("out", 24, 4, Pooling::kMean, rng));
    const int T = 6, B = 21;
    Matrix x(T * B, 5);
    fill_uniform(x, 1, rng);
    std::vector<int32_t> y(B);
    for (int i = 0; i < B; ++i) y[i] = i % 4;
    const double loss = model.run(x.data(), T, B, y.data(), true, nullptr);
    std::vector<Matrix> grads;
    for (Parameter* p : model.parameters()) grads.push_back(p->raw_grad);
    return std::make_pair(loss, grads);
  };
  auto one = run(1), two = run(2);
  EXPECT_NEAR(one.first, two.first, 1e-5 * std::abs(one.first));
  ASSERT_EQ(one.second.size(), two.second.size());
  for (size_t i = 0; i < one.second.size(); ++i)
    EXPECT_LT((one.second[i] - two.second[i]).cwiseAbs().maxCoeff(), 1e-5 * (1 + one.second[i].cwiseAbs().maxCoeff()))
        << "parameter " << i;

  GradientCheckSettings s;  // the layers compute in their own default context (every core)
  s.batch = 17;             // two chunks of 8 and 9 rows
  for (const LayerCombination& c : {LayerCombination{"rate", "learned", "", {}},
                                    LayerCombination{"rate", "conductance", "presynaptic", {{"W", "dale"}}}}) {
    auto res = check_layer(registry_, c, s);
    ASSERT_FALSE(res.skipped) << res.skip_reason;
    EXPECT_LT(res.worst_relative_error, 2e-2) << c.str() << " " << res.worst_entry;
  }
}

// A cell that fails at some step: the error must come out of forward() as an exception
// (from whichever thread's chunk it was raised in), not terminate the process.
class FailingCell : public WrongCell {
 public:
  void forward(CellForward& s) const override {
    if (s.s.rows() > 0) throw Error("cell failed on purpose");
  }
};

TEST_F(PluginsLoaded, AnErrorInsideTheParallelRecurrenceIsRethrown) {
  ComputeContext ctx(ComputeOptions{2, false});
  Rng rng(14);
  RecurrentLayer layer("l1", 8, 3, std::make_unique<FailingCell>(), nullptr, nullptr, {}, rng);
  layer.set_context(ctx);
  const int T = 3, B = 16;  // two chunks
  Matrix x(T * B, 3);
  fill_uniform(x, 1, rng);
  layer.prepare();
  try {
    layer.forward(x.data(), T, B);
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) { EXPECT_NE(std::string(e.what()).find("failed on purpose"), std::string::npos); }
}

constexpr unsigned kFtzDaz = 0x8040;  // MXCSR flush-to-zero and denormals-are-zero
unsigned ftz_bits() { return _mm_getcsr() & kFtzDaz; }

// What the threads of the engine's parallel recurrence saw: the region's width and whether
// every step ran with FTZ/DAZ on.
struct Observed {
  std::atomic<int> width{0};
  std::atomic<bool> ftz_everywhere{true};
};

class ObservingCell : public WrongCell {
 public:
  explicit ObservingCell(Observed* seen) : seen_(seen) {}
  void forward(CellForward& s) const override {
    seen_->width = std::max(seen_->width.load(), omp_get_num_threads());
    if (ftz_bits() != kFtzDaz) seen_->ftz_everywhere = false;
    WrongCell::forward(s);
  }

 private:
  Observed* seen_;
};

struct Seen {
  int width;
  bool ftz_everywhere;
};

// One training-mode run of a one-layer model (ObservingCell) in `ctx`; B = 16 gives two chunks.
Seen run_in(ComputeContext& ctx) {
  Observed seen;
  Rng rng(30);
  Model model;
  model.set_context(ctx);
  model.add_layer(std::make_unique<RecurrentLayer>("l1", 8, 3, std::make_unique<ObservingCell>(&seen), nullptr, nullptr,
                                                   std::vector<ConstrainedParameter>{}, rng));
  model.set_readout(std::make_unique<Readout>("out", 8, 2, Pooling::kMean, rng));
  const int T = 3, B = 16;
  Matrix x(T * B, 3);
  fill_uniform(x, 1, rng);
  std::vector<int32_t> y(B, 1);
  model.run(x.data(), T, B, y.data(), true, nullptr);
  return Seen{seen.width, seen.ftz_everywhere};
}

// A context computes as it says and leaves nothing behind: inside, the recurrence's region
// has its thread count and every thread has FTZ/DAZ as it says; after, the caller's OpenMP
// thread count and MXCSR are what they were and later regions' threads have no FTZ. Two
// contexts with other counts, used one after the other, each get their own count (and their
// own cached primitives).
TEST(ComputeContext, EachContextGetsItsOwnThreadsAndFtzAndNothingLeaks) {
  const int threads_before = omp_get_max_threads();
  const unsigned csr_before = _mm_getcsr();
  ASSERT_EQ(csr_before & kFtzDaz, 0u) << "the test starts from FTZ/DAZ off";
  {
    ComputeContext ftz(ComputeOptions{2, true});
    const Seen seen = run_in(ftz);
    EXPECT_EQ(seen.width, 2);
    EXPECT_TRUE(seen.ftz_everywhere);
  }
  EXPECT_EQ(omp_get_max_threads(), threads_before);
  EXPECT_EQ(_mm_getcsr(), csr_before);
  std::vector<unsigned> later(2, kFtzDaz);
#pragma omp parallel num_threads(2)
  later[omp_get_thread_num()] = ftz_bits();
  EXPECT_EQ(later[0], 0u);
  EXPECT_EQ(later[1], 0u);

  ComputeContext one(ComputeOptions{1, true}), two(ComputeOptions{2, false});
  for (ComputeContext* ctx : {&one, &two, &one}) {
    const int cached = ctx->primitives_created();
    const Seen seen = run_in(*ctx);
    EXPECT_EQ(seen.width, ctx->threads());
    EXPECT_EQ(seen.ftz_everywhere, ctx->flush_denormals());
    {
      const ComputeContext::Scope scope(*ctx);
      EXPECT_EQ(omp_get_max_threads(), ctx->threads());  // what oneDNN's own regions read
    }
    EXPECT_EQ(omp_get_max_threads(), threads_before);
    EXPECT_EQ(_mm_getcsr(), csr_before);
    if (ctx == &one && cached > 0) {
      EXPECT_EQ(ctx->primitives_created(), cached) << "the second run reuses the first run's primitives";
    }
    EXPECT_GT(ctx->primitives_created(), 0);
  }
}

// The engine's forward pass (per-thread chunks, packed weights, per-step input projection,
// bias) against the simple GRU's equations written out in double precision:
//   z_t = sigmoid(W_z h_{t-1} + P_z x_t + b_z),  h_t = (1 - z_t) h_{t-1} + z_t tanh(W h_{t-1} + P x_t + b).
TEST_F(PluginsLoaded, ForwardMatchesTheSimpleGruEquations) {
  for (int threads : {1, 2}) {
    ComputeContext ctx(ComputeOptions{threads, false});
    Rng rng(15);
    auto layer = make_layer(registry_, "l1", 12, 5, rng);
    layer->set_context(ctx);
    const int T = 7, B = 19, H = 12, F = 5;  // two uneven chunks at 2 threads
    Matrix x(T * B, F);
    fill_uniform(x, 1, rng);
    layer->prepare();
    layer->forward(x.data(), T, B);
    const ParameterSet& p = layer->parameters();
    using MatrixD = Eigen::MatrixXd;
    const MatrixD w = p.get("W").value.cast<double>(), pw = p.get("P").value.cast<double>(),
                  b = p.get("b").value.cast<double>(), wz = p.get("W_z").value.cast<double>(),
                  pz = p.get("P_z").value.cast<double>(), bz = p.get("b_z").value.cast<double>();
    MatrixD h = MatrixD::Zero(B, H);
    double worst = 0;
    for (int t = 0; t < T; ++t) {
      const MatrixD xt = x.middleRows(t * B, B).cast<double>();
      MatrixD uz = h * wz.transpose() + xt * pz.transpose();
      MatrixD u = h * w.transpose() + xt * pw.transpose();
      uz.rowwise() += bz.row(0);
      u.rowwise() += b.row(0);
      const Eigen::ArrayXXd z = 1.0 / (1.0 + (-uz.array()).exp());
      h = ((1.0 - z) * h.array() + z * u.array().tanh()).matrix();
      const Eigen::Map<const Matrix> r(layer->outputs() + size_t(t) * B * H, B, H);
      worst = std::max(worst, (r.cast<double>() - h).cwiseAbs().maxCoeff());
    }
    EXPECT_LT(worst, 1e-5) << threads << " threads";
  }
}

// With last-step pooling the readout writes only the final step's gradient and the layer
// reads nothing before it: whatever the earlier steps of the buffer hold must not matter.
TEST_F(PluginsLoaded, LastPoolingReadsOnlyTheLastStepsGradient) {
  Rng rng(13);
  auto layer = make_layer(registry_, "l1", 6, 3, rng);
  const int T = 4, B = 3, H = 6;
  Matrix x(T * B, 3), d_out(T * B, H);
  fill_uniform(x, 1, rng);
  fill_uniform(d_out, 1, rng);
  auto grads = [&](const Matrix& d, int from) {
    layer->prepare();
    layer->forward(x.data(), T, B);
    layer->backward(x.data(), d.data(), nullptr, from);
    std::vector<Matrix> g;
    for (Parameter* p : layer->parameters().all()) g.push_back(p->raw_grad);
    return g;
  };
  Matrix zeros_before = d_out, garbage_before = d_out;
  zeros_before.topRows((T - 1) * B).setZero();
  garbage_before.topRows((T - 1) * B).setConstant(1e30f);
  auto a = grads(zeros_before, 0), b = grads(garbage_before, T - 1);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i] == b[i]) << "parameter " << i;
}

// A layer of one combination with default options (a conductance gate gets a constant A).
std::unique_ptr<RecurrentLayer> make_combination(const Registry& r, const std::string& cell, const std::string& gate,
                                                 int h, int f, Rng& rng) {
  auto make_gate = [&]() -> std::unique_ptr<Gate> {
    if (gate.empty()) return nullptr;
    return r.create<Gate>(gate, Options(r.get("gate", gate).schema));
  };
  std::unique_ptr<Scaling> scaling;
  if (gate == "conductance") scaling = r.create<Scaling>("constant", Options(r.get("scaling", "constant").schema));
  return std::make_unique<RecurrentLayer>("l1", h, f, r.create<Cell>(cell, Options(r.get("cell", cell).schema)),
                                          make_gate(), std::move(scaling), std::vector<ConstrainedParameter>{}, rng);
}

// Central differences of f over every entry of v, against `analytic`; the worst relative error.
template <class F>
double worst_against_finite_differences(std::vector<float>& v, const std::vector<float>& analytic, F&& f) {
  double worst = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const float old = v[i];
    const double eps = 3e-3;
    v[i] = float(old + eps);
    const double up = f();
    v[i] = float(old - eps);
    const double down = f();
    v[i] = old;
    const double num = (up - down) / (2 * eps);
    worst = std::max(worst, std::abs(analytic[i] - num) / std::max(std::abs(analytic[i]) + std::abs(num), 1e-2));
  }
  return worst;
}

const std::vector<std::pair<std::string, std::string>> kCellsAndGates = {
    {"rate", "learned"}, {"rate", ""}, {"conductance", "fixed"}, {"conductance", "conductance"}};

// A sequence from a given initial state: loss = sum_t C_t . r_t + D . s_T; backward returns
// dLoss/d s_0 (also through r_0 = rate(s_0)), checked against finite differences, at 1 and
// 2 threads (two uneven chunks).
TEST_F(PluginsLoaded, InitialStateGradientMatchesFiniteDifferences) {
  for (int threads : {1, 2})
    for (const auto& [cell, gate] : kCellsAndGates) {
      ComputeContext ctx(ComputeOptions{threads, false});
      Rng rng(21);
      auto layer = make_combination(registry_, cell, gate, 6, 3, rng);
      layer->set_context(ctx);
      const int T = 3, B = 17, H = 6, S = layer->state_size();
      Matrix x(T * B, 3), c(T * B, H), d(B, S);
      fill_uniform(x, 1, rng);
      fill_uniform(c, 1, rng);
      fill_uniform(d, 1, rng);
      std::vector<float> s0(size_t(B) * S), d_s0(s0.size());
      for (float& v : s0) v = float(rng.uniform(-0.8, 0.8));
      auto loss = [&]() {
        layer->prepare();
        layer->forward(x.data(), T, B, s0.data());
        double l = 0;
        for (Eigen::Index i = 0; i < c.size(); ++i) l += double(c.data()[i]) * layer->outputs()[i];
        for (Eigen::Index i = 0; i < d.size(); ++i) l += double(d.data()[i]) * layer->final_state()[i];
        return l;
      };
      loss();
      layer->backward(x.data(), c.data(), nullptr, 0, StateGradients{d.data(), d_s0.data()});
      const double worst = worst_against_finite_differences(s0, d_s0, loss);
      EXPECT_LT(worst, 2e-2) << cell << " + " << (gate.empty() ? "no gate" : gate) << ", " << threads << " threads";
    }
}

// One step on a batch of states, as the fixed-point finder uses it: q(h) = 1/2 |F(h, x) - h|^2
// with dq/dh = (dF/dh)^T v - v, v = F(h, x) - h, from step() and step_backward().
TEST_F(PluginsLoaded, OneStepSpeedGradientMatchesFiniteDifferences) {
  for (const auto& [cell, gate] : kCellsAndGates) {
    Rng rng(22);
    auto layer = make_combination(registry_, cell, gate, 5, 2, rng);
    const int B = 4, S = layer->state_size();
    Matrix x(B, 2);
    fill_uniform(x, 1, rng);
    std::vector<float> h(size_t(B) * S), next(h.size()), v(h.size()), grad(h.size());
    for (float& e : h) e = float(rng.uniform(-0.8, 0.8));
    layer->prepare();
    auto q = [&]() {
      layer->step(h.data(), x.data(), B, next.data());
      double sum = 0;
      for (size_t i = 0; i < h.size(); ++i) sum += 0.5 * double(next[i] - h[i]) * (next[i] - h[i]);
      return sum;
    };
    q();
    for (size_t i = 0; i < h.size(); ++i) v[i] = next[i] - h[i];
    layer->step_backward(x.data(), v.data(), grad.data());
    for (size_t i = 0; i < h.size(); ++i) grad[i] -= v[i];
    const double worst = worst_against_finite_differences(h, grad, q);
    EXPECT_LT(worst, 2e-2) << cell << " + " << (gate.empty() ? "no gate" : gate);
  }
}

// Recurrent noise: the same seed gives the same numbers at 1 and 2 threads (values hashed from
// seed, draw, step, row, unit), another seed or the next draw other numbers; off when not
// training unless asked; and its size is sqrt(2 / alpha) sigma_rec (measured through a layer
// whose drive is the noise alone: W = P = b = 0, no gate, tanh ~ identity for small values).
TEST_F(PluginsLoaded, RecurrentNoiseIsSeededScaledAndIndependentOfThreads) {
  const int T = 10, B = 64, H = 32;
  Matrix x = Matrix::Ones(T * B, 2);
  auto run = [&](int threads, uint64_t seed, bool training, uint64_t draw) {
    ComputeContext ctx(ComputeOptions{threads, false});
    Rng rng(25);
    auto layer = make_combination(registry_, "vanilla", "", H, 2, rng);
    layer->set_context(ctx);
    for (Parameter* p : layer->parameters().all()) p->raw.setZero();
    RecurrentNoise n;
    n.std = 0.001;
    n.alpha = 0.5;
    n.seed = seed;
    layer->set_noise(n);
    layer->set_training(training);
    layer->set_noise_draw(draw);
    layer->prepare();
    layer->forward(x.data(), T, B);
    return std::vector<float>(layer->outputs(), layer->outputs() + size_t(T) * B * H);
  };
  const auto one = run(1, 7, true, 0), two = run(2, 7, true, 0);
  EXPECT_TRUE(one == two);
  EXPECT_FALSE(one == run(1, 8, true, 0));
  EXPECT_FALSE(one == run(1, 7, true, 1));
  for (float v : run(1, 7, false, 0)) ASSERT_EQ(v, 0.0f);
  double sum = 0, sq = 0;
  for (float v : one) {
    sum += v;
    sq += double(v) * v;
  }
  const double n = double(one.size()), mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 1e-4);
  EXPECT_NEAR(sd, std::sqrt(2.0 / 0.5) * 0.001, 0.03 * 0.002) << "measured std " << sd;
}

// A gate on a cell that does not read z would train parameters that never get a gradient.
TEST_F(PluginsLoaded, AGateOnACellThatIgnoresItIsRefused) {
  Rng rng(24);
  try {
    make_combination(registry_, "leaky", "learned", 4, 2, rng);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("its cell does not read a gate's z"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(make_combination(registry_, "leaky", "", 4, 2, rng));
}

// A gate and a cell may both name a parameter "W": the gate's is stored as "gate.W", each
// plugin finds its own under the plain name, and constraints can name either.
TEST(ParameterSet, EachPluginHasItsOwnNamespace) {
  ParameterSet p;
  {
    ParameterSet::Scope s(p, "cell");
    p.add("W", 2, 2, ParameterRole::kRecurrent).raw.setConstant(1);
    EXPECT_THROW(p.add("W", 2, 2), Error);
  }
  {
    ParameterSet::Scope s(p, "gate");
    p.add("W", 2, 2).raw.setConstant(2);
    EXPECT_EQ(p.get("W").raw(0, 0), 2);
    EXPECT_EQ(p.find_role(ParameterRole::kRecurrent)->raw(0, 0), 1);
  }
  {
    ParameterSet::Scope s(p, "cell");
    EXPECT_EQ(p.get("W").raw(0, 0), 1);
  }
  EXPECT_EQ(p.get("W").raw(0, 0), 1);
  EXPECT_EQ(p.get("gate.W").raw(0, 0), 2);
  EXPECT_EQ(p.names(), "W, gate.W");
}

TEST_F(PluginsLoaded, WholeSequenceCellsRefuseAGivenInitialState) {
  Rng rng(23);
  auto layer = make_combination(registry_, "gru", "", 4, 2, rng);
  Matrix x(2, 2), s(1, 4);
  layer->prepare();
  EXPECT_THROW(layer->forward(x.data(), 2, 1, s.data()), Error);
}

TEST_F(PluginsLoaded, SameSeedSameNumbers) {
  auto run = [&]() {
    Rng rng(11);
    Model model;
    model.add_layer(make_layer(registry_, "l1", 8, 3, rng));
    model.set_readout(std::make_unique<Readout>("out", 8, 4, Pooling::kLast, rng));
    Matrix x(5 * 6, 3);
    fill_uniform(x, 1, rng);
    std::vector<int32_t> y = {0, 1, 2, 3, 0, 1};
    double loss = model.run(x.data(), 5, 6, y.data(), true, nullptr);
    return std::make_pair(loss, Matrix(model.parameters()[0]->raw_grad));
  };
  auto a = run(), b = run();
  EXPECT_EQ(a.first, b.first);
  EXPECT_TRUE(a.second == b.second);
}

}  // namespace
}  // namespace biornn
