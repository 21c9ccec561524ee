#include "core/platform/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::temp_directory_path(ec);  // $TMPDIR, else /tmp
  std::string pattern = (ec ? std::string("/tmp") : base.string()) + "/biornn-process-XXXXXX";
  if (!mkdtemp(pattern.data())) return "";
  return pattern;
}

int wait_for_exit_code(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& executable) {
  if (args.empty()) {
    failure_ = "no program given";
    return;
  }
  directory_ = scratch_directory();
  if (directory_.empty()) {
    failure_ = std::string("cannot create a temporary directory: ") + std::strerror(errno);
    return;
  }
  const std::string out = directory_ + "/stdout", err = directory_ + "/stderr";
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
  if (started != 0)
    failure_ = "cannot start " + program + ": " + std::strerror(started);
  else
    pid_ = pid;
}

ChildProcess::~ChildProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait_for_exit_code(pid_);
  }
  std::error_code ec;
  if (!directory_.empty()) std::filesystem::remove_all(directory_, ec);
}

bool ChildProcess::send_signal(int signal) const { return running() && kill(pid_, signal) == 0; }

ProcessResult ChildProcess::wait() {
  ProcessResult r;
  r.failure = failure_;
  if (!running()) {
    if (r.failure.empty()) r.failure = "the child was already waited for";
    return r;
  }
  r.exit_code = wait_for_exit_code(pid_);
  pid_ = -1;
  r.out = slurp(directory_ + "/stdout");
  r.err = slurp(directory_ + "/stderr");
  return r;
}

ProcessResult run_process(const std::vector<std::string>& args, const std::string& executable) {
  return ChildProcess(args, executable).wait();
}

}  // namespace biornn
