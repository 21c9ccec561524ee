#include "core/model.h"

#include <cmath>

#include "core/error.h"
#include "core/gemm.h"

namespace biornn {

Readout::Readout(std::string name, int hidden, int classes, Pooling pooling, Rng& rng)
    : name_(std::move(name)), hidden_(hidden), classes_(classes), pooling_(pooling) {
  Parameter& w = params_.add("W", classes, hidden);
  fill_uniform(w.raw, 1.0f / std::sqrt(float(hidden)), rng);
  Parameter& b = params_.add("b", 1, classes);
  fill_uniform(b.raw, 1.0f / std::sqrt(float(hidden)), rng);
}

double Readout::forward_backward(const float* r, int steps, int batch, const int32_t* labels,
                                 float* d_r, int* correct) {
  const int H = hidden_, C = classes_;
  for (Parameter* p : params_.all()) {
    p->value = p->raw;
    p->grad.setZero();
  }
  pooled_.resize(batch, H);
  if (pooling_ == Pooling::kLast) {
    pooled_ = Eigen::Map<const Matrix>(r + size_t(steps - 1) * batch * H, batch, H);
  } else {
    pooled_.setZero();
    for (int t = 0; t < steps; ++t) pooled_ += Eigen::Map<const Matrix>(r + size_t(t) * batch * H, batch, H);
    pooled_ /= float(steps);
  }
  const Matrix& w = params_.get("W").value;
  logits_.resize(batch, C);
  gemm(false, true, batch, C, H, pooled_.data(), H, w.data(), H, logits_.data(), C, false);
  logits_.rowwise() += params_.get("b").value.row(0);

  double loss = 0;
  int right = 0;
  Matrix d_logits(batch, C);
  for (int i = 0; i < batch; ++i) {
    auto row = logits_.row(i);
    const float mx = row.maxCoeff();
    double sum = 0;
    for (int c = 0; c < C; ++c) sum += std::exp(double(row[c] - mx));
    const double log_z = std::log(sum) + mx;
    const int y = labels[i];
    loss += log_z - row[y];
    Eigen::Index arg;
    row.maxCoeff(&arg);
    right += int(arg) == y;
    for (int c = 0; c < C; ++c)
      d_logits(i, c) = float((std::exp(double(row[c]) - log_z) - (c == y)) / batch);
  }
  if (correct) *correct = right;
  if (!d_r) return loss;

  Parameter& wp = params_.get("W");
  wp.grad.noalias() = d_logits.transpose() * pooled_;
  params_.get("b").grad = d_logits.colwise().sum();
  for (Parameter* p : params_.all()) p->raw_grad = p->grad;

  Matrix d_pooled(batch, H);
  gemm(false, false, batch, H, C, d_logits.data(), C, w.data(), H, d_pooled.data(), H, false);
  if (pooling_ == Pooling::kLast) {
    Eigen::Map<Matrix>(d_r + size_t(steps - 1) * batch * H, batch, H) = d_pooled;
  } else {
    d_pooled /= float(steps);
    for (int t = 0; t < steps; ++t) Eigen::Map<Matrix>(d_r + size_t(t) * batch * H, batch, H) = d_pooled;
  }
  return loss;
}

void Model::add_layer(std::unique_ptr<RecurrentLayer> layer) { layers_.push_back(std::move(layer)); }
void Model::set_readout(std::unique_ptr<Readout> readout) { readout_ = std::move(readout); }

double Model::run(const float* x, int steps, int batch, const int32_t* labels, bool train,
                  int* correct) {
  if (!readout_ || layers_.empty()) throw Error("model has no layers or no readout");
  const float* input = x;
  for (auto& l : layers_) {
    l->prepare();
    l->forward(input, steps, batch);
    input = l->outputs();
  }
  d_buffers_.resize(layers_.size() + 1);
  const int h_last = layers_.back()->hidden();
  float* d_top = nullptr;
  if (train) {
    d_buffers_.back().resize(size_t(steps) * batch * h_last);
    d_top = d_buffers_.back().data();
  }
  const int d_top_from = readout_->gradient_from(steps);
  // A whole-sequence cell reads every step of d_top: give it the zeros the readout skips.
  if (train && layers_.back()->cell().runs_whole_sequence())
    std::fill(d_top, d_top + size_t(d_top_from) * batch * h_last, 0.0f);
  const double loss = readout_->forward_backward(input, steps, batch, labels, d_top, correct);
  if (!train) return loss;
  for (int i = int(layers_.size()) - 1; i >= 0; --i) {
    const float* layer_x = i == 0 ? x : layers_[i - 1]->outputs();
    float* d_x = nullptr;
    if (i > 0) {
      d_buffers_[i].assign(size_t(steps) * batch * layers_[i - 1]->hidden(), 0.0f);
      d_x = d_buffers_[i].data();
    }
    const bool top = i + 1 == int(layers_.size());
    layers_[i]->backward(layer_x, top ? d_top : d_buffers_[i + 1].data(), d_x, top ? d_top_from : 0);
  }
  return loss;
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
