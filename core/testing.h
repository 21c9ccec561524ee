// Helpers for tests: locate built plugins in the runfiles tree, and make temporary files.
#pragma once

#include <string>

#include "core/registry.h"

namespace biornn::testing {

// Absolute path of a runfile such as "plugins/cells/rate/rate_plugin.so".
std::string runfile(const std::string& workspace_relative);
// A fresh empty directory under $TEST_TMPDIR (or /tmp).
std::string temp_dir(const std::string& tag);
// Writes bytes to path (creating the file).
void write_file(const std::string& path, const std::string& bytes);

}  // namespace biornn::testing
