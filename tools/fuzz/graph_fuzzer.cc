// libFuzzer target: the graph parser and validator (core/experiment/graph.cc parse_graph_text).
//
// The input is the text of a graph file. Lines that start with "#set " (TOML comments, so
// the parse is unchanged) are also applied as --set overrides, e.g. "#set train.epochs=2".
// The registry holds core's built-ins (adam, sgd), the real image-dataset schema
// (plugins/datasets/common/image_sequence.cc) under the names mnist, fashion_mnist and
// cifar10, and stand-ins for the cell, gate, scaling and constraint plugins: their names
// and option schemas copied from plugins/*/*/*.cc (the parser needs nothing else; real
// plugins are .so files built by Bazel with gcc and are not loaded here).
//
// Accepted: a Graph, or a biornn::Error. Anything else escaping is a finding, and so is a
// graph whose resolved_toml does not parse back to itself (README: "itself a valid graph").
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "core/engine/builtins.h"
#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/constraint.h"
#include "core/sdk/dataset.h"
#include "core/sdk/gate.h"
#include "core/experiment/graph.h"
#include "core/sdk/registry.h"
#include "core/sdk/scaling.h"
#include "plugins/datasets/common/image_sequence.h"

namespace biornn {
namespace {

template <class T>
void stand_in(Registry& r, const std::string& name, OptionSchema schema) {
  r.add<T>(name, "stand-in for the fuzzer", std::move(schema),
           [](const Options&) -> std::unique_ptr<T> { return nullptr; });
}

OptionSchema scaling_schema() {  // constant, presynaptic, postsynaptic, full, ei
  return OptionSchema()
      .add_bool("learnable", true, "train A (false: A stays at init)")
      .add_float("init", 1.0, "initial value of every A entry", 0, 1e6, true);
}

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry();
    register_builtins(*reg);
    // Cells.
    stand_in<Cell>(*reg, "rate",
                   OptionSchema()
                       .add_string("phi", "tanh", "nonlinearity", activation_names())
                       .add_float("init_scale", 1.0, "weights", 0, 100));
    stand_in<Cell>(*reg, "conductance",
                   OptionSchema()
                       .add_float("dt", 1.0, "integration time step", 0, 100, true)
                       .add_string("phi", "tanh", "rate nonlinearity", activation_names())
                       .add_float("init_scale", 1.0, "weights", 0, 100)
                       .add_bool("reversal", false, "reversal-potential form")
                       .add_float("E_E", 1.0, "excitatory reversal potential", -100, 100)
                       .add_float("E_I", -1.0, "inhibitory reversal potential", -100, 100));
    stand_in<Cell>(*reg, "vanilla",
                   OptionSchema()
                       .add_string("phi", "tanh", "nonlinearity", activation_names())
                       .add_float("init_scale", 1.0, "weights", 0, 100));
    stand_in<Cell>(*reg, "gru", OptionSchema().add_float("init_scale", 1.0, "weights", 0, 100));
    stand_in<Cell>(*reg, "lstm",
                   OptionSchema()
                       .add_float("init_scale", 1.0, "weights", 0, 100)
                       .add_float("forget_bias", 0.0, "forget gate bias", -100, 100));
    // Gates.
    stand_in<Gate>(
        *reg, "learned",
        OptionSchema().add_float("bias_init", 0.0, "initial b_z").add_float("init_scale", 1.0, "weights", 0, 100));
    stand_in<Gate>(*reg, "fixed",
                   OptionSchema()
                       .add_float("dt", 1.0, "time step", 0, 1, true)
                       .add_float("G_b", 0.0, "initial G_b")
                       .add_bool("learnable", true, "train G_b"));
    stand_in<Gate>(
        *reg, "conductance",
        OptionSchema()
            .add_float("dt", 1.0, "time step", 0, 1, true)
            .add_string("phi_z", "sigmoid", "conductance nonlinearity", {"sigmoid", "softplus", "relu", "tanh"})
            .add_float("G_b", -2.0, "initial baseline")
            .add_float("init_scale", 1.0, "P_in", 0, 100));
    // Scalings.
    for (const char* name : {"constant", "presynaptic", "postsynaptic", "full", "ei"})
      stand_in<Scaling>(*reg, name, scaling_schema());
    // Constraints.
    stand_in<Constraint>(*reg, "none", OptionSchema());
    stand_in<Constraint>(*reg, "dale",
                         OptionSchema()
                             .add_float("excitatory_fraction", 0.8, "f_E", 0, 1)
                             .add_string("mode", "abs", "enforcement", {"abs", "clip", "frozen_signs"})
                             .add_float("spectral_radius", 1.0, "radius", 0, 1e3, true)
                             .add_bool("balanced", true, "balanced initialisation"));
    stand_in<Constraint>(*reg, "nonnegative", OptionSchema().add_string("mode", "abs", "enforcement", {"abs", "clip"}));
    // Datasets: the real schema.
    for (const char* name : {"mnist", "fashion_mnist", "cifar10"})
      stand_in<Dataset>(*reg, name, datasets::image_sequence_schema());
    return reg;
  }();
  return *r;
}

}  // namespace
}  // namespace biornn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("#set ", 0) == 0) overrides.push_back(line.substr(5));
  biornn::Graph g;
  try {
    g = biornn::parse_graph_text(text, "fuzz.toml", overrides, biornn::registry());
  } catch (const biornn::Error&) { return 0; }
  // The resolved graph must be a valid graph that resolves to itself.
  try {
    biornn::Graph again = biornn::parse_graph_text(g.resolved_toml, "resolved.toml", {}, biornn::registry());
    if (again.resolved_toml != g.resolved_toml) {
      std::fprintf(stderr, "resolved graph changes when parsed again:\n%s\n---\n%s\n", g.resolved_toml.c_str(),
                   again.resolved_toml.c_str());
      std::abort();
    }
  } catch (const biornn::Error& e) {
    std::fprintf(stderr, "resolved graph does not parse: %s\n%s\n", e.what(), g.resolved_toml.c_str());
    std::abort();
  }
  return 0;
}
