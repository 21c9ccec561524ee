// summary.json: what a finished (or stopped) run says about itself, written by execute_run
// and read back by the sweep runner (--keep-completed, --collect). JSON through nlohmann-json,
// so any message (tabs, quotes, control characters, non-UTF-8 bytes) round-trips.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/experiment/trainer.h"

namespace biornn {

// The fields a reader needs; metrics are NaN when the run has no finished epoch.
struct RunSummary {
  std::string graph, status, message;
  int64_t parameters = 0;
  int epochs = 0;
  double test_accuracy, validation_accuracy, train_loss, test_loss, samples_per_second, seconds;
  bool interrupted = false;
  double seconds_to_target, steps_to_target;  // NaN unless the run reached train.target
  double wall_seconds_to_target;              // the same with the per-epoch bookkeeping (TrainResult)
  RunSummary();
  // status "completed", "early_stopped" or "reached_target": the run trained all it was asked to.
  bool finished() const { return status == "completed" || status == "early_stopped" || status == "reached_target"; }
};

// summary.json's text for a run.
std::string summary_json(const std::string& graph_name, const std::string& status, const TrainResult& r,
                         int64_t parameters, const std::string& message);

// Parses summary.json's text; `where` names the file in the error a malformed one throws.
RunSummary parse_summary_json(const std::string& text, const std::string& where);
// Reads the file at `path`: nullopt when it does not exist; Error when it is malformed.
std::optional<RunSummary> read_summary_json(const std::string& path);

}  // namespace biornn
