// sweep: run the cross product of values listed in a sweep file, then write one comparison
// table (Markdown and CSV: mean and spread over seeds) and a bar chart. With --slurm the
// combinations become one Slurm job array instead; --collect then writes the same table.
//   bazel run //runners:sweep -- graphs/sweep_a_modes_mnist.toml [--slurm [--submit] | --collect]
#include <CLI/CLI.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/engine/builtins.h"
#include "core/experiment/run.h"
#include "runners/common.h"
#include "runners/slurm_sweep.h"
#include "runners/sweep_local.h"
#include "runners/sweep_plan.h"
#include "runners/sweep_report.h"
#include "runners/sweep_search.h"

namespace {

namespace fs = std::filesystem;

struct SlurmFlags {
  bool slurm = false, submit = false, collect = false, resubmit = false;
  std::string partition, time, memory, account;
  int cpus = 0;
};

// Flags override the sweep file's [sweep.slurm] table.
void apply(const SlurmFlags& f, biornn::SlurmResources& r) {
  if (!f.partition.empty()) r.partition = f.partition;
  if (!f.time.empty()) r.time = f.time;
  if (!f.memory.empty()) r.memory = f.memory;
  if (!f.account.empty()) r.account = f.account;
  if (f.cpus > 0) r.cpus_per_task = f.cpus;
}

std::string train_binary() {
  const fs::path train = fs::canonical("/proc/self/exe").parent_path() / "train";
  if (!fs::exists(train))
    throw biornn::Error("the Slurm tasks run " + train.string() + ", which is not built: bazel build //runners:train");
  return train.string();
}

// SIGINT (Ctrl-C) and SIGTERM stop the running combination at the next minibatch boundary
// with a checkpoint; a second signal of the same kind ends the process at once.
biornn::StopToken g_stop;

void on_stop_signal(int sig) {
  g_stop.request();
  std::signal(sig, SIG_DFL);
}

// Trains every combination here, one after another; a failing one is recorded and skipped.
int run_locally(const biornn::SweepPlan& plan, const biornn::Registry& registry, const fs::path& root_dir, bool keep) {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  const biornn::LocalSweep sweep = biornn::run_sweep_locally(plan, registry, root_dir.string(), keep, &g_stop);
  std::cout << "\n" << sweep.summary_md << "\nwritten: " << (root_dir / "summary.md").string() << std::endl;
  if (sweep.exit_code() == biornn::kSweepSomeFailed)
    std::cout << "some combinations did not finish (listed above); exit code " << biornn::kSweepSomeFailed << std::endl;
  return sweep.exit_code();
}

// --dry-run: every combination's model is built; the ones that cannot be are listed.
int dry_run(const biornn::SweepPlan& plan, const biornn::Registry& registry) {
  const std::vector<std::string> errors = biornn::build_every_model(plan, registry);
  size_t bad = 0;
  for (size_t i = 0; i < errors.size(); ++i) {
    if (errors[i].empty()) continue;
    std::cout << "cannot build " << plan.jobs[i].label << ": " << errors[i] << "\n";
    ++bad;
  }
  std::cout << errors.size() - bad << " of " << errors.size() << " combinations build\n";
  return bad ? biornn::kSweepSomeFailed : 0;
}

// Runs `argv` as a child and waits; Ctrl-C reaches it (same process group) while this process
// ignores it. Returns the child's exit code (128 + signal when killed).
int run_child(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw biornn::Error("cannot start " + argv[0] + ": " + std::strerror(errno));
  if (pid == 0) {
    execv(args[0], args.data());
    std::perror(args[0]);
    _exit(127);
  }
  std::signal(SIGINT, SIG_IGN);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// --search: each arm tuned by Optuna (tools/search/search.py) in runs/<sweep>/search/; with
// --slurm, `workers` array tasks share the study instead (storage journal:...).
int search(const biornn::SweepPlan& plan, const fs::path& root_dir, const SlurmFlags& sf) {
  if (!plan.search) throw biornn::Error(plan.path + ": --search needs a [sweep.search] table in the sweep file");
  const fs::path dir = root_dir / "search";
  const std::string storage = biornn::open_storage(*plan.search, dir.string());
  if (sf.slurm && storage.rfind("journal:", 0) != 0)
    throw biornn::Error(plan.search->storage_at,
                        "Slurm array tasks share a study through storage = \"journal:<file>\" "
                        "(SQLite's file locking is not safe for several writers on a cluster)");
  const std::string spec = biornn::write_search_spec(plan, dir.string(), storage, train_binary());
  const std::string script = (fs::path(biornn::workspace_directory()) / "tools" / "search" / "search.py").string();
  std::cout << "study spec: " << spec << "\nstorage: " << storage << "\n";
  if (!sf.slurm) return run_child({"/usr/bin/python3", script, spec});
  const std::string sbatch = biornn::write_search_array(plan, dir.string(), script, spec);
  const std::string command = "sbatch --parsable --array=0-" + std::to_string(plan.search->workers - 1) + " " + sbatch;
  if (!sf.submit) {
    std::cout << "submit with:\n  " << command << "\n";
    return 0;
  }
  std::cout << "submitted job " << biornn::submit({dir.string() + "/slurm", sbatch}, command) << " ("
            << plan.search->workers << " array tasks sharing the study)\n";
  return 0;
}

// --storage and --trials override the sweep file's [sweep.search] (errors then name the flag).
biornn::SweepPlan with_flags(biornn::SweepPlan plan, const std::string& storage, int trials) {
  if (!plan.search) return plan;
  if (!storage.empty()) {
    if (storage.rfind("sqlite:", 0) != 0 && storage.rfind("journal:", 0) != 0)
      throw biornn::Error("--storage " + storage + ": must be sqlite:<file> or journal:<file>");
    plan.search->storage = storage;
    plan.search->storage_at = biornn::SourcePosition{"--storage " + storage, 0, 0};
  }
  if (trials > 0) plan.search->trials = trials;
  return plan;
}

std::vector<size_t> all_tasks(const biornn::SweepPlan& plan, const fs::path& root_dir, bool keep) {
  std::vector<size_t> tasks;
  for (size_t i = 0; i < plan.jobs.size(); ++i)
    if (!keep || !biornn::read_sweep_row(plan.jobs[i], (root_dir / plan.jobs[i].label).string()).summary.finished())
      tasks.push_back(i);
  return tasks;
}

// Writes the job array (and submits it with --submit, else prints the command).
int write_array(const biornn::SweepPlan& plan, const fs::path& root_dir, const std::string& file, bool keep,
                bool submit) {
  const std::vector<size_t> tasks = all_tasks(plan, root_dir, keep);
  const auto array = biornn::write_slurm_array(plan, root_dir.string(), train_binary(), tasks);
  std::cout << "written: " << array.script << " (" << plan.jobs.size() << " combinations)\n";
  if (tasks.empty()) {
    std::cout << "every combination already completed; nothing to submit\n";
    return 0;
  }
  const std::string command = biornn::sbatch_command(array, tasks);
  if (!submit) {
    std::cout << "submit with:\n  " << command << "\nthen, when the tasks are done:\n  bazel run //runners:sweep -- "
              << file << " --collect\n";
    return 0;
  }
  std::cout << "submitted job " << biornn::submit(array, command) << " (" << tasks.size() << " array tasks)\n";
  return 0;
}

// Writes the table from the finished runs and lists the others; --resubmit-failed sends those again.
int collect(const biornn::SweepPlan& plan, const fs::path& root_dir, bool resubmit) {
  const biornn::SlurmArray array{(root_dir / "slurm").string(), (root_dir / "slurm" / "sweep.sbatch").string()};
  if (!fs::exists(array.script))
    throw biornn::Error("no Slurm array for sweep " + plan.name + " in " + array.dir +
                        " (write one first with --slurm)");
  const auto rows = biornn::collect_rows(plan, root_dir.string(), array);
  const std::string md = biornn::write_sweep_report(plan, rows, root_dir.string());
  std::cout << md << "\nwritten: " << (root_dir / "summary.md").string() << "\n";
  size_t queued = 0;
  for (const auto& r : rows) queued += r.status == "queued";
  const std::vector<size_t> bad = biornn::unfinished(rows);
  if (queued) std::cout << queued << " combination(s) still queued or running\n";
  if (!bad.empty()) std::cout << bad.size() << " combination(s) failed or missing:\n";
  for (size_t i : bad) {
    const auto& r = rows[i];
    std::cout << "  " << r.label << ": " << r.status
              << (r.summary.message.empty() ? "" : " (" + r.summary.message + ")") << "; log "
              << biornn::task_log(array, i) << ", run " << r.run_dir << "\n";
  }
  if (resubmit && !bad.empty()) {
    std::cout << "resubmitted as job " << biornn::submit(array, biornn::sbatch_command(array, bad)) << " ("
              << bad.size() << " array tasks; they resume from their checkpoints)\n";
    return 0;
  }
  return bad.empty() && queued == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run every combination of a sweep file and compare them in one table."};
  std::string sweep_path, runs_root;
  std::vector<std::string> extra, plugin_dirs;
  bool dry = false, keep = false, search_mode = false, tuned = false;
  std::string storage;
  int trials = 0;
  SlurmFlags sf;
  app.add_option("sweep", sweep_path, "sweep file, e.g. graphs/sweep_a_modes_mnist.toml")->required();
  app.add_option("--set", extra, "override applied to every run (repeatable)");
  app.add_option("--runs-root", runs_root, "parent of run directories (default: <workspace>/runs)");
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory");
  app.add_flag("--dry-run", dry, "validate every combination and list them, train nothing");
  app.add_flag("--search", search_mode,
               "tune each arm with Optuna as [sweep.search] says (tools/search/search.py); run again to resume");
  app.add_option("--storage", storage,
                 "with --search: the study's storage instead of [sweep.search] storage, "
                 "e.g. journal:study.journal (relative to runs/<sweep>/search/)");
  app.add_option("--trials", trials, "with --search: trials per arm instead of [sweep.search] trials");
  app.add_flag("--tuned", tuned,
               "train each arm at its study's best settings (after --search), without [sweep.search.set], "
               "in runs/<sweep>/tuned/; with --slurm or --collect too")
      ->excludes("--search");
  app.add_flag("--keep-completed", keep, "reuse runs that completed in an earlier invocation of this sweep");
  auto* slurm =
      app.add_flag("--slurm", sf.slurm, "write runs/<sweep>/slurm/: a Slurm job array, one task per combination");
  app.add_flag("--submit", sf.submit, "with --slurm: submit the array with sbatch (else print the command)")
      ->needs(slurm);
  auto* coll =
      app.add_flag("--collect", sf.collect, "write the table from the Slurm tasks' finished runs; list the others");
  app.add_flag("--resubmit-failed", sf.resubmit, "like --collect, then submit the failed and missing tasks again");
  app.add_option("--partition", sf.partition, "Slurm partition (overrides [sweep.slurm] partition)")->needs(slurm);
  app.add_option("--time", sf.time, "Slurm time limit per task, e.g. 02:00:00")->needs(slurm);
  app.add_option("--cpus-per-task", sf.cpus, "CPUs per task; each task trains with as many threads")->needs(slurm);
  app.add_option("--mem", sf.memory, "memory per task, e.g. 4G")->needs(slurm);
  app.add_option("--account", sf.account, "Slurm account to charge")->needs(slurm);
  slurm->excludes(coll);
  CLI11_PARSE(app, argc, argv);
  return biornn::run_main([&](biornn::ProcessBoundary&) {
    biornn::Registry registry;
    biornn::register_builtins(registry);
    biornn::PluginLoader loader(registry);
    biornn::load_plugins(loader, argv[0], plugin_dirs);
    biornn::SweepPlan plan = biornn::read_sweep(biornn::resolve_user_path(sweep_path), extra, registry);
    apply(sf, plan.slurm);
    spdlog::info("sweep {}: {} runs of {}", plan.name, plan.jobs.size(), plan.graph_file);
    for (const auto& j : plan.jobs) spdlog::info("  {}", j.label);
    if (dry) return dry_run(plan, registry);
    fs::path root_dir = fs::path(runs_root.empty() ? (fs::path(biornn::workspace_directory()) / "runs").string()
                                                   : biornn::resolve_user_path(runs_root)) /
                        plan.name;
    if (search_mode) return search(with_flags(plan, storage, trials), root_dir, sf);
    if (tuned) {  // the final runs: each arm at its study's best, in runs/<sweep>/tuned/
      plan = biornn::with_tuned(std::move(plan), (root_dir / "search").string(), registry);
      root_dir /= "tuned";
    }
    if (sf.slurm) return write_array(plan, root_dir, tuned ? sweep_path + " --tuned" : sweep_path, keep, sf.submit);
    if (sf.collect || sf.resubmit) return collect(plan, root_dir, sf.resubmit);
    return run_locally(plan, registry, root_dir, keep);
  });
}
