#include "core/analysis/dimensionality.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"

namespace biornn {

std::vector<double> covariance_spectrum(const float* x, int64_t n, int D) {
  if (n < 2) throw Error("a covariance needs at least 2 samples, got " + std::to_string(n));
  const Eigen::MatrixXd X = Eigen::Map<const Eigen::MatrixXf>(x, D, Eigen::Index(n)).cast<double>().transpose();
  const Eigen::MatrixXd centred = X.rowwise() - X.colwise().mean();
  const Eigen::MatrixXd cov = centred.transpose() * centred / double(n - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov, Eigen::EigenvaluesOnly);
  std::vector<double> l(eig.eigenvalues().data(), eig.eigenvalues().data() + D);
  for (double& v : l) v = std::max(0.0, v);  // rounding makes null directions slightly negative
  std::sort(l.rbegin(), l.rend());
  return l;
}

double participation_ratio(const std::vector<double>& spectrum) {
  double sum = 0, squares = 0;
  for (double l : spectrum) {
    sum += l;
    squares += l * l;
  }
  return squares > 0 ? sum * sum / squares : 0;
}

namespace {

PeriodDimensionality measure(const std::string& period, const std::vector<float>& rows, int D) {
  PeriodDimensionality d;
  d.period = period;
  d.samples = int64_t(rows.size()) / D;
  const std::vector<double> l = covariance_spectrum(rows.data(), d.samples, D);
  d.participation_ratio = participation_ratio(l);
  double total = 0;
  for (double v : l) total += v;
  for (double v : l) d.explained.push_back(total > 0 ? v / total : 0);
  return d;
}

}  // namespace

std::vector<PeriodDimensionality> dimensionality_by_period(const Activity& a) {
  const int H = a.hidden;
  std::vector<PeriodDimensionality> out{measure("all steps", a.rates, H)};
  for (size_t p = 0; p < a.period_names.size(); ++p) {
    std::vector<float> rows;
    for (size_t row = 0; row < a.periods.size(); ++row)
      if (a.periods[row] == int32_t(p))
        rows.insert(rows.end(), a.rates.begin() + ptrdiff_t(row * H), a.rates.begin() + ptrdiff_t((row + 1) * H));
    if (rows.size() >= 2 * size_t(H)) out.push_back(measure(a.period_names[p], rows, H));
  }
  return out;
}

std::vector<double> rate_speed(const Activity& a) {
  const size_t n = size_t(a.trials), H = size_t(a.hidden);
  std::vector<double> speed;
  for (int t = 0; t + 1 < a.steps; ++t) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const float* now = a.rates.data() + (size_t(t) * n + i) * H;
      const float* next = now + n * H;
      double d2 = 0;
      for (size_t h = 0; h < H; ++h) d2 += double(next[h] - now[h]) * (next[h] - now[h]);
      sum += std::sqrt(d2);
    }
    speed.push_back(sum / double(n));
  }
  return speed;
}

}  // namespace biornn
