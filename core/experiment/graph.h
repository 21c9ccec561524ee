// Graph: a TOML experiment file parsed and validated completely before anything trains.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/sdk/recurrent_noise.h"
#include "core/sdk/options.h"
#include "core/sdk/registry.h"

namespace biornn {

// A plugin named in the graph with its validated options.
struct PluginRef {
  std::string kind, name;
  Options options;
  SourcePosition where;
};

// A recurrent layer node: `plugin` names the cell; gate/scaling/constraints are sub-tables.
struct LayerSpec {
  std::string node;
  int hidden = 0;
  PluginRef cell, gate;  // gate.name empty: no gate (z = 1, or a cell with its own gates)
  std::optional<PluginRef> scaling;
  std::vector<std::pair<std::string, PluginRef>> constraints;  // (parameter, constraint)
  RecurrentNoise noise;  // noise_std, noise_alpha, noise_seed, noise_in_evaluation of the node
  SourcePosition where;
};

struct Graph {
  std::string path;  // the file
  std::string name;  // file stem unless `name` is given at top level
  std::string description;
  Options train;  // the [train] table with every default filled in
  PluginRef optimizer;
  std::string dataset_node;
  PluginRef dataset;
  std::vector<LayerSpec> layers;  // in order from the dataset to the readout
  std::string readout_node;
  Options readout;
  std::string resolved_toml;  // the graph with every default filled in and every --set applied

  // train.eval_batch_size, or train.batch_size where it is 0 (the default).
  int eval_batch_size() const;
};

// The schema of the [train] table and of the readout node (documented in README.md).
const OptionSchema& train_schema();
const OptionSchema& readout_schema();
// The recurrent-noise options a layer node may carry beside its cell's options.
const OptionSchema& layer_noise_schema();

// Parses `path`, applies `overrides` ("a.b.c=value"; value is TOML, or a bare string),
// and validates every node against the registry's plugins and their option schemas.
// Every error is an Error carrying file:line:column (or "--set ..." for an override).
Graph parse_graph_file(const std::string& path, const std::vector<std::string>& overrides, const Registry& registry);
// One override "a.b.c=value" with where its key and value were written (a sweep file's line
// and column): errors about them name those positions instead of "--set a.b.c=value".
struct PlacedOverride {
  std::string key_value;
  SourcePosition key_at, value_at;
};
Graph parse_graph_file_with_positions(const std::string& path, const std::vector<PlacedOverride>& overrides,
                                      const Registry& registry);
// Same, from text (for tests); `path` is only used in messages.
Graph parse_graph_text(const std::string& text, const std::string& path, const std::vector<std::string>& overrides,
                       const Registry& registry);

}  // namespace biornn
