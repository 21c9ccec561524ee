// The comparison a sweep ends with, the same whether its runs trained here one after another
// or as Slurm array tasks: runs.csv (one row per combination), summary.md / summary.csv
// (mean, spread and range of the metric over the seeds of each setting) and summary.svg.
#pragma once

#include <string>
#include <vector>

#include "core/experiment/summary_json.h"
#include "runners/sweep_plan.h"

namespace biornn {

// One combination's outcome, read from its run directory's summary.json.
struct SweepRow {
  std::string label, group, run_dir;
  std::string status;  // summary.json's status; else "missing", or "queued" while Slurm still has it
  RunSummary summary;
};

// The row for `job` whose run lives in `run_dir`.
SweepRow read_sweep_row(const SweepJob& job, const std::string& run_dir);

// Writes runs.csv, summary.md, summary.csv and summary.svg into `dir`; returns the Markdown
// table. Rows without a summary.json are listed in runs.csv only.
std::string write_sweep_report(const SweepPlan& plan, const std::vector<SweepRow>& rows, const std::string& dir);

}  // namespace biornn
