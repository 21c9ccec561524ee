#include "core/analysis/fixed_points.h"

#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"

namespace biornn {

namespace {

// q and its gradient (J - I)^T (F(h) - h) for every row of h.
void q_and_gradient(StateMap& map, const std::vector<float>& h, int n, std::vector<double>* q,
                    std::vector<float>* grad) {
  const int D = map.dimension();
  std::vector<float> f(h.size()), e(h.size());
  map.apply(h.data(), n, f.data());
  for (size_t k = 0; k < h.size(); ++k) e[k] = f[k] - h[k];
  map.vector_jacobian(e.data(), n, grad->data());
  q->assign(size_t(n), 0.0);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < D; ++d) {
      const size_t k = size_t(i) * D + d;
      (*q)[size_t(i)] += 0.5 * double(e[k]) * e[k];
      (*grad)[k] -= e[k];
    }
}

// Adam on every row at once, each row with its own step size: halved when its q rose (the step
// overshot), grown by 5% up to the initial one when q fell; a row stops once q < tolerance.
std::vector<float> minimise(StateMap& map, std::vector<float> h, int n, const FixedPointOptions& o,
                            std::vector<double>* q) {
  const int D = map.dimension();
  std::vector<double> m(h.size(), 0.0), v(h.size(), 0.0), previous(size_t(n), 1e300), rate(size_t(n), o.learning_rate);
  std::vector<float> grad(h.size());
  std::vector<char> done(size_t(n), 0);
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-12;
  for (int it = 1; it <= o.iterations; ++it) {
    q_and_gradient(map, h, n, q, &grad);
    int moving = 0;
    for (int i = 0; i < n; ++i) {
      const size_t r = size_t(i);
      done[r] = done[r] || (*q)[r] < o.tolerance;
      if (done[r]) continue;
      ++moving;
      rate[r] = (*q)[r] > previous[r] ? rate[r] * 0.5 : std::min(o.learning_rate, rate[r] * 1.05);
      previous[r] = (*q)[r];
      for (int d = 0; d < D; ++d) {
        const size_t k = r * D + d;
        m[k] = beta1 * m[k] + (1 - beta1) * grad[k];
        v[k] = beta2 * v[k] + (1 - beta2) * double(grad[k]) * grad[k];
        const double mh = m[k] / (1 - std::pow(beta1, it)), vh = v[k] / (1 - std::pow(beta2, it));
        h[k] -= float(rate[r] * mh / (std::sqrt(vh) + eps));
      }
    }
    if (moving == 0) break;
  }
  q_and_gradient(map, h, n, q, &grad);
  return h;
}

double distance(const float* a, const float* b, int D) {
  double s = 0;
  for (int d = 0; d < D; ++d) s += double(a[d] - b[d]) * (a[d] - b[d]);
  return std::sqrt(s);
}

void classify(StateMap& map, const FixedPointOptions& o, FixedPoint* p) {
  Eigen::EigenSolver<Eigen::MatrixXd> solver(jacobian(map, p->state.data()), false);
  p->eigenvalues.clear();
  for (Eigen::Index k = 0; k < solver.eigenvalues().size(); ++k) p->eigenvalues.push_back(solver.eigenvalues()(k));
  std::sort(p->eigenvalues.begin(), p->eigenvalues.end(),
            [](const std::complex<double>& a, const std::complex<double>& b) { return std::abs(a) > std::abs(b); });
  p->unstable = int(std::count_if(p->eigenvalues.begin(), p->eigenvalues.end(),
                                  [&](const std::complex<double>& l) { return std::abs(l) > 1 + o.unit_tolerance; }));
}

}  // namespace

Eigen::MatrixXd jacobian(StateMap& map, const float* h) {
  const int D = map.dimension();
  std::vector<float> rows(size_t(D) * D), f(size_t(D) * D), unit(size_t(D) * D, 0.0f), g(size_t(D) * D);
  for (int i = 0; i < D; ++i) {
    std::copy(h, h + D, rows.begin() + ptrdiff_t(i) * D);
    unit[size_t(i) * D + i] = 1;
  }
  map.apply(rows.data(), D, f.data());
  map.vector_jacobian(unit.data(), D, g.data());  // row i: e_i^T J = row i of J
  Eigen::MatrixXd J(D, D);
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) J(i, j) = g[size_t(i) * D + j];
  return J;
}

FixedPointSearch find_fixed_points(StateMap& map, const std::vector<float>& starts, int n, const FixedPointOptions& o) {
  const int D = map.dimension();
  if (n < 1 || starts.size() != size_t(n) * D)
    throw Error("fixed points: " + std::to_string(starts.size()) + " start values are not " + std::to_string(n) +
                " states of dimension " + std::to_string(D));
  FixedPointSearch out;
  const std::vector<float> ends = minimise(map, starts, n, o, &out.final_q);
  std::vector<int> order;
  for (int i = 0; i < n; ++i)
    if (out.final_q[size_t(i)] < o.tolerance) order.push_back(i);
  out.converged = int(order.size());
  std::sort(order.begin(), order.end(), [&](int a, int b) { return out.final_q[size_t(a)] < out.final_q[size_t(b)]; });
  for (int i : order) {
    const float* h = ends.data() + size_t(i) * D;
    auto same = std::find_if(out.points.begin(), out.points.end(),
                             [&](const FixedPoint& p) { return distance(p.state.data(), h, D) < o.merge_distance; });
    if (same != out.points.end()) {
      ++same->starts;
      continue;
    }
    out.points.push_back({std::vector<float>(h, h + D), out.final_q[size_t(i)], {}, 0, 1});
  }
  for (FixedPoint& p : out.points) classify(map, o, &p);
  std::stable_sort(out.points.begin(), out.points.end(),
                   [](const FixedPoint& a, const FixedPoint& b) { return a.unstable < b.unstable; });
  return out;
}

}  // namespace biornn
