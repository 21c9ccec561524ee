// Scaling `ei`: two values, one for excitatory and one for inhibitory senders (the note's
// stated end goal): A_ij = a_E if presynaptic unit j is excitatory, a_I if inhibitory.
// Sender types come from the Dale constraint on W (its column_signs); without one this
// scaling refuses to be built. A_raw is [1, 2] = (E, I), a = softplus(A_raw).
#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "core/sdk/scaling.h"
#include "plugins/scalings/common/softplus.h"

namespace biornn {
namespace {

class EiScaling : public Scaling {
 public:
  explicit EiScaling(const Options& o) : learnable_(o.get_bool("learnable")), init_(float(o.get_float("init"))) {}

  void create_parameters(ParameterSet& params, int hidden, const std::vector<float>& column_signs, Rng&) override {
    if (column_signs.empty())
      throw Incompatible(
          "scaling ei needs a dale constraint on W (it reads which senders are excitatory "
          "and which inhibitory from it): add constraints = [{ plugin = \"dale\", parameter = \"W\" }]");
    if (int(column_signs.size()) != hidden)
      throw Error("scaling ei: the Dale constraint on W gives " + std::to_string(column_signs.size()) +
                  " column signs for " + std::to_string(hidden) + " units");
    excitatory_.resize(hidden);
    for (int j = 0; j < hidden; ++j) excitatory_[j] = column_signs[j] > 0;
    Parameter& p = params.add("A_raw", 1, 2);
    p.raw.setConstant(scaling::softplus_inverse(init_));
    p.trainable = learnable_;
  }

  void compute(const ParameterSet& params, Matrix& a) const override {
    const Matrix& r = params.get("A_raw").value;
    const float ae = scaling::softplus(r(0, 0)), ai = scaling::softplus(r(0, 1));
    for (int i = 0; i < a.rows(); ++i)
      for (int j = 0; j < a.cols(); ++j) a(i, j) = excitatory_[j] ? ae : ai;
  }

  void accumulate(const Matrix& d_a, ParameterSet& params) const override {
    Parameter& p = params.get("A_raw");
    const Vector col = d_a.colwise().sum();
    double de = 0, di = 0;
    for (int j = 0; j < d_a.cols(); ++j) (excitatory_[j] ? de : di) += col[j];
    p.grad(0, 0) += float(de) * scaling::softplus_grad(p.value(0, 0));
    p.grad(0, 1) += float(di) * scaling::softplus_grad(p.value(0, 1));
  }

 private:
  bool learnable_;
  float init_;
  std::vector<bool> excitatory_;
};

void register_ei(Registry* r) {
  r->add<Scaling>(
      "ei",
      "two values: A_ij = a_E for excitatory senders j, a_I for inhibitory ones (needs a dale "
      "constraint on W; kept >= 0 by softplus)",
      OptionSchema()
          .add_bool("learnable", true, "train a_E and a_I (false: they stay at init)")
          .add_float("init", 1.0, "initial a_E and a_I (A = scaling::softplus(A_raw), A_raw = softplus^-1(init))", 0,
                     1e6, true),
      [](const Options& o) { return std::make_unique<EiScaling>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("ei", "1.0", &biornn::register_ei)
