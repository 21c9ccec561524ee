// Test plugin: registers one name, then throws while registering.
#include "core/sdk/constraint.h"
#include "core/sdk/plugin_api.h"

namespace {
class Identity : public biornn::Constraint {
 public:
  void apply(const biornn::Matrix& raw, biornn::Matrix& value) const override { value = raw; }
  void backward(const biornn::Matrix&, const biornn::Matrix&, const biornn::Matrix& g,
                biornn::Matrix& rg) const override {
    rg = g;
  }
};
void register_throwing(biornn::Registry* r) {
  r->add<biornn::Constraint>("half_registered", "test", biornn::OptionSchema(),
                             [](const biornn::Options&) { return std::make_unique<Identity>(); });
  throw biornn::Error("this plugin is broken on purpose");
}
}  // namespace

BIORNN_PLUGIN("throwing", "0.1", &register_throwing)
