// Running a child process (a runner, a tool) and capturing what it wrote: one helper for the
// bench's fresh-process runs, the tests that run runners, and the cluster tools.
#pragma once

#include <string>
#include <vector>

namespace biornn {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal if killed; -1 if it could not be started (`out`/`err` empty)
  std::string out, err;
  std::string failure;  // why it could not be started
};

// Runs args (args[0] the program's path; `executable`, when given, is run instead with the
// same argv, e.g. "/proc/self/exe") with stdin from /dev/null, stdout and stderr captured;
// no shell. Waits for it to end.
ProcessResult run_process(const std::vector<std::string>& args, const std::string& executable = "");

}  // namespace biornn
