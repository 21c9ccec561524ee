// A run's own directory: resolved graph, log, metrics.csv, summary.json, checkpoints, .npz, plots.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/trainer.h"

namespace biornn {

class RunDirectory {
 public:
  // Makes <root>/<graph_name>/<NNN>/ with the next free three-digit index.
  static RunDirectory create(const std::string& root, const std::string& graph_name);
  // Uses `dir` as it is (created if absent).
  static RunDirectory at(const std::string& dir);
  // An existing run, for --resume: must hold graph.toml and checkpoint.bin.
  static RunDirectory open_existing(const std::string& dir);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  void write_text(const std::string& name, const std::string& text) const;  // atomically
  // Sends spdlog's output to train.log too (appending).
  void attach_log() const;
  // Appends one row (the header on first use); drops rows after `keep_through_epoch` first.
  void append_metrics(const EpochMetrics& m, const std::vector<LayerDiagnostics>& d) const;
  void truncate_metrics(int keep_through_epoch) const;
  std::vector<std::map<std::string, double>> read_metrics() const;
  // Learning curves, spectrum over epochs, eigenvalues and singular values of the last epoch.
  void write_plots(const std::vector<LayerDiagnostics>& last) const;

 private:
  std::string path_;
};

struct RunOutcome {
  std::string status;  // completed, early_stopped, interrupted, diverged
  std::string message;
  TrainResult result;
};

// Trains `graph` into `run` (writing graph.toml, train.log, metrics.csv, plots, checkpoints,
// parameters.npz, summary.json); with `resume`, continues from run's checkpoint.bin. A
// diverging run returns status "diverged" and keeps its last good checkpoint; other errors throw.
RunOutcome execute_run(const Graph& graph, const Registry& registry, const RunDirectory& run, bool resume);

}  // namespace biornn
