#include "core/analysis/fixed_points.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/sdk/error.h"

namespace biornn {

void StateMap::input_vector_jacobian(const float*, int, float*) {
  throw Error("fixed points: this map has no input, so no input Jacobian");
}

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
// overshot), grown by 5% when q fell, never above a ceiling that decays geometrically from
// learning_rate to final_learning_rate over the iterations; a row stops once q < tolerance.
std::vector<float> minimise(StateMap& map, std::vector<float> h, int n, const FixedPointOptions& o,
                            std::vector<double>* q) {
  const int D = map.dimension();
  std::vector<double> m(h.size(), 0.0), v(h.size(), 0.0), previous(size_t(n), 1e300);
  std::vector<double> rate(size_t(n), o.learning_rate);
  std::vector<float> grad(h.size());
  std::vector<char> done(size_t(n), 0);
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-12;
  const double decay =
      std::log(std::min(o.final_learning_rate, o.learning_rate) / o.learning_rate) / std::max(1, o.iterations - 1);
  for (int it = 1; it <= o.iterations; ++it) {
    q_and_gradient(map, h, n, q, &grad);
    const double ceiling = o.learning_rate * std::exp(decay * (it - 1));
    int moving = 0;
    for (int i = 0; i < n; ++i) {
      const size_t r = size_t(i);
      done[r] = done[r] || (*q)[r] < o.tolerance;
      if (done[r]) continue;
      ++moving;
      rate[r] = std::min(ceiling, (*q)[r] > previous[r] ? rate[r] * 0.5 : rate[r] * 1.05);
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

// Rows `rows` of h ([*, D]) gathered into one block.
std::vector<float> gather(const std::vector<float>& h, const std::vector<int>& rows, int D) {
  std::vector<float> out;
  out.reserve(rows.size() * size_t(D));
  for (int i : rows) out.insert(out.end(), h.begin() + ptrdiff_t(i) * D, h.begin() + ptrdiff_t(i + 1) * D);
  return out;
}

// The least-squares Newton step of each row: (J - I) dh = -(F(h) - h).
std::vector<Eigen::VectorXd> newton_steps(StateMap& map, const std::vector<float>& h, int n) {
  const int D = map.dimension();
  const std::vector<Eigen::MatrixXd> J = jacobians(map, h.data(), n);
  std::vector<float> f(h.size());
  map.apply(h.data(), n, f.data());
  std::vector<Eigen::VectorXd> steps;
  for (int i = 0; i < n; ++i) {
    Eigen::VectorXd e(D);
    for (int d = 0; d < D; ++d) e(d) = double(f[size_t(i) * D + d]) - h[size_t(i) * D + d];
    const Eigen::MatrixXd A = J[size_t(i)] - Eigen::MatrixXd::Identity(D, D);
    steps.push_back(A.completeOrthogonalDecomposition().solve(-e));
  }
  return steps;
}

// Backtracking from the full step: row k of `rows` takes h + alpha dh at the first alpha (1, 1/2,
// ...) that lowers q by the Armijo fraction (q's slope along a Newton step is -2q). Returns the
// rows that moved.
std::vector<int> line_search(StateMap& map, std::vector<float>* h, const std::vector<int>& rows,
                             const std::vector<Eigen::VectorXd>& steps, std::vector<double>* q) {
  const int D = map.dimension();
  std::vector<int> pending(rows.size()), moved;
  std::iota(pending.begin(), pending.end(), 0);
  double alpha = 1;
  for (int halving = 0; halving < 30 && !pending.empty(); ++halving, alpha *= 0.5) {
    std::vector<float> trial;
    for (int k : pending)
      for (int d = 0; d < D; ++d)
        trial.push_back(float((*h)[size_t(rows[size_t(k)]) * D + d] + alpha * steps[size_t(k)](d)));
    const std::vector<double> qt = speeds(map, trial.data(), int(pending.size()));
    std::vector<int> still;
    for (size_t j = 0; j < pending.size(); ++j) {
      const int row = rows[size_t(pending[j])];
      if (!(qt[j] <= (*q)[size_t(row)] * (1 - 2e-4 * alpha))) {
        still.push_back(pending[j]);
        continue;
      }
      std::copy_n(trial.begin() + ptrdiff_t(j) * D, D, h->begin() + ptrdiff_t(row) * D);
      (*q)[size_t(row)] = qt[j];
      moved.push_back(row);
    }
    pending = std::move(still);
  }
  return moved;
}

// Eigenvalues by decreasing modulus, right eigenvectors as columns and left ones as rows of the
// inverse (so left.row(k) * right.col(k) = 1), the Jacobians, and the number of unstable modes.
void describe(StateMap& map, const FixedPointOptions& o, FixedPoint* p) {
  p->jacobian = jacobian(map, p->state.data());
  if (map.inputs() > 0) p->input_jacobian = input_jacobian(map, p->state.data());
  Eigen::EigenSolver<Eigen::MatrixXd> solver(p->jacobian, true);
  const Eigen::VectorXcd values = solver.eigenvalues();
  const Eigen::MatrixXcd vectors = solver.eigenvectors(), inverse = vectors.inverse();
  std::vector<int> order(size_t(values.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return std::abs(values(a)) > std::abs(values(b)); });
  const Eigen::Index D = values.size();
  p->eigenvalues.clear();
  p->right.resize(D, D);
  p->left.resize(D, D);
  for (Eigen::Index k = 0; k < D; ++k) {
    p->eigenvalues.push_back(values(order[size_t(k)]));
    p->right.col(k) = vectors.col(order[size_t(k)]);
    p->left.row(k) = inverse.row(order[size_t(k)]);
  }
  p->unstable = int(std::count_if(p->eigenvalues.begin(), p->eigenvalues.end(),
                                  [&](const std::complex<double>& l) { return std::abs(l) > 1 + o.unit_tolerance; }));
}

// Converged ends farther from the starts' centroid than outlier_scale times the starts' mean
// distance to it, or not finite.
std::vector<char> outliers(const std::vector<float>& starts, const std::vector<float>& ends, int n, int D,
                           double scale) {
  std::vector<float> centre(size_t(D), 0.0f);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < D; ++d) centre[size_t(d)] += starts[size_t(i) * D + d] / float(n);
  double spread = 0;
  for (int i = 0; i < n; ++i) spread += distance(starts.data() + size_t(i) * D, centre.data(), D) / n;
  std::vector<char> out(size_t(n), 0);
  for (int i = 0; i < n; ++i) {
    const double r = distance(ends.data() + size_t(i) * D, centre.data(), D);
    out[size_t(i)] = !std::isfinite(r) || (spread > 0 && r > scale * spread);
  }
  return out;
}

}  // namespace

std::vector<double> speeds(StateMap& map, const float* h, int n) {
  if (n <= 0) return {};  // a map over no rows (oneDNN would divide by a zero batch)
  const int D = map.dimension();
  std::vector<float> f(size_t(n) * D);
  map.apply(h, n, f.data());
  std::vector<double> q(size_t(n), 0.0);
  for (size_t k = 0; k < f.size(); ++k) q[k / size_t(D)] += 0.5 * double(f[k] - h[k]) * (f[k] - h[k]);
  for (double& v : q)
    if (!std::isfinite(v)) v = INFINITY;
  return q;
}

std::vector<Eigen::MatrixXd> jacobians(StateMap& map, const float* h, int n) {
  const int D = map.dimension(), chunk = std::max(1, 4096 / std::max(1, D));
  std::vector<Eigen::MatrixXd> out;
  for (int first = 0; first < n; first += chunk) {
    const int m = std::min(chunk, n - first);
    std::vector<float> rows(size_t(m) * D * D), f(rows.size()), unit(rows.size(), 0.0f), g(rows.size());
    for (int p = 0; p < m; ++p)
      for (int i = 0; i < D; ++i) {
        const size_t row = size_t(p) * D + i;
        std::copy_n(h + size_t(first + p) * D, D, rows.begin() + ptrdiff_t(row) * D);
        unit[row * D + i] = 1;
      }
    map.apply(rows.data(), m * D, f.data());
    map.vector_jacobian(unit.data(), m * D, g.data());  // row i: e_i^T J = row i of J
    for (int p = 0; p < m; ++p) {
      Eigen::MatrixXd J(D, D);
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j) J(i, j) = g[(size_t(p) * D + i) * D + j];
      out.push_back(std::move(J));
    }
  }
  return out;
}

Eigen::MatrixXd jacobian(StateMap& map, const float* h) { return jacobians(map, h, 1)[0]; }

Eigen::MatrixXd input_jacobian(StateMap& map, const float* h) {
  const int D = map.dimension(), F = map.inputs();
  std::vector<float> rows(size_t(D) * D), f(rows.size()), unit(rows.size(), 0.0f), g(size_t(D) * F);
  for (int i = 0; i < D; ++i) {
    std::copy_n(h, D, rows.begin() + ptrdiff_t(i) * D);
    unit[size_t(i) * D + i] = 1;
  }
  map.apply(rows.data(), D, f.data());
  map.input_vector_jacobian(unit.data(), D, g.data());
  Eigen::MatrixXd B(D, F);
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < F; ++j) B(i, j) = g[size_t(i) * F + j];
  return B;
}

void newton_polish(StateMap& map, std::vector<float>* h, int n, int iterations, std::vector<double>* q) {
  const int D = map.dimension();
  *q = speeds(map, h->data(), n);
  std::vector<int> active;
  for (int i = 0; i < n; ++i)
    if (std::isfinite((*q)[size_t(i)]) && (*q)[size_t(i)] > 0) active.push_back(i);
  for (int it = 0; it < iterations && !active.empty(); ++it) {
    const std::vector<float> block = gather(*h, active, D);
    const std::vector<Eigen::VectorXd> steps = newton_steps(map, block, int(active.size()));
    active = line_search(map, h, active, steps, q);
    std::sort(active.begin(), active.end());
  }
}

FixedPointSearch find_fixed_points(StateMap& map, const std::vector<float>& starts, int n, const FixedPointOptions& o) {
  const int D = map.dimension();
  if (n < 1 || starts.size() != size_t(n) * D)
    throw Error("fixed points: " + std::to_string(starts.size()) + " start values are not " + std::to_string(n) +
                " states of dimension " + std::to_string(D));
  FixedPointSearch out;
  std::vector<float> ends = minimise(map, starts, n, o, &out.adam_q);
  out.final_q = out.adam_q;
  std::vector<int> near;
  for (int i = 0; i < n; ++i)
    if (out.adam_q[size_t(i)] < o.newton_from) near.push_back(i);
  std::vector<float> polished = gather(ends, near, D);
  std::vector<double> polished_q;
  newton_polish(map, &polished, int(near.size()), o.newton_iterations, &polished_q);
  for (size_t k = 0; k < near.size(); ++k) {
    std::copy_n(polished.begin() + ptrdiff_t(k) * D, D, ends.begin() + ptrdiff_t(near[k]) * D);
    out.final_q[size_t(near[k])] = polished_q[k];
  }
  const std::vector<char> far = outliers(starts, ends, n, D, o.outlier_scale);
  std::vector<int> order;
  for (int i = 0; i < n; ++i) {
    if (!(out.final_q[size_t(i)] < o.tolerance)) continue;
    ++out.converged;
    if (far[size_t(i)])
      ++out.outliers;
    else
      order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) { return out.final_q[size_t(a)] < out.final_q[size_t(b)]; });
  for (int i : order) {
    const float* h = ends.data() + size_t(i) * D;
    auto same = std::find_if(out.points.begin(), out.points.end(),
                             [&](const FixedPoint& p) { return distance(p.state.data(), h, D) < o.merge_distance; });
    if (same != out.points.end()) {
      ++same->starts;
      continue;
    }
    FixedPoint p;
    p.state.assign(h, h + D);
    p.q = out.final_q[size_t(i)];
    p.starts = 1;
    out.points.push_back(std::move(p));
  }
  for (FixedPoint& p : out.points) describe(map, o, &p);
  std::stable_sort(out.points.begin(), out.points.end(),
                   [](const FixedPoint& a, const FixedPoint& b) { return a.unstable < b.unstable; });
  return out;
}

}  // namespace biornn
