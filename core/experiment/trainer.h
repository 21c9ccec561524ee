// Trainer: builds the model a graph describes and trains it with full BPTT.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/experiment/data_shards.h"
#include "core/sdk/dataset.h"
#include "core/experiment/graph.h"
#include "core/platform/cpu_features.h"
#include "core/engine/model.h"
#include "core/sdk/optimizer.h"
#include "core/engine/training_step.h"

namespace biornn {

// Everything a graph turns into: the data, the compute context (from [train] threads and
// flush_denormals), the model computing in it, and its optimizer.
struct Experiment {
  std::unique_ptr<Dataset> dataset;
  std::unique_ptr<ComputeContext> compute;  // outlives the model (declared before it)
  Model model;
  std::unique_ptr<Optimizer> optimizer;
};

// Creates the plugins and initialises the model from graph.train.seed. Does not load data.
// train.precision = "bf16" is honoured where `cpu` (default: this machine's /proc/cpuinfo)
// has bf16 instructions; elsewhere the products run in fp32 and one log line says so.
std::unique_ptr<Experiment> build_experiment(const Graph& graph, const Registry& registry,
                                             const CpuFeatures* cpu = nullptr);

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;
  double train_penalty = 0;  // mean per step of the loss terms beside the loss (regularisers, soft constraints)
  double validation_accuracy = -1, validation_loss = -1;  // -1: no validation split
  double test_accuracy = 0, test_loss = 0;
  double gradient_norm = 0;  // mean pre-clip global norm over the epoch
  double learning_rate = 0;
  double samples_per_second = 0;
  double seconds = 0;
};

struct TrainResult {
  std::vector<EpochMetrics> epochs;
  double seconds = 0;
  bool interrupted = false;  // stopped by a StopToken (e.g. Ctrl-C) before the last epoch
  bool early_stopped = false;
  bool reached_target = false;    // train.target reached: stopped there
  double seconds_to_target = -1;  // training and evaluation seconds up to that epoch's end
  // Wall-clock seconds from the start of this process's training loop to then: the above plus
  // every observer's per-epoch work (log, diagnostics, metrics.csv, plots, checkpoints); a run
  // resumed from a checkpoint counts only its own part.
  double wall_seconds_to_target = -1;
  int64_t steps_to_target = -1;  // optimizer steps up to then
};

// Where training stands: enough to continue later with the same numbers as a run that
// was never stopped (same seed). Saved in checkpoints.
struct TrainState {
  int epochs_done = 0;
  int64_t next_batch = 0;      // stopped inside epoch epochs_done + 1 before this minibatch
  std::vector<int64_t> order;  // that epoch's shuffled training indices; empty between epochs
  std::string shuffle_rng;     // the shuffling generator's state (Rng::text(), a decimal number)
  int64_t global_step = 0;
  double learning_rate = -1;  // < 0: not started (take the optimizer's)
  double best_score = -1e300;
  int since_best = 0;
  // The partial epoch's running sums: loss over `counted` (examples, or masked steps),
  // examples seen, and right answers over score_counted (examples, or the task's own count).
  double loss_sum = 0, norm_sum = 0, counted = 0, score_counted = 0;
  double penalty_sum = 0;  // the steps' penalties (StepResult::penalty), summed
  int64_t seen = 0, right = 0;
  double epoch_seconds = 0;
  std::vector<EpochMetrics> history;
};

// Asks a running train() to stop at the next minibatch boundary. The caller owns it (e.g.
// the train runner's signal handler sets it; tests stop at a chosen step).
class StopToken {
 public:
  void request() { stop_.store(true); }  // async-signal-safe
  // Stop once this many optimizer steps are done in total (0 = no such limit).
  void request_at_step(int64_t step) { at_step_.store(step); }
  bool should_stop(int64_t global_step) const {
    const int64_t at = at_step_.load();
    return stop_.load() || (at > 0 && global_step >= at);
  }
  void reset() {
    stop_.store(false);
    at_step_.store(0);
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> at_step_{0};
};

// What an observer hears after each optimizer step. `state` is positioned after the step:
// saved now, it resumes to the same numbers as a run that never stopped.
struct StepEvent {
  int epoch = 0;
  int64_t minibatch = 0, minibatches = 0;  // 1-based index of the step in its epoch, and the count
  const StepResult* result = nullptr;
  const TrainState* state = nullptr;
};

// Everything around the loop (console, metrics.csv, checkpoints, plots) is an observer; the
// loop never knows about files. Called on every rank (observers decide whether to act).
class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void on_start(const TrainState& state) { (void)state; }
  virtual void on_step(const StepEvent& event) { (void)event; }
  // After each epoch's evaluation; `state` is positioned at the next epoch.
  virtual void on_epoch(const EpochMetrics& metrics, const TrainState& state) {
    (void)metrics;
    (void)state;
  }
};

struct TrainContext {
  StopToken* stop = nullptr;         // null: never stopped from outside
  Collective* collective = nullptr;  // null: one process
  std::vector<TrainingObserver*> observers;
};

// The buffers one minibatch of a dataset needs (inputs and the targets of its kind).
class BatchBuffers {
 public:
  BatchBuffers(const Dataset& data, int max_rows);
  // Examples indices[0..n) of `split` (n <= max_rows); the views stay valid until the next fill.
  Minibatch fill(const Dataset& data, Split split, const int64_t* indices, int n);

 private:
  TargetKind kind_;
  int steps_, features_, outputs_;
  AlignedBuffer x_, targets_, mask_;
  std::vector<int32_t> labels_;
};

// The learning rate over a run: none, step, cosine (per epoch) or plateau (after an epoch
// without validation gain), from the [train] table.
class LearningRateSchedule {
 public:
  LearningRateSchedule(const Options& train, double base_rate);
  double at_epoch_start(int epoch, double current) const;
  double after_epoch(int since_best, double current) const;

 private:
  std::string kind_;
  double base_, gamma_, min_;
  int step_epochs_, patience_, epochs_;
};

// Accuracy (the dataset's own measure for per-step datasets) and mean loss of the model on
// `indices` of `split`; with several ranks each evaluates its share and the sums are reduced.
std::pair<double, double> evaluate(Experiment& e, Split split, const std::vector<int64_t>& indices, int batch_size,
                                   Collective* collective = nullptr);

// Thrown by train() when the loss or the gradient stops being finite.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
};

// Trains from `state` (a fresh TrainState: from the start) up to graph.train.epochs, with
// progress on the console (spdlog) and `context`'s observers. Throws TrainingDiverged on a
// non-finite loss or gradient, naming epoch and step; `state` then still describes the last
// step observers were told of.
TrainResult train(Experiment& e, const Graph& graph, TrainState& state, const TrainContext& context = {});
TrainResult train(Experiment& e, const Graph& graph);

// One line scripts can read: "result: test_accuracy=0.9871 ...".
std::string result_line(const TrainResult& r);

}  // namespace biornn
