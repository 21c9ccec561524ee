// A sweep file read and checked: the cross product of its [sweep.vary] values, every
// combination parsed into a graph (so a bad value fails before anything trains), and the
// Slurm resources of its [sweep.slurm] table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/experiment/graph.h"
#include "core/sdk/registry.h"

namespace biornn {

// Resources of one Slurm array task; empty / 0 leaves Slurm's default.
struct SlurmResources {
  std::string partition, time, memory, account;
  int cpus_per_task = 1;
};

struct SweepJob {
  std::string label;  // e.g. "scaling.plugin=ei,seed=2": its run directory's name
  std::string group;  // the label without the seed: runs averaged in one table row (an arm)
  int64_t seed = 0;   // train.seed: runs of two arms with the same seed are paired
  Graph graph;
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
  std::string control;         // [sweep] control: the arm (group) others are compared to; default the first
  std::vector<SweepJob> jobs;
  SlurmResources slurm;
};

// Reads and validates `path`; `extra` overrides apply to every combination (--set).
SweepPlan read_sweep(const std::string& path, const std::vector<std::string>& extra, const Registry& registry);

}  // namespace biornn
