// A sweep file read and checked: the cross product of its [sweep.vary] values, every
// combination parsed into a graph (so a bad value fails before anything trains), and the
// Slurm resources of its [sweep.slurm] table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/experiment/graph.h"
#include "core/sdk/registry.h"

namespace biornn {

// Resources of one Slurm array task; empty / 0 leaves Slurm's default.
struct SlurmResources {
  std::string partition, time, memory, account;
  int cpus_per_task = 1;
};

// One dimension of a [sweep.search] space: a resolved-graph key (e.g. "optimizer.learning_rate",
// "nodes.rnn.gate.G_b", "nodes.rnn.constraints[0].spectral_radius") drawn from [low, high],
// log-uniformly when `log`.
struct SearchDimension {
  std::string key;
  double low = 0, high = 0;
  bool log = false;
};

// [sweep.search]: each arm tuned by Optuna (tools/search/search.py) with the same budget.
struct SearchSpec {
  int trials = 20;                             // finished (complete or pruned) trials per arm
  std::string metric = "validation_accuracy";  // the test split never steers the search
  std::string storage = "sqlite:study.db";     // sqlite:<file> or journal:<file>, relative to runs/<sweep>/search/
  SourcePosition storage_at;                   // where storage is written (errors about opening it)
  int seed = 1;                                // the sampler's seed
  bool pruning = true;                         // Optuna's median pruner on the per-epoch validation metric
  int warmup_epochs = 1, startup_trials = 3;   // the pruner's n_warmup_steps and n_startup_trials
  int workers = 2;                             // Slurm array tasks sharing the study (--slurm)
  std::vector<SearchDimension> space;
  // [sweep.search.set]: overrides for the trials only (e.g. a slice of the data, fewer epochs),
  // on top of [sweep.set]; the final runs of --tuned train without them.
  std::vector<PlacedOverride> set;
};

// A resolved graph's leaf values by dotted key (tables joined with '.', arrays as key[i]),
// each as TOML text; floating-point values as the shortest text that reads back ("0.8").
std::map<std::string, std::string> flatten_graph_toml(const std::string& resolved_toml);

struct SweepJob {
  std::string label;               // e.g. "scaling.plugin=ei,seed=2": its run directory's name
  std::string group;               // the label without the seed: runs averaged in one table row (an arm)
  std::vector<std::string> parts;  // the group's parts, one per [sweep.vary] key other than the seed
  std::string control;             // the group this arm is compared with ([sweep] control)
  int64_t seed = 0;                // train.seed: runs of two arms with the same seed are paired
  Graph graph;
  std::string graph_file;                 // the graph file it was parsed from
  std::vector<PlacedOverride> overrides;  // [sweep.set], --set and its [sweep.vary] values, in order
  std::string search_toml;                // with [sweep.search.set] too: a search trial's base graph
};

struct SweepPlan {
  std::string path;        // the sweep file
  std::string name;        // runs/<name>/
  std::string metric;      // test_accuracy or validation_accuracy
  std::string graph_file;  // or "(varied)"
  // [sweep] varies = ["key", ...]: what the comparison means to change. Default: the keys of
  // [sweep.vary] other than train.seed (and "graph" when the graph file varies). Any other
  // resolved-graph key in which an arm differs from the control is reported as a confound.
  std::vector<std::string> varies;
  bool varies_stated = false;  // written in the sweep file, not derived
  // [sweep] control: one arm ("constraints=none"; default the first) that every arm is compared
  // with, or one value of a varied key ("phi=tanh") when the sweep crosses several keys: each arm
  // is then compared with the arm that has that value and the arm's own other values (each
  // job's `control`), e.g. every model with rates >= 0 against the same model with signed rates.
  std::string control;
  std::vector<SweepJob> jobs;
  SlurmResources slurm;
  std::optional<SearchSpec> search;  // [sweep.search], if the file has one
  // With --tuned: the keys each arm's own search chose (its best.json), so they may differ
  // between arms without being a confound.
  std::vector<std::string> tuned;
};

// A table of "key" = value overrides ([sweep.set], [sweep.search.set]), each with its key's
// and value's place in `path`, so errors about a value name its line.
std::vector<PlacedOverride> placed_overrides(const std::string& path, const toml::table& table);

// `job`'s graph with `more` overrides after its own (a later value of a key wins).
Graph with_overrides(const SweepJob& job, const std::vector<PlacedOverride>& more, const Registry& registry);

// Reads and validates `path`; `extra` overrides apply to every combination (--set).
SweepPlan read_sweep(const std::string& path, const std::vector<std::string>& extra, const Registry& registry);

}  // namespace biornn
