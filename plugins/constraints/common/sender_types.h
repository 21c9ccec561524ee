// Sender types of a square recurrent weight, shared by dale and soft_dale.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "core/sdk/error.h"
#include "core/sdk/tensor.h"

namespace biornn {

// s_j = +1 (excitatory) for j < round(f_E H), -1 (inhibitory) otherwise. Refuses a
// non-square parameter: column types mean sender types only for a recurrent weight.
inline std::vector<float> sender_signs(const Parameter& p, double excitatory_fraction, const std::string& plugin) {
  const int rows = int(p.raw.rows()), h = int(p.raw.cols());
  if (rows != h)
    throw Incompatible("constraint " + plugin + " on '" + p.name + "' [" + std::to_string(rows) + ", " +
                       std::to_string(h) +
                       "]: Dale's law types the columns of a square recurrent weight by their sender, so the "
                       "parameter must be [H, H] (apply " +
                       plugin + " to W; for input weights use nonnegative)");
  std::vector<float> s(h, -1.0f);
  const int n_e = int(std::lround(excitatory_fraction * h));
  for (int j = 0; j < n_e; ++j) s[j] = 1.0f;
  return s;
}

}  // namespace biornn
