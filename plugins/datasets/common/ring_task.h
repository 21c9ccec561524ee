// RingTask: the task family of Yang et al. 2019 ("Task representations in neural networks
// trained to perform many cognitive tasks"), one or many tasks in one dataset. Inputs: fixation,
// two modalities of `directions` ring units each (a bump of activity at the stimulus direction,
// height = its strength), and one rule unit per task of the family (one-hot, on all trial).
// Outputs: class 0 = fixate, class 1 + k = respond toward direction k.
#pragma once

#include <string>
#include <vector>

#include "plugins/datasets/common/task.h"

namespace biornn::datasets {

// The tasks of the family, in the order of their rule inputs.
const std::vector<std::string>& ring_task_names();

// Adds the options of every ring task: the task options, the timing of the five periods
// (fixation, stimulus1, delay, stimulus2, response), `directions` and `coherences`.
OptionSchema& add_ring_options(OptionSchema& schema);

// A trial of the family. Periods (defaults in ms, + jitter): fixation 300 (+200), stimulus1 300
// (+200), delay 300 (+200), stimulus2 300, response 300; the response starts when the fixation
// input goes off (reactgo/reactanti: when the stimulus appears; their fixation stays on).
// - fdgo / fdanti: one stimulus from stimulus1 to the end; respond toward it / opposite it.
// - reactgo / reactanti: the stimulus appears at the response; respond at once.
// - delaygo / delayanti: the stimulus in stimulus1 only; respond after the delay.
// - dm1 / dm2: two stimuli in modality 1 / 2 from stimulus1 to the response, strengths
//   gamma +- c; respond toward the stronger.
// - ctxdm1 / ctxdm2: two stimuli in each modality (same directions, own coherences); respond
//   toward the stronger in modality 1 / 2, ignoring the other.
// - multidm: the same; respond toward the larger strength summed over both modalities.
// - dmsgo / dmsnogo: stimulus1, a delay, stimulus2 (on through the response); respond toward
//   stimulus2 if the two directions match / do not match, else keep fixating.
// - dmcgo / dmcnogo: the same with categories (directions in the first or second half of the ring).
// The score of a trial (Yang et al.'s): fixation held at every counted step before the response,
// and the mean output over the counted response steps choosing the right class (0 for no-go).
class RingTask : public ChoiceTask {
 public:
  // `tasks`: indices into ring_task_names(); `ratios`: the relative frequency of each.
  RingTask(const std::string& name, const Options& options, std::vector<int> tasks, std::vector<double> ratios);

  // task (index into ring_task_names()), direction1, direction2 (-1: none), coherence (the
  // signed evidence for stimulus 1 in the relevant modality; 0 for other tasks), response
  // (the right class; 0 = keep fixating).
  std::vector<std::string> condition_names() const override;
  std::vector<ConditionKind> condition_kinds() const override;
  std::vector<std::string> condition_labels(size_t c) const override;
  Score score(const float* outputs, int steps, int n, const BatchData& batch) const override;
  std::string describe() const override;

  int directions() const { return directions_; }
  int rule_input(int task) const { return 1 + 2 * directions_ + task; }

 protected:
  void generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const override;

 private:
  struct Stimulus {
    int modality, direction;
    double strength;
    int begin, end;
  };
  struct Plan {
    std::vector<Stimulus> stimuli;
    int fixation_end = 0, response_begin = 0, response = 0;
    float direction1 = -1, direction2 = -1, coherence = 0;
  };
  Plan plan(int task, TrialRandom& rng, const Timeline& line) const;
  Plan go_plan(const std::string& name, TrialRandom& rng, const Timeline& line) const;
  Plan decision_plan(const std::string& name, TrialRandom& rng, const Timeline& line) const;
  Plan match_plan(const std::string& name, TrialRandom& rng, const Timeline& line) const;
  double signed_coherence(TrialRandom& rng) const;
  void write_bump(const TrialWriter& w, const Stimulus& s) const;

  int directions_;
  std::vector<double> coherences_;
  std::vector<int> tasks_;
  std::vector<double> cumulative_;  // cumulative mixing ratios, normalised to end at 1
};

// Indices of the comma-separated task names of option `name` ("unknown task" lists the known).
std::vector<int> ring_tasks_of(const Options& options, const std::string& name);

}  // namespace biornn::datasets
