// [sweep.search]: each arm of a sweep tuned by Optuna with the same budget. This side reads
// and checks the table (every error at the sweep file's line:column), writes the study's
// spec as JSON, and hands it to tools/search/search.py, the Optuna driver (ask/tell, median
// pruning on the per-epoch validation metric, SQLite or journal storage).
#pragma once

#include <string>

#include <toml++/toml.h>

#include "runners/sweep_plan.h"

namespace biornn {

// Reads [sweep.search] of `path`; `graph_keys` are the first combination's resolved-graph keys
// (a space key must be one of them and numeric).
SearchSpec read_search(const std::string& path, const toml::table& search,
                       const std::map<std::string, std::string>& graph_keys);

// The storage URL Optuna opens ("sqlite:////abs/study.db" or "journal:/abs/study.journal"),
// its file resolved against `search_dir`; throws at the storage key's position when the file
// cannot be opened for writing.
std::string open_storage(const SearchSpec& spec, const std::string& search_dir);

// Writes `search_dir`/spec.json for search.py: the study per arm (each arm's first combination
// with [sweep.search.set] as its base graph, base.toml), the space, the budget, the storage and the train binary.
std::string write_search_spec(const SweepPlan& plan, const std::string& search_dir, const std::string& storage_url,
                              const std::string& train_binary);

// --tuned: every job with its arm's best settings (`search_dir`/<arm>/best.json, written by
// search.py) applied after its own overrides; plan.tuned lists the searched keys.
SweepPlan with_tuned(SweepPlan plan, const std::string& search_dir, const Registry& registry);

// Writes `search_dir`/slurm/search.sbatch: a job array whose every task runs
// `search_py spec` (the tasks share the study through its journal storage); returns its path.
std::string write_search_array(const SweepPlan& plan, const std::string& search_dir, const std::string& search_py,
                               const std::string& spec);

}  // namespace biornn
