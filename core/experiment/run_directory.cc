#include "core/experiment/run_directory.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

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

void RunDirectory::attach_log() const {
  auto console = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
  auto file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file("train.log"), false);
  auto logger = std::make_shared<spdlog::logger>("biornn", spdlog::sinks_init_list{console, file_sink});
  logger->set_pattern("[%H:%M:%S] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace biornn
