// Tests of the fixed-point finder (core/analysis/fixed_points.h) on small networks whose fixed
// points are known exactly: found by Newton's method in double precision from every node of a
// dense grid (an exhaustive search, independent of the finder), then compared with what the finder
// returns from noisy starts, as "found / known" per number of unstable modes.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "core/analysis/fixed_points.h"
#include "core/sdk/error.h"

namespace biornn {
namespace {

// F(h) = tanh(W h + B x + b) with x held: a vanilla RNN's step, Jacobian diag(1 - F^2) W.
class TanhNetwork : public StateMap {
 public:
  TanhNetwork(Eigen::MatrixXd w, Eigen::VectorXd b, Eigen::MatrixXd input = {}, Eigen::VectorXd x = {})
      : w_(std::move(w)), b_(std::move(b)), input_(std::move(input)), x_(std::move(x)) {
    if (input_.size() == 0) input_ = Eigen::MatrixXd::Zero(b_.size(), 0), x_ = Eigen::VectorXd::Zero(0);
  }
  int dimension() const override { return int(b_.size()); }
  int inputs() const override { return int(x_.size()); }
  Eigen::VectorXd step(const Eigen::VectorXd& h) const { return (w_ * h + input_ * x_ + b_).array().tanh(); }
  Eigen::MatrixXd jacobian_at(const Eigen::VectorXd& h) const {
    return (1 - step(h).array().square()).matrix().asDiagonal() * w_;
  }
  void apply(const float* h, int n, float* f) override {
    const int D = dimension();
    slopes_.resize(D, n);
    for (int i = 0; i < n; ++i) {
      const Eigen::VectorXd y = step(Eigen::Map<const Eigen::VectorXf>(h + size_t(i) * D, D).cast<double>());
      slopes_.col(i) = 1 - y.array().square();
      Eigen::Map<Eigen::VectorXf>(f + size_t(i) * D, D) = y.cast<float>();
    }
  }
  void vector_jacobian(const float* v, int n, float* g) override { back(v, n, w_, g); }
  void input_vector_jacobian(const float* v, int n, float* g) override { back(v, n, input_, g); }

 private:
  // g_i = M^T (slope_i * v_i).
  void back(const float* v, int n, const Eigen::MatrixXd& m, float* g) const {
    const int D = dimension();
    for (int i = 0; i < n; ++i) {
      const Eigen::VectorXd u =
          Eigen::Map<const Eigen::VectorXf>(v + size_t(i) * D, D).cast<double>().cwiseProduct(slopes_.col(i));
      Eigen::Map<Eigen::VectorXf>(g + size_t(i) * m.cols(), m.cols()) = (m.transpose() * u).cast<float>();
    }
  }
  Eigen::MatrixXd w_;
  Eigen::VectorXd b_;
  Eigen::MatrixXd input_;
  Eigen::VectorXd x_;
  Eigen::MatrixXd slopes_;
};

struct KnownPoint {
  Eigen::VectorXd state;
  int unstable = 0;
};

int unstable_modes(const Eigen::MatrixXd& J) {
  const Eigen::VectorXcd l = Eigen::EigenSolver<Eigen::MatrixXd>(J, false).eigenvalues();
  int k = 0;
  for (Eigen::Index i = 0; i < l.size(); ++i) k += std::abs(l(i)) > 1 + 1e-3;
  return k;
}

// Every fixed point in [-range, range]^D: plain Newton in double from each node of a grid with
// `nodes` per axis; roots with |F(h) - h| < 1e-12 closer than 1e-6 are one.
std::vector<KnownPoint> exhaustive_points(const TanhNetwork& net, int nodes, double range) {
  const int D = net.dimension();
  std::vector<KnownPoint> known;
  std::vector<int> index(size_t(D), 0);
  for (bool more = true; more;) {
    Eigen::VectorXd h(D);
    for (int d = 0; d < D; ++d) h(d) = -range + 2 * range * index[size_t(d)] / (nodes - 1);
    for (int it = 0; it < 60; ++it) {
      const Eigen::MatrixXd A = net.jacobian_at(h) - Eigen::MatrixXd::Identity(D, D);
      h -= A.fullPivLu().solve(net.step(h) - h);
    }
    const bool root = h.allFinite() && (net.step(h) - h).norm() < 1e-12;
    const bool seen =
        std::any_of(known.begin(), known.end(), [&](const KnownPoint& k) { return (k.state - h).norm() < 1e-6; });
    if (root && !seen) known.push_back({h, unstable_modes(net.jacobian_at(h))});
    more = false;
    for (int d = 0; d < D && !more; ++d) {
      more = ++index[size_t(d)] < nodes;
      if (!more) index[size_t(d)] = 0;
    }
  }
  return known;
}

// Starts as a flip-flop task's trajectories would give them: states visited by the network, each
// unit kicked by a pulse of +-1.5 with probability 1/2 every 5 steps, plus Gaussian noise (0.3).
std::vector<float> trajectory_starts(const TanhNetwork& net, int count, uint64_t seed) {
  const int D = net.dimension();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::normal_distribution<double> noise(0, 0.3);
  std::vector<float> starts;
  Eigen::VectorXd h = Eigen::VectorXd::NullaryExpr(D, [&] { return u(rng); });
  for (int k = 0; k < count; ++k) {
    if (k % 5 == 0) h += Eigen::VectorXd::NullaryExpr(D, [&] { return u(rng) < 0 ? 0.0 : u(rng) < 0 ? -1.5 : 1.5; });
    h = net.step(h);
    for (int d = 0; d < D; ++d) starts.push_back(float(h(d) + noise(rng)));
  }
  return starts;
}

// found / known per number of unstable modes; every found point must be a known one with the
// same number of unstable modes.
std::map<int, std::pair<int, int>> compare(const FixedPointSearch& s, const std::vector<KnownPoint>& known) {
  std::map<int, std::pair<int, int>> table;
  for (const KnownPoint& k : known) ++table[k.unstable].second;
  for (const FixedPoint& p : s.points) {
    const Eigen::VectorXd h =
        Eigen::Map<const Eigen::VectorXf>(p.state.data(), Eigen::Index(p.state.size())).cast<double>();
    const auto match =
        std::find_if(known.begin(), known.end(), [&](const KnownPoint& k) { return (k.state - h).norm() < 1e-4; });
    EXPECT_NE(match, known.end()) << "a point the exhaustive search does not know, q " << p.q;
    if (match == known.end()) continue;
    EXPECT_EQ(p.unstable, match->unstable);
    ++table[match->unstable].first;
  }
  for (const auto& [k, fk] : table)
    std::cout << "  " << k << " unstable modes: found " << fk.first << " / known " << fk.second << "\n";
  return table;
}

void expect_all_found(const std::map<int, std::pair<int, int>>& table) {
  for (const auto& [k, fk] : table) EXPECT_EQ(fk.first, fk.second) << k << " unstable modes";
}

// Three self-exciting units (a flip-flop of 3 bits): 3^3 = 27 points, the 8 corners of a cube
// stable, 12 edge saddles with 1 unstable mode, 6 face saddles with 2, the centre with 3.
TEST(FixedPointsKnown, FindsEveryPointOfAThreeBitFlipFlopNetwork) {
  Eigen::MatrixXd w = 1.8 * Eigen::MatrixXd::Identity(3, 3);
  w(0, 1) = 0.1, w(1, 2) = -0.1, w(2, 0) = 0.05;
  const TanhNetwork truth(w, Eigen::VectorXd::Zero(3));
  TanhNetwork net = truth;
  const std::vector<KnownPoint> known = exhaustive_points(truth, 21, 1.2);
  ASSERT_EQ(known.size(), 27u);
  const FixedPointSearch s = find_fixed_points(net, trajectory_starts(truth, 1000, 1), 1000, FixedPointOptions{});
  const auto table = compare(s, known);
  expect_all_found(table);
  EXPECT_EQ(table.at(0).second, 8);
  EXPECT_EQ(table.at(1).second, 12);
  EXPECT_EQ(table.at(2).second, 6);
  EXPECT_EQ(table.at(3).second, 1);
}

// A random 4-unit network with strong recurrence: its points, whatever they are, all found.
TEST(FixedPointsKnown, FindsEveryPointOfARandomFourUnitNetwork) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 1);
  Eigen::MatrixXd w =
      1.6 * Eigen::MatrixXd::Identity(4, 4) + Eigen::MatrixXd::NullaryExpr(4, 4, [&] { return 0.3 * g(rng); });
  const Eigen::VectorXd b = Eigen::VectorXd::NullaryExpr(4, [&] { return 0.05 * g(rng); });
  const TanhNetwork truth(w, b);
  TanhNetwork net = truth;
  const std::vector<KnownPoint> known = exhaustive_points(truth, 11, 1.2);
  ASSERT_GE(known.size(), 3u);
  const FixedPointSearch s = find_fixed_points(net, trajectory_starts(truth, 2000, 2), 2000, FixedPointOptions{});
  expect_all_found(compare(s, known));
}

// After a short descent (200 Adam steps), Newton polishing takes the ends near a point to
// q < 1e-10, where Adam alone leaves most of them above it.
TEST(FixedPointsKnown, NewtonPolishReachesAStrictTolerance) {
  Eigen::MatrixXd w = 1.8 * Eigen::MatrixXd::Identity(3, 3);
  TanhNetwork net(w, Eigen::VectorXd::Zero(3));
  const std::vector<float> starts = trajectory_starts(net, 1000, 3);
  FixedPointOptions o;
  o.tolerance = 1e-10;
  o.iterations = 200;
  o.newton_from = 1e-2;
  const FixedPointSearch polished = find_fixed_points(net, starts, 1000, o);
  o.newton_iterations = 0;
  const FixedPointSearch raw = find_fixed_points(net, starts, 1000, o);
  std::cout << "  at q < 1e-10: " << polished.points.size() << " points with Newton, " << raw.points.size()
            << " with Adam alone\n";
  EXPECT_GE(polished.points.size(), 20u);  // of 27
  EXPECT_LT(2 * raw.points.size(), polished.points.size());
  for (const FixedPoint& p : polished.points) EXPECT_LT(p.q, 1e-10);
}

// Each point carries J, its eigenvalues with right (columns) and left (rows) eigenvectors, and the
// input Jacobian dF/dx, checked against their definitions and against finite differences.
TEST(FixedPointsKnown, DescribesEachPointByItsEigenvectorsAndInputJacobian) {
  Eigen::MatrixXd w(2, 2), input(2, 1);
  w << 1.5, 0.4, -0.3, 1.2;
  input << 0.7, -0.2;
  Eigen::VectorXd x(1);
  x << 0.3;
  TanhNetwork net(w, Eigen::VectorXd::Zero(2), input, x);
  const FixedPointSearch s = find_fixed_points(net, trajectory_starts(net, 400, 4), 400, FixedPointOptions{});
  ASSERT_FALSE(s.points.empty());
  for (const FixedPoint& p : s.points) {
    const Eigen::MatrixXcd J = p.jacobian.cast<std::complex<double>>();
    for (int k = 0; k < 2; ++k) {
      EXPECT_LT((J * p.right.col(k) - p.eigenvalues[size_t(k)] * p.right.col(k)).norm(), 1e-6);
      EXPECT_LT((p.left.row(k) * J - p.eigenvalues[size_t(k)] * p.left.row(k)).norm(), 1e-6);
      EXPECT_NEAR(std::abs((p.left.row(k) * p.right.col(k))(0) - 1.0), 0, 1e-9);
    }
    ASSERT_EQ(p.input_jacobian.rows(), 2);
    ASSERT_EQ(p.input_jacobian.cols(), 1);
    const Eigen::VectorXd h = Eigen::Map<const Eigen::VectorXf>(p.state.data(), 2).cast<double>();
    const double eps = 1e-5;
    Eigen::VectorXd up = x, down = x;
    up(0) += eps, down(0) -= eps;
    const Eigen::VectorXd numeric = (TanhNetwork(w, Eigen::VectorXd::Zero(2), input, up).step(h) -
                                     TanhNetwork(w, Eigen::VectorXd::Zero(2), input, down).step(h)) /
                                    (2 * eps);
    EXPECT_LT((p.input_jacobian.col(0) - numeric).norm(), 1e-5);
  }
}

// F(h) = (h0, 0.5 h1): every point of the line h1 = 0 is fixed (J - I singular there). Newton's
// least-squares step still lands on the line.
TEST(FixedPointsKnown, ConvergesOntoALineAttractor) {
  class Linear : public StateMap {
   public:
    int dimension() const override { return 2; }
    void apply(const float* h, int n, float* f) override {
      for (int i = 0; i < n; ++i) f[2 * i] = h[2 * i], f[2 * i + 1] = 0.5f * h[2 * i + 1];
    }
    void vector_jacobian(const float* v, int n, float* g) override {
      for (int i = 0; i < n; ++i) g[2 * i] = v[2 * i], g[2 * i + 1] = 0.5f * v[2 * i + 1];
    }
  } line;
  std::vector<float> starts;
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int i = 0; i < 100; ++i) starts.push_back(u(rng));
  FixedPointOptions o;
  o.iterations = 20;
  o.newton_from = 1;  // polish every end, however far the few Adam steps left it
  const FixedPointSearch s = find_fixed_points(line, starts, 50, o);
  EXPECT_EQ(s.converged, 50);
  EXPECT_GT(s.points.size(), 10u);  // distinct points along the line
  for (const FixedPoint& p : s.points) {
    EXPECT_LT(std::fabs(p.state[1]), 1e-4);
    EXPECT_EQ(p.unstable, 0);
    EXPECT_NEAR(std::abs(p.eigenvalues[0]), 1.0, 1e-6);
  }
}

// F(h) = h - 0.01 (h - 1)(h - 40): from starts near [0, 2] and one start near 38, the point at
// 40 is 40 times farther from the starts' centroid than they are: an outlier, dropped.
TEST(FixedPointsKnown, DropsPointsFarFromTheStarts) {
  class Quadratic : public StateMap {
   public:
    int dimension() const override { return 1; }
    void apply(const float* h, int n, float* f) override {
      last_.assign(h, h + n);
      for (int i = 0; i < n; ++i) f[i] = h[i] - 0.01f * (h[i] - 1) * (h[i] - 40);
    }
    void vector_jacobian(const float* v, int n, float* g) override {
      for (int i = 0; i < n; ++i) g[i] = v[i] * (1 - 0.01f * (2 * last_[size_t(i)] - 41));
    }
    std::vector<float> last_;
  } map;
  std::vector<float> starts;
  for (int i = 0; i < 99; ++i) starts.push_back(0.5f + 0.01f * float(i));
  starts.push_back(38);
  const FixedPointSearch s = find_fixed_points(map, starts, 100, FixedPointOptions{});
  ASSERT_EQ(s.points.size(), 1u);
  EXPECT_NEAR(s.points[0].state[0], 1.0, 1e-4);
  EXPECT_EQ(s.points[0].unstable, 1);
  EXPECT_GE(s.outliers, 1);
}

}  // namespace
}  // namespace biornn
