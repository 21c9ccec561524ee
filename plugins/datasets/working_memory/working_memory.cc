// Dataset working_memory: parametric working memory of Romo, Brody, Hernandez & Lemus 1999.
// A vibration of frequency f1, a delay, a second vibration f2; the network reports whether
// f1 > f2 (choice 1) or f1 < f2 (choice 2). Frequencies are the pairs of Romo et al. with
// |f1 - f2| = 8 Hz between 10 and 34 Hz (the set NeuroGym's DelayComparison uses), each in both
// orders; a frequency f is one input channel of value (1 + (f - 10) / 24) / 2, in [0.5, 1].
#include <memory>

#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/task.h"

namespace biornn::datasets {
namespace {

const std::vector<PeriodSpec> kPeriods = {
    {"fixation", 100, 0}, {"f1", 200, 0}, {"delay", 600, 200}, {"f2", 200, 0}, {"response", 300, 0}};
enum Input { kFixation, kFrequency, kInputs };
constexpr double kPairs[][2] = {{18, 10}, {22, 14}, {26, 18}, {30, 22}, {34, 26}};
constexpr double kLowest = 10, kHighest = 34;

// Choices: 1 = f1 > f2, 2 = f1 < f2.
class WorkingMemory : public ChoiceTask {
 public:
  explicit WorkingMemory(const Options& o) : ChoiceTask("working_memory", o, kPeriods) { features_ = kInputs; }

  std::vector<std::string> condition_names() const override { return {"f1", "f2"}; }
  std::vector<ConditionKind> condition_kinds() const override {
    return {ConditionKind::kMagnitude, ConditionKind::kMagnitude};
  }

  std::string describe() const override {
    return "working_memory: Romo et al. frequency pairs, " + std::to_string(steps_) + " steps of " +
           number(timing_.dt_ms()) + " ms";
  }

 protected:
  void generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const override {
    const auto& pair = kPairs[rng.choice(int(std::size(kPairs)))];
    const bool swap = rng.coin();
    const double f1 = pair[swap ? 1 : 0], f2 = pair[swap ? 0 : 1];
    const Timeline line = draw_timeline(rng, w);
    const int first = 1, second = 3, response = 4;
    write_frequency(rng, w, line, first, f1);
    write_frequency(rng, w, line, second, f2);
    write_fixation_and_choice(w, kFixation, line.begin(response), f1 > f2 ? 1 : 2);
    if (conditions) {
      conditions[0] = float(f1);
      conditions[1] = float(f2);
    }
  }

 private:
  void write_frequency(TrialRandom& rng, const TrialWriter& w, const Timeline& line, int period, double f) const {
    const float value = float((1 + (f - kLowest) / (kHighest - kLowest)) / 2);
    for (int t = line.begin(period); t < line.end(period); ++t) w.x(t, kFrequency) = value;
    add_noise(rng, w, line.begin(period), line.end(period), kFrequency);
  }
};

OptionSchema schema() {
  OptionSchema s;
  add_task_options(s, 0.1);
  add_timing_options(s, kPeriods, 20);
  return s;
}

void register_working_memory(Registry* registry) {
  registry->add<Dataset>("working_memory",
                         "parametric working memory (Romo et al. 1999): is f1 > f2 across a delay? "
                         "(classes 0 fixate, 1 f1 > f2, 2 f1 < f2)",
                         schema(), [](const Options& o) { return std::make_unique<WorkingMemory>(o); });
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("working_memory", "1.0", &biornn::datasets::register_working_memory)
