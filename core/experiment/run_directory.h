// A run's own directory: where its files go (graph, log, metrics, checkpoints, plots), written
// atomically. What is written when is core/experiment/run.h's business.
#pragma once

#include <string>

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
  // Sends spdlog's output to train.log too (appending).
  void attach_log() const;

 private:
  std::string path_;
};

}  // namespace biornn
