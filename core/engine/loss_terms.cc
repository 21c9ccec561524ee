#include "core/engine/loss_terms.h"

#include "core/sdk/constraint.h"

namespace biornn {

double add_constraint_penalties(const std::vector<Parameter*>& params) {
  double sum = 0;
  for (Parameter* p : params) {
    if (!p->constraint) continue;
    sum += p->constraint->penalty(p->raw);
    p->constraint->add_penalty_gradient(p->raw, p->raw_grad);
  }
  return sum;
}

double add_weight_penalties(const std::vector<WeightPenalty>& penalties) {
  double sum = 0;
  for (const WeightPenalty& q : penalties) {
    const Matrix& w = q.parameter->raw;
    if (q.l2 > 0) {
      sum += q.l2 * w.cast<double>().squaredNorm();
      q.parameter->raw_grad += float(2 * q.l2) * w;
    }
    if (q.l1 > 0) {
      sum += q.l1 * w.cast<double>().cwiseAbs().sum();
      q.parameter->raw_grad += float(q.l1) * w.cwiseSign();
    }
  }
  return sum;
}

}  // namespace biornn
