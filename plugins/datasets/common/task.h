// TaskDataset: cognitive tasks generated from a seed (no files), with targets at every step.
#pragma once

#include <cstdint>
#include <array>
#include <string>
#include <vector>

#include "core/sdk/dataset.h"
#include "core/sdk/options.h"
#include "core/sdk/random.h"

namespace biornn::datasets {

// The random numbers of one trial: a stream derived from (seed, split, index) alone, so the
// same index gives the same trial in any batch, order or thread, on any platform (the
// project's Rng: splitmix64, normals by Box-Muller).
class TrialRandom : public Rng {
 public:
  TrialRandom(uint64_t seed, Split split, int64_t index);
  int choice(int n) { return int(uniform() * n); }  // 0 .. n-1, each equally likely (to 2^-53)
  bool coin() { return choice(2) == 1; }
};

struct Timeline;

// Column `trial` of a time-major batch of `n` trials (the buffers of BatchData).
class TrialWriter {
 public:
  TrialWriter(const BatchData& batch, int trial, int n, int features, int outputs, int32_t* periods = nullptr)
      : b_(batch), i_(trial), n_(n), F_(features), O_(outputs), periods_(periods) {}
  float& x(int t, int f) const { return b_.x[(size_t(t) * n_ + i_) * F_ + f]; }
  int32_t& label(int t) const { return b_.labels[size_t(t) * n_ + i_]; }
  float& target(int t, int o) const { return b_.targets[(size_t(t) * n_ + i_) * O_ + o]; }
  float& mask(int t) const { return b_.mask[size_t(t) * n_ + i_]; }
  // Records the period of each step when the writer was given a periods buffer ([T, n]).
  void mark_periods(const Timeline& line) const;

 private:
  const BatchData& b_;
  int i_, n_, F_, O_;
  int32_t* periods_;
};

// The options every task accepts: seed, train_trials, test_trials, input_noise.
// (The validation split is carved from the training trials by train.validation_size.)
OptionSchema& add_task_options(OptionSchema& schema, double input_noise);

// Base of the tasks. A subclass sets the shape (steps, features, outputs, target kind) in its
// constructor and writes one trial at a time in generate(); this class loops over batches,
// clears the buffers and answers conditions() from the same generator, so the conditions an
// analysis reads are always those of the trial that was trained or tested.
class TaskDataset : public Dataset {
 public:
  TaskDataset(std::string name, const Options& options, TargetKind kind);

  // Draws every trial of each split once, for fill() to copy, when the split takes at most
  // kCacheBytes; a larger split is drawn trial by trial at each fill(). Trials are a pure
  // function of (seed, split, index), so the copy is the trial either way.
  void load() override;
  static constexpr size_t kCacheBytes = size_t(128) << 20;
  int64_t size(Split split) const override { return split == Split::kTrain ? train_ : test_; }
  int steps() const override { return steps_; }
  int features() const override { return features_; }
  int classes() const override { return outputs_; }
  TargetKind target_kind() const override { return kind_; }

  // Per-step targets only: batch() says so and points to fill().
  void batch(Split split, const int64_t* indices, int n, float* x, int32_t* labels) const override;
  void fill(Split split, const int64_t* indices, int n, const BatchData& out) const override;
  void conditions(Split split, const int64_t* indices, int n, float* out) const override;
  void periods(Split split, const int64_t* indices, int n, int32_t* out) const override;

 protected:
  // Writes one trial through `w` (x, and labels or targets, and mask, all of them already
  // zero) and, when `conditions` is not null, its condition_names().size() values.
  virtual void generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const = 0;

  // Gaussian input noise of standard deviation input_noise, added to x[t, f] for t in [begin, end).
  void add_noise(TrialRandom& rng, const TrialWriter& w, int begin, int end, int f) const;

  const std::string& name() const { return name_; }
  double input_noise() const { return input_noise_; }

  int steps_ = 0, features_ = 0, outputs_ = 0;

 private:
  void check_indices(Split split, const int64_t* indices, int n) const;
  // One split's trials, trial-major ([trial, T, F] and so on); empty when not drawn ahead.
  struct Drawn {
    std::vector<float> x, targets, mask;
    std::vector<int32_t> labels;
  };
  size_t trial_bytes() const;
  void copy_drawn(const Drawn& d, const int64_t* indices, int n, const BatchData& out) const;
  std::array<Drawn, 2> drawn_;  // kTrain, kTest

  std::string name_;
  TargetKind kind_;
  uint64_t seed_;
  int64_t train_, test_;
  double input_noise_;
};

// ---- Timed trials (fixation, stimulus, delay, response ...) ------------------------------

// A period of a timed trial and its default duration and random jitter, in ms.
struct PeriodSpec {
  std::string name;
  double ms = 0;
  double jitter_ms = 0;
};

// Adds dt_ms and, for each period, <name>_ms and <name>_jitter_ms (range-checked), plus
// response_weight and grace_ms of the response period.
OptionSchema& add_timing_options(OptionSchema& schema, const std::vector<PeriodSpec>& periods, double dt_ms);

// The step ranges of one trial's periods: period k covers steps [begin(k), end(k)).
struct Timeline {
  std::vector<int> bounds;  // periods + 1 entries
  int begin(int k) const { return bounds[size_t(k)]; }
  int end(int k) const { return bounds[size_t(k) + 1]; }
};

// The timing of a task read from its options. Every period lasts its duration plus a uniform
// random jitter in [0, jitter]; the sequence is long enough for the longest trial, and the last
// period (the response) runs to the end of the sequence.
class Timing {
 public:
  Timing(const std::vector<PeriodSpec>& periods, const Options& options, const std::string& task);
  int steps() const { return steps_; }
  Timeline draw(TrialRandom& rng) const;
  int steps_of(double ms) const;                                    // ms rounded to whole steps of dt
  const std::vector<std::string>& names() const { return names_; }  // the periods, in order
  double dt_ms() const { return dt_ms_; }
  double response_weight() const { return response_weight_; }
  int grace_steps() const { return grace_steps_; }

 private:
  std::vector<std::string> names_;
  std::vector<double> ms_, jitter_ms_;
  double dt_ms_, response_weight_;
  int grace_steps_, steps_ = 0;
};

// ---- Decisions (the classes of a choice task: 0 = fixate, 1.. = the choices) -----------------

// Class targets of a choice trial: fixate (class 0, mask 1) until `response_begin`, then `choice`
// with mask 0 for the first grace steps and response_weight after them.
void write_choice_targets(const TrialWriter& w, const Timing& timing, int response_begin, int steps, int choice);

// Score of a choice task: trials whose decision (core/analysis/analysis.h's decision()) equals the label
// of their response steps.
Score decision_score(const float* outputs, int steps, int n, int classes, const BatchData& batch);

// Base of the timed two-alternative tasks: classes 0 (fixate), 1 and 2; the score is the
// decision in the response period (decision_score).
class ChoiceTask : public TaskDataset {
 public:
  ChoiceTask(const std::string& name, const Options& options, const std::vector<PeriodSpec>& periods);
  Score score(const float* outputs, int steps, int n, const BatchData& batch) const override;
  std::vector<std::string> period_names() const override { return timing_.names(); }

 protected:
  // A trial's timeline (timing_.draw), its periods recorded through `w` for analysis.
  Timeline draw_timeline(TrialRandom& rng, const TrialWriter& w) const {
    Timeline line = timing_.draw(rng);
    w.mark_periods(line);
    return line;
  }
  // Evidence of signed coherence c over steps [begin, end): channel `toward2` carries
  // (1 + c)/2 and `toward1` (1 - c)/2, each with input noise.
  void write_evidence(TrialRandom& rng, const TrialWriter& w, int begin, int end, double c, int toward1,
                      int toward2) const;
  // Fixation input (channel `fixation` = 1) and class targets for a trial whose response
  // period starts at `response_begin`.
  void write_fixation_and_choice(const TrialWriter& w, int fixation, int response_begin, int choice) const;

  Timing timing_;
};

// `v` as people write it (0.05, 20, 1e-06): for messages and descriptions.
std::string number(double v);

// The numbers of a list option (add_numbers: the schema checks each element's range), at least
// one; the error is at the option's position in the graph file.
std::vector<double> number_list(const Options& options, const std::string& name);

}  // namespace biornn::datasets
