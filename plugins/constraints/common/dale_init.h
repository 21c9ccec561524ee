// Dale's balanced initialisation of a square W, shared by every constraint on W (dale, and as
// init = "dale" by none and soft_dale) so that the arms of a relaxation comparison start from
// the same matrix: with the same seed each arm draws the same W, and only the constraint's own
// projection differs (none then leaves the signs free to change).
#pragma once

// GCC 12 flags Eigen's AVX-512 double-precision transposes (used by EigenSolver) with a
// false -Wuninitialized; this must precede every include to cover those headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Eigenvalues>
#include <cmath>
#include <vector>

#include "core/sdk/options.h"
#include "core/sdk/tensor.h"

namespace biornn {

// Magnitudes |N(0, 1)|, column j signed s_j; with `balanced` each row's inhibitory magnitudes
// scaled so the row's E and I sums cancel (no outlier eigenvalue); then scaled to spectral
// radius `radius` (eigenvalues by Eigen's EigenSolver, once). Draws H * H normals from rng.
inline Eigen::MatrixXd balanced_dale_matrix(const std::vector<float>& signs, bool balanced, double radius, Rng& rng) {
  const int h = int(signs.size());
  int n_e = 0;
  while (n_e < h && signs[n_e] > 0) ++n_e;  // excitatory senders come first
  Eigen::MatrixXd m(h, h);
  for (int i = 0; i < h; ++i)
    for (int j = 0; j < h; ++j) m(i, j) = std::abs(rng.normal());
  if (balanced && n_e > 0 && n_e < h)
    for (int i = 0; i < h; ++i) {
      const double se = m.row(i).head(n_e).sum(), si = m.row(i).tail(h - n_e).sum();
      if (si > 0) m.row(i).tail(h - n_e) *= se / si;
    }
  for (int j = 0; j < h; ++j) m.col(j) *= signs[j];
  Eigen::EigenSolver<Eigen::MatrixXd> es(m, /*computeEigenvectors=*/false);
  const double rho = es.eigenvalues().cwiseAbs().maxCoeff();
  if (rho > 0) m *= radius / rho;
  return m;
}

// The options a constraint takes to start from Dale's balanced W (none, soft_dale).
inline OptionSchema& add_dale_start_options(OptionSchema& s, const char* owner_default_note) {
  return s
      .add_string("init", "owner",
                  std::string("owner: keep the owner's initialisation of W") + owner_default_note +
                      "; dale: start from Dale's balanced W (the same matrix dale draws from the same seed), "
                      "signs then free: a relaxation comparison that changes only the constraint",
                  {"owner", "dale"})
      .add_float("spectral_radius", 1.0, "with init = dale: spectral radius of the initial W", 0, 1e3, true)
      .add_bool("balanced", true, "with init = dale: each row's E and I sums cancel");
}

}  // namespace biornn
