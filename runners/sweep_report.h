// The comparison a sweep ends with, the same whether its runs trained here one after another
// or as Slurm array tasks: runs.csv (one row per combination), summary.md / summary.csv (per
// arm over its finished runs: mean, std, a 95% t interval; against the control arm the paired
// difference over the seeds both finished, its interval and a paired t-test; every
// resolved-graph key in which the arm differs from the control, confounds marked) and
// summary.svg (means with their interval as error bars). Unfinished runs are listed, not averaged.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/experiment/summary_json.h"
#include "runners/sweep_plan.h"

namespace biornn {

// One combination's outcome, read from its run directory's summary.json.
struct SweepRow {
  std::string label, group, run_dir;
  int64_t seed = 0;
  std::string status;  // summary.json's status; else "missing", or "queued" while Slurm still has it
  RunSummary summary;
};

// The row for `job` whose run lives in `run_dir`.
SweepRow read_sweep_row(const SweepJob& job, const std::string& run_dir);

// Mean, sample standard deviation and the 95% confidence interval of the mean from the
// t-distribution with n - 1 degrees of freedom (NaN bounds for n < 2).
struct ArmStats {
  size_t n = 0;
  double mean = 0, sd = 0, low = 0, high = 0;
};
ArmStats arm_stats(const std::vector<double>& values);

// arm - control over the seeds present in both: the mean difference with its 95% t interval,
// the paired t statistic and its two-sided p-value (NaN where n < 2 makes them undefined).
struct PairedDifference {
  ArmStats difference;
  double t = 0, p = 0;
};
PairedDifference paired_difference(const std::map<int64_t, double>& control, const std::map<int64_t, double>& arm);

// A resolved-graph key whose value differs between the control and an arm.
struct KeyDifference {
  std::string key, control, arm;
  bool confound = false;  // not one of the keys the sweep says it varies
};
// Every key of `arm_toml` or `control_toml` (resolved graphs; tables flattened to dotted keys,
// arrays to key[i]) whose value differs, except train.seed, name and description. A key counts
// as varied when it equals a `varies` entry or lies below one ("nodes.rnn.constraints" covers
// "nodes.rnn.constraints[0].plugin").
std::vector<KeyDifference> graph_differences(const std::string& control_toml, const std::string& arm_toml,
                                             const std::vector<std::string>& varies);

// Writes runs.csv, summary.md, summary.csv and summary.svg into `dir` (rows[i] is plan.jobs[i]);
// returns summary.md's text.
std::string write_sweep_report(const SweepPlan& plan, const std::vector<SweepRow>& rows, const std::string& dir);

}  // namespace biornn
