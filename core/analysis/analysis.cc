#include "core/analysis/analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include <spdlog/fmt/fmt.h>

#include "core/sdk/error.h"

namespace biornn {

namespace {

// The task's score of trial i alone, as correct / counted (0 when nothing counts).
float trial_score(const Dataset& d, Activity& a, int i) {
  const int T = a.steps, n = a.trials, O = a.output_size;
  const size_t steps = static_cast<size_t>(T);
  std::vector<float> out(steps * O), targets(steps * O), mask(steps);
  std::vector<int32_t> labels(steps);
  for (int t = 0; t < T; ++t) {
    const size_t row = size_t(t) * n + i;
    std::copy_n(a.outputs.begin() + ptrdiff_t(row * O), O, out.begin() + ptrdiff_t(t) * O);
    std::copy_n(a.targets.begin() + ptrdiff_t(row * O), O, targets.begin() + ptrdiff_t(t) * O);
    mask[size_t(t)] = a.mask[row];
    labels[size_t(t)] = a.labels[row];
  }
  const Score s = d.score(out.data(), T, 1, BatchData{nullptr, labels.data(), targets.data(), mask.data()});
  return s.counted > 0 ? float(s.correct / s.counted) : 0.0f;
}

}  // namespace

std::vector<float> record_states(RecurrentLayer& layer, const float* input, int T, int n) {
  const int S = layer.state_size(), F = layer.features();
  std::vector<float> states(size_t(T) * n * S), s(size_t(n) * S);
  MatrixMap s0(s.data(), n, S, Eigen::OuterStride<>(S));
  const auto* cell = dynamic_cast<const StepCell*>(&layer.cell());
  if (!cell)
    throw Error("layer '" + layer.name() + "': its cell runs whole sequences, so its states cannot be stepped");
  cell->initial(s0);
  for (int t = 0; t < T; ++t) {
    float* next = states.data() + size_t(t) * n * S;
    layer.step(s.data(), input + size_t(t) * n * F, n, next);
    std::copy(next, next + size_t(n) * S, s.begin());
  }
  return states;
}

Activity record_activity(Model& model, const Dataset& d, Split split, const std::vector<int64_t>& indices) {
  if (d.target_kind() == TargetKind::kSequenceClass)
    throw Error("analysis needs a dataset with targets at every step (a task such as flip_flop); " + d.describe() +
                " has one label per sequence");
  if (model.readout().pooling() != Pooling::kAll)
    throw Error("analysis needs the readout's output at every step: set pooling = \"all\" in the readout node");
  Activity a;
  a.steps = d.steps();
  a.trials = int(indices.size());
  a.features = d.features();
  a.output_size = d.classes();
  const int T = a.steps, n = a.trials;
  const size_t rows = size_t(T) * n;
  a.x.resize(rows * a.features);
  a.labels.assign(rows, 0);
  a.targets.assign(rows * a.output_size, 0.0f);
  a.mask.resize(rows);
  d.fill(split, indices.data(), n, a.batch());
  a.conditions.resize(size_t(n) * d.condition_names().size());
  a.condition_kinds = d.condition_kinds();
  if (a.condition_kinds.size() != d.condition_names().size())
    throw Error(d.describe() + ": condition_kinds() gives " + std::to_string(a.condition_kinds.size()) + " kinds for " +
                std::to_string(d.condition_names().size()) + " condition names (one each)");
  d.conditions(split, indices.data(), n, a.conditions.data());
  a.period_names = d.period_names();
  if (!a.period_names.empty()) {
    a.periods.assign(rows, 0);
    d.periods(split, indices.data(), n, a.periods.data());
  }

  model.run(Minibatch{a.batch(), T, n}, false);
  const Matrix& out = model.readout().outputs();
  a.outputs.assign(out.data(), out.data() + out.size());
  RecurrentLayer& last = *model.layers().back();
  a.hidden = last.hidden();
  a.rates.assign(last.outputs(), last.outputs() + rows * a.hidden);
  if (last.gates()) a.gates.assign(last.gates(), last.gates() + rows * a.hidden);
  if (why_no_step_map(last).empty()) {
    const auto& layers = model.layers();
    std::vector<float> below;  // the last layer's input: the layer below's rates, or the data
    if (layers.size() > 1) {
      const RecurrentLayer& prev = *layers[layers.size() - 2];
      below.assign(prev.outputs(), prev.outputs() + rows * prev.hidden());
    }
    a.states = record_states(last, layers.size() > 1 ? below.data() : a.x.data(), T, n);
    a.state_size = last.state_size();
  }
  for (int i = 0; i < n; ++i) a.correct.push_back(trial_score(d, a, i));
  if (d.target_kind() == TargetKind::kStepClass)
    for (int i = 0; i < n; ++i) a.decisions.push_back(decision(a.outputs.data(), T, n, a.output_size, a.batch(), i));
  return a;
}

std::string why_no_step_map(const RecurrentLayer& layer) {
  if (!layer.cell().runs_whole_sequence()) return "";
  return "layer '" + layer.name() +
         "' has a whole-sequence cell (gru/lstm run every step inside oneDNN's RNN "
         "primitive, which starts from its own zero state and gives neither one step from a chosen state nor its "
         "Jacobian); fixed points need a per-step cell, e.g. the simple GRU: plugin = \"rate\" with gate = "
         "{ plugin = \"learned\" }";
}

LayerStepMap::LayerStepMap(RecurrentLayer& layer, std::vector<float> input) : layer_(layer), input_(std::move(input)) {
  const std::string why = why_no_step_map(layer);
  if (!why.empty()) throw Error("fixed points: " + why);
  if (int(input_.size()) != layer.features())
    throw Error("fixed points: the input x* has " + std::to_string(input_.size()) + " values, layer '" + layer.name() +
                "' reads " + std::to_string(layer.features()));
  layer_.prepare();
}

void LayerStepMap::apply(const float* h, int n, float* f) {
  x_.resize(size_t(n) * input_.size());
  for (int i = 0; i < n; ++i) std::copy(input_.begin(), input_.end(), x_.begin() + ptrdiff_t(i) * input_.size());
  layer_.step(h, x_.data(), n, f);
}

void LayerStepMap::vector_jacobian(const float* v, int n, float* g) {
  if (x_.size() != size_t(n) * input_.size())
    throw Error("fixed points: vector_jacobian() on " + std::to_string(n) + " rows after apply() on another number");
  layer_.step_backward(x_.data(), v, g);
}

void LayerStepMap::input_vector_jacobian(const float* v, int n, float* g) {
  if (x_.size() != size_t(n) * input_.size())
    throw Error("fixed points: input_vector_jacobian() on " + std::to_string(n) +
                " rows after apply() on another number");
  std::fill_n(g, x_.size(), 0.0f);  // backward() adds dF/dx^T v
  std::vector<float> d_state(size_t(n) * layer_.state_size());
  layer_.backward(x_.data(), nullptr, g, 1, StateGradients{v, d_state.data()});
}

void LayerStepMap::set_input(std::vector<float> input) {
  if (input.size() != input_.size())
    throw Error("fixed points: the input x* has " + std::to_string(input.size()) + " values, layer '" + layer_.name() +
                "' reads " + std::to_string(input_.size()));
  input_ = std::move(input);
  x_.clear();
}

namespace {

ConditionKind kind_of(const Activity& a, size_t c) {
  return c < a.condition_kinds.size() ? a.condition_kinds[c] : ConditionKind::kMagnitude;
}

// The category condition named "context" (Mante et al. 2013), or -1.
int context_column(const Activity& a, const std::vector<std::string>& names) {
  const auto at = std::find(names.begin(), names.end(), "context");
  const int c = at == names.end() ? -1 : int(at - names.begin());
  return c >= 0 && kind_of(a, size_t(c)) == ConditionKind::kCategory ? c : -1;
}

bool signed_evidence(const Activity& a, size_t c) { return kind_of(a, c) == ConditionKind::kSignedEvidence; }

struct Tally {
  int trials = 0, choice2 = 0;
  double correct = 0;
};

// Tallies of condition c per (context, key(value)) over every trial.
template <class Key>
std::map<float, std::map<float, Tally>> tally(const Activity& a, size_t C, size_t c, int context, Key key) {
  std::map<float, std::map<float, Tally>> by;
  for (int i = 0; i < a.trials; ++i) {
    const float ctx = context < 0 ? 0 : a.conditions[size_t(i) * C + size_t(context)];
    Tally& t = by[ctx][key(a.conditions[size_t(i) * C + c])];
    t.trials += 1;
    t.choice2 += a.decisions[size_t(i)] == 2;
    t.correct += a.correct[size_t(i)];
  }
  return by;
}

size_t distinct_values(const Activity& a, size_t C, size_t c) {
  std::set<float> values;
  for (int i = 0; i < a.trials; ++i) values.insert(a.conditions[size_t(i) * C + c]);
  return values.size();
}

}  // namespace

std::vector<ChoiceRow> choice_table(const Activity& a, const std::vector<std::string>& names, size_t max_values) {
  if (a.decisions.empty()) throw Error("a psychometric table needs a choice task (trials with decisions)");
  const size_t C = names.size();
  const int context = context_column(a, names);
  std::vector<ChoiceRow> rows;
  for (size_t c = 0; c < C; ++c) {
    if (!signed_evidence(a, c) || distinct_values(a, C, c) > max_values) continue;
    for (const auto& [ctx, by_value] : tally(a, C, c, context, [](float v) { return v; }))
      for (const auto& [v, t] : by_value)
        rows.push_back({names[c], ctx, v, t.trials, 100.0 * t.choice2 / t.trials, 100.0 * t.correct / t.trials});
  }
  return rows;
}

std::vector<std::string> accuracy_by_magnitude(const Activity& a, const std::vector<std::string>& names) {
  const size_t C = names.size();
  const int context = context_column(a, names);
  std::vector<std::string> lines;
  for (size_t c = 0; c < C; ++c) {
    if (!signed_evidence(a, c) || a.decisions.empty() || distinct_values(a, C, c) > 24) continue;
    for (const auto& [ctx, by_value] : tally(a, C, c, context, [](float v) { return std::fabs(v); })) {
      std::string line = "% correct by |" + names[c] + "|";
      if (context >= 0) line += fmt::format(" in context {:g}", ctx);
      line += ":";
      for (const auto& [v, t] : by_value)
        line += fmt::format(" {:g} {:.1f}% ({}),", v, 100.0 * t.correct / t.trials, t.trials);
      line.pop_back();
      lines.push_back(line);
    }
  }
  return lines;
}

namespace {

// % correct of the trials of condition c whose value v has keep(v).
template <class Keep>
ConditionScore score_in(const Activity& a, size_t C, size_t c, Keep keep, std::string label, const std::string& name) {
  ConditionScore row{name, std::move(label), 0, 0};
  for (int i = 0; i < a.trials; ++i) {
    if (!keep(a.conditions[size_t(i) * C + c])) continue;
    row.trials += 1;
    row.correct += a.correct[size_t(i)];
  }
  row.correct = row.trials ? 100.0 * row.correct / row.trials : 0;
  return row;
}

// Quartile bins of a magnitude with many values: (-inf, q1], (q1, q2], (q2, q3], (q3, max].
void add_quartiles(const Activity& a, size_t C, size_t c, const std::vector<float>& sorted, const std::string& name,
                   std::vector<ConditionScore>* rows) {
  float lo = -std::numeric_limits<float>::infinity();
  for (int q = 1; q <= 4; ++q) {
    const float hi = q == 4 ? sorted.back() : sorted[sorted.size() * size_t(q) / 4 - 1];
    if (hi <= lo) continue;  // ties: an empty bin
    const std::string label = fmt::format("{:.3g} to {:.3g}", q == 1 ? sorted.front() : lo, hi);
    rows->push_back(score_in(
        a, C, c, [lo, hi](float v) { return v > lo && v <= hi; }, label, name));
    lo = hi;
  }
}

}  // namespace

std::vector<ConditionScore> scores_by_condition(const Activity& a, const std::vector<std::string>& names,
                                                size_t max_values) {
  const size_t C = names.size();
  std::vector<ConditionScore> rows;
  for (size_t c = 0; c < C; ++c) {
    if (signed_evidence(a, c) || a.trials == 0) continue;
    std::vector<float> sorted;
    for (int i = 0; i < a.trials; ++i) sorted.push_back(a.conditions[size_t(i) * C + c]);
    std::sort(sorted.begin(), sorted.end());
    std::vector<float> values = sorted;
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (values.size() <= max_values) {
      for (float v : values)
        rows.push_back(score_in(
            a, C, c, [v](float x) { return x == v; }, fmt::format("{:g}", v), names[c]));
    } else if (kind_of(a, c) == ConditionKind::kMagnitude) {
      add_quartiles(a, C, c, sorted, names[c], &rows);
    }
  }
  return rows;
}

int task_condition(const std::vector<std::string>& names) {
  const auto at = std::find(names.begin(), names.end(), "task");
  return at == names.end() ? -1 : int(at - names.begin());
}

std::vector<TaskScore> scores_per_task(const Activity& a, const std::vector<std::string>& names,
                                       const std::vector<std::string>& task_labels) {
  const int task_c = task_condition(names);
  if (task_c < 0 || kind_of(a, size_t(task_c)) != ConditionKind::kCategory) return {};
  const size_t C = names.size(), c = size_t(task_c);
  std::map<int, TaskScore> by;
  for (int i = 0; i < a.trials; ++i) {
    const int task = int(a.conditions[size_t(i) * C + c]);
    TaskScore& t = by[task];
    t.task = task;
    t.trials += 1;
    t.correct += a.correct[size_t(i)];
  }
  std::vector<TaskScore> out;
  for (auto& [task, t] : by) {
    t.name = task >= 0 && size_t(task) < task_labels.size() ? task_labels[size_t(task)] : std::to_string(task);
    t.correct = 100 * t.correct / t.trials;
    out.push_back(t);
  }
  return out;
}

namespace {

// Rows of a time-major [T, n, width] array for trials `keep`: [T, keep.size(), width].
template <class V>
V time_major_rows(const V& v, int T, int n, const std::vector<int>& keep) {
  if (v.empty()) return v;
  const size_t width = v.size() / (size_t(T) * size_t(n));
  V out;
  out.reserve(size_t(T) * keep.size() * width);
  for (int t = 0; t < T; ++t)
    for (int i : keep) {
      const auto from = v.begin() + ptrdiff_t((size_t(t) * size_t(n) + size_t(i)) * width);
      out.insert(out.end(), from, from + ptrdiff_t(width));
    }
  return out;
}

// Rows of a trial-major [n, width] array for trials `keep`.
template <class V>
V trial_rows(const V& v, int n, const std::vector<int>& keep) {
  if (v.empty()) return v;
  const size_t width = v.size() / size_t(n);
  V out;
  for (int i : keep)
    out.insert(out.end(), v.begin() + ptrdiff_t(size_t(i) * width), v.begin() + ptrdiff_t((size_t(i) + 1) * width));
  return out;
}

}  // namespace

Activity select_trials(const Activity& a, const std::vector<int>& keep) {
  for (int i : keep)
    if (i < 0 || i >= a.trials)
      throw Error("select_trials: trial " + std::to_string(i) + " of " + std::to_string(a.trials));
  Activity s = a;
  const int T = a.steps, n = a.trials;
  s.trials = int(keep.size());
  s.x = time_major_rows(a.x, T, n, keep);
  s.rates = time_major_rows(a.rates, T, n, keep);
  s.gates = time_major_rows(a.gates, T, n, keep);
  s.states = time_major_rows(a.states, T, n, keep);
  s.outputs = time_major_rows(a.outputs, T, n, keep);
  s.labels = time_major_rows(a.labels, T, n, keep);
  s.targets = time_major_rows(a.targets, T, n, keep);
  s.mask = time_major_rows(a.mask, T, n, keep);
  s.periods = time_major_rows(a.periods, T, n, keep);
  s.conditions = trial_rows(a.conditions, n, keep);
  s.correct = trial_rows(a.correct, n, keep);
  s.decisions = trial_rows(a.decisions, n, keep);
  return s;
}

}  // namespace biornn
