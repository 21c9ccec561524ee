// Analysis of trained networks on tasks: the decisions of choice trials, a trained layer's
// one-step map for the fixed-point finder.
#pragma once

#include <string>
#include <vector>

#include "core/sdk/dataset.h"
#include "core/analysis/fixed_points.h"
#include "core/engine/recurrent_layer.h"
#include "core/engine/model.h"

namespace biornn {

// What a trained network did on some trials, time-major like the engine ([T, n, ...]).
struct Activity {
  int steps = 0, trials = 0, features = 0, hidden = 0, output_size = 0, state_size = 0;
  std::vector<float> x;                        // [T, n, F] inputs
  std::vector<float> rates;                    // [T, n, H] r_t of the last layer
  std::vector<float> gates;                    // [T, n, H] z_t of the last layer (empty: whole-sequence cell)
  std::vector<float> states;                   // [T, n, S] s_t of the last layer (empty: whole-sequence cell)
  std::vector<float> outputs;                  // [T, n, O] the readout's outputs (logits or values)
  std::vector<int32_t> labels;                 // [T, n] (kStepClass)
  std::vector<float> targets;                  // [T, n, O] (kStepValue)
  std::vector<float> mask;                     // [T, n]
  std::vector<float> conditions;               // [n, C] (Dataset::condition_names)
  std::vector<ConditionKind> condition_kinds;  // [C] (Dataset::condition_kinds)
  std::vector<std::string> period_names;       // Dataset::period_names (empty: no periods)
  std::vector<int32_t> periods;                // [T, n] index into period_names (empty: none)
  std::vector<float> correct;                  // [n] the task's score of each trial alone (correct / counted)
  std::vector<int32_t> decisions;              // [n] decision() of each trial (kStepClass), else empty
  BatchData batch() { return {x.data(), labels.data(), targets.data(), mask.data()}; }
};

// One row of a choice task's psychometric table: the trials with one value of one condition,
// within one context when the task has a condition named "context" (Mante et al. 2013).
struct ChoiceRow {
  std::string condition;
  float context = 0;  // the context's value (0 when the task has none)
  float value = 0;    // the condition's value
  int trials = 0;
  double choice2 = 0;  // % of these trials that chose 2
  double correct = 0;  // % scored correct by the task
};

// The table of every signed-evidence condition (Activity::condition_kinds) that takes at most
// `max_values` distinct values, per value of the category condition named "context" when there
// is one, rows ordered by condition, context, value. Needs decisions (a choice task).
std::vector<ChoiceRow> choice_table(const Activity& a, const std::vector<std::string>& names, size_t max_values = 24);

// One bar of a per-condition score plot: the trials with one value of a category or circular
// condition, or in one quartile of a magnitude condition.
struct ConditionScore {
  std::string condition, label;  // label: the value ("3") or the quartile ("0.2 to 0.4")
  int trials = 0;
  double correct = 0;  // % scored correct by the task
};

// % correct per value of every category and circular condition with at most `max_values`
// values, and per quartile of every magnitude condition; rows by condition, then value.
std::vector<ConditionScore> scores_by_condition(const Activity& a, const std::vector<std::string>& names,
                                                size_t max_values = 24);

// The activity of trials `keep` (indices into a's trials, in that order) alone.
Activity select_trials(const Activity& a, const std::vector<int>& keep);

// The score of each task of a multi-task dataset (a category condition named "task"), by the
// task condition's value, named by Dataset::condition_labels when it gives names.
struct TaskScore {
  int task = 0;
  std::string name;  // the label, or the value as a number
  int trials = 0;
  double correct = 0;  // %
};
// The index of the condition named "task" (a multi-task dataset), or -1.
int task_condition(const std::vector<std::string>& names);
// Empty when the activity has no category condition named "task".
std::vector<TaskScore> scores_per_task(const Activity& a, const std::vector<std::string>& names,
                                       const std::vector<std::string>& task_labels);

// % correct against |value| (both signs pooled) per signed-evidence condition and context, as console lines
// such as "% correct by |motion| in context 0: 0.05 73.7% (726), 0.15 97.7% (655), ...".
std::vector<std::string> accuracy_by_magnitude(const Activity& a, const std::vector<std::string>& names);

// Runs `model` with its readout at every step (noise off, as in evaluation) on trials
// `indices` of `split` and records its activity. States come from the last layer's step(),
// one step at a time from the cell's initial state (per-step cells; for whole-sequence cells
// `states` and `gates` stay empty). Needs a per-step dataset and a readout with pooling "all".
Activity record_activity(Model& model, const Dataset& data, Split split, const std::vector<int64_t>& indices);

// The states s_1..s_T ([T, n, state_size]) of a per-step layer, stepping from the cell's initial
// state with each step's input ([T, n, features]: the layer below's rates, or the data).
// Throws an Error for whole-sequence cells. Call layer.prepare() first.
std::vector<float> record_states(RecurrentLayer& layer, const float* input, int T, int n);

// Why `layer` has no one-step map with a given state ("" when it has one): whole-sequence
// cells (gru, lstm) run all steps inside oneDNN's RNN primitive, which starts from its own zero
// state and exposes neither one step nor its Jacobian.
std::string why_no_step_map(const RecurrentLayer& layer);

// F(s) = one step of a trained per-step layer from state s with the input held at x*
// (noise off), with the exact vector-Jacobian product through the cell's and the gate's own
// backward (RecurrentLayer::step / step_backward). States are [n, state_size].
class LayerStepMap : public StateMap {
 public:
  // Calls layer.prepare(). Throws an Error (why_no_step_map) for whole-sequence cells, and
  // if `input` is not `features` long.
  LayerStepMap(RecurrentLayer& layer, std::vector<float> input);
  int dimension() const override { return layer_.state_size(); }
  void apply(const float* h, int n, float* f) override;
  void vector_jacobian(const float* v, int n, float* g) override;
  int inputs() const override { return int(input_.size()); }
  void input_vector_jacobian(const float* v, int n, float* g) override;
  // Holds another input x* (same size) from the next apply() on.
  void set_input(std::vector<float> input);

 private:
  RecurrentLayer& layer_;
  std::vector<float> input_, x_;  // x_: input_ repeated for the batch of the last apply()
};

}  // namespace biornn
