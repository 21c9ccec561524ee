#include "core/engine/training_step.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace biornn {

StepOptions StepOptions::from(const Options& o) {
  StepOptions s;
  s.clip_grad_norm = o.get_float("clip_grad_norm");
  s.recurrent_l1 = o.get_float("recurrent_l1");
  s.recurrent_l2 = o.get_float("recurrent_l2");
  s.input_l1 = o.get_float("input_l1");
  s.input_l2 = o.get_float("input_l2");
  s.readout_l1 = o.get_float("readout_l1");
  s.readout_l2 = o.get_float("readout_l2");
  return s;
}

double trainable_gradient_norm(const std::vector<Parameter*>& params) {
  double sq = 0;
  for (const Parameter* p : params)
    if (p->trainable) sq += double(p->raw_grad.squaredNorm());
  return std::sqrt(sq);
}

TrainingStep::TrainingStep(Model& model, Optimizer& optimizer, Collective& collective, const StepOptions& options)
    : model_(model), optimizer_(optimizer), collective_(collective), options_(options), params_(model.parameters()) {
  auto add = [&](Parameter* p, double l1, double l2) {
    if (p && p->trainable && (l1 > 0 || l2 > 0)) weight_penalties_.push_back({p, l1, l2});
  };
  for (const auto& l : model.layers()) {
    add(l->parameters().find_role(ParameterRole::kRecurrent), options.recurrent_l1, options.recurrent_l2);
    add(l->parameters().find_role(ParameterRole::kInput), options.input_l1, options.input_l2);
  }
  add(model.readout().parameters().find("W"), options.readout_l1, options.readout_l2);
  for (Parameter* p : params_)
    if (p->trainable) trainable_.push_back(p);
}

// The counts the gradient's mean divides by, over every rank's share.
LossScale TrainingStep::global_scale(const Minibatch& b, int64_t global_rows) {
  LossScale s;
  s.rows = global_rows;
  if (model_.readout().pooling() == Pooling::kAll && b.data.mask) {
    double counted = Eigen::Map<const Eigen::ArrayXf>(b.data.mask, Eigen::Index(b.steps) * b.rows).cast<double>().sum();
    collective_.sum(&counted, 1);
    s.counted = counted;
  } else {
    s.counted = double(global_rows);
  }
  return s;
}

void TrainingStep::start_summing(const std::vector<Parameter*>& ready) {
  const size_t first = summing_.empty() ? 0 : summing_.back().second + size_t(summing_.back().first->raw_grad.size());
  size_t at = first;
  for (Parameter* p : ready)
    if (p->trainable) {
      std::copy(p->raw_grad.data(), p->raw_grad.data() + p->raw_grad.size(), flat_.data() + at);
      summing_.emplace_back(p, at);
      at += size_t(p->raw_grad.size());
    }
  if (at == first) return;
  // The last part (the bottom layer's) has no backward work left to hide behind: a blocking
  // sum, which Open MPI runs faster than a non-blocking one (docs/cluster.md).
  if (at == flat_.size())
    collective_.sum(flat_.data() + first, at - first);
  else
    collective_.start_sum(flat_.data() + first, at - first);
}

void TrainingStep::finish_summing() {
  collective_.wait_sums();
  for (const auto& [p, at] : summing_)
    std::copy(flat_.data() + at, flat_.data() + at + p->raw_grad.size(), p->raw_grad.data());
  summing_.clear();
}

// After the ranks' gradients are summed: every rank adds the same terms to the same sum.
double TrainingStep::add_parameter_penalties() {
  return add_constraint_penalties(trainable_) + add_weight_penalties(weight_penalties_);
}

StepResult TrainingStep::run(const Minibatch& batch, int64_t global_rows, double learning_rate, const Dataset* dataset,
                             PhaseTimer* timer) {
  const ComputeContext::Scope compute(model_.context());  // the optimizer's threads too
  StepResult r;
  GradientsReady ready;
  if (collective_.size() > 1) {
    size_t n = 0;  // sized before any sum starts: flat_ must not move while sums are under way
    for (const Parameter* p : params_)
      if (p->trainable) n += size_t(p->raw_grad.size());
    flat_.resize(n);
    summing_.clear();
    ready = [this](const std::vector<Parameter*>& part) { start_summing(part); };
  }
  r.loss = model_.run(batch, true, global_scale(batch, global_rows), timer, ready);
  if (dataset && model_.readout().pooling() == Pooling::kAll)
    r.score = dataset->score(model_.readout().outputs().data(), batch.steps, batch.rows, batch.data);
  const auto t0 = std::chrono::steady_clock::now();
  auto lap = [&, t = t0](Phase phase) mutable {
    if (!timer) return;
    const auto now = std::chrono::steady_clock::now();
    timer->add(phase, std::chrono::duration<double>(now - t).count());
    t = now;
  };
  double sums[6] = {r.loss.loss,     r.loss.counted, r.loss.penalty, double(r.loss.correct),
                    r.score.correct, r.score.counted};
  collective_.sum(sums, 6);
  r.loss = {sums[0], sums[1], sums[2], int64_t(sums[3])};
  r.score = {sums[4], sums[5]};
  finish_summing();
  lap(Phase::kReduce);
  r.parameter_penalty = add_parameter_penalties();
  r.penalty = r.loss.penalty / double(std::max<int64_t>(1, global_rows)) + r.parameter_penalty;
  const double total = r.loss.loss + r.loss.penalty + r.parameter_penalty;
  if (!std::isfinite(total)) {
    r.finite = false;
    r.what = std::string("the loss is ") + (std::isnan(total) ? "nan" : "inf");
    return r;
  }
  r.gradient_norm = trainable_gradient_norm(params_);
  if (!std::isfinite(r.gradient_norm)) {
    r.finite = false;
    r.what = "non-finite gradient";
    return r;
  }
  const double clip = options_.clip_grad_norm;
  if (clip > 0 && r.gradient_norm > clip)
    for (Parameter* p : params_)
      if (p->trainable) p->raw_grad *= float(clip / r.gradient_norm);
  lap(Phase::kClip);
  optimizer_.step(params_, learning_rate);
  lap(Phase::kOptimizer);
  model_.project();
  lap(Phase::kProject);
  return r;
}

}  // namespace biornn
