// train: parse a graph, load the plugins it names, train with BPTT, print "result: ...".
//   bazel run //runners:train -- graphs/gru_mnist.toml [--set train.epochs=1] [--list-plugins]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "core/data_paths.h"
#include "core/graph.h"
#include "core/plugin_loader.h"
#include "core/trainer.h"

namespace {

void list_plugins(const biornn::Registry& registry, const biornn::PluginLoader& loader) {
  for (const auto& p : loader.loaded()) std::cout << "loaded " << p.path << " (" << p.name << " " << p.version << ")\n";
  for (const char* kind : {"cell", "gate", "scaling", "constraint", "dataset", "optimizer"}) {
    std::cout << "\n" << kind << " plugins:\n";
    for (const biornn::PluginInfo* info : registry.list(kind)) {
      std::cout << "  " << info->name << " - " << info->doc << "\n";
      for (const auto& spec : info->schema.specs()) std::cout << "      " << spec.describe() << "\n";
    }
  }
  std::cout << "\nreadout (core):\n";
  for (const auto& spec : biornn::readout_schema().specs()) std::cout << "      " << spec.describe() << "\n";
  std::cout << "\n[train] options:\n";
  for (const auto& spec : biornn::train_schema().specs()) std::cout << "      " << spec.describe() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a recurrent network described by a TOML graph file."};
  std::string graph_path;
  std::vector<std::string> overrides, plugin_dirs;
  bool list = false;
  app.add_option("graph", graph_path, "graph file, e.g. graphs/gru_mnist.toml");
  app.add_option("--set", overrides, "override an option: --set train.epochs=1 (repeatable)");
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory (repeatable)");
  app.add_flag("--list-plugins", list, "list the loaded plugins and their options, then exit");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_pattern("[%H:%M:%S] %v");

  biornn::Registry& registry = biornn::global_registry();
  biornn::PluginLoader loader(registry);
  std::vector<std::string> dirs = biornn::default_plugin_directories(argv[0]);
  for (auto& d : plugin_dirs) dirs.push_back(biornn::resolve_user_path(d));
  for (const auto& d : dirs)
    for (const auto& err : loader.load_directory(d)) spdlog::warn("{}", err);

  if (list) {
    list_plugins(registry, loader);
    return 0;
  }
  if (graph_path.empty()) {
    std::cerr << "error: no graph file given (e.g. bazel run //runners:train -- graphs/gru_mnist.toml)\n";
    return 2;
  }
  try {
    const std::string path = biornn::resolve_user_path(graph_path);
    biornn::Graph graph = biornn::parse_graph_file(path, overrides, registry);
    spdlog::info("graph {} ({})", graph.name, path);
    auto experiment = biornn::build_experiment(graph, registry);
    biornn::TrainResult result = biornn::train(*experiment, graph);
    std::cout << biornn::result_line(result) << std::endl;
  } catch (const biornn::Error& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
