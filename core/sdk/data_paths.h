// Where datasets are looked for, so that an absent one gets an error naming every place tried;
// and the process's environment, read in one place (Paths::from_environment) and passed down.
#pragma once

#include <string>
#include <vector>

namespace biornn {

// What the environment says about paths, read once (a runner's process boundary does it, see
// runners/common.h run_main) instead of deep inside the library.
struct Paths {
  std::string workspace_override;           // $BUILD_WORKSPACE_DIRECTORY (bazel run), else $BIORNN_WORKSPACE
  std::string user_directory;               // $BUILD_WORKING_DIRECTORY (bazel run), else the current directory
  std::string data_directory;               // $BIORNN_DATA_DIR ("" = none)
  std::vector<std::string> runfiles_roots;  // $TEST_SRCDIR, $RUNFILES_DIR, then <exe>.runfiles
  std::vector<std::string> plugin_path;     // $BIORNN_PLUGIN_PATH, split at ':'
  static Paths from_environment();
};

// The paths every function below uses: those set by set_process_paths(), else (a library
// user that never set them: tests, Python) Paths::from_environment() taken once on first use.
const Paths& process_paths();
void set_process_paths(Paths paths);

// `<root>/biornn/<relative>` under the first of the runfiles roots (then `extra_roots`) where it
// exists, or "" when none has it. The one place the runfiles tree is searched.
std::string find_runfile(const std::string& relative, const std::vector<std::string>& extra_roots = {});

// The source tree this process belongs to: its workspace_override, else (under `bazel test`,
// with //:WORKSPACE in the test's data) the directory the runfiles' WORKSPACE links to, else
// the current directory.
std::string workspace_directory();

// Directories to look in for dataset `subdir` (e.g. "mnist"), in order:
//   $BIORNN_DATA_DIR/<subdir>, <workspace>/data/<subdir>, <workspace>/../shared/data/<subdir>
std::vector<std::string> data_search_paths(const std::string& subdir);

// Resolves a path the user typed: absolute stays, relative is taken from the user's
// directory ($BUILD_WORKING_DIRECTORY under `bazel run`, else the current directory).
std::string resolve_user_path(const std::string& path);

}  // namespace biornn
