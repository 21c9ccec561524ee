// train.precision = "bf16": the matrix products in bf16 (fp32 sums) match fp32 within bf16's
// rounding on a small model, forward and backward; a CPU without bf16 instructions (flags
// injected) falls back to fp32 exactly; a misspelt precision is a one-line error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/engine/compute_context.h"
#include "core/experiment/graph.h"
#include "core/experiment/plugin_loader.h"
#include "core/experiment/trainer.h"
#include "core/platform/cpu_features.h"
#include "core/sdk/error.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

constexpr int T = 28, B = 32, F = 28;

// Two layers (so the input-gradient product runs too): a simple GRU, then the varying
// conductance with Dale's law (scaling and constraint), then the readout.
std::string graph_text() {
  return "description = \"precision test\"\n"
         "[train]\nbatch_size = 32\nseed = 5\nthreads = 2\n"
         "[optimizer]\nplugin = \"adam\"\nlearning_rate = 1e-3\n"
         "[nodes.data]\nplugin = \"mnist\"\nsequence = \"rows\"\n"
         "[nodes.rnn]\ninput = \"data\"\nhidden = 48\nplugin = \"rate\"\nphi = \"tanh\"\n"
         "gate = { plugin = \"learned\" }\n"
         "[nodes.rnn2]\ninput = \"rnn\"\nhidden = 40\nplugin = \"rate\"\nphi = \"tanh\"\n"
         "gate = { plugin = \"conductance\" }\nscaling = { plugin = \"constant\" }\n"
         "constraints = [ { parameter = \"W\", plugin = \"dale\" } ]\n"
         "[nodes.readout]\nplugin = \"readout\"\ninput = \"rnn2\"\n";
}

struct Result {
  Precision precision;
  double loss;
  std::vector<float> rates;        // the last layer's r, [T, B, H]
  std::vector<std::string> names;  // of the parameters
  std::vector<Matrix> grads;       // their raw gradients
};

class PrecisionTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::load_all_plugins(registry_, loader_); }

  Result run(const std::string& precision, const CpuFeatures& cpu) {
    Graph g = parse_graph_text(graph_text(), "precision_test", {"train.precision=" + precision}, registry_);
    auto e = build_experiment(g, registry_, &cpu);
    Rng rng(17);
    Matrix x(T * B, F);
    fill_uniform(x, 1, rng);
    x = (x.array() + 1) / 2;  // [0, 1) like pixels
    std::vector<int32_t> y(B);
    for (int i = 0; i < B; ++i) y[i] = i % 10;
    Minibatch b{{x.data(), y.data(), nullptr, nullptr}, T, B};
    Result r;
    r.precision = e->compute->precision();
    r.loss = e->model.run(b, true).loss;
    const RecurrentLayer& top = *e->model.layers().back();
    r.rates.assign(top.outputs(), top.outputs() + size_t(T) * B * top.hidden());
    r.names = e->model.parameter_names();
    for (Parameter* p : e->model.parameters()) r.grads.push_back(p->raw_grad);
    return r;
  }

  Registry registry_;
  PluginLoader loader_{registry_};
};

CpuFeatures with_bf16() {
  CpuFeatures f;
  f.avx512_bf16 = true;
  return f;
}

TEST(CpuFeatures, ReadsTheFirstCpusFlags) {
  const std::string info =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
      "flags\t\t: fpu sse2 avx512f avx512_bf16 avx512_vnni\n\n"
      "processor\t: 1\nflags\t\t: fpu amx_bf16\n";
  const CpuFeatures f = cpu_features_from_cpuinfo(info);
  EXPECT_TRUE(f.avx512_bf16);
  EXPECT_FALSE(f.amx_bf16);  // the second CPU's line is not read
  EXPECT_TRUE(f.bf16());
  const CpuFeatures none = cpu_features_from_cpuinfo("flags\t: fpu avx512f avx512_bf16x xamx_bf16\n");
  EXPECT_FALSE(none.bf16()) << "whole words only";
  EXPECT_EQ(none.describe(), "no bf16 instructions");
  EXPECT_TRUE(cpu_features_from_cpuinfo("flags : amx_bf16 amx_tile\n").amx_bf16);
}

TEST(ChoosePrecision, Bf16OnlyWhereTheCpuHasIt) {
  std::string note;
  EXPECT_EQ(choose_precision("fp32", with_bf16(), &note), Precision::kFp32);
  EXPECT_EQ(choose_precision("bf16", with_bf16(), &note), Precision::kBf16);
  EXPECT_TRUE(note.empty());
  EXPECT_EQ(choose_precision("bf16", CpuFeatures{}, &note), Precision::kFp32);
  EXPECT_NE(note.find("fp32"), std::string::npos) << note;
  EXPECT_EQ(note.find('\n'), std::string::npos) << "one log line";
  EXPECT_THROW(choose_precision("bf16x", with_bf16()), Error);
}

TEST(Bf16Rounding, NearestEven) {
  const float in[] = {1.0f, 1.00390625f /* 1 + 2^-8: a tie, down to even */, 1.01171875f /* 1 + 3*2^-8: up */, -2.5f,
                      3.0e38f};
  uint16_t out[5];
  to_bf16(in, 5, out);
  EXPECT_EQ(from_bf16(out[0]), 1.0f);
  EXPECT_EQ(from_bf16(out[1]), 1.0f);
  EXPECT_EQ(from_bf16(out[2]), 1.015625f);
  EXPECT_EQ(from_bf16(out[3]), -2.5f);
  EXPECT_NEAR(from_bf16(out[4]) / 3.0e38f, 1.0f, 4e-3f);
}

// Every product of a bf16 context (threaded gemm with transposes, gemm_serial with B plain
// and packed) equals the fp32 product of the bf16-rounded operands, up to fp32 summation order.
TEST(Bf16Gemm, EqualsTheProductOfRoundedOperands) {
  if (!host_cpu_features().bf16()) GTEST_SKIP() << "this CPU has no bf16 instructions";
  ComputeContext ctx(ComputeOptions{2, false, Precision::kBf16});
  Rng rng(3);
  const int m = 37, n = 50, k = 29;
  Matrix a(m, k), at(k, m), b(k, n), bt(n, k);
  fill_uniform(a, 1, rng);
  fill_uniform(b, 1, rng);
  at = a.transpose();
  bt = b.transpose();
  auto rounded = [](const Matrix& x) {
    Matrix r(x.rows(), x.cols());
    std::vector<uint16_t> h(x.size());
    to_bf16(x.data(), x.size(), h.data());
    for (Eigen::Index i = 0; i < x.size(); ++i) r.data()[i] = from_bf16(h[i]);
    return r;
  };
  const Matrix want = rounded(a) * rounded(b);
  auto expect_close = [&](const Matrix& got, const char* what) {
    EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-4 * want.cwiseAbs().maxCoeff()) << what;
  };
  Matrix c(m, n);
  ctx.gemm(false, false, m, n, k, a.data(), k, b.data(), n, c.data(), n, false);
  expect_close(c, "gemm");
  ctx.gemm(true, true, m, n, k, at.data(), m, bt.data(), k, c.data(), n, false);
  expect_close(c, "gemm, both transposed");
  const GemmShape plain{false, true, m, n, k, k, k, n, false, false};
  c.setZero();
  ctx.gemm_serial(plain, a.data(), bt.data(), c.data());
  expect_close(c, "gemm_serial, plain B");
  const GemmShape packed{false, true, m, n, k, k, k, n, true, true};
  std::vector<float> buffer((ctx.packed_b_bytes(packed) + 3) / 4);
  EXPECT_LE(ctx.packed_b_bytes(packed), size_t(n) * k * 2 + 4096) << "packed B is bf16";
  ctx.pack_b(packed, bt.data(), buffer.data());
  c.setZero();
  ctx.gemm_serial(packed, a.data(), buffer.data(), c.data());
  expect_close(c, "gemm_serial, packed B, accumulating onto 0");
}

TEST_F(PrecisionTest, MisspeltPrecisionIsAOneLineErrorNamingTheValidValues) {
  try {
    parse_graph_text(graph_text(), "precision_test", {"train.precision=bf16x"}, registry_);
    FAIL() << "bf16x accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("bf16x"), std::string::npos) << m;
    EXPECT_NE(m.find("fp32"), std::string::npos) << m;
    EXPECT_NE(m.find("fp32, bf16"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

// The fallback: bf16 asked on a CPU without bf16 instructions runs fp32, bit for bit.
TEST_F(PrecisionTest, WithoutBf16InstructionsFallsBackToFp32Exactly) {
  const Result fp32 = run("fp32", with_bf16());
  const Result fallback = run("bf16", CpuFeatures{});
  EXPECT_EQ(fallback.precision, Precision::kFp32);
  EXPECT_EQ(fallback.loss, fp32.loss);
  EXPECT_EQ(fallback.rates, fp32.rates);
  for (size_t i = 0; i < fp32.grads.size(); ++i) EXPECT_TRUE(fallback.grads[i] == fp32.grads[i]) << fp32.names[i];
}

// bf16 products: forward and every gradient within bf16's rounding (8 mantissa bits, errors
// of ~2^-9 per operand that partly cancel in the sums) of fp32, and not equal to it (so the
// bf16 path really ran).
TEST_F(PrecisionTest, Bf16MatchesFp32WithinBf16Rounding) {
  if (!host_cpu_features().bf16()) GTEST_SKIP() << "this CPU has no bf16 instructions";
  const Result fp32 = run("fp32", with_bf16());
  const Result bf16 = run("bf16", with_bf16());
  ASSERT_EQ(bf16.precision, Precision::kBf16);
  EXPECT_NEAR(bf16.loss / fp32.loss, 1.0, 1e-2);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < fp32.rates.size(); ++i) {
    diff += std::pow(double(bf16.rates[i]) - fp32.rates[i], 2);
    norm += std::pow(double(fp32.rates[i]), 2);
  }
  const double rate_error = std::sqrt(diff / norm);
  EXPECT_LT(rate_error, 1e-2);
  EXPECT_GT(rate_error, 1e-6) << "the rates are fp32's: did the bf16 products run?";
  // Measured here: ~1e-2 for every weight, 3.5e-2 for the scaling A (its gradient sums
  // W * dW over all H^2 entries, with much cancellation).
  double sum = 0;
  int counted = 0;
  for (size_t i = 0; i < fp32.grads.size(); ++i) {
    const double n = fp32.grads[i].norm();
    if (n == 0) continue;
    const double rel = (bf16.grads[i] - fp32.grads[i]).norm() / n;
    std::printf("%-14s relative error %.2e\n", fp32.names[i].c_str(), rel);
    EXPECT_LT(rel, 6e-2) << fp32.names[i];
    EXPECT_GT(rel, 0) << fp32.names[i] << ": gradient identical to fp32's";
    sum += rel;
    ++counted;
  }
  EXPECT_LT(sum / counted, 1.5e-2) << "mean relative error of the gradients";
}

}  // namespace
}  // namespace biornn
