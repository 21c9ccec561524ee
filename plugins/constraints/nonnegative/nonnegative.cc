// Constraint `nonnegative`: every entry of the effective parameter is >= 0 (e.g. the input
// weights P of a biological model, where inputs are excitatory).
//   abs   value = |raw|                                   d raw = d value * sign(raw)
//   clip  value = raw, clipped to >= 0 after every optimizer step (project())
//                                                         d raw = d value
// initialize() replaces raw by |raw| (the owner's magnitudes are kept), so clip starts feasible.
#include <algorithm>

#include "core/sdk/constraint.h"
#include "core/sdk/plugin_api.h"

namespace biornn {
namespace {

class NonnegativeConstraint : public Constraint {
 public:
  explicit NonnegativeConstraint(const Options& o) : clip_(o.get_string("mode") == "clip") {}

  void initialize(Parameter& p, Rng&) override { p.raw = p.raw.cwiseAbs(); }

  void apply(const Matrix& raw, Matrix& value) const override {
    if (clip_)
      value = raw;
    else
      value = raw.cwiseAbs();
  }

  void backward(const Matrix& raw, const Matrix&, const Matrix& grad, Matrix& raw_grad) const override {
    if (clip_)
      raw_grad = grad;
    else
      raw_grad = grad.cwiseProduct(raw.cwiseSign());
  }

  void project(Matrix& raw) const override {
    if (clip_) raw = raw.cwiseMax(0.0f);
  }

 private:
  bool clip_;
};

void register_nonnegative(Registry* r) {
  r->add<Constraint>(
      "nonnegative", "every effective entry >= 0 (|raw|, or clipped after each optimizer step)",
      OptionSchema().add_string("mode", "abs",
                                "abs: value = |raw|; clip: value = raw, clipped to >= 0 after each optimizer step",
                                {"abs", "clip"}),
      [](const Options& o) { return std::make_unique<NonnegativeConstraint>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("nonnegative", "1.0", &biornn::register_nonnegative)
