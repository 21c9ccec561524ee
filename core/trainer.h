// Trainer: builds the model a graph describes and trains it with full BPTT.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/graph.h"
#include "core/model.h"
#include "core/optimizer.h"

namespace biornn {

// Everything a graph turns into: the data, the model and its optimizer.
struct Experiment {
  std::unique_ptr<Dataset> dataset;
  Model model;
  std::unique_ptr<Optimizer> optimizer;
};

// Creates the plugins and initialises the model from graph.train.seed. Does not load data.
std::unique_ptr<Experiment> build_experiment(const Graph& graph, const Registry& registry);

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;
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
  bool interrupted = false;  // stopped by request_stop() (e.g. Ctrl-C) before the last epoch
  bool early_stopped = false;
};

// Where training stands: enough to continue later with the same numbers as a run that
// was never stopped (same seed). Saved in checkpoints.
struct TrainState {
  int epochs_done = 0;
  int64_t next_batch = 0;      // stopped inside epoch epochs_done + 1 before this minibatch
  std::vector<int64_t> order;  // that epoch's shuffled training indices; empty between epochs
  std::string shuffle_rng;     // the shuffling generator's state (std::mt19937_64 text form)
  int64_t global_step = 0;
  double learning_rate = -1;   // < 0: not started (take the optimizer's)
  double best_score = -1e300;
  int since_best = 0;
  double loss_sum = 0, norm_sum = 0;  // the partial epoch's running sums
  int64_t seen = 0, right = 0;
  double epoch_seconds = 0;
  std::vector<EpochMetrics> history;
};

// Asks a running train() to stop at the next minibatch boundary (safe from a signal handler).
void request_stop();
bool stop_requested();
// Asks train() to stop once this many optimizer steps are done in total (tests use it to
// interrupt mid-epoch deterministically); 0 clears it, as does a new train() after stopping.
void request_stop_at_step(int64_t step);

// The example indices train() uses: the validation split is carved from the training split
// by a permutation seeded with train.seed; the rest trains. Errors if nothing is left.
struct SplitIndices {
  std::vector<int64_t> train, validation, test;  // train and validation index Split::kTrain
};
SplitIndices make_splits(const Dataset& data, const Options& train_options);

// Accuracy and mean loss of `model` on `indices` of `split`.
std::pair<double, double> evaluate(Experiment& e, Split split, const std::vector<int64_t>& indices,
                                   int batch_size);

// Thrown by train() when the loss or the gradient stops being finite.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
};

// Trains from `state` (a fresh TrainState: from the start) up to graph.train.epochs; logs
// progress through spdlog. `on_epoch` (optional) is called after each epoch with the state
// positioned at the next epoch (the moment to checkpoint). Throws Error on a non-finite loss,
// naming epoch and step (TrainingDiverged); `state` then still describes the last completed epoch.
TrainResult train(Experiment& e, const Graph& graph, TrainState& state,
                  const std::function<void(const EpochMetrics&, const TrainState&)>& on_epoch = {});
TrainResult train(Experiment& e, const Graph& graph);

// One line scripts can read: "result: test_accuracy=0.9871 ...".
std::string result_line(const TrainResult& r);

}  // namespace biornn
