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
#include "plugins/cells/common/sequence_cell_testing.h"

namespace biornn {
namespace {

using testing::MatD;
using testing::Reference;
using testing::VecD;

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

TEST(Gru, ParametersAreNamedAndShapedLikePyTorch) { testing::expect_pytorch_layout(*loaded().make(), 3); }

TEST(Gru, MatchesTheReferenceForwardAndBackward) {
  auto cell = loaded().make();
  ParameterSet ps;
  Rng rng(2);
  cell->create_parameters(ps, 6, 5, rng);
  // Larger weights than the default init so every gate is exercised away from 0.5.
  for (Parameter* p : ps.all()) fill_uniform(p->raw, 0.8f, rng);
  testing::check_parity(dynamic_cast<SequenceCell&>(*cell), ps, reference, 4, 3, 5, 6, 3);
  // A second shape (a new cached plan), then the first again (the cached one).
  testing::check_parity(dynamic_cast<SequenceCell&>(*cell), ps, reference, 7, 2, 5, 6, 4);
  testing::check_parity(dynamic_cast<SequenceCell&>(*cell), ps, reference, 4, 3, 5, 6, 5);
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
