#include "core/analysis/pca.h"

#include <algorithm>

#include "core/sdk/error.h"

namespace biornn {

Pca fit_pca(const float* x, int64_t n, int dim, int k) {
  if (n < 2 || dim < 1 || k < 1 || k > dim)
    throw Error("PCA needs at least 2 samples and 1 <= components <= dimension (got " + std::to_string(n) +
                " samples of dimension " + std::to_string(dim) + ", " + std::to_string(k) + " components)");
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> data(x, n, dim);
  Pca p;
  p.mean = data.cast<double>().colwise().mean().transpose();
  Eigen::MatrixXd covariance = Eigen::MatrixXd::Zero(dim, dim);
  const int64_t chunk = 4096;  // bounded memory for long recordings
  for (int64_t lo = 0; lo < n; lo += chunk) {
    const int64_t rows = std::min(chunk, n - lo);
    Eigen::MatrixXd centred = data.middleRows(lo, rows).cast<double>().rowwise() - p.mean.transpose();
    covariance.noalias() += centred.transpose() * centred;
  }
  covariance /= double(n - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  // Eigenvalues come in increasing order: the last k, reversed.
  p.components.resize(k, dim);
  p.variance.resize(k);
  for (int c = 0; c < k; ++c) {
    Eigen::VectorXd v = solver.eigenvectors().col(dim - 1 - c);
    Eigen::Index at;
    v.cwiseAbs().maxCoeff(&at);
    if (v(at) < 0) v = -v;
    p.components.row(c) = v.transpose();
    p.variance(c) = std::max(0.0, solver.eigenvalues()(dim - 1 - c));
  }
  p.total_variance = std::max(0.0, solver.eigenvalues().sum());
  return p;
}

Eigen::MatrixXd Pca::project(const float* x, int64_t n) const {
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> data(x, n, mean.size());
  return (data.cast<double>().rowwise() - mean.transpose()) * components.transpose();
}

}  // namespace biornn
