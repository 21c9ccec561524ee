// The shared finite-difference gradient checker, run over every registered Cell, Gate,
// Scaling and Constraint (a new plugin is checked without writing a test of its own).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/sdk/derived_cell.h"
#include "core/sdk/options.h"
#include "core/sdk/registry.h"

namespace biornn {

// One option of a plugin set to a value other than its default, and where that was written.
struct OptionSetting {
  std::string name;
  OptionValue value;
  SourcePosition where;  // gradcheck.toml:line:col
};
using OptionSet = std::vector<OptionSetting>;

struct LayerCombination {
  std::string cell, gate, scaling;                               // scaling may be ""
  std::vector<std::pair<std::string, std::string>> constraints;  // (parameter, constraint)
  // The plugin (kind, name) built with `options` instead of its defaults (empty: none).
  std::string tuned_kind, tuned_name;
  OptionSet options;
  std::string str() const;  // "cell=rate{phi=relu} gate=learned constraint W:dale"
};

struct GradientCheckResult {
  LayerCombination combination;
  bool skipped = false;       // a plugin refused the combination as incompatible (biornn::Incompatible)
  std::string skip_reason;    // its message
  bool build_failed = false;  // building threw any other Error: a failure of the check
  std::string build_error;    // its message
  double worst_relative_error = 0;
  std::string worst_entry;  // "W[2,3]: analytic 0.1234 numeric 0.1236"
  int entries_checked = 0;
  int entries_at_kinks = 0;  // checked against the one-sided difference that avoids a kink
};

struct GradientCheckSettings {
  int hidden = 5, features = 3, steps = 4, batch = 3;
  double epsilon = 3e-3;  // central-difference step on raw parameters
  // Worst allowed |a - n| / max(|a| + |n|, floor). The layer runs in float32, whose rounding of
  // the loss over the step is the central difference's noise: over every plugin's plan the
  // worst measured is 1.3e-2 (conductance cell), with softplus cells at a step of 1e-2.
  double tolerance = 1.5e-2;
  double floor = 1e-2;
  uint64_t seed = 7;
};

// Checks dLoss/d raw for every parameter of one layer built from `c` with default options,
// with loss = sum_t sum(C_t * r_t) for a fixed random C (so every step matters).
GradientCheckResult check_layer(const Registry& registry, const LayerCombination& c,
                                const GradientCheckSettings& s = {});

// The check of a cell written forward-only (core/sdk/derived_cell.h), in double: the Jacobian
// of its per-unit step from dual numbers against central differences of the same step, at
// random inputs (pre in [-2, 2], z in [0.05, 0.95], state and unit parameters in [-1, 1]);
// and its forward()/backward() (a hand-written fast path, or the derived ones) against the
// derived ones in float, on random views of `batch` rows and `hidden` units.
struct UnitStepCheckSettings {
  int samples = 64;
  double epsilon = 1e-5;    // central-difference step, in double
  double tolerance = 1e-6;  // worst allowed |a - n| / max(|a| + |n|, floor) of the Jacobian
  double floor = 1e-3;
  double twin_tolerance = 1e-4;  // the same measure between forward()/backward() and the derived ones (float)
  int hidden = 5, batch = 3;
  uint64_t seed = 7;
};
struct UnitStepCheckResult {
  double worst_relative_error = 0;  // the Jacobian in double
  std::string worst_entry;          // "d s[1] / d in[3]: derived 0.25 numeric 0.25"
  int entries_checked = 0;
  int entries_at_kinks = 0;              // left out: the one-sided differences disagree (relu at 0)
  double twin_worst_relative_error = 0;  // forward()/backward() against the derived ones
  std::string twin_worst_entry;          // "d_pre[1,3]: cell 0.5 derived 0.5"
};
UnitStepCheckResult check_unit_step(const UnitStepCell& cell, const UnitStepCheckSettings& s = {});

// `info`'s defaults with `set` applied; throws Error at the setting's file:line:col when the
// plugin has no such option or the value does not fit it.
Options options_with(const PluginInfo& info, const OptionSet& set);

// What a plugin's folder may say about its generated gradient check, in gradcheck.toml:
//   hidden = 6             (or [5, 6]): hidden sizes to check, default [5]
//   seeds = [7, 8]         seeds of the parameter values, inputs and loss weights, default [7]
//   epsilon = 1e-2         the central-difference step, default 3e-3 (a cell whose loss is
//                          large, e.g. unbounded softplus rates, needs a larger step: the
//                          float32 rounding of the loss, divided by the step, is the noise;
//                          kinks want a small one). `epsilon` inside an [[options]] table is
//                          the step for that set only (not a plugin option).
//   [[options]]            an option set checked besides the defaults (one table each)
//   phi = "relu"
struct PluginCheckPlan {
  std::vector<int> hidden = {GradientCheckSettings().hidden};
  std::vector<uint64_t> seeds = {GradientCheckSettings().seed};
  double epsilon = GradientCheckSettings().epsilon;
  std::vector<OptionSet> option_sets = {{}};  // the defaults first
  std::vector<double> set_epsilons = {0};     // per option set; 0: `epsilon`
  double epsilon_of(size_t set) const { return set_epsilons[set] > 0 ? set_epsilons[set] : epsilon; }
};
// Reads `path`; any bad key or value is an Error naming path:line:col.
PluginCheckPlan read_check_plan(const std::string& path);

// The combinations that exercise every registered cell, gate, scaling and constraint, chosen
// from the registry by kind and by what the plugins say of themselves (no plugin named here):
//   - each cell alone (no gate);
//   - each cell that reads a gate with each gate (a gate that uses a scaling gets the first
//     scaling it builds with);
//   - each scaling with each gate that uses one, alone and with each constraint on the
//     recurrent weight (a scaling may need a constraint's sender types);
//   - each cell with each constraint on its recurrent weight (the parameter of role
//     kRecurrent, else the first [*, H] one), with the first gate that needs no scaling when
//     the cell reads a gate;
//   - the first gate-reading cell with each constraint on its input weight (role kInput).
// With `origin` non-empty, only those involving a plugin whose origin ends with it.
std::vector<LayerCombination> combinations_to_check(const Registry& registry, const std::string& origin = "");

}  // namespace biornn
