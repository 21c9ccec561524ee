// train: parse a graph, load the plugins it names, train with BPTT in a run directory of its
// own, print "result: ...". Ctrl-C saves a checkpoint; --resume continues a run.
//   bazel run //runners:train -- graphs/gru_mnist.toml [--set train.epochs=1] [--list-plugins]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/checkpoint.h"
#include "core/data_paths.h"
#include "core/diagnostics.h"
#include "core/graph.h"
#include "core/plugin_loader.h"
#include "core/run_directory.h"
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

void on_sigint(int) {
  biornn::request_stop();
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a recurrent network described by a TOML graph file."};
  std::string graph_path, run_dir, runs_root, resume;
  std::vector<std::string> overrides, plugin_dirs;
  bool list = false;
  app.add_option("graph", graph_path, "graph file, e.g. graphs/gru_mnist.toml");
  app.add_option("--set", overrides, "override an option: --set train.epochs=1 (repeatable)");
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory (repeatable)");
  app.add_option("--run-dir", run_dir, "write the run here instead of runs/<graph>/<NNN>/");
  app.add_option("--runs-root", runs_root, "parent of run directories (default: <workspace>/runs)");
  app.add_option("--resume", resume, "continue the run in this directory from its last checkpoint");
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
  if (graph_path.empty() && resume.empty()) {
    std::cerr << "error: no graph file given (e.g. bazel run //runners:train -- graphs/gru_mnist.toml)\n";
    return 2;
  }
  std::string status = "failed", message;
  biornn::TrainResult result;
  std::unique_ptr<biornn::RunDirectory> run;
  int64_t parameters = 0;
  std::string graph_name;
  int exit_code = 0;
  try {
    biornn::Graph graph;
    biornn::TrainState state;
    if (!resume.empty()) {
      run = std::make_unique<biornn::RunDirectory>(biornn::RunDirectory::open_existing(biornn::resolve_user_path(resume)));
      graph = biornn::parse_graph_file(run->file("graph.toml"), overrides, registry);
    } else {
      const std::string path = biornn::resolve_user_path(graph_path);
      graph = biornn::parse_graph_file(path, overrides, registry);
      if (!run_dir.empty()) {
        run = std::make_unique<biornn::RunDirectory>(biornn::RunDirectory::at(biornn::resolve_user_path(run_dir)));
      } else {
        const std::string root = runs_root.empty() ? (std::filesystem::path(biornn::workspace_directory()) / "runs").string()
                                                   : biornn::resolve_user_path(runs_root);
        run = std::make_unique<biornn::RunDirectory>(biornn::RunDirectory::create(root, graph.name));
      }
    }
    graph_name = graph.name;
    run->attach_log();
    run->write_text("graph.toml", graph.resolved_toml);
    spdlog::info("graph {} -> run directory {}", graph.name, run->path());
    auto experiment = biornn::build_experiment(graph, registry);
    parameters = experiment->model.parameter_count();
    if (!resume.empty()) {
      biornn::load_checkpoint(run->file("checkpoint.bin"), *experiment, state);
      run->truncate_metrics(state.epochs_done);
    }

    // Diagnostics read a fixed batch of test examples (never used for decisions).
    auto& data = *experiment->dataset;
    std::vector<float> diag_x;
    int diag_n = 0;
    auto on_epoch = [&](const biornn::EpochMetrics& m, const biornn::TrainState& st) {
      if (diag_x.empty()) {
        diag_n = int(std::min<int64_t>(256, data.size(biornn::Split::kTest)));
        std::vector<int64_t> idx(diag_n);
        for (int i = 0; i < diag_n; ++i) idx[i] = i;
        std::vector<int32_t> y(diag_n);
        diag_x.resize(size_t(data.steps()) * diag_n * data.features());
        data.batch(biornn::Split::kTest, idx.data(), diag_n, diag_x.data(), y.data());
      }
      const auto diags = biornn::diagnose(*experiment, diag_x.data(), data.steps(), diag_n);
      for (const auto& d : diags)
        if (d.has_w)
          spdlog::info("  {}: spectral radius {:.3f}, SVD entropy {:.3f}{}{}", d.layer, d.spectral_radius,
                       d.svd_entropy,
                       d.has_gates ? fmt::format(", z median {:.3f} (p10 {:.3f}, p90 {:.3f})", d.z_p50, d.z_p10, d.z_p90)
                                   : std::string(),
                       d.has_ei ? fmt::format(", E input {:.3f} / I input {:.3f}", d.excitatory_input,
                                              d.inhibitory_input)
                                : std::string());
      run->append_metrics(m, diags);
      biornn::save_checkpoint(run->file("checkpoint.bin"), *experiment, st);
      if (st.since_best == 0) biornn::save_checkpoint(run->file("checkpoint_best.bin"), *experiment, st);
      run->write_plots(diags);
    };
    std::signal(SIGINT, on_sigint);
    std::signal(SIGTERM, on_sigint);
    try {
      result = biornn::train(*experiment, graph, state, on_epoch);
    } catch (const biornn::Error& e) {
      result.epochs = state.history;
      status = "diverged";
      message = std::string(e.what()) + " (the last good checkpoint is kept in " + run->file("checkpoint.bin") + ")";
      throw biornn::Error(message);
    }
    if (result.interrupted) {
      biornn::save_checkpoint(run->file("checkpoint.bin"), *experiment, state);
      status = "interrupted";
      spdlog::warn("interrupted: checkpoint saved; continue with: bazel run //runners:train -- --resume {}", run->path());
      exit_code = 130;
    } else {
      status = result.early_stopped ? "early_stopped" : "completed";
    }
    biornn::save_npz(run->file("parameters.npz"), *experiment);
    run->write_text("summary.json", biornn::summary_json(graph_name, status, result, parameters, message));
    if (!result.interrupted) std::cout << biornn::result_line(result) << " run_dir=" << run->path() << std::endl;
  } catch (const biornn::Error& e) {
    std::cerr << "error: " << e.what() << std::endl;
    if (run && status != "failed") {
      try {
        run->write_text("summary.json", biornn::summary_json(graph_name, status, result, parameters, e.what()));
      } catch (const std::exception&) {
      }
    }
    return 1;
  }
  return exit_code;
}
