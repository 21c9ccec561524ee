// Test plugin: a well-formed plugin registering one constraint "test_identity".
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
void register_good(biornn::Registry* r) {
  r->add<biornn::Constraint>("test_identity", "test", biornn::OptionSchema(),
                             [](const biornn::Options&) { return std::make_unique<Identity>(); });
}
}  // namespace

BIORNN_PLUGIN("good", "0.1", &register_good)
