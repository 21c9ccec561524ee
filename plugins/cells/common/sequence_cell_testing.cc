// Shared by the tests of the oneDNN sequence cells (gru, lstm): parity with a double-precision
// reference of PyTorch's equations, and PyTorch's parameter layout.
#pragma GCC diagnostic ignored "-Wuninitialized"  // Eigen's AVX-512 double transposes (GCC 12)
#include "plugins/cells/common/sequence_cell_testing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/engine/recurrent_layer.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/gate.h"
#include "core/testing/testing.h"

namespace biornn::testing {

// max |a - b| / max |b|: the error relative to the tensor's scale.
double relative(const MatD& a, const MatD& b) { return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff(); }

void check_parity(SequenceCell& cell, ParameterSet& ps, const ReferenceFn& reference, int T, int B, int F, int H,
                  uint64_t seed) {
  Rng rng(seed);
  std::vector<MatD> x(T), d_r(T);
  Matrix xf(T * B, F), drf(T * B, H);
  fill_uniform(xf, 1.0f, rng);
  fill_uniform(drf, 1.0f, rng);
  for (int t = 0; t < T; ++t) {
    x[t] = xf.middleRows(t * B, B).cast<double>();
    d_r[t] = drf.middleRows(t * B, B).cast<double>();
  }
  for (Parameter* p : ps.all()) {
    p->value = p->raw;
    p->grad.setZero();
  }
  Matrix out(T * B, H);
  cell.forward_sequence(ps, xf.data(), T, B, out.data());
  Matrix d_x = Matrix::Constant(T * B, F, 0.5f);  // backward_sequence adds to it
  cell.backward_sequence(ps, xf.data(), drf.data(), d_x.data());
  const Reference ref = reference(ps, x, d_r, H);

  MatD h_ref(T * B, H), dx_ref(T * B, F);
  for (int t = 0; t < T; ++t) {
    h_ref.middleRows(t * B, B) = ref.h[t + 1];
    dx_ref.middleRows(t * B, B) = ref.d_x[t].array() + 0.5;
  }
  const double tol = 1e-5;
  EXPECT_LT(relative(out.cast<double>(), h_ref), tol) << "outputs";
  EXPECT_LT(relative(ps.get("W_ih").grad.cast<double>(), ref.d_wih), tol) << "W_ih";
  EXPECT_LT(relative(ps.get("W_hh").grad.cast<double>(), ref.d_whh), tol) << "W_hh";
  EXPECT_LT(relative(ps.get("b_ih").grad.row(0).transpose().cast<double>(), ref.d_bih), tol) << "b_ih";
  EXPECT_LT(relative(ps.get("b_hh").grad.row(0).transpose().cast<double>(), ref.d_bhh), tol) << "b_hh";
  EXPECT_LT(relative(d_x.cast<double>(), dx_ref), tol) << "d_x";
  std::printf("T=%d B=%d F=%d H=%d: outputs %.1e  W_ih %.1e  W_hh %.1e  b_ih %.1e  b_hh %.1e  d_x %.1e\n", T, B, F, H,
              relative(out.cast<double>(), h_ref), relative(ps.get("W_ih").grad.cast<double>(), ref.d_wih),
              relative(ps.get("W_hh").grad.cast<double>(), ref.d_whh),
              relative(ps.get("b_ih").grad.row(0).transpose().cast<double>(), ref.d_bih),
              relative(ps.get("b_hh").grad.row(0).transpose().cast<double>(), ref.d_bhh),
              relative(d_x.cast<double>(), dx_ref));
}

void expect_pytorch_layout(Cell& cell, int gates) {
  ParameterSet ps;
  Rng rng(1);
  cell.create_parameters(ps, 6, 5, rng);
  EXPECT_EQ(ps.get("W_ih").raw.rows(), 6 * gates);
  EXPECT_EQ(ps.get("W_ih").raw.cols(), 5);
  EXPECT_EQ(ps.get("W_hh").raw.rows(), 6 * gates);
  EXPECT_EQ(ps.get("W_hh").raw.cols(), 6);
  EXPECT_EQ(ps.get("b_ih").raw.cols(), 6 * gates);
  EXPECT_EQ(ps.get("b_hh").raw.cols(), 6 * gates);
  const float k = 1.0f / std::sqrt(6.0f);
  for (const Parameter* p : ps.all()) EXPECT_LE(p->raw.cwiseAbs().maxCoeff(), k);
  EXPECT_NE(dynamic_cast<SequenceCell*>(&cell), nullptr);
}

Registry& sequence_cell_registry(const std::string& name) {
  static auto* registry = new Registry;
  static auto* loader = new PluginLoader(*registry);
  if (!registry->find("cell", name)) loader->load(runfile("plugins/cells/" + name + "/" + name + "_plugin.so"));
  return *registry;
}

std::unique_ptr<Cell> make_sequence_cell(const std::string& name) {
  Registry& r = sequence_cell_registry(name);
  return r.create<Cell>(name, Options(r.get("cell", name).schema));
}

void expect_parity_on_shapes(const std::string& name, const ReferenceFn& reference) {
  auto cell = make_sequence_cell(name);
  ParameterSet ps;
  Rng rng(2);
  cell->create_parameters(ps, 6, 5, rng);
  for (Parameter* p : ps.all()) fill_uniform(p->raw, 0.8f, rng);
  auto& sequence = dynamic_cast<SequenceCell&>(*cell);
  check_parity(sequence, ps, reference, 4, 3, 5, 6, 3);
  check_parity(sequence, ps, reference, 7, 2, 5, 6, 4);
  check_parity(sequence, ps, reference, 4, 3, 5, 6, 5);
}

void expect_refuses_a_gate(const std::string& name) {
  class NoGate : public Gate {
   public:
    void create_parameters(ParameterSet&, int, int, Rng&) override {}
    void prepare(const ParameterSet&, const Matrix*, LinearBlock*) const override {}
    void accumulate(const LinearBlock*, ParameterSet&, Matrix*) const override {}
    void forward(GateForward&) const override {}
    void backward(GateBackward&) const override {}
  };
  Rng rng(1);
  EXPECT_THROW(RecurrentLayer("l", 4, 3, make_sequence_cell(name), std::make_unique<NoGate>(), nullptr, {}, rng),
               Error);
}

}  // namespace biornn::testing
