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
};

// Accuracy and mean loss of `model` on `indices` of `split`.
std::pair<double, double> evaluate(Experiment& e, Split split, const std::vector<int64_t>& indices,
                                   int batch_size);

// Trains for graph.train.epochs; logs progress through spdlog. `on_epoch` (optional) is
// called after each epoch. Throws Error on a non-finite loss, naming epoch and step.
TrainResult train(Experiment& e, const Graph& graph,
                  const std::function<void(const EpochMetrics&)>& on_epoch = {});

// One line scripts can read: "result: test_accuracy=0.9871 ...".
std::string result_line(const TrainResult& r);

}  // namespace biornn
