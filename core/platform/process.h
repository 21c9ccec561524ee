// Running a child process (a runner, a tool) and capturing what it wrote: one helper for the
// bench's fresh-process runs, the tests that run runners (also ones that signal a runner while
// it works), and the cluster tools.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace biornn {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal if killed; -1 if it could not be started (`out`/`err` empty)
  std::string out, err;
  std::string failure;  // why it could not be started
};

// A child started from args (args[0] the program's path; `executable`, when given, is run
// instead with the same argv, e.g. "/proc/self/exe") with stdin from /dev/null and stdout and
// stderr captured to private files; no shell. It runs while the caller works; wait() collects
// it. A child never waited for is killed (SIGKILL) and reaped when the object is destroyed.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& args, const std::string& executable = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return pid_ > 0; }                // started and not yet waited for
  const std::string& failure() const { return failure_; }  // why it could not be started, or ""
  pid_t pid() const { return pid_; }
  // Sends `signal` to a running child; false if it is not running or kill() failed.
  bool send_signal(int signal) const;
  // Waits for the child to end: its exit code and everything it wrote. Called once.
  ProcessResult wait();

 private:
  pid_t pid_ = -1;
  std::string directory_, failure_;
};

// Runs a child to its end (ChildProcess(args, executable).wait()).
ProcessResult run_process(const std::vector<std::string>& args, const std::string& executable = "");

}  // namespace biornn
