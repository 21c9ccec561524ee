// One training run into its run directory: the trainer with the observers that write
// metrics.csv, plots, checkpoints (at epoch ends and, if asked, inside epochs), and at the end
// parameters.npz and summary.json.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/analysis/diagnostics.h"
#include "core/experiment/run_directory.h"
#include "core/experiment/trainer.h"

namespace biornn {

// metrics.csv in memory: one row per epoch (the trainer's metrics and each layer's
// diagnostics), rewritten whole after each epoch; plots read it from here, not from disk.
class MetricsTable {
 public:
  // Reads rows up to `keep_through_epoch` from an existing metrics.csv (for --resume).
  void load(const std::string& path, int keep_through_epoch);
  // `extra`: further columns (e.g. "rnn.violating_fraction"), fixed by the first row.
  void append(const EpochMetrics& m, const std::vector<LayerDiagnostics>& diagnostics,
              const std::map<std::string, double>& extra = {});
  std::string csv() const;
  // The values of `column` by epoch; negative values are "not measured" unless `is_signed`.
  std::pair<std::vector<double>, std::vector<double>> series(const std::string& column, bool is_signed) const;
  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::map<std::string, double>>& rows() const { return rows_; }

 private:
  std::vector<std::string> columns_;
  std::vector<std::map<std::string, double>> rows_;
};

// Learning curves, spectrum over epochs, eigenvalues and singular values of the last epoch.
void write_plots(const RunDirectory& run, const MetricsTable& metrics, const std::vector<LayerDiagnostics>& last);

// checkpoint.bin at every epoch end (and checkpoint_best.bin at a new best validation score),
// and inside an epoch every train.checkpoint_every minibatches or train.checkpoint_minutes
// minutes, so that a hard kill loses at most that much; the state saved resumes to the numbers
// of an uninterrupted run.
class CheckpointObserver : public TrainingObserver {
 public:
  CheckpointObserver(Experiment& e, const RunDirectory& run, const Options& train);
  void on_step(const StepEvent& event) override;
  void on_epoch(const EpochMetrics& metrics, const TrainState& state) override;

 private:
  double minutes_since_last() const;
  void save(const TrainState& state);
  Experiment& e_;
  const RunDirectory& run_;
  int64_t every_;
  double minutes_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

struct RunOutcome {
  std::string status;  // completed, early_stopped, interrupted, diverged
  std::string message;
  TrainResult result;
};

struct RunOptions {
  bool resume = false;               // continue from the run's checkpoint.bin
  StopToken* stop = nullptr;         // e.g. set by the runner's SIGINT/SIGTERM handler
  Collective* collective = nullptr;  // data-parallel ranks; only rank 0 writes files
  // Told after the run's own observers (so metrics.csv and the checkpoint of an epoch are on
  // disk when on_epoch is heard), e.g. the Python package's callbacks. Not owned.
  std::vector<TrainingObserver*> observers;
};

// Trains `graph` into `run` (graph.toml, train.log, metrics.csv, plots, checkpoints,
// parameters.npz, summary.json), holding the run's lock (RunDirectory::lock: a second writer
// is refused) and its train.log attached to the default logger, both until it returns. A diverging run returns status
// "diverged" and keeps its last good checkpoint; a stopped run saves a checkpoint and returns "interrupted"; other
// errors throw.
RunOutcome execute_run(const Graph& graph, const Registry& registry, const RunDirectory& run,
                       const RunOptions& options);
RunOutcome execute_run(const Graph& graph, const Registry& registry, const RunDirectory& run, bool resume);

}  // namespace biornn
