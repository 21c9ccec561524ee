// Dataset adding: the adding problem (Hochreiter & Schmidhuber 1997; in the form of Arjovsky et
// al. 2016 and Li et al. 2023). Channel 0 carries T numbers uniform in [0, 1]; channel 1 marks
// two of them, one in each half of the sequence; at the last step the output must be their sum
// (continuous target, mean squared error on the last step only). Predicting the mean, 1, gives
// an expected squared error of 1/6 = 0.167.
#include <memory>

#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/task.h"

namespace biornn::datasets {
namespace {

class Adding : public TaskDataset {
 public:
  explicit Adding(const Options& o)
      : TaskDataset("adding", o, TargetKind::kStepValue), tolerance_(o.get_float("tolerance")) {
    steps_ = int(o.get_int("steps"));
    features_ = 2;
    outputs_ = 1;
  }

  // first, second: the two marked numbers.
  std::vector<std::string> condition_names() const override { return {"first", "second"}; }
  std::vector<ConditionKind> condition_kinds() const override {
    return {ConditionKind::kMagnitude, ConditionKind::kMagnitude};
  }

  // Trials whose squared error at the last (masked) step is below `tolerance`.
  Score score(const float* outputs, int steps, int n, const BatchData& b) const override {
    Score s;
    for (size_t row = 0; row < size_t(steps) * n; ++row) {
      if (b.mask[row] <= 0) continue;
      const double e = double(outputs[row]) - b.targets[row];
      s.correct += e * e < tolerance_;
      s.counted += 1;
    }
    return s;
  }

  std::string describe() const override { return "adding: T = " + std::to_string(steps_) + " steps"; }

 protected:
  void generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const override {
    const int half = steps_ / 2;
    const int first = rng.choice(half), second = half + rng.choice(steps_ - half);
    for (int t = 0; t < steps_; ++t) w.x(t, 0) = float(rng.uniform());
    add_noise(rng, w, 0, steps_, 0);
    w.x(first, 1) = w.x(second, 1) = 1;
    w.target(steps_ - 1, 0) = w.x(first, 0) + w.x(second, 0);
    w.mask(steps_ - 1) = 1;
    if (conditions) {
      conditions[0] = w.x(first, 0);
      conditions[1] = w.x(second, 0);
    }
  }

 private:
  double tolerance_;
};

OptionSchema schema() {
  OptionSchema s;
  add_task_options(s, 0.0);
  s.add_int("steps", 100, "T, the sequence length (one marked number in each half)", 2, 100000)
      .add_float("tolerance", 0.04, "a trial counts as right in the score when its squared error is below this", 0, 100,
                 true);
  return s;
}

void register_adding(Registry* registry) {
  registry->add<Dataset>("adding",
                         "adding problem: output the sum of the two marked numbers of a sequence at its end "
                         "(continuous target)",
                         schema(), [](const Options& o) { return std::make_unique<Adding>(o); });
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("adding", "1.0", &biornn::datasets::register_adding)
