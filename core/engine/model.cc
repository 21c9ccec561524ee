#include "core/engine/model.h"

#include <chrono>
#include <cmath>

#include "core/sdk/error.h"

namespace biornn {

namespace {
using Clock = std::chrono::steady_clock;

// Times a phase into `timer` when there is one.
class PhaseClock {
 public:
  explicit PhaseClock(PhaseTimer* timer) : timer_(timer) {
    if (timer_) start_ = Clock::now();
  }
  void lap(Phase phase) {
    if (!timer_) return;
    const auto now = Clock::now();
    timer_->add(phase, std::chrono::duration<double>(now - start_).count());
    start_ = now;
  }

 private:
  PhaseTimer* timer_;
  Clock::time_point start_;
};
}  // namespace

const char* phase_name(Phase p) {
  static const char* names[kPhaseCount] = {"prepare", "forward", "readout",   "backward",
                                           "reduce",  "clip",    "optimizer", "project"};
  return names[int(p)];
}

Readout::Readout(std::string name, int hidden, int outputs, Pooling pooling, Loss loss, Rng& rng)
    : name_(std::move(name)), hidden_(hidden), outputs_(outputs), pooling_(pooling), loss_(loss) {
  Parameter& w = params_.add("W", outputs, hidden);
  fill_uniform(w.raw, 1.0f / std::sqrt(float(hidden)), rng);
  Parameter& b = params_.add("b", 1, outputs);
  fill_uniform(b.raw, 1.0f / std::sqrt(float(hidden)), rng);
}

void Readout::set_input_mask(const std::vector<float>& mask) {
  if (int(mask.size()) != hidden_) throw Error("readout '" + name_ + "': input mask has the wrong size");
  input_mask_ = Eigen::Map<const Vector>(mask.data(), hidden_);
  Parameter& w = params_.get("W");
  w.raw = w.raw.array().rowwise() * input_mask_.array();
}

// The rows the readout reads: r itself (all steps, or the last), or their mean in pooled_.
const float* Readout::pool(const float* r, int steps, int batch) {
  const int H = hidden_;
  if (pooling_ == Pooling::kAll) return r;
  if (pooling_ == Pooling::kLast) return r + size_t(steps - 1) * batch * H;
  pooled_.setZero(batch, H);
  for (int t = 0; t < steps; ++t) pooled_ += Eigen::Map<const Matrix>(r + size_t(t) * batch * H, batch, H);
  pooled_ /= float(steps);
  return pooled_.data();
}

// Loss of the rows of logits_ against the targets; d_logits (when non-null) receives the
// gradient of loss / norm. Per-step rows are weighted by the mask.
LossSum Readout::loss_and_gradient(const BatchData& t, Eigen::Index rows, double norm, Matrix* d_logits) {
  if (d_logits) d_logits->resize(rows, outputs_);
  return loss_ == Loss::kSquaredError ? squared_error(t, rows, norm, d_logits) : cross_entropy(t, rows, norm, d_logits);
}

double Readout::row_weight(const BatchData& t, Eigen::Index i) const {
  return pooling_ == Pooling::kAll && t.mask ? double(t.mask[i]) : 1.0;
}

LossSum Readout::squared_error(const BatchData& t, Eigen::Index rows, double norm, Matrix* d_logits) {
  const int C = outputs_;
  LossSum s;
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double m = row_weight(t, i);
    if (m == 0) {
      if (d_logits) d_logits->row(i).setZero();
      continue;
    }
    s.counted += m;
    const float* target = t.targets + size_t(i) * C;
    double sq = 0;
    for (int c = 0; c < C; ++c) {
      const double e = double(logits_(i, c)) - target[c];
      sq += e * e;
      if (d_logits) (*d_logits)(i, c) = float(m * 2 * e / (C * norm));
    }
    s.loss += m * sq / C;
  }
  return s;
}

// Softmax cross-entropy. The exponentials and logs run over the whole [rows, C] block at once
// (vectorised, in float, each exponential once); the loss sums in double.
LossSum Readout::cross_entropy(const BatchData& t, Eigen::Index rows, double norm, Matrix* d_logits) {
  const int C = outputs_;
  const bool per_step = pooling_ == Pooling::kAll;
  shifted_ = logits_.array().colwise() - logits_.rowwise().maxCoeff().array();  // each row's max is 0
  Matrix& p = d_logits ? *d_logits : probabilities_;
  p = shifted_.array().exp();
  const Eigen::ArrayXf sum = p.rowwise().sum();
  const Eigen::ArrayXf log_sum = sum.log();
  LossSum s;
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double m = row_weight(t, i);
    if (m == 0) {
      if (d_logits) d_logits->row(i).setZero();
      continue;
    }
    s.counted += m;
    const int y = t.labels[i];
    if (y < 0 || y >= C) throw Error("readout '" + name_ + "': label " + std::to_string(y) + " is not a class");
    s.loss += m * (double(log_sum[i]) - shifted_(i, y));
    Eigen::Index arg;
    shifted_.row(i).maxCoeff(&arg);
    s.correct += !per_step && int(arg) == y;
    if (!d_logits) continue;
    auto g = d_logits->row(i);
    g /= sum[i];  // the softmax
    g[y] -= 1;
    g *= float(m / norm);
  }
  return s;
}

// dLoss/d pooled rows, written straight into d_r where the rows are r's own (all, last).
void Readout::unpool(ComputeContext& context, const Matrix& d_logits, const Matrix& w, int steps, int batch,
                     float* d_r) {
  const int H = hidden_, C = outputs_, rows = int(d_logits.rows());
  float* d_rows = pooling_ == Pooling::kAll    ? d_r
                  : pooling_ == Pooling::kLast ? d_r + size_t(steps - 1) * batch * H
                                               : nullptr;
  if (!d_rows) {
    d_pooled_.resize(rows, H);
    d_rows = d_pooled_.data();
  }
  context.gemm(false, false, rows, H, C, d_logits.data(), C, w.data(), H, d_rows, H, false);
  if (pooling_ != Pooling::kMean) return;
  for (int t = 0; t < steps; ++t) Eigen::Map<Matrix>(d_r + size_t(t) * batch * H, batch, H) = d_pooled_ / float(steps);
}

LossSum Readout::forward_backward(ComputeContext& context, const float* r, int steps, int batch,
                                  const BatchData& targets, const LossScale& scale, float* d_r) {
  const int H = hidden_, C = outputs_;
  Parameter& wp = params_.get("W");
  Parameter& bp = params_.get("b");
  if (input_mask_.size())
    wp.value = (wp.raw.array().rowwise() * input_mask_.array()).matrix();
  else
    wp.value = wp.raw;
  bp.value = bp.raw;
  const float* pooled = pool(r, steps, batch);
  const int rows = output_steps(steps) * batch;
  logits_.resize(rows, C);
  context.gemm(false, true, rows, C, H, pooled, H, wp.value.data(), H, logits_.data(), C, false);
  logits_.rowwise() += bp.value.row(0);

  if (!d_r) return loss_and_gradient(targets, rows, 1.0, nullptr);
  double norm = scale.counted;
  if (norm <= 0) {
    norm = rows;
    if (pooling_ == Pooling::kAll && targets.mask)
      norm = Eigen::Map<const Eigen::ArrayXf>(targets.mask, rows).cast<double>().sum();
  }
  const LossSum s = loss_and_gradient(targets, rows, std::max(1e-12, norm), &d_logits_);
  wp.grad.noalias() = d_logits_.transpose() * Eigen::Map<const Matrix>(pooled, rows, H);
  if (input_mask_.size()) wp.grad = wp.grad.array().rowwise() * input_mask_.array();
  bp.grad = d_logits_.colwise().sum();
  for (Parameter* p : params_.all()) p->raw_grad = p->grad;
  unpool(context, d_logits_, wp.value, steps, batch, d_r);
  return s;
}

void Model::set_context(ComputeContext& context) {
  context_ = &context;
  own_context_.reset();
  for (auto& l : layers_) l->set_context(context);
}

ComputeContext& Model::context() {
  if (!context_) {
    auto own = std::make_unique<ComputeContext>();
    set_context(*own);
    own_context_ = std::move(own);
  }
  return *context_;
}

void Model::add_layer(std::unique_ptr<RecurrentLayer> layer) {
  layer->set_context(context());
  layers_.push_back(std::move(layer));
}
void Model::set_readout(std::unique_ptr<Readout> readout) { readout_ = std::move(readout); }

void Model::forward(const float* x, int steps, int batch) {
  if (!readout_ || layers_.empty()) throw Error("model has no layers or no readout");
  const ComputeContext::Scope compute(context());
  const float* input = x;
  for (auto& l : layers_) {
    l->set_training(false);
    l->prepare();
    l->forward(input, steps, batch);
    input = l->outputs();
  }
}

double Model::rate_penalty(const RecurrentLayer& l) const {
  const size_t n = size_t(l.last_steps()) * l.last_batch() * l.hidden();
  const double sq = Eigen::Map<const Eigen::ArrayXf>(l.outputs(), Eigen::Index(n)).square().cast<double>().sum();
  return rate_l2_ * sq / (double(l.last_steps()) * l.hidden());
}

void Model::add_rate_penalty(const RecurrentLayer& l, float* d_out, double rows) const {
  const size_t n = size_t(l.last_steps()) * l.last_batch() * l.hidden();
  const float k = float(2 * rate_l2_ / (double(l.last_steps()) * l.hidden() * rows));
  Eigen::Map<Eigen::ArrayXf>(d_out, Eigen::Index(n)) +=
      k * Eigen::Map<const Eigen::ArrayXf>(l.outputs(), Eigen::Index(n));
}

LossSum Model::run(const Minibatch& b, bool train, const LossScale& scale, PhaseTimer* timer,
                   const GradientsReady& ready) {
  const int T = b.steps, B = b.rows;
  const ComputeContext::Scope compute(context());
  PhaseClock clock(timer);
  for (auto& l : layers_) {
    l->set_training(train);  // recurrent noise: on in training, off in evaluation unless asked
    l->prepare();
  }
  clock.lap(Phase::kPrepare);
  const float* input = b.data.x;
  for (auto& l : layers_) {
    l->forward(input, T, B);
    input = l->outputs();
  }
  clock.lap(Phase::kForward);
  d_buffers_.resize(layers_.size() + 1);
  float* d_top = nullptr;
  if (train) {
    const int h_last = layers_.back()->hidden();
    d_buffers_.back().resize(size_t(T) * B * h_last);
    d_top = d_buffers_.back().data();
    // Steps the readout does not reach get zeros when something else reads them: a
    // whole-sequence cell reads every step, and so does the rate penalty.
    const int from = readout_->gradient_from(T);
    if (from > 0 && (rate_l2_ > 0 || layers_.back()->cell().runs_whole_sequence()))
      std::fill(d_top, d_top + size_t(from) * B * h_last, 0.0f);
  }
  LossSum s = readout_->forward_backward(context(), input, T, B, b.data, scale, d_top);
  if (rate_l2_ > 0)
    for (auto& l : layers_) s.penalty += rate_penalty(*l);
  clock.lap(Phase::kReadout);
  if (train && ready) ready(readout_->parameters().all());
  if (train) backward(b.data.x, T, B, d_top, scale, ready);
  clock.lap(Phase::kBackward);
  return s;
}

void Model::backward(const float* x, int steps, int batch, float* d_top, const LossScale& scale,
                     const GradientsReady& ready) {
  const double rows = scale.rows > 0 ? double(scale.rows) : double(batch);
  const int top_from = rate_l2_ > 0 ? 0 : readout_->gradient_from(steps);
  for (int i = int(layers_.size()) - 1; i >= 0; --i) {
    const bool top = i + 1 == int(layers_.size());
    float* d_out = top ? d_top : d_buffers_[i + 1].data();
    if (rate_l2_ > 0) add_rate_penalty(*layers_[i], d_out, rows);
    const float* layer_x = i == 0 ? x : layers_[i - 1]->outputs();
    float* d_x = nullptr;
    if (i > 0) {
      d_buffers_[i].assign(size_t(steps) * batch * layers_[i - 1]->hidden(), 0.0f);
      d_x = d_buffers_[i].data();
    }
    layers_[i]->backward(layer_x, d_out, d_x, top ? top_from : 0);
    if (ready) ready(layers_[i]->parameters().all());
  }
}

double Model::run(const float* x, int steps, int batch, const int32_t* labels, bool train, int* correct) {
  Minibatch b;
  b.data.x = const_cast<float*>(x);
  b.data.labels = const_cast<int32_t*>(labels);
  b.steps = steps;
  b.rows = batch;
  const LossSum s = run(b, train);
  if (correct) *correct = int(s.correct);
  return s.loss;
}

void Model::project() {
  for (auto& l : layers_) l->project();
}

std::vector<Parameter*> Model::parameters() {
  std::vector<Parameter*> r;
  for (auto& l : layers_)
    for (Parameter* p : l->parameters().all()) r.push_back(p);
  for (Parameter* p : readout_->parameters().all()) r.push_back(p);
  return r;
}

std::vector<std::string> Model::parameter_names() const {
  std::vector<std::string> r;
  for (auto& l : layers_)
    for (const Parameter* p : l->parameters().all()) r.push_back(l->name() + "." + p->name);
  for (const Parameter* p : readout_->parameters().all()) r.push_back(readout_->name() + "." + p->name);
  return r;
}

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (auto& l : layers_)
    for (const Parameter* p : l->parameters().all()) n += p->size();
  for (const Parameter* p : readout_->parameters().all()) n += p->size();
  return n;
}

}  // namespace biornn
