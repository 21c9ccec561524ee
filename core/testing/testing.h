// Helpers for tests: locate built plugins in the runfiles tree, and make temporary files.
#pragma once

#include <string>
#include <vector>

#include "core/experiment/plugin_loader.h"
#include "core/sdk/registry.h"

namespace biornn::testing {

// Absolute path of a runfile such as "plugins/cells/rate/rate_plugin.so".
std::string runfile(const std::string& workspace_relative);
// A fresh empty directory under $TEST_TMPDIR (or /tmp).
std::string temp_dir(const std::string& tag);
// Writes bytes to path (creating the file).
void write_file(const std::string& path, const std::string& bytes);
// The whole file ("" when it cannot be read).
std::string read_file(const std::string& path);
// `bytes` gzip-compressed (as the .gz dataset files); throws if zlib fails.
std::string gzip(const std::string& bytes);

// Registers the built-in plugins in `loader`'s registry and loads every plugin .so of the
// runfiles into it; a plugin that fails to load is a test failure (ADD_FAILURE).
void load_all_plugins(Registry& registry, PluginLoader& loader);

// What a child process did: its exit code (128 + signal if killed; -1 if it could not be
// started, with the reason in `err`) and what it wrote.
struct Outcome {
  int exit_code = -1;
  std::string out, err;
  std::string last_err_line() const;
  int err_lines() const;
};

// Runs `args` (args[0] a path, e.g. a runfile of a runner) with stdin from /dev/null and
// stdout and stderr captured; no shell.
Outcome run(const std::vector<std::string>& args);

// A tiny graph for runner tests: `epochs` epochs of 2 minibatches of 16, Adam, a rate layer of
// `hidden` units and a per-step readout (pooling "all") on the dataset node `data` (its TOML
// lines, e.g. "plugin = \"perceptual_decision\"").
std::string tiny_task_graph(const std::string& data, int hidden = 8, int epochs = 1);

}  // namespace biornn::testing

namespace biornn::testing {

// Registers dataset "synthetic": classification sequences generated from each example's index
// (no files, so tests of training, resume and checkpoints never skip for lack of data).
// Options: steps (6), features (4), classes (3), train (600), test (200). x_t of example i is
// a fixed pseudo-random function of (i, t); the label is the class whose feature block has
// the largest sum, so it can be learned.
void register_synthetic_dataset(Registry& registry);

}  // namespace biornn::testing
