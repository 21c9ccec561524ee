// How many dimensions a network's activity uses, per task period, and how fast its state moves
// (issue 19): the participation ratio PR = (sum_i l_i)^2 / sum_i l_i^2 of the covariance's
// eigenvalues l_i (Gao et al. 2017; 1 when one direction holds all variance, D when all hold
// the same), the fraction of variance each principal component explains, and the speed of the
// state along the trials.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis/analysis.h"

namespace biornn {

// The eigenvalues of the covariance of `n` rows of `x` ([n, D]), largest first (n >= 2).
std::vector<double> covariance_spectrum(const float* x, int64_t n, int D);
// (sum l)^2 / sum l^2 of a spectrum; 0 when all variance is 0.
double participation_ratio(const std::vector<double>& spectrum);

struct PeriodDimensionality {
  std::string period;              // "all steps", or a period of the task
  int64_t samples = 0;             // steps x trials in it
  double participation_ratio = 0;  // of the rates r_t in it
  std::vector<double> explained;   // fraction of its variance on each principal component, largest first
};

// The rates of every step of every trial, then of the steps of each task period (Activity::periods;
// periods with fewer than 2 samples are left out).
std::vector<PeriodDimensionality> dimensionality_by_period(const Activity& a);

// Mean over trials of |r_{t+1} - r_t| for t = 0 .. T-2: how fast the rates move at each step.
std::vector<double> rate_speed(const Activity& a);

}  // namespace biornn
