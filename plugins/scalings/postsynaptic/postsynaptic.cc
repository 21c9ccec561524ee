// Scaling `postsynaptic`: one A per receiver (row), A_ij = a_i (a = softplus(A_raw), A_raw [H, 1]).
#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "core/sdk/scaling.h"
#include "plugins/scalings/common/softplus.h"

namespace biornn {
namespace {

class PostsynapticScaling : public Scaling {
 public:
  explicit PostsynapticScaling(const Options& o)
      : learnable_(o.get_bool("learnable")), init_(float(o.get_float("init"))) {}

  void create_parameters(ParameterSet& params, int hidden, const std::vector<float>&, Rng&) override {
    Parameter& p = params.add("A_raw", hidden, 1);
    p.raw.setConstant(scaling::softplus_inverse(init_));
    p.trainable = learnable_;
  }

  void compute(const ParameterSet& params, Matrix& a) const override {
    const Matrix& r = params.get("A_raw").value;
    for (int i = 0; i < a.rows(); ++i) a.row(i).setConstant(scaling::softplus(r(i, 0)));
  }

  void accumulate(const Matrix& d_a, ParameterSet& params) const override {
    Parameter& p = params.get("A_raw");
    const Matrix& r = p.value;
    Matrix& g = p.grad;
    for (int i = 0; i < d_a.rows(); ++i) g(i, 0) += d_a.row(i).sum() * scaling::softplus_grad(r(i, 0));
  }

 private:
  bool learnable_;
  float init_;
};

void register_postsynaptic(Registry* r) {
  r->add<Scaling>("postsynaptic", "one A per postsynaptic unit (receiver, row i): A_ij = a_i (kept >= 0 by softplus)",
                  scaling::schema(), [](const Options& o) { return std::make_unique<PostsynapticScaling>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("postsynaptic", "1.0", &biornn::register_postsynaptic)
