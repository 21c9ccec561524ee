// Constraint `synapse_signs`: per-synapse frozen signs. Each synapse keeps the sign it had
// at initialisation, from the owner's ordinary (not column-typed) initialisation, so one
// unit may excite some targets and inhibit others: sign-constrained, but not Dale's law.
//
//   S_ij = sign(W_raw_ij) recorded at initialize() (+1 where W_raw_ij = 0), never changed
//   W_eff_ij = |W_raw_ij| S_ij                     dW_raw_ij = dW_eff_ij S_ij sign(W_raw_ij)
//
// initialize() leaves raw as the owner made it, so W_eff starts equal to the owner's W (the
// same start as `none` at the same seed). Works on any shape (W, P, ...).
// When to use it: between `none` and `dale` on the continuum, to ask whether the cost of
// Dale's law comes from fixing signs at all or from typing whole columns (senders).
#include "plugins/constraints/common/matrix_state.h"
#include "core/sdk/constraint.h"
#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class SynapseSignsConstraint : public Constraint {
 public:
  void initialize(Parameter& p, Rng&) override {
    signs_ = p.raw.unaryExpr([](float v) { return v < 0 ? -1.0f : 1.0f; });
  }

  void apply(const Matrix& raw, Matrix& value) const override {
    check(raw);
    value = raw.cwiseAbs().cwiseProduct(signs_);
  }

  void backward(const Matrix& raw, const Matrix&, const Matrix& grad, Matrix& raw_grad) const override {
    raw_grad = grad.cwiseProduct(raw.cwiseSign()).cwiseProduct(signs_);
  }

  std::vector<float> state() const override { return matrix_state(signs_); }
  void restore(const std::vector<float>& s) override { restore_matrix(s, signs_, "synapse_signs"); }

 private:
  void check(const Matrix& raw) const {
    if (raw.rows() != signs_.rows() || raw.cols() != signs_.cols())
      throw Error("constraint synapse_signs: used on a parameter it was not initialised for");
  }
  Matrix signs_;  // S_ij, the initial sign of every synapse
};

void register_synapse_signs(Registry* r) {
  r->add<Constraint>("synapse_signs",
                     "per-synapse frozen signs: W_eff = |W_raw| S with S the sign of the owner's initial W "
                     "(sign-constrained, not Dale: a unit may excite some targets and inhibit others)",
                     OptionSchema(), [](const Options&) { return std::make_unique<SynapseSignsConstraint>(); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("synapse_signs", "1.0", &biornn::register_synapse_signs)
