#include "plugins/datasets/common/task.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/sdk/error.h"

namespace biornn::datasets {

namespace {

constexpr int kMaxSteps = 100000;

}  // namespace

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

namespace {

// Mixes the three numbers so that neighbouring seeds and indices give unrelated streams.
uint64_t trial_state(uint64_t seed, Split split, int64_t index) {
  uint64_t state = splitmix64(seed) ^ (uint64_t(split == Split::kTest ? 2 : 1) * 0xd6e8feb86659fd93ull);
  return splitmix64(state) ^ uint64_t(index);
}

}  // namespace

TrialRandom::TrialRandom(uint64_t seed, Split split, int64_t index) : Rng(trial_state(seed, split, index)) { next(); }

OptionSchema& add_task_options(OptionSchema& schema, double input_noise) {
  return schema.add_int("seed", 1, "seed of the trials: trial k of a split is the same for the same seed", 0)
      .add_int("train_trials", 8192, "trials in the training split (train.validation_size of them validate)", 1,
               100000000)
      .add_int("test_trials", 2048, "trials in the test split (drawn apart from the training ones)", 1, 100000000)
      .add_float("input_noise", input_noise,
                 "standard deviation of the Gaussian noise added to the stimulus inputs at each step", 0, 100);
}

TaskDataset::TaskDataset(std::string name, const Options& options, TargetKind kind)
    : name_(std::move(name)),
      kind_(kind),
      seed_(uint64_t(options.get_int("seed"))),
      train_(options.get_int("train_trials")),
      test_(options.get_int("test_trials")),
      input_noise_(options.get_float("input_noise")) {}

void TaskDataset::batch(Split, const int64_t*, int, float*, int32_t*) const {
  throw Error(name_ +
              " has targets at every step (one label per sequence is not defined): "
              "read it with fill(), which the trainer does for per-step datasets");
}

void TaskDataset::check_indices(Split split, const int64_t* indices, int n) const {
  for (int i = 0; i < n; ++i)
    if (indices[i] < 0 || indices[i] >= size(split))
      throw Error(name_ + ": trial index " + std::to_string(indices[i]) + " outside the " +
                  (split == Split::kTrain ? "training" : "test") + " split of " + std::to_string(size(split)) +
                  " trials");
}

size_t TaskDataset::trial_bytes() const {
  return size_t(steps_) * (sizeof(float) * (features_ + outputs_ + 1) + sizeof(int32_t));
}

void TaskDataset::load() {
  for (Split split : {Split::kTrain, Split::kTest}) {
    const size_t n = size_t(size(split)), T = size_t(steps_);
    if (n * trial_bytes() > kCacheBytes) continue;
    Drawn& d = drawn_[split == Split::kTest];
    d.x.assign(n * T * features_, 0.0f);
    d.targets.assign(n * T * outputs_, 0.0f);
    d.mask.assign(n * T, 0.0f);
    d.labels.assign(n * T, 0);
    for (size_t i = 0; i < n; ++i) {
      const BatchData one{d.x.data() + i * T * features_, d.labels.data() + i * T, d.targets.data() + i * T * outputs_,
                          d.mask.data() + i * T};
      TrialRandom rng(seed_, split, int64_t(i));
      generate(rng, TrialWriter(one, 0, 1, features_, outputs_), nullptr);
    }
  }
}

void TaskDataset::copy_drawn(const Drawn& d, const int64_t* indices, int n, const BatchData& out) const {
  const size_t T = size_t(steps_), F = size_t(features_), O = size_t(outputs_);
  const bool labels = out.labels && kind_ == TargetKind::kStepClass;
  const bool targets = out.targets && kind_ == TargetKind::kStepValue;
  for (int i = 0; i < n; ++i) {
    const size_t trial = size_t(indices[i]) * T;
    for (size_t t = 0; t < T; ++t) {
      const size_t row = t * size_t(n) + size_t(i);
      std::copy_n(d.x.data() + (trial + t) * F, F, out.x + row * F);
      if (labels) out.labels[row] = d.labels[trial + t];
      if (targets) std::copy_n(d.targets.data() + (trial + t) * O, O, out.targets + row * O);
      out.mask[row] = d.mask[trial + t];
    }
  }
}

void TaskDataset::fill(Split split, const int64_t* indices, int n, const BatchData& out) const {
  check_indices(split, indices, n);
  const Drawn& drawn = drawn_[split == Split::kTest];
  if (!drawn.mask.empty()) return copy_drawn(drawn, indices, n, out);
  const size_t rows = size_t(steps_) * n;
  std::fill(out.x, out.x + rows * features_, 0.0f);
  if (out.labels && kind_ == TargetKind::kStepClass) std::fill(out.labels, out.labels + rows, 0);
  if (out.targets && kind_ == TargetKind::kStepValue) std::fill(out.targets, out.targets + rows * outputs_, 0.0f);
  std::fill(out.mask, out.mask + rows, 0.0f);
  for (int i = 0; i < n; ++i) {
    TrialRandom rng(seed_, split, indices[i]);
    generate(rng, TrialWriter(out, i, n, features_, outputs_), nullptr);
  }
}

void TaskDataset::conditions(Split split, const int64_t* indices, int n, float* out) const {
  check_indices(split, indices, n);
  const size_t T = size_t(steps_);
  std::vector<float> x(T * features_), targets(T * outputs_), mask(T);
  std::vector<int32_t> labels(T);
  const BatchData one{x.data(), labels.data(), targets.data(), mask.data()};
  const size_t per_trial = condition_names().size();
  for (int i = 0; i < n; ++i) {
    std::fill(x.begin(), x.end(), 0.0f);
    std::fill(targets.begin(), targets.end(), 0.0f);
    std::fill(mask.begin(), mask.end(), 0.0f);
    std::fill(labels.begin(), labels.end(), 0);
    TrialRandom rng(seed_, split, indices[i]);
    generate(rng, TrialWriter(one, 0, 1, features_, outputs_), out + size_t(i) * per_trial);
  }
}

void TaskDataset::periods(Split split, const int64_t* indices, int n, int32_t* out) const {
  check_indices(split, indices, n);
  const size_t T = size_t(steps_);
  std::vector<float> x(T * features_), targets(T * outputs_), mask(T);
  std::vector<int32_t> labels(T), one(T);
  const BatchData trial{x.data(), labels.data(), targets.data(), mask.data()};
  for (int i = 0; i < n; ++i) {
    std::fill(one.begin(), one.end(), 0);
    TrialRandom rng(seed_, split, indices[i]);
    generate(rng, TrialWriter(trial, 0, 1, features_, outputs_, one.data()), nullptr);
    for (size_t t = 0; t < T; ++t) out[t * size_t(n) + size_t(i)] = one[t];
  }
}

void TrialWriter::mark_periods(const Timeline& line) const {
  if (!periods_) return;
  for (size_t k = 0; k + 1 < line.bounds.size(); ++k)
    for (int t = line.begin(int(k)); t < line.end(int(k)); ++t) periods_[size_t(t) * n_ + i_] = int32_t(k);
}

void TaskDataset::add_noise(TrialRandom& rng, const TrialWriter& w, int begin, int end, int f) const {
  if (input_noise_ <= 0) return;
  for (int t = begin; t < end; ++t) w.x(t, f) += float(input_noise_ * rng.normal());
}

// ---- Timing ------------------------------------------------------------------------------

OptionSchema& add_timing_options(OptionSchema& schema, const std::vector<PeriodSpec>& periods, double dt_ms) {
  schema.add_float("dt_ms", dt_ms, "duration of one step in ms", 0, 10000, true);
  for (const PeriodSpec& p : periods) {
    schema.add_float(p.name + "_ms", p.ms, "duration of the " + p.name + " period in ms", 0, 1e6);
    schema.add_float(p.name + "_jitter_ms", p.jitter_ms,
                     "the " + p.name + " period lasts up to this much longer, uniformly at random", 0, 1e6);
  }
  schema.add_float("response_weight", 1.0, "weight in the loss of a response step (fixation steps weigh 1)", 0, 1000);
  schema.add_float("grace_ms", 100, "the first ms of the response period are not in the loss (time to answer)", 0, 1e6);
  return schema;
}

Timing::Timing(const std::vector<PeriodSpec>& periods, const Options& o, const std::string& task)
    : dt_ms_(o.get_float("dt_ms")), response_weight_(o.get_float("response_weight")) {
  double longest = 0;
  for (const PeriodSpec& p : periods) {
    names_.push_back(p.name);
    ms_.push_back(o.get_float(p.name + "_ms"));
    jitter_ms_.push_back(o.get_float(p.name + "_jitter_ms"));
    longest += ms_.back() + jitter_ms_.back();
  }
  const double steps = std::ceil(longest / dt_ms_ - 1e-9);
  if (steps > kMaxSteps)
    throw Error(o.where("dt_ms"), task + ": trials of up to " + number(longest) + " ms at dt_ms " + number(dt_ms_) +
                                      " are " + std::to_string(int64_t(steps)) + " steps, more than " +
                                      std::to_string(kMaxSteps) + ": raise dt_ms or shorten periods");
  steps_ = int(steps);
  grace_steps_ = steps_of(o.get_float("grace_ms"));
  const std::string& last = periods.back().name;
  if (steps_of(ms_.back()) <= grace_steps_)
    throw Error(o.where(last + "_ms"), task + ": the " + last + " period (" + std::to_string(steps_of(ms_.back())) +
                                           " steps) must be longer than grace_ms (" + std::to_string(grace_steps_) +
                                           " steps at dt_ms " + number(dt_ms_) + "): lengthen it or lower grace_ms");
}

int Timing::steps_of(double ms) const { return int(std::lround(ms / dt_ms_)); }

Timeline Timing::draw(TrialRandom& rng) const {
  Timeline line;
  line.bounds.push_back(0);
  double at_ms = 0;
  for (size_t k = 0; k < ms_.size(); ++k) {
    at_ms += ms_[k] + (jitter_ms_[k] > 0 ? rng.uniform(0, jitter_ms_[k]) : 0.0);
    line.bounds.push_back(std::min(steps_, steps_of(at_ms)));
  }
  line.bounds.back() = steps_;
  return line;
}

// ---- Decisions ----------------------------------------------------------------------------

void write_choice_targets(const TrialWriter& w, const Timing& timing, int response_begin, int steps, int choice) {
  for (int t = 0; t < response_begin; ++t) {
    w.label(t) = 0;
    w.mask(t) = 1;
  }
  for (int t = response_begin; t < steps; ++t) {
    w.label(t) = choice;
    w.mask(t) = t < response_begin + timing.grace_steps() ? 0.0f : float(timing.response_weight());
  }
}

Score decision_score(const float* outputs, int steps, int n, int classes, const BatchData& batch) {
  Score s;
  for (int i = 0; i < n; ++i) {
    const int label = choice_label(steps, n, batch, i);
    if (label < 0) continue;
    s.correct += decision(outputs, steps, n, classes, batch, i) == label;
    s.counted += 1;
  }
  return s;
}

ChoiceTask::ChoiceTask(const std::string& name, const Options& options, const std::vector<PeriodSpec>& periods)
    : TaskDataset(name, options, TargetKind::kStepClass), timing_(periods, options, name) {
  steps_ = timing_.steps();
  outputs_ = 3;
}

Score ChoiceTask::score(const float* outputs, int steps, int n, const BatchData& batch) const {
  return decision_score(outputs, steps, n, outputs_, batch);
}

void ChoiceTask::write_evidence(TrialRandom& rng, const TrialWriter& w, int begin, int end, double c, int toward1,
                                int toward2) const {
  for (int t = begin; t < end; ++t) {
    w.x(t, toward2) = float((1 + c) / 2);
    w.x(t, toward1) = float((1 - c) / 2);
  }
  add_noise(rng, w, begin, end, toward1);
  add_noise(rng, w, begin, end, toward2);
}

void ChoiceTask::write_fixation_and_choice(const TrialWriter& w, int fixation, int response_begin, int choice) const {
  for (int t = 0; t < response_begin; ++t) w.x(t, fixation) = 1;
  write_choice_targets(w, timing_, response_begin, steps_, choice);
}

std::vector<double> number_list(const Options& options, const std::string& name) {
  const std::vector<double>& values = options.get_numbers(name);
  if (values.empty()) throw Error(options.where(name), name + ": give at least one number");
  return values;
}

}  // namespace biornn::datasets
