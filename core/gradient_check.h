// The shared finite-difference gradient checker, run over every registered Cell, Gate,
// Scaling and Constraint (a new plugin is checked without writing a test of its own).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/registry.h"

namespace biornn {

struct LayerCombination {
  std::string cell, gate, scaling;                               // scaling may be ""
  std::vector<std::pair<std::string, std::string>> constraints;  // (parameter, constraint)
  std::string str() const;                                       // "cell=rate gate=learned constraint W:dale"
};

struct GradientCheckResult {
  LayerCombination combination;
  bool skipped = false;     // the combination is refused by the plugins themselves
  std::string skip_reason;  // their error message
  double worst_relative_error = 0;
  std::string worst_entry;  // "W[2,3]: analytic 0.1234 numeric 0.1236"
  int entries_checked = 0;
};

struct GradientCheckSettings {
  int hidden = 5, features = 3, steps = 4, batch = 3;
  double epsilon = 3e-3;    // central-difference step on raw parameters
  double tolerance = 2e-2;  // worst allowed |a - n| / max(|a| + |n|, floor)
  double floor = 1e-2;
  uint64_t seed = 7;
};

// Checks dLoss/d raw for every parameter of one layer built from `c` with default options,
// with loss = sum_t sum(C_t * r_t) for a fixed random C (so every step matters).
GradientCheckResult check_layer(const Registry& registry, const LayerCombination& c,
                                const GradientCheckSettings& s = {});

// The combinations that exercise every registered cell, gate, scaling and constraint
// (each cell with each gate; each scaling with each gate that uses one; each constraint on
// W). With `origin` non-empty, only those involving a plugin whose origin ends with it.
std::vector<LayerCombination> combinations_to_check(const Registry& registry, const std::string& origin = "");

}  // namespace biornn
