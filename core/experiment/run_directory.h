// A run's own directory: where its files go (graph, log, metrics, checkpoints, plots), written
// atomically. What is written when is core/experiment/run.h's business.
#pragma once

#include <memory>
#include <string>

#include "core/platform/files.h"

namespace spdlog::sinks {
class sink;
}

namespace biornn {

class RunDirectory {
 public:
  // Makes <root>/<graph_name>/<NNN>/ with the next free three-digit index.
  static RunDirectory create(const std::string& root, const std::string& graph_name);
  // Uses `dir` as it is (created if absent).
  static RunDirectory at(const std::string& dir);
  // An existing run, for --resume: must hold graph.toml and checkpoint.bin.
  static RunDirectory open_existing(const std::string& dir);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  void write_text(const std::string& name, const std::string& text) const;  // atomically

  // The run's writer lock (file "lock": "host <name> pid <n>"), held while the result lives.
  // Throws when another process holds it, naming that process's host and pid: two writers in
  // one run directory (a task resubmitted while it still runs) would mix their checkpoints.
  std::unique_ptr<FileLock> lock() const;
  // What the process holding lock() wrote ("host <name> pid <n>"), or "" when none holds it.
  std::string writer() const;

  // While it lives, every line of spdlog's default logger (the runner's) goes to train.log too
  // (appending); its destructor detaches the file, so a later run's lines never land here.
  class Log {
   public:
    explicit Log(const std::string& path);
    ~Log();
    Log(const Log&) = delete;
    Log& operator=(const Log&) = delete;

   private:
    std::shared_ptr<spdlog::sinks::sink> sink_;
  };
  std::unique_ptr<Log> attach_log() const;

 private:
  std::string path_;
};

}  // namespace biornn
