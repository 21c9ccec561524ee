#include "plugins/datasets/common/ring_task.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/sdk/error.h"

namespace biornn::datasets {

namespace {

const std::vector<PeriodSpec> kRingPeriods = {
    {"fixation", 300, 200}, {"stimulus1", 300, 200}, {"delay", 300, 200}, {"stimulus2", 300, 0}, {"response", 300, 0}};
enum Period { kFixationPeriod, kStimulus1, kDelay, kStimulus2, kResponse };

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

const std::vector<std::string>& ring_task_names() {
  static const std::vector<std::string> names = {"fdgo",      "reactgo", "delaygo", "fdanti", "reactanti",
                                                 "delayanti", "dm1",     "dm2",     "ctxdm1", "ctxdm2",
                                                 "multidm",   "dmsgo",   "dmsnogo", "dmcgo",  "dmcnogo"};
  return names;
}

OptionSchema& add_ring_options(OptionSchema& schema) {
  add_task_options(schema, 0.1);
  add_timing_options(schema, kRingPeriods, 20);
  schema.add_int("directions", 8, "ring units per modality (stimulus and response directions); a multiple of 4", 4, 64);
  schema.add_numbers("coherences", {0.08, 0.16, 0.32},
                     "decision tasks: the strength differences c of the two stimuli (gamma + c, gamma - c)", 0, 1);
  return schema;
}

std::vector<int> ring_tasks_of(const Options& options, const std::string& name) {
  const std::vector<std::string>& known = ring_task_names();
  std::vector<int> tasks;
  for (const std::string& item : options.get_strings(name)) {
    const auto at = std::find(known.begin(), known.end(), item);
    if (at == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error(options.where(name), name + ": unknown task '" + item + "' (known tasks: " + list + ")");
    }
    tasks.push_back(int(at - known.begin()));
  }
  if (tasks.empty()) throw Error(options.where(name), name + ": name at least one task");
  return tasks;
}

RingTask::RingTask(const std::string& name, const Options& o, std::vector<int> tasks, std::vector<double> ratios)
    : ChoiceTask(name, o, kRingPeriods),
      directions_(int(o.get_int("directions"))),
      coherences_(number_list(o, "coherences")),
      tasks_(std::move(tasks)) {
  if (directions_ % 4 != 0)
    throw Error(o.where("directions"), name + ": directions is " + std::to_string(directions_) +
                                           ", it must be a multiple of 4 (anti responses and decision stimuli "
                                           "are a half and a quarter of the ring apart)");
  if (timing_.grace_steps() < 1)
    throw Error(o.where("grace_ms"), name +
                                         ": grace_ms must be at least one step: the score finds the response "
                                         "period of a no-go trial by its unweighted first steps");
  if (ratios.size() != tasks_.size())
    throw Error(o.where(), name + ": " + std::to_string(ratios.size()) + " ratios for " +
                               std::to_string(tasks_.size()) + " tasks");
  double total = 0;
  for (double r : ratios) cumulative_.push_back(total += r);
  if (total <= 0) throw Error(o.where(), name + ": the mixing ratios sum to 0");
  for (double& c : cumulative_) c /= total;
  features_ = 1 + 2 * directions_ + int(ring_task_names().size());
  outputs_ = 1 + directions_;
}

std::vector<std::string> RingTask::condition_names() const {
  return {"task", "direction1", "direction2", "coherence", "response"};
}

// task and response (0: hold fixation, 1 + k: direction k) are labels; the directions are
// indices on the ring; coherence is the signed evidence of the decision tasks (0 elsewhere).
std::vector<ConditionKind> RingTask::condition_kinds() const {
  return {ConditionKind::kCategory, ConditionKind::kCircular, ConditionKind::kCircular, ConditionKind::kSignedEvidence,
          ConditionKind::kCategory};
}

// The task condition's values index ring_task_names().
std::vector<std::string> RingTask::condition_labels(size_t c) const {
  return c == 0 ? ring_task_names() : std::vector<std::string>{};
}

std::string RingTask::describe() const {
  std::string list;
  for (int t : tasks_) list += (list.empty() ? "" : ", ") + ring_task_names()[size_t(t)];
  return name() + ": " + list + " (" + std::to_string(directions_) + " directions, " + std::to_string(steps_) +
         " steps of " + number(timing_.dt_ms()) + " ms)";
}

void RingTask::generate(TrialRandom& rng, const TrialWriter& w, float* conditions) const {
  const double u = rng.uniform();
  const size_t pick = size_t(std::upper_bound(cumulative_.begin(), cumulative_.end() - 1, u) - cumulative_.begin());
  const int task = tasks_[pick];
  const Timeline line = draw_timeline(rng, w);
  const Plan p = plan(task, rng, line);
  for (const Stimulus& s : p.stimuli) write_bump(w, s);
  for (int f = 1; f <= 2 * directions_; ++f) add_noise(rng, w, 0, steps_, f);
  for (int t = 0; t < steps_; ++t) {
    w.x(t, rule_input(task)) = 1;
    if (t < p.fixation_end) w.x(t, 0) = 1;
  }
  write_choice_targets(w, timing_, p.response_begin, steps_, p.response);
  if (!conditions) return;
  const float values[] = {float(task), p.direction1, p.direction2, p.coherence, float(p.response)};
  std::copy(std::begin(values), std::end(values), conditions);
}

// Yang et al.'s tuning: 0.8 exp(-d^2 / 2) with d the angular distance in units of pi / 8.
void RingTask::write_bump(const TrialWriter& w, const Stimulus& s) const {
  const double kPi = 3.14159265358979323846;
  for (int j = 0; j < directions_; ++j) {
    const int steps_apart = std::abs(j - s.direction) % directions_;
    const double angle = 2 * kPi * std::min(steps_apart, directions_ - steps_apart) / directions_;
    const double d = angle / (kPi / 8);
    const float v = float(s.strength * 0.8 * std::exp(-d * d / 2));
    for (int t = s.begin; t < s.end; ++t) w.x(t, 1 + s.modality * directions_ + j) += v;
  }
}

RingTask::Plan RingTask::plan(int task, TrialRandom& rng, const Timeline& line) const {
  const std::string& name = ring_task_names()[size_t(task)];
  if (starts_with(name, "dm") && name.size() > 3) return match_plan(name, rng, line);  // dmsgo ... dmcnogo
  if (name.find("dm") != std::string::npos) return decision_plan(name, rng, line);
  return go_plan(name, rng, line);
}

RingTask::Plan RingTask::go_plan(const std::string& name, TrialRandom& rng, const Timeline& line) const {
  Plan p;
  const int direction = rng.choice(directions_), modality = rng.choice(2);
  const bool anti = name.find("anti") != std::string::npos;
  p.response_begin = line.begin(kResponse);
  p.fixation_end = line.begin(kResponse);
  Stimulus s{modality, direction, 1.0, line.begin(kStimulus1), steps_};
  if (starts_with(name, "react")) {
    s.begin = line.begin(kResponse);
    p.fixation_end = steps_;  // the stimulus's onset is the go cue
  } else if (starts_with(name, "delay")) {
    s.end = line.end(kStimulus1);
  }
  p.stimuli.push_back(s);
  p.response = 1 + (anti ? (direction + directions_ / 2) % directions_ : direction);
  p.direction1 = float(direction);
  return p;
}

double RingTask::signed_coherence(TrialRandom& rng) const {
  const double c = coherences_[size_t(rng.choice(int(coherences_.size())))];
  return rng.coin() ? c : -c;
}

RingTask::Plan RingTask::decision_plan(const std::string& name, TrialRandom& rng, const Timeline& line) const {
  Plan p;
  const int d1 = rng.choice(directions_);
  const int d2 = (d1 + directions_ / 4 + rng.choice(directions_ / 2 + 1)) % directions_;
  double c[2] = {signed_coherence(rng), signed_coherence(rng)};
  while (name == "multidm" && c[0] + c[1] == 0) c[1] = signed_coherence(rng);
  const int begin = line.begin(kStimulus1), end = line.begin(kResponse);
  const bool one_modality = name == "dm1" || name == "dm2";
  for (int m = 0; m < 2; ++m) {
    if (one_modality && m != (name == "dm1" ? 0 : 1)) continue;
    const double gamma = rng.uniform(0.8, 1.2);
    p.stimuli.push_back({m, d1, gamma + c[m], begin, end});
    p.stimuli.push_back({m, d2, gamma - c[m], begin, end});
  }
  const double evidence = name == "multidm" ? c[0] + c[1] : (name == "dm2" || name == "ctxdm2") ? c[1] : c[0];
  p.fixation_end = p.response_begin = end;
  p.response = 1 + (evidence > 0 ? d1 : d2);
  p.direction1 = float(d1);
  p.direction2 = float(d2);
  p.coherence = float(evidence);
  return p;
}

RingTask::Plan RingTask::match_plan(const std::string& name, TrialRandom& rng, const Timeline& line) const {
  Plan p;
  const int N = directions_, modality = rng.choice(2), d1 = rng.choice(N);
  const bool by_category = name[2] == 'c', match = rng.coin();
  int d2;
  if (!by_category) {
    d2 = match ? d1 : (d1 + 1 + rng.choice(N - 1)) % N;
  } else {
    const int category = d1 / (N / 2), other = match ? category : 1 - category;
    d2 = other * (N / 2) + rng.choice(N / 2);
  }
  p.stimuli.push_back({modality, d1, 1.0, line.begin(kStimulus1), line.end(kStimulus1)});
  p.stimuli.push_back({modality, d2, 1.0, line.begin(kStimulus2), steps_});
  p.fixation_end = p.response_begin = line.begin(kResponse);
  const bool go = name.find("nogo") == std::string::npos ? match : !match;
  p.response = go ? 1 + d2 : 0;
  p.direction1 = float(d1);
  p.direction2 = float(d2);
  return p;
}

// Per trial: the response starts at its first unweighted (grace) step; every counted step before
// it must choose class 0, and the mean output over the counted steps after it the right class.
Score RingTask::score(const float* outputs, int steps, int n, const BatchData& b) const {
  const int O = outputs_;
  Score s;
  for (int i = 0; i < n; ++i) {
    bool fixated = true, in_response = false;
    std::vector<double> sum(size_t(O), 0.0);
    int label = -1;
    for (int t = 0; t < steps; ++t) {
      const size_t row = size_t(t) * n + i;
      const float* out = outputs + row * O;
      if (b.mask[row] <= 0) {
        in_response = in_response || t > 0;
        continue;
      }
      if (!in_response) {
        fixated = fixated && std::max_element(out, out + O) == out;
        continue;
      }
      label = b.labels[row];
      for (int c = 0; c < O; ++c) sum[size_t(c)] += out[c];
    }
    if (label < 0) continue;
    s.correct += fixated && int(std::max_element(sum.begin(), sum.end()) - sum.begin()) == label;
    s.counted += 1;
  }
  return s;
}

}  // namespace biornn::datasets
