// Test helper: a constraint's backward() plus add_penalty_gradient() against central
// differences of sum(apply(raw) * weight) + penalty(raw).
#pragma once

#include <cmath>
#include <sstream>
#include <string>

#include "core/sdk/constraint.h"

namespace biornn {

// Returns "" when every entry matches to 1e-4, else the first mismatch. Steps of 1% of each
// entry never cross the kinks of |.| at 0 (raw must have no zeros).
inline std::string backward_mismatch(const Constraint& c, const Matrix& raw, const Matrix& weight) {
  Matrix value, raw_grad;
  c.apply(raw, value);
  c.backward(raw, value, weight, raw_grad);
  c.add_penalty_gradient(raw, raw_grad);
  auto loss = [&](const Matrix& r) {
    Matrix v;
    c.apply(r, v);
    return v.cast<double>().cwiseProduct(weight.cast<double>()).sum() + c.penalty(r);
  };
  for (Eigen::Index i = 0; i < raw.size(); ++i) {
    Matrix up = raw, down = raw;
    const float eps = 1e-2f * std::abs(raw.data()[i]);
    up.data()[i] += eps;
    down.data()[i] -= eps;
    const double numeric = (loss(up) - loss(down)) / (up.data()[i] - down.data()[i]);
    if (std::abs(raw_grad.data()[i] - numeric) > 1e-4) {
      std::ostringstream s;
      s << "entry " << i << ": analytic " << raw_grad.data()[i] << ", numeric " << numeric;
      return s.str();
    }
  }
  return "";
}

}  // namespace biornn
