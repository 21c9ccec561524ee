// train: parse a graph, load the plugins it names, train with BPTT in a run directory of its
// own, print "result: ...". Ctrl-C saves a checkpoint; --resume continues a run.
//   bazel run //runners:train -- graphs/gru_mnist.toml [--set train.epochs=1] [--list-plugins]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/engine/builtins.h"
#include "core/sdk/data_paths.h"
#include "core/experiment/graph.h"
#include "core/experiment/plugin_loader.h"
#include "core/experiment/run.h"
#include "core/experiment/trainer.h"
#include "runners/common.h"
#ifdef BIORNN_MPI
#include "runners/mpi_collective.h"
#endif

namespace {

void list_plugins(const biornn::Registry& registry, const biornn::PluginLoader& loader) {
  for (const auto& p : loader.loaded()) spdlog::debug("loaded {} ({} {})", p.path, p.name, p.version);
  std::cout << loader.loaded().size() << " plugin libraries loaded (--verbose lists their files)\n";
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

// This process's ranks: one, or under mpirun (train_mpi only) every rank MPI started.
std::unique_ptr<biornn::Collective> make_collective(int* argc, char*** argv) {
#ifdef BIORNN_MPI
  if (biornn::launched_by_mpi()) return std::make_unique<biornn::MpiCollective>(argc, argv);
#else
  (void)argc;
  (void)argv;
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v))
      throw biornn::Error(
          "this train binary has no MPI, so every rank would train alone; build the MPI one: "
          "bazel build //runners:train_mpi, then mpirun ... bazel-bin/runners/train_mpi");
#endif
  return std::make_unique<biornn::Collective>();
}

// Rank 0's value of `path` on every rank (the run directory rank 0 chose).
std::string from_rank_0(biornn::Collective& c, std::string path) {
#ifdef BIORNN_MPI
  if (auto* mpi = dynamic_cast<biornn::MpiCollective*>(&c)) mpi->broadcast(path);
#else
  (void)c;
#endif
  return path;
}

// Under MPI, every rank watches the others (MpiCollective::watch_peers): a rank that dies is
// named on the survivors, with how to resume from the last checkpoint.
void watch_ranks(biornn::Collective& c, const biornn::RunDirectory& run) {
#ifdef BIORNN_MPI
  if (auto* mpi = dynamic_cast<biornn::MpiCollective*>(&c); mpi && c.size() > 1)
    mpi->watch_peers(run.path(), "The last checkpoint in " + run.path() + " is intact: resume with mpirun -np " +
                                     std::to_string(c.size()) + " bazel-bin/runners/train_mpi --resume " + run.path());
#else
  (void)c;
  (void)run;
#endif
}

void ranks_finished(biornn::Collective& c) {
#ifdef BIORNN_MPI
  if (auto* mpi = dynamic_cast<biornn::MpiCollective*>(&c)) mpi->finished();
#else
  (void)c;
#endif
}

// A run remembers how many ranks trained it (file "ranks"): resuming on another count
// would split the minibatches differently.
void check_ranks(const biornn::RunDirectory& run, const biornn::Collective& c, bool resume) {
  if (!resume) {
    if (c.is_root()) run.write_text("ranks", std::to_string(c.size()) + "\n");
    return;
  }
  std::ifstream f(run.file("ranks"));
  int trained = 1;
  if (f && !(f >> trained)) throw biornn::Error(run.file("ranks") + " is not a number of ranks");
  if (trained != c.size())
    throw biornn::Error("cannot resume " + run.path() + " on " + std::to_string(c.size()) +
                        " rank(s): it was trained on " + std::to_string(trained) + " (its file 'ranks'); " +
                        (trained == 1 ? std::string("resume it without mpirun")
                                      : "resume it with mpirun -np " + std::to_string(trained) +
                                            " bazel-bin/runners/train_mpi --resume " + run.path()));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a recurrent network described by a TOML graph file."};
  std::string graph_path, run_dir, runs_root, resume;
  std::vector<std::string> overrides, plugin_dirs;
  bool list = false, resume_if_checkpoint = false, verbose = false;
  app.add_option("graph", graph_path, "graph file, e.g. graphs/gru_mnist.toml");
  app.add_option("--set", overrides, "override an option: --set train.epochs=1 (repeatable)");
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory (repeatable)");
  app.add_option("--run-dir", run_dir, "write the run here instead of runs/<graph>/<NNN>/");
  app.add_option("--runs-root", runs_root, "parent of run directories (default: <workspace>/runs)");
  app.add_option("--resume", resume, "continue the run in this directory from its last checkpoint");
  app.add_flag("--continue", resume_if_checkpoint,
               "with --run-dir: resume it when it has a checkpoint.bin (a requeued Slurm task), else start there");
  app.add_flag("--list-plugins", list, "list the loaded plugins and their options, then exit");
  app.add_flag("--verbose", verbose, "also log debug lines (e.g. each plugin library loaded)");
  CLI11_PARSE(app, argc, argv);
  if (verbose) spdlog::set_level(spdlog::level::debug);
  return biornn::run_main([&](biornn::ProcessBoundary& process) {
    biornn::Registry registry;
    biornn::register_builtins(registry);
    biornn::PluginLoader loader(registry);
    biornn::load_plugins(loader, argv[0], plugin_dirs);
    if (list) {
      list_plugins(registry, loader);
      return 0;
    }
    if (graph_path.empty() && resume.empty()) {
      std::cerr << "error: no graph file given (e.g. bazel run //runners:train -- graphs/gru_mnist.toml)\n";
      return 2;
    }
    if (resume_if_checkpoint && !run_dir.empty() &&
        std::filesystem::exists(std::filesystem::path(biornn::resolve_user_path(run_dir)) / "checkpoint.bin"))
      resume = run_dir;
    const auto ranks = make_collective(&argc, &argv);
    biornn::Collective& c = *ranks;
    if (c.size() > 1) process.error_prefix = "rank " + std::to_string(c.rank()) + ": ";
    if (!c.is_root()) spdlog::set_level(spdlog::level::warn);  // rank 0 speaks for all
    biornn::Graph graph;
    std::string path;
    if (!resume.empty()) {
      path = biornn::resolve_user_path(resume);
      graph =
          biornn::parse_graph_file(biornn::RunDirectory::open_existing(path).file("graph.toml"), overrides, registry);
    } else {
      graph = biornn::parse_graph_file(biornn::resolve_user_path(graph_path), overrides, registry);
      if (!run_dir.empty()) {
        path = biornn::resolve_user_path(run_dir);
      } else if (c.is_root()) {
        const std::string root = runs_root.empty()
                                     ? (std::filesystem::path(biornn::workspace_directory()) / "runs").string()
                                     : biornn::resolve_user_path(runs_root);
        path = biornn::RunDirectory::create(root, graph.name).path();
      }
      path = from_rank_0(c, path);
    }
    const biornn::RunDirectory run = biornn::RunDirectory::at(path);
    check_ranks(run, c, !resume.empty());
    watch_ranks(c, run);
    biornn::RunOptions options;
    options.resume = !resume.empty();
    options.stop = &process.stop;
    process.watch_stop();
    options.collective = &c;
    const biornn::RunOutcome out = biornn::execute_run(graph, registry, run, options);
    ranks_finished(c);
    if (out.status == "diverged") {
      if (c.is_root()) std::cerr << "error: " << out.message << std::endl;
      return 1;
    }
    if (out.status == "interrupted") return 130;
    if (c.is_root()) std::cout << biornn::result_line(out.result) << " run_dir=" << run.path() << std::endl;
    return 0;
  });
}
