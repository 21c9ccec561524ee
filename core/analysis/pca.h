// Principal component analysis of neural activity (rows = samples, e.g. every step of every trial).
#pragma once

#include <Eigen/Dense>
#include <cstdint>

namespace biornn {

struct Pca {
  Eigen::VectorXd mean;        // [D]
  Eigen::MatrixXd components;  // [k, D]: unit vectors, by decreasing variance
  Eigen::VectorXd variance;    // [k]: the variance along each component
  double total_variance = 0;   // the sum over all D directions

  // Coordinates of `n` rows of `x` ([n, D]) on the components: [n, k].
  Eigen::MatrixXd project(const float* x, int64_t n) const;
  double explained(int k) const { return total_variance > 0 ? variance(k) / total_variance : 0; }
};

// The first `k` principal components of `n` rows of `x` ([n, D]), from the eigenvectors of the
// covariance matrix (Eigen's SelfAdjointEigenSolver). Each component's sign is chosen so that
// its largest entry is positive (the same data give the same plot).
Pca fit_pca(const float* x, int64_t n, int dim, int k);

}  // namespace biornn
