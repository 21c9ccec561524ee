// Constraint `soft_dale`: Dale's law as a penalty on the loss instead of a hard constraint.
// Sender j is excitatory (s_j = +1) for j < round(f_E * H), inhibitory (s_j = -1) otherwise,
// as in `dale`. A synapse violates its sender's sign by v_ij = max(0, -s_j W_ij); the loss
// gains
//   penalty = lambda * sum_ij v_ij^2,         d penalty / d W_ij = -2 lambda s_j v_ij
// W_eff = W_raw (the owner's ordinary initialisation is kept, or with init = "dale" Dale's
// balanced W of common/dale_init.h, the same W `dale` draws from the same seed): backward()
// passes dW_eff through, and add_penalty_gradient() adds d penalty / d W_raw, which the
// training step calls once after the ranks' gradients are summed (under MPI the penalty
// counts once, not once per rank). So lambda = 0 is `none` bit for bit, and a large lambda
// pushes every violation towards 0 (towards `dale` with mode = clip).
// The logged training loss is the task's loss; the penalty is logged beside it ("penalty"
// on the progress and epoch lines, train_penalty in metrics.csv); the violating fraction of
// W is logged every epoch (core/analysis/diagnostics constraint_metrics).
// When to use it: to move continuously between an unconstrained RNN and Dale's law, and ask
// how strong the pressure towards Dale's law must be before it costs accuracy.
// EigenSolver (common/dale_init.h) trips GCC 12's false -Wuninitialized in Eigen's AVX-512
// transposes; this must precede every include to cover those headers (as in dale.cc).
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <cmath>

#include "core/sdk/constraint.h"
#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "plugins/constraints/common/dale_init.h"
#include "plugins/constraints/common/sender_types.h"

namespace biornn {
namespace {

class SoftDaleConstraint : public Constraint {
 public:
  explicit SoftDaleConstraint(const Options& o)
      : fraction_(o.get_float("excitatory_fraction")),
        lambda_(o.get_float("lambda")),
        radius_(o.get_float("spectral_radius")),
        dale_start_(o.get_string("init") == "dale"),
        balanced_(o.get_bool("balanced")) {}

  void initialize(Parameter& p, Rng& rng) override {
    signs_ = sender_signs(p, fraction_, "soft_dale");
    if (dale_start_) p.raw = balanced_dale_matrix(signs_, balanced_, radius_, rng).cast<float>();
  }

  void apply(const Matrix& raw, Matrix& value) const override {
    check(raw);
    value = raw;
  }

  void backward(const Matrix&, const Matrix&, const Matrix& grad, Matrix& raw_grad) const override { raw_grad = grad; }

  void add_penalty_gradient(const Matrix& raw, Matrix& raw_grad) const override {
    if (lambda_ == 0) return;
    const float two_lambda = float(2 * lambda_);
    for (Eigen::Index i = 0; i < raw.rows(); ++i)
      for (Eigen::Index j = 0; j < raw.cols(); ++j) {
        const float signed_w = signs_[j] * raw(i, j);
        if (signed_w < 0) raw_grad(i, j) += two_lambda * signed_w * signs_[j];
      }
  }

  double penalty(const Matrix& raw) const override {
    double sum = 0;
    for (Eigen::Index i = 0; i < raw.rows(); ++i)
      for (Eigen::Index j = 0; j < raw.cols(); ++j) {
        const double signed_w = double(signs_[j]) * raw(i, j);
        if (signed_w < 0) sum += signed_w * signed_w;
      }
    return lambda_ * sum;
  }

  std::vector<float> column_signs() const override { return signs_; }

 private:
  void check(const Matrix& raw) const {
    if (signs_.size() != size_t(raw.cols()))
      throw Error("constraint soft_dale: used on a parameter it was not initialised for");
  }

  double fraction_, lambda_, radius_;
  bool dale_start_, balanced_;
  std::vector<float> signs_;  // s_j, +1 excitatory / -1 inhibitory sender
};

OptionSchema soft_dale_schema() {
  OptionSchema s;
  s.add_float("excitatory_fraction", 0.8, "fraction f_E of excitatory units (the first round(f_E H) units)", 0, 1)
      .add_float("lambda", 1.0, "penalty weight (0: no constraint at all)", 0, 1e9);
  return add_dale_start_options(s, "");
}

void register_soft_dale(Registry* r) {
  r->add<Constraint>(
      "soft_dale",
      "Dale's law as a loss penalty lambda * sum(max(0, -s_j W_ij)^2) on a square W (lambda = 0 is none, large "
      "lambda approaches dale); W keeps the owner's initialisation",
      soft_dale_schema(), [](const Options& o) { return std::make_unique<SoftDaleConstraint>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("soft_dale", "1.0", &biornn::register_soft_dale)
