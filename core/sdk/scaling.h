// Scaling: the non-negative matrix A that scales |W| in the conductance gate.
#pragma once

#include <vector>

#include "core/sdk/parameter_set.h"

namespace biornn {

class Scaling {
 public:
  static constexpr const char* kKind = "scaling";
  virtual ~Scaling() = default;

  // Adds the scaling's parameters. `column_signs` gives +1/-1 per presynaptic unit when a
  // Dale constraint is on W (empty otherwise); modes that need E/I types must check it.
  virtual void create_parameters(ParameterSet& params, int hidden, const std::vector<float>& column_signs,
                                 Rng& rng) = 0;
  // Writes the effective A ([H, H], every entry >= 0). Once per minibatch.
  virtual void compute(const ParameterSet& params, Matrix& a) const = 0;
  // Adds dLoss/d(own parameters) to their `grad`, given d_a = dLoss/dA ([H, H]).
  virtual void accumulate(const Matrix& d_a, ParameterSet& params) const = 0;
};

}  // namespace biornn
