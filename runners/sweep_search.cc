#include "runners/sweep_search.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/experiment/run_directory.h"
#include "core/sdk/error.h"
#include "runners/slurm_sweep.h"

namespace biornn {

namespace {

namespace fs = std::filesystem;

std::string fmt_number(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

SourcePosition at(const std::string& path, const toml::node& n) {
  return SourcePosition{path, int(n.source().begin.line), int(n.source().begin.column)};
}

// An integer option of [sweep.search] in [low, high].
int read_int(const std::string& path, const toml::node& v, const std::string& key, int low, int high) {
  const auto n = v.value<int64_t>();
  if (!v.is_integer() || *n < low || *n > high)
    throw Error(at(path, v), "[sweep.search] " + key + " must be an integer from " + std::to_string(low) + " to " +
                                 std::to_string(high));
  return int(*n);
}

double read_bound(const std::string& path, const toml::table& t, const std::string& key, const char* which) {
  const toml::node* n = t.get(which);
  if (!n || !(n->is_number()))
    throw Error(at(path, n ? *n : static_cast<const toml::node&>(t)),
                "[sweep.search.space] '" + key + "' needs a number " + which);
  return n->value<double>().value();
}

SearchDimension read_dimension(const std::string& path, const std::string& key, const toml::node& v,
                               const std::map<std::string, std::string>& graph_keys) {
  const toml::table* t = v.as_table();
  if (!t) throw Error(at(path, v), "[sweep.search.space] '" + key + "' must be a table: { low = ..., high = ... }");
  for (auto&& [k, x] : *t)
    if (k.str() != "low" && k.str() != "high" && k.str() != "log")
      throw Error(at(path, x), "unknown key '" + std::string(k.str()) + "' in [sweep.search.space] '" + key +
                                   "' (known: low, high, log)");
  SearchDimension d{key, read_bound(path, *t, key, "low"), read_bound(path, *t, key, "high"),
                    (*t)["log"].value_or(false)};
  if (!(d.low < d.high))
    throw Error(at(path, v), "[sweep.search.space] '" + key + "': low " + fmt_number(d.low) + " is not below high " +
                                 fmt_number(d.high) + " (an empty or inverted range)");
  if (d.log && d.low <= 0)
    throw Error(at(path, v), "[sweep.search.space] '" + key + "': a log-uniform range needs low > 0");
  const auto it = graph_keys.find(key);
  if (it == graph_keys.end())
    throw Error(at(path, v), "[sweep.search.space] '" + key +
                                 "' is not a key of the resolved graph (e.g. optimizer.learning_rate, "
                                 "nodes.rnn.gate.G_b, nodes.rnn.constraints[0].spectral_radius)");
  if (it->second.empty() ||
      !(std::isdigit(static_cast<unsigned char>(it->second.back())) || it->second.back() == 'f' /* inf */))
    throw Error(at(path, v), "[sweep.search.space] '" + key + "' is " + it->second + " in the graph, not a number");
  return d;
}

}  // namespace

SearchSpec read_search(const std::string& path, const toml::table& search,
                       const std::map<std::string, std::string>& graph_keys) {
  SearchSpec s;
  for (auto&& [k, v] : search) {
    const std::string key(k.str());
    if (key == "trials") {
      s.trials = read_int(path, v, key, 1, 100000);
    } else if (key == "seed") {
      s.seed = read_int(path, v, key, 0, 1 << 30);
    } else if (key == "workers") {
      s.workers = read_int(path, v, key, 1, 4096);
    } else if (key == "warmup_epochs") {
      s.warmup_epochs = read_int(path, v, key, 0, 100000);
    } else if (key == "startup_trials") {
      s.startup_trials = read_int(path, v, key, 0, 100000);
    } else if (key == "pruning") {
      if (!v.is_boolean()) throw Error(at(path, v), "[sweep.search] pruning must be true or false");
      s.pruning = *v.value<bool>();
    } else if (key == "metric") {
      if (v.value<std::string>() != std::optional<std::string>("validation_accuracy"))
        throw Error(at(path, v),
                    "[sweep.search] metric must be \"validation_accuracy\" (the test split never "
                    "steers a search: it is touched once per final arm)");
    } else if (key == "storage") {
      const auto st = v.value<std::string>();
      if (!st || (st->rfind("sqlite:", 0) != 0 && st->rfind("journal:", 0) != 0) || st->find(':') + 1 == st->size())
        throw Error(at(path, v),
                    "[sweep.search] storage must be \"sqlite:<file>\" (one machine) or "
                    "\"journal:<file>\" (Slurm array tasks sharing the study)");
      s.storage = *st;
      s.storage_at = at(path, v);
    } else if (key == "set") {
      if (!v.is_table()) throw Error(at(path, v), "[sweep.search] set must be a table: [sweep.search.set]");
      s.set = placed_overrides(path, *v.as_table());
    } else if (key == "space") {
      if (!v.is_table()) throw Error(at(path, v), "[sweep.search] space must be a table: [sweep.search.space]");
      for (auto&& [dk, dv] : *v.as_table())
        s.space.push_back(read_dimension(path, std::string(dk.str()), dv, graph_keys));
    } else {
      throw Error(at(path, v), "unknown key '" + key +
                                   "' in [sweep.search] (known: trials, metric, storage, seed, pruning, "
                                   "warmup_epochs, startup_trials, workers, set, space)");
    }
  }
  if (s.space.empty())
    throw Error(at(path, search), "[sweep.search] needs a [sweep.search.space] with one key or more");
  if (s.storage_at.path.empty()) s.storage_at = at(path, search);
  return s;
}

std::string open_storage(const SearchSpec& spec, const std::string& search_dir) {
  const size_t colon = spec.storage.find(':');
  const std::string kind = spec.storage.substr(0, colon);
  const fs::path file = fs::absolute(fs::path(search_dir) / spec.storage.substr(colon + 1)).lexically_normal();
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  std::ofstream probe(file, std::ios::app);
  if (!probe)
    throw Error(spec.storage_at, "the study's storage " + file.string() + " cannot be opened for writing (" +
                                     std::strerror(errno) + ")");
  return kind == "sqlite" ? "sqlite:///" + file.string() : "journal:" + file.string();
}

std::string write_search_spec(const SweepPlan& plan, const std::string& search_dir, const std::string& storage_url,
                              const std::string& train_binary) {
  const SearchSpec& s = *plan.search;
  nlohmann::json j{{"sweep", plan.name},
                   {"storage", storage_url},
                   {"trials", s.trials},
                   {"metric", s.metric},
                   {"seed", s.seed},
                   {"pruning", s.pruning},
                   {"warmup_epochs", s.warmup_epochs},
                   {"startup_trials", s.startup_trials},
                   {"train", train_binary},
                   {"arms", nlohmann::json::array()},
                   {"space", nlohmann::json::array()}};
  for (const auto& d : s.space)
    j["space"].push_back({{"key", d.key}, {"low", d.low}, {"high", d.high}, {"log", d.log}});
  const auto dir = RunDirectory::at(search_dir);
  std::vector<std::string> done;
  for (const auto& job : plan.jobs) {
    if (std::find(done.begin(), done.end(), job.group) != done.end()) continue;
    done.push_back(job.group);
    const auto arm = RunDirectory::at((fs::path(search_dir) / job.group).string());
    arm.write_text("base.toml", job.search_toml);
    j["arms"].push_back({{"name", job.group}, {"dir", arm.path()}, {"base_graph", arm.file("base.toml")}});
  }
  dir.write_text("spec.json", j.dump(2) + "\n");
  return dir.file("spec.json");
}

SweepPlan with_tuned(SweepPlan plan, const std::string& search_dir, const Registry& registry) {
  if (!plan.search) throw Error(plan.path + ": --tuned needs a [sweep.search] table (the studies it reads)");
  for (SweepJob& job : plan.jobs) {
    const std::string file = (fs::path(search_dir) / job.group / "best.json").string();
    std::ifstream in(file);
    if (!in)
      throw Error(file + " not found: arm '" + job.group + "' has no finished study; run the search first: bazel " +
                  "run //runners:sweep -- " + plan.path + " --search");
    std::vector<PlacedOverride> chosen;
    try {
      const nlohmann::json best = nlohmann::json::parse(in);
      const nlohmann::json& sets = best.at("set");
      if (!sets.is_array()) throw nlohmann::json::type_error::create(302, "\"set\" is not an array", &sets);
      for (const auto& kv : sets) chosen.push_back({kv.get<std::string>(), {file, 1, 1}, {file, 1, 1}});
    } catch (const nlohmann::json::exception& e) {
      throw Error(file + ": not the JSON search.py writes (" + e.what() + "); run the search again to rewrite it");
    }
    job.graph = with_overrides(job, chosen, registry);
  }
  for (const auto& d : plan.search->space) plan.tuned.push_back(d.key);
  return plan;
}

std::string write_search_array(const SweepPlan& plan, const std::string& search_dir, const std::string& search_py,
                               const std::string& spec) {
  const auto dir = RunDirectory::at((fs::path(search_dir) / "slurm").string());
  const SlurmResources& r = plan.slurm;
  std::ostringstream s;
  s << "#!/bin/bash\n#SBATCH --job-name=" << shell_quote("search-" + plan.name)
    << "\n#SBATCH --output=" << shell_quote(dir.file("worker_%a.log"))
    << "\n#SBATCH --cpus-per-task=" << r.cpus_per_task << "\n";
  if (!r.partition.empty()) s << "#SBATCH --partition=" << r.partition << "\n";
  if (!r.time.empty()) s << "#SBATCH --time=" << r.time << "\n";
  if (!r.memory.empty()) s << "#SBATCH --mem=" << r.memory << "\n";
  if (!r.account.empty()) s << "#SBATCH --account=" << r.account << "\n";
  s << "# Every task works on the same Optuna study (journal storage); each asks for trials until the\n"
    << "# study holds [sweep.search] trials per arm.\nexec /usr/bin/python3 " << shell_quote(search_py) << " "
    << shell_quote(spec) << "\n";
  dir.write_text("search.sbatch", s.str());
  fs::permissions(dir.file("search.sbatch"), fs::perms::owner_exec, fs::perm_options::add);
  return dir.file("search.sbatch");
}

}  // namespace biornn
