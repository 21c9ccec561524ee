// Constraint `none`: the unconstrained end of the spectrum, value = raw.
#include "core/sdk/constraint.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class NoConstraint : public Constraint {
 public:
  void apply(const Matrix& raw, Matrix& value) const override { value = raw; }
  void backward(const Matrix&, const Matrix&, const Matrix& grad, Matrix& raw_grad) const override { raw_grad = grad; }
};

void register_none(Registry* r) {
  r->add<Constraint>("none", "no constraint: the effective parameter is the raw one", OptionSchema(),
                     [](const Options&) { return std::make_unique<NoConstraint>(); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("none", "1.0", &biornn::register_none)
