// eval: score a run's checkpoint on a split.
//   bazel run //runners:eval -- runs/gru_mnist/001 [--checkpoint best] [--split validation]
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/engine/builtins.h"
#include "core/experiment/checkpoint.h"
#include "core/experiment/graph.h"
#include "core/experiment/run.h"
#include "core/experiment/trainer.h"
#include "runners/common.h"

int main(int argc, char** argv) {
  CLI::App app{"Score a run's checkpoint on a dataset split."};
  std::string dir, which = "last", split = "test";
  std::vector<std::string> overrides, plugin_dirs;
  app.add_option("run_dir", dir, "a run directory written by train")->required();
  app.add_option("--checkpoint", which, "last or best (highest validation accuracy)")
      ->check(CLI::IsMember({"last", "best"}));
  app.add_option("--split", split, "test, validation or train")->check(CLI::IsMember({"test", "validation", "train"}));
  app.add_option("--set", overrides, "override a graph option, e.g. --set nodes.data.path=/other/mnist");
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory");
  CLI11_PARSE(app, argc, argv);
  return biornn::run_main([&](biornn::ProcessBoundary&) {
    biornn::Registry registry;
    biornn::register_builtins(registry);
    biornn::PluginLoader loader(registry);
    biornn::load_plugins(loader, argv[0], plugin_dirs);
    auto run = biornn::RunDirectory::open_existing(biornn::resolve_user_path(dir));
    biornn::Graph graph = biornn::parse_graph_file(run.file("graph.toml"), overrides, registry);
    auto e = biornn::build_experiment(graph, registry);
    biornn::TrainState state;
    const std::string ckpt = run.file(which == "best" ? "checkpoint_best.bin" : "checkpoint.bin");
    biornn::load_checkpoint(ckpt, *e, state);
    e->dataset->load();
    const biornn::SplitIndices s = biornn::make_splits(*e->dataset, graph.train);
    const auto& idx = split == "test" ? s.test : split == "validation" ? s.validation : s.train;
    const auto [acc, loss] = biornn::evaluate(*e, split == "test" ? biornn::Split::kTest : biornn::Split::kTrain, idx,
                                              graph.eval_batch_size());
    std::cout << "eval: run=" << run.path() << " checkpoint=" << which << " epoch=" << state.epochs_done
              << " split=" << split << " examples=" << idx.size() << " accuracy=" << acc << " loss=" << loss
              << std::endl;
    return 0;
  });
}
