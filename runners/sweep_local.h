// A sweep trained here, one combination after another: a combination that fails (its model
// cannot be built, its data is missing, it diverges) is recorded in its run directory's
// summary.json with the error and the sweep goes on; a stop request (Ctrl-C) checkpoints the
// running combination; with keep_completed a later call reuses finished runs and resumes
// interrupted ones, so interrupted + resumed gives the table of an uninterrupted sweep.
#pragma once

#include <string>
#include <vector>

#include "core/experiment/trainer.h"
#include "runners/sweep_plan.h"
#include "runners/sweep_report.h"

namespace biornn {

// Exit codes of the sweep runner.
constexpr int kSweepAllFinished = 0;
constexpr int kSweepSomeFailed = 3;  // the table holds the finished runs; the others are listed
constexpr int kSweepInterrupted = 130;

struct LocalSweep {
  std::vector<SweepRow> rows;  // one per combination, in the plan's order
  bool interrupted = false;
  std::string summary_md;  // the report's Markdown
  int exit_code() const;
};

// Trains every combination of `plan` under `root_dir`/<label>/, then writes the report there.
// `stop` (may be null) is the token a signal handler sets.
LocalSweep run_sweep_locally(const SweepPlan& plan, const Registry& registry, const std::string& root_dir,
                             bool keep_completed, StopToken* stop);

// --dry-run: builds every combination's model (plugins, shapes, constraints; no data loaded).
// Returns "" per combination that builds, else its error.
std::vector<std::string> build_every_model(const SweepPlan& plan, const Registry& registry);

}  // namespace biornn
