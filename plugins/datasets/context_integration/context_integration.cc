// Dataset context_integration: context-dependent integration of Mante, Sussillo, Shenoy &
// Newsome 2013. Two noisy stimuli (motion and colour, each as two evidence channels) are shown
// at once; a context cue says which one to integrate, and the network reports that stimulus's
// sign (choice 1 or 2) in the response period, ignoring the other.
#include <memory>

#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/task.h"

namespace biornn::datasets {
namespace {

const std::vector<PeriodSpec> kPeriods = {
    {"fixation", 100, 0}, {"stimulus", 600, 0}, {"delay", 100, 0}, {"response", 300, 0}};
enum Input { kFixation, kMotion1, kMotion2, kColour1, kColour2, kContextMotion, kContextColour, kInputs };

class ContextIntegration : public ChoiceTask {
 public:
  explicit ContextIntegration(const Options& o)
      : ChoiceTask("context_integration", o, kPeriods), coherences_(number_list(o, "coherences")) {
    features_ = kInputs;
  }

  // context: 0 = integrate motion, 1 = integrate colour; motion, colour: signed coherences,
  // > 0 when that stimulus favours choice 2.
  std::vector<std::string> condition_names() const override { return {"context", "motion", "colour"}; }
  std::vector<ConditionKind> condition_kinds() const override {
    return {ConditionKind::kCategory, ConditionKind::kSignedEvidence, ConditionKind::kSignedEvidence};
  }

  std::string describe() const override {
    return "context_integration: " + std::to_string(coherences_.size()) + " coherence levels per stimulus, " +
           std::to_string(steps_) + " steps of " + number(timing_.dt_ms()) + " ms";
  }

 protected:
  void generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const override {
    const int context = rng.choice(2);
    const double motion = signed_coherence(rng), colour = signed_coherence(rng);
    const double relevant = context == 0 ? motion : colour;
    const int choice = relevant > 0 ? 2 : relevant < 0 ? 1 : (rng.coin() ? 2 : 1);
    const Timeline line = draw_timeline(rng, w);
    const int stimulus = 1, response = 3;
    for (int t = 0; t < steps_; ++t) w.x(t, context == 0 ? kContextMotion : kContextColour) = 1;
    const int begin = line.begin(stimulus), end = line.end(stimulus);
    write_evidence(rng, w, begin, end, motion, kMotion1, kMotion2);
    write_evidence(rng, w, begin, end, colour, kColour1, kColour2);
    write_fixation_and_choice(w, kFixation, line.begin(response), choice);
    if (conditions) {
      conditions[0] = float(context);
      conditions[1] = float(motion);
      conditions[2] = float(colour);
    }
  }

 private:
  double signed_coherence(TrialRandom& rng) const {
    const double c = coherences_[size_t(rng.choice(int(coherences_.size())))];
    return rng.coin() ? c : -c;
  }

  std::vector<double> coherences_;
};

OptionSchema schema() {
  OptionSchema s;
  add_task_options(s, 0.3);
  add_timing_options(s, kPeriods, 20);
  s.add_numbers("coherences", {0.05, 0.15, 0.5}, "coherence levels; each stimulus draws one and a sign", 0, 1);
  return s;
}

void register_context_integration(Registry* registry) {
  registry->add<Dataset>("context_integration",
                         "context-dependent integration (Mante et al. 2013): integrate the stimulus the context cue "
                         "names, ignore the other (classes 0 fixate, 1, 2)",
                         schema(), [](const Options& o) { return std::make_unique<ContextIntegration>(o); });
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("context_integration", "1.0", &biornn::datasets::register_context_integration)
