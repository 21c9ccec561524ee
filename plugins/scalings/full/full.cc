// Scaling `full`: one A per synapse, A_ij = softplus(A_raw_ij), A_raw [H, H].
#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "core/sdk/scaling.h"
#include "plugins/scalings/common/softplus.h"

namespace biornn {
namespace {

class FullScaling : public Scaling {
 public:
  explicit FullScaling(const Options& o) : learnable_(o.get_bool("learnable")), init_(float(o.get_float("init"))) {}

  void create_parameters(ParameterSet& params, int hidden, const std::vector<float>&, Rng&) override {
    Parameter& p = params.add("A_raw", hidden, hidden);
    p.raw.setConstant(scaling::softplus_inverse(init_));
    p.trainable = learnable_;
  }

  void compute(const ParameterSet& params, Matrix& a) const override {
    const Matrix& r = params.get("A_raw").value;
    for (Eigen::Index k = 0; k < a.size(); ++k) a.data()[k] = scaling::softplus(r.data()[k]);
  }

  void accumulate(const Matrix& d_a, ParameterSet& params) const override {
    Parameter& p = params.get("A_raw");
    const Matrix& r = p.value;
    Matrix& g = p.grad;
    for (Eigen::Index k = 0; k < d_a.size(); ++k) g.data()[k] += d_a.data()[k] * scaling::softplus_grad(r.data()[k]);
  }

 private:
  bool learnable_;
  float init_;
};

void register_full(Registry* r) {
  r->add<Scaling>("full", "one A per synapse: A_ij (kept >= 0 by softplus)", scaling::schema(),
                  [](const Options& o) { return std::make_unique<FullScaling>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("full", "1.0", &biornn::register_full)
