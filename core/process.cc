#include "core/process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

extern char** environ;

namespace biornn {

namespace {
std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A fresh private directory for the child's output files.
std::string scratch_directory() {
  const char* base = std::getenv("TEST_TMPDIR");
  if (!base || !*base) base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/biornn-process-XXXXXX";
  if (!mkdtemp(pattern.data())) return "";
  return pattern;
}
}  // namespace

ProcessResult run_process(const std::vector<std::string>& args, const std::string& executable) {
  ProcessResult r;
  if (args.empty()) {
    r.failure = "no program given";
    return r;
  }
  const std::string dir = scratch_directory();
  if (dir.empty()) {
    r.failure = std::string("cannot create a temporary directory: ") + std::strerror(errno);
    return r;
  }
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string& program = executable.empty() ? args[0] : executable;
  pid_t pid = 0;
  const int started = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (started != 0) {
    r.failure = "cannot start " + program + ": " + std::strerror(started);
  } else {
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return r;
}

}  // namespace biornn
