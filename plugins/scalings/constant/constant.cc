// Scaling `constant`: one scalar A for every synapse, A_ij = a (a = softplus(A_raw), A_raw [1, 1]).
#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "core/sdk/scaling.h"
#include "plugins/scalings/common/softplus.h"

namespace biornn {
namespace {

class ConstantScaling : public Scaling {
 public:
  explicit ConstantScaling(const Options& o) : learnable_(o.get_bool("learnable")), init_(float(o.get_float("init"))) {}

  void create_parameters(ParameterSet& params, int hidden, const std::vector<float>&, Rng&) override {
    (void)hidden;
    Parameter& p = params.add("A_raw", 1, 1);
    p.raw.setConstant(scaling::softplus_inverse(init_));
    p.trainable = learnable_;
  }

  void compute(const ParameterSet& params, Matrix& a) const override {
    const Matrix& r = params.get("A_raw").value;
    a.setConstant(scaling::softplus(r(0, 0)));
  }

  void accumulate(const Matrix& d_a, ParameterSet& params) const override {
    Parameter& p = params.get("A_raw");
    const Matrix& r = p.value;
    Matrix& g = p.grad;
    g(0, 0) += d_a.sum() * scaling::softplus_grad(r(0, 0));
  }

 private:
  bool learnable_;
  float init_;
};

void register_constant(Registry* r) {
  r->add<Scaling>("constant", "one scalar A_ij = a for all synapses (kept >= 0 by softplus)", scaling::schema(),
                  [](const Options& o) { return std::make_unique<ConstantScaling>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("constant", "1.0", &biornn::register_constant)
