// Core's built-in optimizers: adam and sgd (with momentum). Registered by register_builtins().
#include <algorithm>
#include <cmath>

#include "core/sdk/error.h"
#include "core/sdk/optimizer.h"
#include "core/engine/builtins.h"

namespace biornn {
namespace {

class Adam : public Optimizer {
 public:
  explicit Adam(const Options& o)
      : lr_(o.get_float("learning_rate")),
        beta1_(o.get_float("beta1")),
        beta2_(o.get_float("beta2")),
        eps_(o.get_float("epsilon")),
        decay_(o.get_float("weight_decay")) {}

  void step(const std::vector<Parameter*>& params, double lr) override {
    if (m_.size() != params.size()) {
      m_.clear();
      v_.clear();
      for (Parameter* p : params) {
        m_.push_back(Matrix::Zero(p->raw.rows(), p->raw.cols()));
        v_.push_back(Matrix::Zero(p->raw.rows(), p->raw.cols()));
      }
    }
    ++t_;
    const float b1 = float(beta1_), b2 = float(beta2_);
    const float c1 = float(1.0 - std::pow(beta1_, double(t_)));
    const float c2 = float(1.0 - std::pow(beta2_, double(t_)));
    const float step = float(lr) / c1, eps = float(eps_), decay = float(decay_);
    for (size_t i = 0; i < params.size(); ++i) {
      Parameter* p = params[i];
      if (!p->trainable) continue;
      // Elementwise, so split into chunks across the compute threads (same result for any split):
      // the step runs in the model's ComputeContext::Scope, which sets their number.
      const long n = long(p->raw.size()), chunk = 16384;
      float *raw = p->raw.data(), *m = m_[i].data(), *v = v_[i].data();
      const float* grad = p->raw_grad.data();
#pragma omp parallel for schedule(static) if (n > 2 * chunk)
      for (long lo = 0; lo < n; lo += chunk) {
        const long len = std::min(chunk, n - lo);
        Eigen::Map<Eigen::ArrayXf> w(raw + lo, len), mm(m + lo, len), vv(v + lo, len);
        auto g = Eigen::Map<const Eigen::ArrayXf>(grad + lo, len) + decay * w;
        mm = b1 * mm + (1 - b1) * g;
        vv = b2 * vv + (1 - b2) * g * g;
        w -= step * mm / ((vv / c2).sqrt() + eps);
      }
    }
  }
  double learning_rate() const override { return lr_; }
  std::vector<Matrix> state() const override {
    std::vector<Matrix> s{Matrix::Constant(1, 1, float(t_))};
    s.insert(s.end(), m_.begin(), m_.end());
    s.insert(s.end(), v_.begin(), v_.end());
    return s;
  }
  void set_state(const std::vector<Matrix>& s) override {
    if (s.empty() || s.size() % 2 == 0) throw Error("adam: optimizer state has the wrong layout");
    t_ = int64_t(s[0](0, 0));
    const size_t n = (s.size() - 1) / 2;
    m_.assign(s.begin() + 1, s.begin() + 1 + n);
    v_.assign(s.begin() + 1 + n, s.end());
  }

 private:
  double lr_, beta1_, beta2_, eps_, decay_;
  int64_t t_ = 0;
  std::vector<Matrix> m_, v_;
};

class Sgd : public Optimizer {
 public:
  explicit Sgd(const Options& o)
      : lr_(o.get_float("learning_rate")), momentum_(o.get_float("momentum")), decay_(o.get_float("weight_decay")) {}

  void step(const std::vector<Parameter*>& params, double lr) override {
    if (velocity_.size() != params.size()) {
      velocity_.clear();
      for (Parameter* p : params) velocity_.push_back(Matrix::Zero(p->raw.rows(), p->raw.cols()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      Parameter* p = params[i];
      if (!p->trainable) continue;
      velocity_[i].array() =
          float(momentum_) * velocity_[i].array() + p->raw_grad.array() + float(decay_) * p->raw.array();
      p->raw -= float(lr) * velocity_[i];
    }
  }
  double learning_rate() const override { return lr_; }
  std::vector<Matrix> state() const override { return velocity_; }
  void set_state(const std::vector<Matrix>& s) override { velocity_ = s; }

 private:
  double lr_, momentum_, decay_;
  std::vector<Matrix> velocity_;
};

}  // namespace

void register_builtins(Registry& r) {
  r.add<Optimizer>("adam", "Adam (Kingma & Ba) with bias correction",
                   OptionSchema()
                       .add_float("learning_rate", 1e-3, "step size", 0, 10, true)
                       .add_float("beta1", 0.9, "first-moment decay", 0, 1)
                       .add_float("beta2", 0.999, "second-moment decay", 0, 1)
                       .add_float("epsilon", 1e-8, "denominator floor", 0, 1, true)
                       .add_float("weight_decay", 0.0, "L2 penalty added to the gradient", 0, 1),
                   [](const Options& o) { return std::make_unique<Adam>(o); });
  r.add<Optimizer>("sgd", "stochastic gradient descent with momentum",
                   OptionSchema()
                       .add_float("learning_rate", 1e-2, "step size", 0, 100, true)
                       .add_float("momentum", 0.0, "heavy-ball momentum", 0, 1)
                       .add_float("weight_decay", 0.0, "L2 penalty added to the gradient", 0, 1),
                   [](const Options& o) { return std::make_unique<Sgd>(o); });
}

}  // namespace biornn
