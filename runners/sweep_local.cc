#include "runners/sweep_local.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "core/experiment/run.h"
#include "core/experiment/summary_json.h"

namespace biornn {

namespace fs = std::filesystem;

int LocalSweep::exit_code() const {
  if (interrupted) return kSweepInterrupted;
  for (const auto& r : rows)
    if (!r.summary.finished()) return kSweepSomeFailed;
  return kSweepAllFinished;
}

namespace {

enum class Start { kReuse, kResume, kFresh };

// With keep_completed: a finished run is reused; one that stopped with a checkpoint (Ctrl-C,
// or killed before writing its summary) resumes; failed and diverged ones start again.
Start how_to_start(const SweepRow& row, const RunDirectory& run, bool keep) {
  if (!keep) return Start::kFresh;
  if (row.summary.finished()) return Start::kReuse;
  const bool stopped = row.status == "interrupted" || row.status == "missing";
  return stopped && fs::exists(run.file("checkpoint.bin")) ? Start::kResume : Start::kFresh;
}

// Trains one combination; an error becomes status "failed" in its summary.json.
std::string train_one(const SweepJob& job, const Registry& registry, const RunDirectory& run, bool resume,
                      StopToken* stop) {
  RunOptions options;
  options.resume = resume;
  options.stop = stop;
  try {
    return execute_run(job.graph, registry, run, options).status;
  } catch (const std::exception& e) {
    spdlog::error("{}: failed: {}", job.label, e.what());
    run.write_text("summary.json", summary_json(job.graph.name, "failed", TrainResult{}, 0, e.what()));
    return "failed";
  }
}

}  // namespace

LocalSweep run_sweep_locally(const SweepPlan& plan, const Registry& registry, const std::string& root_dir, bool keep,
                             StopToken* stop) {
  LocalSweep sweep;
  for (const auto& j : plan.jobs) {
    const auto run = RunDirectory::at((fs::path(root_dir) / j.label).string());
    SweepRow row = read_sweep_row(j, run.path());
    const Start start = how_to_start(row, run, keep);
    if (start == Start::kReuse) spdlog::info("{}: already finished in {}, reusing it", j.label, run.path());
    if (start == Start::kResume) spdlog::info("{}: resuming from {}", j.label, run.file("checkpoint.bin"));
    if (start != Start::kReuse && sweep.interrupted) {  // never reached: an older summary.json is not its result
      row.status = "not started (sweep interrupted)";
      row.summary = RunSummary{};
    } else if (start != Start::kReuse) {
      sweep.interrupted = train_one(j, registry, run, start == Start::kResume, stop) == "interrupted";
      row = read_sweep_row(j, run.path());
    }
    std::cout << "sweep run: " << j.label << " status=" << row.status << std::endl;
    sweep.rows.push_back(row);
  }
  sweep.summary_md = write_sweep_report(plan, sweep.rows, root_dir);
  if (sweep.interrupted)
    spdlog::warn("sweep interrupted: the running combination saved a checkpoint; continue with --keep-completed");
  return sweep;
}

std::vector<std::string> build_every_model(const SweepPlan& plan, const Registry& registry) {
  std::vector<std::string> errors;
  for (const auto& j : plan.jobs) {
    try {
      build_experiment(j.graph, registry);
      errors.emplace_back();
    } catch (const std::exception& e) { errors.emplace_back(e.what()); }
  }
  return errors;
}

}  // namespace biornn
