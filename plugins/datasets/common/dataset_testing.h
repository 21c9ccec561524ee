// Helpers for the tests of dataset plugins: load a plugin from the runfiles, make a dataset of it,
// read what it loads, and find the source tree (for the real data under <workspace>/data).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/sdk/dataset.h"
#include "core/sdk/options.h"

namespace biornn::datasets::testing {

// A dataset made by the plugin at `so` (a runfile path) with `values` set over the defaults
// (value k placed at line 4 + k of `file`, the node at line 3, for messages that name a place;
// file "" places nothing). The plugin stays loaded for the rest of the process: no dataset
// outlives its code.
std::unique_ptr<Dataset> make_dataset(const std::string& so, const std::string& name,
                                      const std::map<std::string, OptionValue>& values = {},
                                      const std::string& file = "task.toml");

// The message of the Error raised while setting `values` or building the dataset ("" if none).
std::string option_error(const std::string& so, const std::string& name,
                         const std::map<std::string, OptionValue>& values);

// The message of the Error that load() raises ("" if none); printed, for the test log.
std::string load_error(const std::string& so, const std::string& name, const std::map<std::string, OptionValue>& values,
                       const std::string& file = "task.toml");

// The inputs of `indices` as batch() writes them, [T, n, F]; their labels in `labels`.
std::vector<float> all_of(const Dataset& d, Split split, std::vector<int64_t> indices, std::vector<int32_t>* labels);

// .bazelrc's --test_env=BIORNN_WORKSPACE=%workspace% arrives unexpanded under Bazel 4.2.3; then
// take the source tree from the WORKSPACE file in the runfiles (a symlink into the tree).
void find_source_tree();

}  // namespace biornn::datasets::testing
