#include "core/sdk/data_paths.h"

#include <cstdlib>
#include <filesystem>

namespace biornn {

namespace fs = std::filesystem;

static std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string workspace_directory() {
  for (const char* name : {"BUILD_WORKSPACE_DIRECTORY", "BIORNN_WORKSPACE"}) {
    std::string v = env(name);
    if (!v.empty()) return v;
  }
  // Under `bazel test`, or a binary started from bazel-bin: the WORKSPACE file in the
  // runfiles (a data dependency of tests and runners) links back to the source tree.
  std::vector<std::string> roots = {env("TEST_SRCDIR"), env("RUNFILES_DIR")};
  std::error_code exe_ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", exe_ec);
  if (!exe_ec) roots.push_back(exe.string() + ".runfiles");
  for (const std::string& root : roots) {
    std::error_code ec;
    if (!root.empty() && fs::exists(fs::path(root) / "biornn" / "WORKSPACE", ec)) {
      fs::path real = fs::canonical(fs::path(root) / "biornn" / "WORKSPACE", ec);
      if (!ec) return real.parent_path().string();
    }
  }
  return fs::current_path().string();
}

std::vector<std::string> data_search_paths(const std::string& subdir) {
  std::vector<std::string> r;
  std::string d = env("BIORNN_DATA_DIR");
  if (!d.empty()) r.push_back((fs::path(d) / subdir).string());
  fs::path ws = workspace_directory();
  r.push_back((ws / "data" / subdir).lexically_normal().string());
  r.push_back((ws / ".." / "shared" / "data" / subdir).lexically_normal().string());
  return r;
}

std::string resolve_user_path(const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  std::string base = env("BUILD_WORKING_DIRECTORY");
  if (base.empty()) base = fs::current_path().string();
  return (fs::path(base) / path).lexically_normal().string();
}

}  // namespace biornn
