// Dataset perceptual_decision: random-dots two-alternative forced choice (e.g. Britten et al.
// 1992; NeuroGym's PerceptualDecisionMaking). Two noisy evidence channels, (1 + c)/2 for the
// right choice and (1 - c)/2 for the other, at coherence c; the network fixates (class 0) until
// the response period and then reports choice 1 or 2.
#include <memory>

#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/task.h"

namespace biornn::datasets {
namespace {

const std::vector<PeriodSpec> kPeriods = {{"fixation", 100, 0}, {"stimulus", 600, 0}, {"response", 300, 0}};
enum Input { kFixation, kEvidence1, kEvidence2, kInputs };

class PerceptualDecision : public ChoiceTask {
 public:
  explicit PerceptualDecision(const Options& o)
      : ChoiceTask("perceptual_decision", o, kPeriods), coherences_(number_list(o, "coherences")) {
    features_ = kInputs;
  }

  std::vector<std::string> condition_names() const override { return {"coherence"}; }
  std::vector<ConditionKind> condition_kinds() const override { return {ConditionKind::kSignedEvidence}; }

  std::string describe() const override {
    return "perceptual_decision: " + std::to_string(coherences_.size()) + " coherence levels, " +
           std::to_string(steps_) + " steps of " + number(timing_.dt_ms()) + " ms";
  }

 protected:
  // Condition "coherence": signed, > 0 when the evidence favours choice 2.
  void generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const override {
    const double c = coherences_[size_t(rng.choice(int(coherences_.size())))];
    const int choice = rng.coin() ? 2 : 1;
    const Timeline line = draw_timeline(rng, w);
    const int stimulus = 1, response = 2;
    const double signed_c = choice == 2 ? c : -c;
    write_evidence(rng, w, line.begin(stimulus), line.end(stimulus), signed_c, kEvidence1, kEvidence2);
    write_fixation_and_choice(w, kFixation, line.begin(response), choice);
    if (conditions) conditions[0] = float(signed_c);
  }

 private:
  std::vector<double> coherences_;
};

OptionSchema schema() {
  OptionSchema s;
  add_task_options(s, 0.3);
  add_timing_options(s, kPeriods, 20);
  s.add_numbers("coherences", {0, 0.032, 0.064, 0.128, 0.256, 0.512},
                "coherence levels; each trial draws one, and a side", 0, 1);
  return s;
}

void register_perceptual_decision(Registry* registry) {
  registry->add<Dataset>("perceptual_decision",
                         "random-dots two-alternative choice: fixate, integrate two noisy channels, report the "
                         "stronger one (classes 0 fixate, 1, 2)",
                         schema(), [](const Options& o) { return std::make_unique<PerceptualDecision>(o); });
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("perceptual_decision", "1.0", &biornn::datasets::register_perceptual_decision)
