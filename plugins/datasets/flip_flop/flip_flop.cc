// Dataset flip_flop: the N-bit flip-flop of Sussillo & Barak 2013 (3 bits by default). Each bit
// has an input channel that now and then carries a pulse of +1 or -1; the matching output must
// hold the sign of the last pulse (continuous targets, mean squared error) until the next one.
// Before a bit's first pulse its target is 0.
#include <cmath>
#include <memory>

#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/task.h"

namespace biornn::datasets {
namespace {

class FlipFlop : public TaskDataset {
 public:
  explicit FlipFlop(const Options& o)
      : TaskDataset("flip_flop", o, TargetKind::kStepValue),
        probability_(o.get_float("pulse_probability")),
        pulse_at_start_(o.get_bool("pulse_at_start")) {
    steps_ = int(o.get_int("steps"));
    features_ = outputs_ = int(o.get_int("bits"));
  }

  // bit<k>: the sign the bit holds at the last step (0 if it never got a pulse).
  std::vector<std::string> condition_names() const override {
    std::vector<std::string> names;
    for (int k = 0; k < outputs_; ++k) names.push_back("bit" + std::to_string(k));
    return names;
  }
  // A bit's held sign (-1, 0, +1) labels a state, not evidence for a choice.
  std::vector<ConditionKind> condition_kinds() const override {
    return std::vector<ConditionKind>(size_t(outputs_), ConditionKind::kCategory);
  }

  // Of the (step, bit) pairs after that bit's first pulse, those whose output has the target's
  // sign.
  Score score(const float* outputs, int steps, int n, const BatchData& b) const override {
    Score s;
    const size_t cells = size_t(steps) * n * outputs_;
    for (size_t k = 0; k < cells; ++k) {
      if (b.targets[k] == 0) continue;
      s.correct += (outputs[k] > 0) == (b.targets[k] > 0);
      s.counted += 1;
    }
    return s;
  }

  std::string describe() const override {
    return "flip_flop: " + std::to_string(outputs_) + " bits, " + std::to_string(steps_) +
           " steps, pulse probability " + number(probability_);
  }

 protected:
  void generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const override {
    for (int k = 0; k < outputs_; ++k) {
      float held = 0;
      for (int t = 0; t < steps_; ++t) {
        const bool pulse = (t == 0 && pulse_at_start_) || rng.uniform() < probability_;
        if (pulse) {
          held = rng.coin() ? 1.0f : -1.0f;
          w.x(t, k) = held;
        }
        w.target(t, k) = held;
      }
      add_noise(rng, w, 0, steps_, k);
      if (conditions) conditions[k] = held;
    }
    for (int t = 0; t < steps_; ++t) w.mask(t) = 1;
  }

 private:
  double probability_;
  bool pulse_at_start_;
};

OptionSchema schema() {
  OptionSchema s;
  add_task_options(s, 0.0);
  s.add_int("bits", 3, "number of bits (input channels and outputs)", 1, 16)
      .add_int("steps", 100, "steps per trial", 1, 100000)
      .add_float("pulse_probability", 0.05, "chance of a pulse on a bit at each step", 0, 1)
      .add_bool("pulse_at_start", true,
                "every bit gets a pulse at step 0, so that every step has a defined memory state");
  return s;
}

void register_flip_flop(Registry* registry) {
  registry->add<Dataset>("flip_flop",
                         "N-bit flip-flop (Sussillo & Barak 2013): each output holds the sign of its input's last "
                         "pulse (continuous targets)",
                         schema(), [](const Options& o) { return std::make_unique<FlipFlop>(o); });
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("flip_flop", "1.0", &biornn::datasets::register_flip_flop)
