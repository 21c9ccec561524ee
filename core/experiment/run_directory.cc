#include "core/experiment/run_directory.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/platform/files.h"
#include "core/sdk/error.h"

namespace biornn {

namespace fs = std::filesystem;

RunDirectory RunDirectory::create(const std::string& root, const std::string& graph_name) {
  const fs::path base = fs::path(root) / graph_name;
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) throw Error("cannot create run directory " + base.string() + ": " + ec.message());
  for (int i = 1; i < 100000; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%03d", i);
    if (fs::create_directory(base / name, ec)) return at((base / name).string());
  }
  throw Error("no free run index under " + base.string());
}

RunDirectory RunDirectory::at(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create run directory " + dir + ": " + ec.message());
  RunDirectory r;
  r.path_ = dir;
  return r;
}

RunDirectory RunDirectory::open_existing(const std::string& dir) {
  for (const char* f : {"graph.toml", "checkpoint.bin"})
    if (!fs::exists(fs::path(dir) / f))
      throw Error("cannot resume " + dir + ": it has no " + f + " (is it a run directory written by train?)");
  RunDirectory r;
  r.path_ = dir;
  return r;
}

void RunDirectory::write_text(const std::string& name, const std::string& text) const {
  write_file_atomically(file(name), text);
}

std::unique_ptr<FileLock> RunDirectory::lock() const {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  auto lock =
      std::make_unique<FileLock>(file("lock"), "host " + std::string(host) + " pid " + std::to_string(getpid()) + "\n");
  if (!lock->held()) {
    std::string holder = lock->holder();
    while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    throw Error("run directory " + path_ + " is in use by another process (" +
                (holder.empty() ? std::string("it has not said which yet") : holder) + ", its file " + file("lock") +
                "): two writers would mix their checkpoints; wait for it to end, or stop it");
  }
  return lock;
}

RunDirectory::Log::Log(const std::string& path)
    : sink_(std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false)) {
  sink_->set_pattern("[%H:%M:%S] %v");
  spdlog::default_logger()->sinks().push_back(sink_);
}

RunDirectory::Log::~Log() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  sink_->flush();
}

std::unique_ptr<RunDirectory::Log> RunDirectory::attach_log() const { return std::make_unique<Log>(file("train.log")); }

std::string RunDirectory::writer() const {
  const LockProbe probe = probe_lock(file("lock"));
  return probe.free ? "" : probe.text.substr(0, probe.text.find('\n'));
}

}  // namespace biornn
