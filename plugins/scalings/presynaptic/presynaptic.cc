// Scaling `presynaptic`: one A per sender (column), A_ij = a_j (a = softplus(A_raw), A_raw [1, H]).
#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "core/sdk/scaling.h"
#include "plugins/scalings/common/softplus.h"

namespace biornn {
namespace {

class PresynapticScaling : public Scaling {
 public:
  explicit PresynapticScaling(const Options& o)
      : learnable_(o.get_bool("learnable")), init_(float(o.get_float("init"))) {}

  void create_parameters(ParameterSet& params, int hidden, const std::vector<float>&, Rng&) override {
    Parameter& p = params.add("A_raw", 1, hidden);
    p.raw.setConstant(scaling::softplus_inverse(init_));
    p.trainable = learnable_;
  }

  void compute(const ParameterSet& params, Matrix& a) const override {
    const Matrix& r = params.get("A_raw").value;
    for (int i = 0; i < a.rows(); ++i)
      for (int j = 0; j < a.cols(); ++j) a(i, j) = scaling::softplus(r(0, j));
  }

  void accumulate(const Matrix& d_a, ParameterSet& params) const override {
    Parameter& p = params.get("A_raw");
    const Matrix& r = p.value;
    Matrix& g = p.grad;
    const Vector col = d_a.colwise().sum();
    for (int j = 0; j < d_a.cols(); ++j) g(0, j) += col[j] * scaling::softplus_grad(r(0, j));
  }

 private:
  bool learnable_;
  float init_;
};

void register_presynaptic(Registry* r) {
  r->add<Scaling>("presynaptic", "one A per presynaptic unit (sender, column j): A_ij = a_j (kept >= 0 by softplus)",
                  scaling::schema(), [](const Options& o) { return std::make_unique<PresynapticScaling>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("presynaptic", "1.0", &biornn::register_presynaptic)
