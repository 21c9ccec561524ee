// Scaling `full`: one A per synapse, A_ij = softplus(A_raw_ij), A_raw [H, H].
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/plugin_api.h"
#include "core/scaling.h"

namespace biornn {
namespace {

// A is kept >= 0 by the parametrisation A = softplus(A_raw) = log(1 + exp(A_raw)): smooth,
// never exactly 0, and its gradient sigmoid(A_raw) fades as A -> 0 instead of bouncing off 0.
inline float softplus(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::abs(x))); }
inline float softplus_grad(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float softplus_inverse(float y) { return y > 20.0f ? y : std::log(std::expm1(y)); }

OptionSchema scaling_schema() {
  return OptionSchema()
      .add_bool("learnable", true, "train A (false: A stays at init)")
      .add_float("init", 1.0, "initial value of every A entry (A = softplus(A_raw), A_raw = softplus^-1(init))",
                 0, 1e6, true);
}

class FullScaling : public Scaling {
 public:
  explicit FullScaling(const Options& o) : learnable_(o.get_bool("learnable")), init_(float(o.get_float("init"))) {}

  void create_parameters(ParameterSet& params, int hidden, const std::vector<float>&, Rng&) override {
    Parameter& p = params.add("A_raw", hidden, hidden);
    p.raw.setConstant(softplus_inverse(init_));
    p.trainable = learnable_;
  }

  void compute(const ParameterSet& params, Matrix& a) const override {
    const Matrix& r = params.get("A_raw").value;
    for (Eigen::Index k = 0; k < a.size(); ++k) a.data()[k] = softplus(r.data()[k]);
  }

  void accumulate(const Matrix& d_a, ParameterSet& params) const override {
    Parameter& p = params.get("A_raw");
    const Matrix& r = p.value;
    Matrix& g = p.grad;
    for (Eigen::Index k = 0; k < d_a.size(); ++k) g.data()[k] += d_a.data()[k] * softplus_grad(r.data()[k]);
  }

 private:
  bool learnable_;
  float init_;
};

void register_full(Registry* r) {
  r->add<Scaling>("full", "one A per synapse: A_ij (kept >= 0 by softplus)", scaling_schema(),
                  [](const Options& o) { return std::make_unique<FullScaling>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("full", "1.0", &biornn::register_full)
