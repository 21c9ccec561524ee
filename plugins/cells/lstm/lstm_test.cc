// Parity of the oneDNN-based lstm cell with a plain reference of PyTorch's LSTM equations
// (double precision, loops and Eigen here): outputs, every parameter gradient and dLoss/dx.
// GCC 12 flags Eigen's AVX-512 double-precision transposes with a false -Wuninitialized;
// this must precede every include to cover those headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

#include "plugins/cells/common/sequence_cell_testing.h"

namespace biornn {
namespace {

using testing::MatD;
using testing::Reference;
using testing::sigmoid;
using testing::VecD;

// PyTorch's LSTM forward and backward through time for loss = sum_t <d_r_t, h_t>.
Reference reference(const ParameterSet& ps, const std::vector<MatD>& x, const std::vector<MatD>& d_r, int H) {
  const testing::PytorchWeights w(ps);
  const MatD &wih = w.wih, &whh = w.whh;
  const VecD &bih = w.bih, &bhh = w.bhh;
  const int T = int(x.size()), B = int(x[0].rows());
  Reference ref;
  ref.h.assign(1, MatD::Zero(B, H));
  std::vector<MatD> c(1, MatD::Zero(B, H)), is, fs, gs, os;
  for (int t = 0; t < T; ++t) {
    const MatD a = ((x[t] * wih.transpose() + ref.h[t] * whh.transpose()).rowwise() + (bih + bhh).transpose());
    const MatD i = a.leftCols(H).unaryExpr(&sigmoid), f = a.middleCols(H, H).unaryExpr(&sigmoid);
    const MatD g = a.middleCols(2 * H, H).array().tanh().matrix(), o = a.rightCols(H).unaryExpr(&sigmoid);
    c.push_back((f.array() * c[t].array() + i.array() * g.array()).matrix());
    ref.h.push_back((o.array() * c[t + 1].array().tanh()).matrix());
    is.push_back(i);
    fs.push_back(f);
    gs.push_back(g);
    os.push_back(o);
  }
  ref.d_wih = MatD::Zero(wih.rows(), wih.cols());
  ref.d_whh = MatD::Zero(whh.rows(), whh.cols());
  ref.d_bih = VecD::Zero(4 * H);
  ref.d_bhh = VecD::Zero(4 * H);
  ref.d_x.assign(T, MatD());
  MatD dh_next = MatD::Zero(B, H), dc_next = MatD::Zero(B, H);
  for (int t = T - 1; t >= 0; --t) {
    const MatD dh = d_r[t] + dh_next;
    const auto i = is[t].array(), f = fs[t].array(), g = gs[t].array(), o = os[t].array();
    const Eigen::ArrayXXd tc = c[t + 1].array().tanh();
    const Eigen::ArrayXXd dc = dc_next.array() + dh.array() * o * (1 - tc * tc);
    MatD da(B, 4 * H);
    da << (dc * g * i * (1 - i)).matrix(), (dc * c[t].array() * f * (1 - f)).matrix(), (dc * i * (1 - g * g)).matrix(),
        (dh.array() * tc * o * (1 - o)).matrix();
    ref.d_wih += da.transpose() * x[t];
    ref.d_whh += da.transpose() * ref.h[t];
    ref.d_bih += da.colwise().sum().transpose();
    ref.d_bhh += da.colwise().sum().transpose();
    ref.d_x[t] = da * wih;
    dh_next = da * whh;
    dc_next = (dc * f).matrix();
  }
  return ref;
}

TEST(Lstm, ParametersAreNamedAndShapedLikePyTorch) {
  testing::expect_pytorch_layout(*testing::make_sequence_cell("lstm"), 4);
}

TEST(Lstm, ForgetBiasIsAddedToTheForgetBlock) {
  Registry& reg = testing::sequence_cell_registry("lstm");
  const OptionSchema& schema = reg.get("cell", "lstm").schema;
  Options o(schema);
  o.set(schema, "forget_bias", 1.0, {}, "test");
  auto cell = reg.create<Cell>("lstm", o);
  ParameterSet ps;
  Rng rng(1);
  cell->create_parameters(ps, 6, 5, rng);
  const Matrix& b = ps.get("b_ih").raw;
  EXPECT_GT(b.middleCols(6, 6).minCoeff(), 0.5f);
  EXPECT_LT(b.leftCols(6).cwiseAbs().maxCoeff(), 0.41f);
}

TEST(Lstm, MatchesTheReferenceForwardAndBackward) { testing::expect_parity_on_shapes("lstm", reference); }

TEST(Lstm, RefusesAGate) { testing::expect_refuses_a_gate("lstm"); }

}  // namespace
}  // namespace biornn
