#include "core/sdk/data_paths.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

namespace biornn {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::vector<std::string> split_path_list(const std::string& s) {
  std::vector<std::string> parts;
  for (size_t start = 0; start <= s.size();) {
    size_t end = s.find(':', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::unique_ptr<Paths>& stored_paths() {
  static std::unique_ptr<Paths> paths;
  return paths;
}

std::mutex& paths_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

// The one place the library reads the environment.
Paths Paths::from_environment() {
  Paths p;
  for (const char* name : {"BUILD_WORKSPACE_DIRECTORY", "BIORNN_WORKSPACE"})
    if (p.workspace_override.empty()) p.workspace_override = env(name);
  p.user_directory = env("BUILD_WORKING_DIRECTORY");
  if (p.user_directory.empty()) p.user_directory = fs::current_path().string();
  p.data_directory = env("BIORNN_DATA_DIR");
  for (const char* name : {"TEST_SRCDIR", "RUNFILES_DIR"})
    if (!env(name).empty()) p.runfiles_roots.push_back(env(name));
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) p.runfiles_roots.push_back(exe.string() + ".runfiles");
  p.plugin_path = split_path_list(env("BIORNN_PLUGIN_PATH"));
  return p;
}

const Paths& process_paths() {
  const std::lock_guard<std::mutex> lock(paths_mutex());
  if (!stored_paths()) stored_paths() = std::make_unique<Paths>(Paths::from_environment());
  return *stored_paths();
}

void set_process_paths(Paths paths) {
  const std::lock_guard<std::mutex> lock(paths_mutex());
  stored_paths() = std::make_unique<Paths>(std::move(paths));
}

std::string find_runfile(const std::string& relative, const std::vector<std::string>& extra_roots) {
  std::vector<std::string> roots = process_paths().runfiles_roots;
  roots.insert(roots.end(), extra_roots.begin(), extra_roots.end());
  for (const std::string& root : roots) {
    std::error_code ec;
    const fs::path p = fs::path(root) / "biornn" / relative;
    if (fs::exists(p, ec)) return p.string();
  }
  return "";
}

std::string workspace_directory() {
  const Paths& p = process_paths();
  if (!p.workspace_override.empty()) return p.workspace_override;
  // Under `bazel test`, or a binary started from bazel-bin: the WORKSPACE file in the
  // runfiles (a data dependency of tests and runners) links back to the source tree.
  const std::string workspace = find_runfile("WORKSPACE");
  std::error_code ec;
  const fs::path real = workspace.empty() ? fs::path() : fs::canonical(workspace, ec);
  if (!workspace.empty() && !ec) return real.parent_path().string();
  return fs::current_path().string();
}

std::vector<std::string> data_search_paths(const std::string& subdir) {
  std::vector<std::string> r;
  const std::string& d = process_paths().data_directory;
  if (!d.empty()) r.push_back((fs::path(d) / subdir).string());
  fs::path ws = workspace_directory();
  r.push_back((ws / "data" / subdir).lexically_normal().string());
  r.push_back((ws / ".." / "shared" / "data" / subdir).lexically_normal().string());
  return r;
}

std::string resolve_user_path(const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(process_paths().user_directory) / path).lexically_normal().string();
}

}  // namespace biornn
