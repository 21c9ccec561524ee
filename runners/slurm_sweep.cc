#include "runners/slurm_sweep.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/sdk/data_paths.h"
#include "core/sdk/error.h"
#include "core/experiment/run.h"

namespace biornn {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string array_spec(const std::vector<size_t>& tasks) {
  std::string out;
  for (size_t i = 0; i < tasks.size();) {
    size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(tasks[i]) + (j > i ? "-" + std::to_string(tasks[j]) : "");
    i = j + 1;
  }
  return out;
}

std::string task_log(const SlurmArray& array, size_t index) {
  return array.dir + "/logs/task_" + std::to_string(index) + ".log";
}

namespace {

std::string run_dir_of(const std::string& root_dir, const SweepJob& job) { return root_dir + "/" + job.label; }

std::string sbatch_script(const SweepPlan& plan, const SlurmArray& array, const std::string& train) {
  const SlurmResources& r = plan.slurm;
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# biornn sweep " << plan.name << " (" << plan.path << "), written by runners/sweep --slurm.\n"
    << "# One array task per combination: task i trains graphs/i.toml into the run directory on\n"
    << "# line i of tasks.tsv. A requeued or resubmitted task resumes from its checkpoint.bin;\n"
    << "# SIGTERM (preemption, time limit) makes train save one first.\n"
    << "#SBATCH --job-name=biornn-" << plan.name << "\n"
    << "#SBATCH --cpus-per-task=" << r.cpus_per_task << "\n";
  if (!r.partition.empty()) s << "#SBATCH --partition=" << r.partition << "\n";
  if (!r.time.empty()) s << "#SBATCH --time=" << r.time << "\n";
  if (!r.memory.empty()) s << "#SBATCH --mem=" << r.memory << "\n";
  if (!r.account.empty()) s << "#SBATCH --account=" << r.account << "\n";
  s << "#SBATCH --output=" << array.dir << "/logs/task_%a.log\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --requeue\n"
    << "set -eu\n"
    << "slurm_dir=" << shell_quote(array.dir) << "\n"
    << "i=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch --array=...}\n"
    << "run_dir=$(awk -F'\\t' -v i=\"$i\" '$1 == i { print $3 }' \"$slurm_dir/tasks.tsv\")\n"
    << "[ -n \"$run_dir\" ] || { echo \"task $i is not in $slurm_dir/tasks.tsv\" >&2; exit 2; }\n"
    << "echo \"task $i (job ${SLURM_JOB_ID:-?}) on $(hostname) at $(date -u +%FT%TZ): $run_dir\"\n"
    << "# train finds its own plugins (not those of whatever started sbatch) and this workspace.\n"
    << "unset RUNFILES_DIR RUNFILES_MANIFEST_FILE TEST_SRCDIR\n"
    << "export BIORNN_WORKSPACE=" << shell_quote(workspace_directory()) << "\n"
    << "exec " << shell_quote(train) << " \"$slurm_dir/graphs/$i.toml\" --run-dir \"$run_dir\" --continue"
    << " --set train.threads=" << r.cpus_per_task << "\n";
  return s.str();
}

void clear_run_state(const std::string& dir) {
  std::error_code ec;
  for (const char* f : {"checkpoint.bin", "checkpoint_best.bin", "summary.json", "metrics.csv"})
    fs::remove(fs::path(dir) / f, ec);
}

// Output and exit status of a shell command (stderr folded into the output).
std::pair<int, std::string> run_command(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) throw Error("cannot run: " + command);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, out};
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

SlurmArray write_slurm_array(const SweepPlan& plan, const std::string& root_dir, const std::string& train,
                             const std::vector<size_t>& fresh) {
  SlurmArray array{root_dir + "/slurm", root_dir + "/slurm/sweep.sbatch"};
  for (const char* sub : {"graphs", "logs"}) RunDirectory::at(array.dir + "/" + sub);
  const auto dir = RunDirectory::at(array.dir);
  std::ostringstream tasks;
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    const SweepJob& job = plan.jobs[i];
    dir.write_text("graphs/" + std::to_string(i) + ".toml", job.graph.resolved_toml);
    tasks << i << "\t" << job.label << "\t" << run_dir_of(root_dir, job) << "\n";
  }
  dir.write_text("tasks.tsv", tasks.str());
  dir.write_text("sweep.sbatch", sbatch_script(plan, array, train));
  fs::permissions(array.script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  for (size_t i : fresh) clear_run_state(run_dir_of(root_dir, plan.jobs[i]));
  return array;
}

std::string sbatch_command(const SlurmArray& array, const std::vector<size_t>& tasks) {
  return "sbatch --parsable --array=" + array_spec(tasks) + " " + shell_quote(array.script);
}

std::string submit(const SlurmArray& array, const std::string& command) {
  const auto [status, out] = run_command(command);
  const std::string id = trim(out.substr(0, out.find(';')));  // --parsable: "id" or "id;cluster"
  if (status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw Error("sbatch failed (exit status " + std::to_string(status) + "): " + trim(out) +
                (status == 127 ? " (is Slurm installed and sbatch on PATH?)" : ""));
  std::ofstream(array.dir + "/job_ids", std::ios::app) << id << "\n";
  return id;
}

// Adds the array task indices of one squeue id: "<job>_<task>", or a still-unsplit pending
// array "<job>_[2]", "<job>_[0-3,5%2]" (ranges, lists, an optional %limit).
void add_array_tasks(const std::string& id, std::set<size_t>& tasks) {
  const size_t u = id.find('_');
  if (u == std::string::npos || u + 1 >= id.size()) return;
  std::string list = id.substr(u + 1);
  if (list.front() == '[') list = list.substr(1, list.find(']') - 1);
  list = list.substr(0, list.find('%'));
  std::istringstream parts(list);
  for (std::string part; std::getline(parts, part, ',');) {
    const size_t dash = part.find('-');
    const std::string lo = part.substr(0, dash), hi = dash == std::string::npos ? lo : part.substr(dash + 1);
    if (lo.empty() || hi.empty() || lo.find_first_not_of("0123456789") != std::string::npos ||
        hi.find_first_not_of("0123456789") != std::string::npos)
      continue;
    for (size_t t = std::stoul(lo); t <= std::stoul(hi); ++t) tasks.insert(t);
  }
}

std::set<size_t> queued_tasks(const SlurmArray& array) {
  std::ifstream f(array.dir + "/job_ids");
  std::set<size_t> queued;
  // One squeue per submission: squeue fails as a whole when one id of a list is no longer
  // known (an old submission purged by slurmctld), which would hide the newer one's tasks.
  // -r: one line per array task, "<job>_<task>"; finished jobs are no longer listed.
  for (std::string line; std::getline(f, line);) {
    const std::string id = trim(line);
    if (id.empty()) continue;
    const auto [status, out] = run_command("squeue -h -r -o %i -j " + id);
    if (status != 0 && out.find("Invalid job id") != std::string::npos) continue;  // purged: nothing queued
    if (status != 0)
      throw Error("squeue failed for job " + id + " (exit status " + std::to_string(status) + "): " + trim(out) +
                  "; cannot tell which tasks are still queued or running, so none is reported missing or "
                  "resubmitted (is SLURM_CONF set, and is slurmctld up?)");
    std::istringstream in(out);
    for (std::string task; in >> task;) add_array_tasks(task, queued);
  }
  return queued;
}

std::vector<SweepRow> collect_rows(const SweepPlan& plan, const std::string& root_dir, const SlurmArray& array) {
  const std::set<size_t> queued = queued_tasks(array);
  std::vector<SweepRow> rows;
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    rows.push_back(read_sweep_row(plan.jobs[i], run_dir_of(root_dir, plan.jobs[i])));
    if (queued.count(i)) {  // a requeued task's old summary.json is not its result
      rows.back().status = "queued";
      rows.back().summary = RunSummary{};
    }
  }
  return rows;
}

std::vector<size_t> unfinished(const std::vector<SweepRow>& rows) {
  std::vector<size_t> r;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].status != "queued" && !rows[i].summary.finished()) r.push_back(i);
  return r;
}

}  // namespace biornn
