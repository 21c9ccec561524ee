// Parity of the oneDNN-based gru cell with a plain reference of PyTorch's GRU equations
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

// PyTorch's GRU forward and backward through time for loss = sum_t <d_r_t, h_t>.
Reference reference(const ParameterSet& ps, const std::vector<MatD>& x, const std::vector<MatD>& d_r, int H) {
  const testing::PytorchWeights w(ps);
  const MatD &wih = w.wih, &whh = w.whh;
  const VecD &bih = w.bih, &bhh = w.bhh;
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

TEST(Gru, ParametersAreNamedAndShapedLikePyTorch) {
  testing::expect_pytorch_layout(*testing::make_sequence_cell("gru"), 3);
}

TEST(Gru, MatchesTheReferenceForwardAndBackward) { testing::expect_parity_on_shapes("gru", reference); }

TEST(Gru, RefusesAGate) { testing::expect_refuses_a_gate("gru"); }

}  // namespace
}  // namespace biornn
