// Parity of the oneDNN-based gru cell with a plain reference of PyTorch's GRU equations
// (double precision, loops and Eigen here): outputs, every parameter gradient and dLoss/dx.
// GCC 12 flags Eigen's AVX-512 double-precision transposes with a false -Wuninitialized;
// this must precede every include to cover those headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

#include "core/sdk/cell.h"
#include "core/experiment/plugin_loader.h"
#include "core/engine/recurrent_layer.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

struct Loaded {
  Registry registry;
  PluginLoader loader{registry};
  Loaded() { loader.load(testing::runfile("plugins/cells/gru/gru_plugin.so")); }
  std::unique_ptr<Cell> make() { return registry.create<Cell>("gru", Options(registry.get("cell", "gru").schema)); }
};

Loaded& loaded() {
  static Loaded l;
  return l;
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

struct Reference {
  std::vector<MatD> h;  // h[0..T], each [B, H]
  MatD d_wih, d_whh;
  VecD d_bih, d_bhh;
  std::vector<MatD> d_x;  // [T] of [B, F]
};

// PyTorch's GRU forward and backward through time for loss = sum_t <d_r_t, h_t>.
Reference reference(const ParameterSet& ps, const std::vector<MatD>& x, const std::vector<MatD>& d_r, int H) {
  const MatD wih = ps.get("W_ih").value.cast<double>(), whh = ps.get("W_hh").value.cast<double>();
  const VecD bih = ps.get("b_ih").value.row(0).transpose().cast<double>();
  const VecD bhh = ps.get("b_hh").value.row(0).transpose().cast<double>();
  const int T = int(x.size()), B = int(x[0].rows());
  Reference ref;
  ref.h.assign(1, MatD::Zero(B, H));
  std::vector<MatD> rs, zs, ns, hns;
  for (int t = 0; t < T; ++t) {
    const MatD gi = (x[t] * wih.transpose()).rowwise() + bih.transpose();
    const MatD gh = (ref.h[t] * whh.transpose()).rowwise() + bhh.transpose();
    const MatD r = (gi.leftCols(H) + gh.leftCols(H)).unaryExpr(&sigmoid);
    const MatD z = (gi.middleCols(H, H) + gh.middleCols(H, H)).unaryExpr(&sigmoid);
    const MatD hn = gh.rightCols(H);
    const MatD n = (gi.rightCols(H).array() + r.array() * hn.array()).tanh().matrix();
    ref.h.push_back(((1 - z.array()) * n.array() + z.array() * ref.h[t].array()).matrix());
    rs.push_back(r);
    zs.push_back(z);
    ns.push_back(n);
    hns.push_back(hn);
  }
  ref.d_wih = MatD::Zero(wih.rows(), wih.cols());
  ref.d_whh = MatD::Zero(whh.rows(), whh.cols());
  ref.d_bih = VecD::Zero(3 * H);
  ref.d_bhh = VecD::Zero(3 * H);
  ref.d_x.assign(T, MatD());
  MatD dh_next = MatD::Zero(B, H);
  for (int t = T - 1; t >= 0; --t) {
    const MatD dh = d_r[t] + dh_next;
    const auto r = rs[t].array(), z = zs[t].array(), n = ns[t].array();
    const MatD dz = (dh.array() * (ref.h[t].array() - n) * z * (1 - z)).matrix();
    const MatD dan = (dh.array() * (1 - z) * (1 - n * n)).matrix();
    const MatD dr = (dan.array() * hns[t].array() * r * (1 - r)).matrix();
    const MatD dhn = (dan.array() * r).matrix();
    MatD dgi(B, 3 * H), dgh(B, 3 * H);
    dgi << dr, dz, dan;
    dgh << dr, dz, dhn;
    ref.d_wih += dgi.transpose() * x[t];
    ref.d_whh += dgh.transpose() * ref.h[t];
    ref.d_bih += dgi.colwise().sum().transpose();
    ref.d_bhh += dgh.colwise().sum().transpose();
    ref.d_x[t] = dgi * wih;
    dh_next = (dh.array() * z).matrix() + dgh * whh;
  }
  return ref;
}

// max |a - b| / max |b|: the error relative to the tensor's scale.
double relative(const MatD& a, const MatD& b) { return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff(); }

void check_parity(SequenceCell& cell, ParameterSet& ps, int T, int B, int F, int H, uint64_t seed) {
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

TEST(Gru, ParametersAreNamedAndShapedLikePyTorch) {
  auto cell = loaded().make();
  ParameterSet ps;
  Rng rng(1);
  cell->create_parameters(ps, 6, 5, rng);
  EXPECT_EQ(ps.get("W_ih").raw.rows(), 18);
  EXPECT_EQ(ps.get("W_ih").raw.cols(), 5);
  EXPECT_EQ(ps.get("W_hh").raw.rows(), 18);
  EXPECT_EQ(ps.get("W_hh").raw.cols(), 6);
  EXPECT_EQ(ps.get("b_ih").raw.cols(), 18);
  EXPECT_EQ(ps.get("b_hh").raw.cols(), 18);
  const float k = 1.0f / std::sqrt(6.0f);
  for (const Parameter* p : ps.all()) EXPECT_LE(p->raw.cwiseAbs().maxCoeff(), k);
  EXPECT_NE(dynamic_cast<SequenceCell*>(cell.get()), nullptr);
}

TEST(Gru, MatchesTheReferenceForwardAndBackward) {
  auto cell = loaded().make();
  ParameterSet ps;
  Rng rng(2);
  cell->create_parameters(ps, 6, 5, rng);
  // Larger weights than the default init so every gate is exercised away from 0.5.
  for (Parameter* p : ps.all()) fill_uniform(p->raw, 0.8f, rng);
  check_parity(dynamic_cast<SequenceCell&>(*cell), ps, 4, 3, 5, 6, 3);
  // A second shape (a new cached plan), then the first again (the cached one).
  check_parity(dynamic_cast<SequenceCell&>(*cell), ps, 7, 2, 5, 6, 4);
  check_parity(dynamic_cast<SequenceCell&>(*cell), ps, 4, 3, 5, 6, 5);
}

TEST(Gru, RefusesAGate) {
  Registry& reg = loaded().registry;
  class NoGate : public Gate {
   public:
    void create_parameters(ParameterSet&, int, int, Rng&) override {}
    void prepare(const ParameterSet&, const Matrix*, LinearBlock*) const override {}
    void accumulate(const LinearBlock*, ParameterSet&, Matrix*) const override {}
    void forward(GateForward&) const override {}
    void backward(GateBackward&) const override {}
  };
  Rng rng(1);
  EXPECT_THROW(RecurrentLayer("l", 4, 3, reg.create<Cell>("gru", Options(reg.get("cell", "gru").schema)),
                              std::make_unique<NoGate>(), nullptr, {}, rng),
               Error);
}

}  // namespace
}  // namespace biornn
