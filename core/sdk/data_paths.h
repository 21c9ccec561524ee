// Where datasets are looked for, so that an absent one gets an error naming every place tried.
#pragma once

#include <string>
#include <vector>

namespace biornn {

// The source tree this process belongs to: $BUILD_WORKSPACE_DIRECTORY under `bazel run`,
// else $BIORNN_WORKSPACE, else (under `bazel test`, with //:WORKSPACE in the test's data)
// the directory the runfiles' WORKSPACE links to, else the current directory.
std::string workspace_directory();

// Directories to look in for dataset `subdir` (e.g. "mnist"), in order:
//   $BIORNN_DATA_DIR/<subdir>, <workspace>/data/<subdir>, <workspace>/../shared/data/<subdir>
std::vector<std::string> data_search_paths(const std::string& subdir);

// Resolves a path the user typed: absolute stays, relative is taken from the user's
// directory ($BUILD_WORKING_DIRECTORY under `bazel run`, else the current directory).
std::string resolve_user_path(const std::string& path);

}  // namespace biornn
