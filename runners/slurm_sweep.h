// A sweep as a Slurm job array: one array task per combination, each training into its own
// run directory runs/<sweep>/<label>/. Everything a task needs is written under
// runs/<sweep>/slurm/: sweep.sbatch (the array script), tasks.tsv (index, label, run
// directory), graphs/<index>.toml (each combination's resolved graph), logs/task_<index>.log
// and job_ids (one line per submission). The run directories must be on a file system the
// compute nodes share, and bazel-bin/runners/train must stay built until the tasks are done.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "runners/sweep_plan.h"
#include "runners/sweep_report.h"

namespace biornn {

struct SlurmArray {
  std::string dir;     // runs/<sweep>/slurm
  std::string script;  // dir/sweep.sbatch
};

// Writes the array script and its inputs for every job of `plan` under root_dir/slurm, and
// clears the state (checkpoints, summary.json, metrics.csv) of the run directories of
// `fresh` task indices so that they start over. `train` is the train runner's path.
SlurmArray write_slurm_array(const SweepPlan& plan, const std::string& root_dir, const std::string& train,
                             const std::vector<size_t>& fresh);

// "sbatch --parsable --array=0-2,5 <script>".
std::string sbatch_command(const SlurmArray& array, const std::vector<size_t>& tasks);
// Runs the command, records the job id in dir/job_ids and returns it; throws with sbatch's
// own message when it fails.
std::string submit(const SlurmArray& array, const std::string& command);

// Task indices Slurm still lists (pending or running) for the jobs in dir/job_ids. A job
// squeue no longer knows ("Invalid job id": finished and purged) has none; any other failure
// of squeue (no controller, unset SLURM_CONF, a timeout) throws: it never reads as "nothing
// queued", which would resubmit running tasks.
std::set<size_t> queued_tasks(const SlurmArray& array);

// Every combination's row; those still queued get status "queued".
std::vector<SweepRow> collect_rows(const SweepPlan& plan, const std::string& root_dir, const SlurmArray& array);

// Rows that are neither finished nor queued: to report and to resubmit.
std::vector<size_t> unfinished(const std::vector<SweepRow>& rows);

// Where a task's Slurm output goes.
std::string task_log(const SlurmArray& array, size_t index);

// Slurm's compact form of a task list: {0,1,2,5} -> "0-2,5".
std::string array_spec(const std::vector<size_t>& tasks);

// A shell word that stands for `s` exactly.
std::string shell_quote(const std::string& s);

}  // namespace biornn
