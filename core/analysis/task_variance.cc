#include "core/analysis/task_variance.h"

#include <algorithm>
#include <limits>
#include <set>

#include "core/sdk/error.h"
#include "core/sdk/random.h"

namespace biornn {

namespace {

// The variance across `trials` of every unit's rate at each step, averaged over the steps.
Eigen::VectorXd variance_over_trials(const Activity& a, const std::vector<int>& trials) {
  const int H = a.hidden;
  Eigen::VectorXd total = Eigen::VectorXd::Zero(H);
  const double m = double(trials.size());
  for (int t = 0; t < a.steps; ++t) {
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(H), square = Eigen::VectorXd::Zero(H);
    for (int i : trials) {
      const float* r = a.rates.data() + (size_t(t) * a.trials + size_t(i)) * H;
      for (int h = 0; h < H; ++h) sum(h) += r[h], square(h) += double(r[h]) * r[h];
    }
    total += (square / m - (sum / m).cwiseAbs2()).cwiseMax(0.0);
  }
  return total / a.steps;
}

// Labels of the nearest centre of each row, and the summed squared distance.
double assign(const Eigen::MatrixXd& points, const Eigen::MatrixXd& centres, std::vector<int>* label) {
  double inertia = 0;
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    Eigen::Index best = 0;
    inertia += (centres.rowwise() - points.row(i)).rowwise().squaredNorm().minCoeff(&best);
    (*label)[size_t(i)] = int(best);
  }
  return inertia;
}

// An index i with probability w(i) / sum(w); w >= 0 with a positive sum.
Eigen::Index weighted_pick(const Eigen::VectorXd& w, Rng& rng) {
  const double target = rng.uniform() * w.sum();
  double sum = 0;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    sum += w(i);
    if (target < sum) return i;
  }
  Eigen::Index last = w.size() - 1;  // rounding: the last index of positive weight
  while (last > 0 && w(last) <= 0) --last;
  return last;
}

// k-means++ starting centres.
Eigen::MatrixXd plus_plus(const Eigen::MatrixXd& points, int k, Rng& rng) {
  Eigen::MatrixXd centres(k, points.cols());
  centres.row(0) = points.row(Eigen::Index(rng.below(uint64_t(points.rows()))));
  for (int c = 1; c < k; ++c) {
    Eigen::VectorXd d(points.rows());
    for (Eigen::Index i = 0; i < points.rows(); ++i)
      d(i) = (centres.topRows(c).rowwise() - points.row(i)).rowwise().squaredNorm().minCoeff();
    centres.row(c) = points.row(d.sum() > 0 ? weighted_pick(d, rng) : Eigen::Index(c % points.rows()));
  }
  return centres;
}

}  // namespace

TaskVarianceMap task_variance(const Activity& a, size_t task_column, size_t C, double threshold) {
  if (task_column >= C) throw Error("task variance: no task condition among the " + std::to_string(C));
  TaskVarianceMap m;
  std::set<float> values;
  for (int i = 0; i < a.trials; ++i) values.insert(a.conditions[size_t(i) * C + task_column]);
  m.tasks.assign(values.begin(), values.end());
  m.variance.resize(a.hidden, Eigen::Index(m.tasks.size()));
  for (size_t k = 0; k < m.tasks.size(); ++k) {
    std::vector<int> trials;
    for (int i = 0; i < a.trials; ++i)
      if (a.conditions[size_t(i) * C + task_column] == m.tasks[k]) trials.push_back(i);
    m.variance.col(Eigen::Index(k)) = variance_over_trials(a, trials);
  }
  m.normalised = m.variance;
  for (Eigen::Index h = 0; h < m.variance.rows(); ++h) {
    const double top = m.variance.row(h).maxCoeff();
    if (top > 0) m.normalised.row(h) /= top;
    if (m.variance.row(h).sum() > threshold) m.active.push_back(int(h));
  }
  return m;
}

std::vector<int> kmeans(const Eigen::MatrixXd& points, int k, uint64_t seed, int restarts) {
  Rng rng(seed);
  std::vector<int> best, label(size_t(points.rows()));
  double best_inertia = std::numeric_limits<double>::infinity();
  for (int r = 0; r < restarts; ++r) {
    Eigen::MatrixXd centres = plus_plus(points, k, rng);
    double inertia = 0;
    for (int it = 0; it < 100; ++it) {
      const std::vector<int> before = label;
      inertia = assign(points, centres, &label);
      if (it > 0 && label == before) break;
      for (int c = 0; c < k; ++c) {
        Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(points.cols());
        int count = 0;
        for (Eigen::Index i = 0; i < points.rows(); ++i)
          if (label[size_t(i)] == c) sum += points.row(i), ++count;
        if (count > 0) centres.row(c) = sum / count;
      }
    }
    if (inertia < best_inertia) best_inertia = inertia, best = label;
  }
  return best;
}

double silhouette(const Eigen::MatrixXd& points, const std::vector<int>& label, int k) {
  const Eigen::Index n = points.rows();
  std::vector<int> size(size_t(k), 0);
  for (int l : label) ++size[size_t(l)];
  double total = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    std::vector<double> mean(size_t(k), 0.0);
    for (Eigen::Index j = 0; j < n; ++j) mean[size_t(label[size_t(j)])] += (points.row(i) - points.row(j)).norm();
    const int own = label[size_t(i)];
    if (size[size_t(own)] < 2) continue;  // a singleton scores 0
    const double a = mean[size_t(own)] / (size[size_t(own)] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (int c = 0; c < k; ++c)
      if (c != own && size[size_t(c)] > 0) b = std::min(b, mean[size_t(c)] / size[size_t(c)]);
    total += std::max(a, b) > 0 ? (b - a) / std::max(a, b) : 0;
  }
  return total / double(n);
}

UnitClusters cluster_units(const Eigen::MatrixXd& points, int max_k, uint64_t seed) {
  UnitClusters best;
  best.silhouette = -2;
  for (int k = 2; k <= std::min<int>(max_k, int(points.rows()) - 1); ++k) {
    std::vector<int> label = kmeans(points, k, seed);
    const double s = silhouette(points, label, k);
    if (s > best.silhouette) best = {k, s, std::move(label)};
  }
  if (best.k == 0) throw Error("clusters: " + std::to_string(points.rows()) + " units are too few to cluster");
  return best;
}

Lesion::Lesion(Model& model, const std::vector<int>& units) {
  const int H = model.layers().back()->hidden();
  for (Parameter* p : model.parameters()) {
    if (p->value.cols() != H || p->value.rows() < 2) continue;
    saved_.push_back({p, {p->raw, p->value}});
    for (int u : units) {
      p->raw.col(u).setZero();
      p->value.col(u).setZero();
    }
  }
}

Lesion::~Lesion() {
  for (auto& [p, m] : saved_) {
    p->raw = m.first;
    p->value = m.second;
  }
}

}  // namespace biornn
