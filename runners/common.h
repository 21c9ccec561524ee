// The process boundary every runner's main() goes through (run_main), and what every runner
// does first: load the built plugins (and --plugin-dir ones) into its registry.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "core/experiment/plugin_loader.h"
#include "core/experiment/trainer.h"
#include "core/sdk/data_paths.h"

namespace biornn {

inline void load_plugins(PluginLoader& loader, const char* argv0, const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs = default_plugin_directories(argv0);
  for (const auto& d : extra_dirs) dirs.push_back(resolve_user_path(d));
  for (const auto& d : dirs)
    for (const auto& err : loader.load_directory(d)) spdlog::warn("{}", err);
}

// What run_main hands the runner's body: the stop token its signal handlers set, and where the
// error line goes (`error_prefix`, e.g. "rank 1: " under MPI, set by the body once it knows).
struct ProcessBoundary {
  StopToken stop;
  // Until the body calls this, SIGINT/SIGTERM end the process at once (it has nothing to save);
  // after, the first one asks `stop` to stop at the next safe point (a checkpoint is saved).
  void watch_stop() { watched.store(true); }
  std::atomic<bool> watched{false};
  std::string error_prefix;
};

namespace boundary_detail {
inline ProcessBoundary*& installed() {
  static ProcessBoundary* process = nullptr;
  return process;
}
// SIGINT (Ctrl-C) and SIGTERM (what Slurm sends a task it preempts or that reached its time
// limit). A second signal of the same kind ends the process at once.
inline void on_stop_signal(int sig) {
  ProcessBoundary* p = installed();
  std::signal(sig, SIG_DFL);
  if (p && p->watched.load())
    p->stop.request();
  else
    std::raise(sig);
}
}  // namespace boundary_detail

// Runs a runner's body inside the process boundary: resolves the environment once
// (process_paths()), owns the console logger (pattern, flushed per line; a run's train.log is
// attached to it and removed by the library), installs the stop handlers, and maps every
// exception that escapes to one line "error: <what>" on stderr and exit code 1. The body's own
// return value is the exit code otherwise.
inline int run_main(const std::function<int(ProcessBoundary&)>& body) {
  static ProcessBoundary process;
  set_process_paths(Paths::from_environment());
  spdlog::set_pattern("[%H:%M:%S] %v");
  spdlog::flush_on(spdlog::level::info);
  boundary_detail::installed() = &process;
  std::signal(SIGINT, boundary_detail::on_stop_signal);
  std::signal(SIGTERM, boundary_detail::on_stop_signal);
  auto fail = [](const std::string& what) {
    spdlog::default_logger()->flush();
    std::cerr << process.error_prefix << "error: " << what << std::endl;
    return 1;
  };
  try {
    return body(process);
  } catch (const std::exception& e) { return fail(e.what()); } catch (...) {
    return fail("an unknown exception (not a std::exception) ended the program");
  }
}

}  // namespace biornn
