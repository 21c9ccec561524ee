// Constraint `none`: the unconstrained end of the spectrum, value = raw. With init = "dale" W
// starts from Dale's balanced matrix at the chosen spectral radius (the same W that `dale`
// draws from the same seed, common/dale_init.h), its signs then free: compared with `dale`,
// only the constraint differs, not the initialisation.
// EigenSolver (common/dale_init.h) trips GCC 12's false -Wuninitialized in Eigen's AVX-512
// transposes; this must precede every include to cover those headers (as in dale.cc).
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "core/sdk/constraint.h"
#include "core/sdk/plugin_api.h"
#include "plugins/constraints/common/dale_init.h"
#include "plugins/constraints/common/sender_types.h"

namespace biornn {
namespace {

class NoConstraint : public Constraint {
 public:
  explicit NoConstraint(const Options& o)
      : dale_start_(o.get_string("init") == "dale"),
        fraction_(o.get_float("excitatory_fraction")),
        radius_(o.get_float("spectral_radius")),
        balanced_(o.get_bool("balanced")) {}

  void initialize(Parameter& p, Rng& rng) override {
    if (!dale_start_) return;
    p.raw = balanced_dale_matrix(sender_signs(p, fraction_, "none"), balanced_, radius_, rng).cast<float>();
  }
  void apply(const Matrix& raw, Matrix& value) const override { value = raw; }
  void backward(const Matrix&, const Matrix&, const Matrix& grad, Matrix& raw_grad) const override { raw_grad = grad; }

 private:
  bool dale_start_;
  double fraction_, radius_;
  bool balanced_;
};

OptionSchema none_schema() {
  OptionSchema s;
  add_dale_start_options(s, " (e.g. the rate cell's U(-1/sqrt(H), 1/sqrt(H)))");
  s.add_float("excitatory_fraction", 0.8, "with init = dale: fraction of columns that start excitatory", 0, 1);
  return s;
}

void register_none(Registry* r) {
  r->add<Constraint>("none",
                     "no constraint: the effective parameter is the raw one (init = dale: start from Dale's "
                     "balanced W, signs free)",
                     none_schema(), [](const Options& o) { return std::make_unique<NoConstraint>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("none", "1.0", &biornn::register_none)
