// A constraint's per-synapse state (a mask, per-synapse signs) as the flat values a checkpoint
// keeps (Constraint::state / restore), column-major like the Matrix itself.
#pragma once

#include <string>
#include <vector>

#include "core/sdk/error.h"
#include "core/sdk/tensor.h"

namespace biornn {

inline std::vector<float> matrix_state(const Matrix& m) { return std::vector<float>(m.data(), m.data() + m.size()); }

// Copies `state` into `m` (already sized by initialize()); `plugin` names the constraint in errors.
inline void restore_matrix(const std::vector<float>& state, Matrix& m, const std::string& plugin) {
  if (state.size() != size_t(m.size()))
    throw Error("constraint " + plugin + ": the checkpoint holds " + std::to_string(state.size()) +
                " state values, the parameter has " + std::to_string(m.size()) + " synapses");
  std::copy(state.begin(), state.end(), m.data());
}

}  // namespace biornn
