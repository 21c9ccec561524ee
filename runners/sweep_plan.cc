#include "runners/sweep_plan.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/sdk/error.h"
#include "runners/sweep_search.h"

namespace biornn {

namespace {

namespace fs = std::filesystem;

struct Axis {
  std::string key;
  SourcePosition key_at;            // where the key is written in the sweep file
  std::vector<std::string> values;  // TOML text of each value
  std::vector<SourcePosition> at;   // where each value is written
  std::vector<std::string> names;   // [sweep.names]: a readable name per value, or empty
};

std::string toml_text(const toml::node& n) {
  std::ostringstream s;
  n.visit([&](auto&& v) { s << v; });
  return s.str();
}

std::string unquote(const std::string& v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    return v.substr(1, v.size() - 2);
  return v;
}

std::string label_value(std::string v) {
  v = unquote(v);
  std::string r;
  for (char c : v) r += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return r;
}

std::string short_key(const std::string& key) {
  // "nodes.rnn.scaling.plugin" -> "scaling.plugin"; "train.seed" -> "seed"
  size_t dots = std::count(key.begin(), key.end(), '.');
  if (key.rfind("nodes.", 0) == 0 && dots >= 2) return key.substr(key.find('.', 6) + 1);
  if (dots >= 1) return key.substr(key.find('.') + 1);
  return key;
}

SourcePosition where_in(const std::string& path, const toml::source_region& r) {
  return SourcePosition{path, int(r.begin.line), int(r.begin.column)};
}
SourcePosition where_in(const std::string& path, const toml::node& n) { return where_in(path, n.source()); }
SourcePosition where_in(const std::string& path, const toml::key& k) { return where_in(path, k.source()); }

SlurmResources read_slurm(const std::string& path, const toml::table* t) {
  SlurmResources r;
  if (!t) return r;
  for (auto&& [k, v] : *t) {
    const std::string key(k.str());
    if (key == "cpus_per_task") {
      const auto n = v.value<int64_t>();
      if (!v.is_integer() || !n || *n < 1 || *n > 4096)
        throw Error(where_in(path, v), "[sweep.slurm] cpus_per_task must be an integer from 1 to 4096");
      r.cpus_per_task = int(*n);
      continue;
    }
    std::string* field = key == "partition" ? &r.partition
                         : key == "time"    ? &r.time
                         : key == "memory"  ? &r.memory
                         : key == "account" ? &r.account
                                            : nullptr;
    if (!field)
      throw Error(where_in(path, v), "unknown key '" + key +
                                         "' in [sweep.slurm] (known: partition, time, cpus_per_task, memory, account)");
    if (!v.is_string())
      throw Error(where_in(path, v), "[sweep.slurm] " + key + " must be a string, e.g. " +
                                         (key == "time"     ? "\"02:00:00\""
                                          : key == "memory" ? "\"4G\""
                                                            : "\"name\""));
    *field = *v.value<std::string>();
    if (field->find_first_of("\n\r'\"\\ ") != std::string::npos)
      throw Error(where_in(path, v), "[sweep.slurm] " + key + " must not contain spaces, quotes or newlines");
  }
  return r;
}

std::vector<std::vector<size_t>> cross_product(const std::vector<Axis>& axes) {
  std::vector<std::vector<size_t>> combos{{}};
  for (const auto& a : axes) {
    std::vector<std::vector<size_t>> next;
    for (const auto& c : combos)
      for (size_t i = 0; i < a.values.size(); ++i) {
        auto d = c;
        d.push_back(i);
        next.push_back(d);
      }
    combos = next;
  }
  return combos;
}

std::string value_text(const toml::node& n) {
  if (const auto d = n.as_floating_point()) return fmt::format("{:g}", d->get());  // 0.8, not 0.80000000000000004
  return toml_text(n);
}

void flatten(const toml::node& n, const std::string& key, std::map<std::string, std::string>& out) {
  if (const toml::table* t = n.as_table()) {
    for (auto&& [k, v] : *t) flatten(v, key.empty() ? std::string(k.str()) : key + "." + std::string(k.str()), out);
  } else if (const toml::array* a = n.as_array()) {
    for (size_t i = 0; i < a->size(); ++i) flatten(*a->get(i), key + "[" + std::to_string(i) + "]", out);
  } else {
    out[key] = value_text(n);
  }
}

}  // namespace

std::vector<PlacedOverride> placed_overrides(const std::string& path, const toml::table& table) {
  std::vector<PlacedOverride> r;
  for (auto&& [k, v] : table)
    r.push_back({std::string(k.str()) + "=" + toml_text(v), where_in(path, k), where_in(path, v)});
  return r;
}

Graph with_overrides(const SweepJob& job, const std::vector<PlacedOverride>& more, const Registry& registry) {
  std::vector<PlacedOverride> all = job.overrides;
  all.insert(all.end(), more.begin(), more.end());
  return parse_graph_file_with_positions(job.graph_file, all, registry);
}

std::map<std::string, std::string> flatten_graph_toml(const std::string& resolved_toml) {
  std::map<std::string, std::string> out;
  flatten(toml::parse(resolved_toml), "", out);
  return out;
}

// [sweep.names] "<vary key>" = ["short", "names", ...]: one readable name per value of that
// axis, used in labels, run directories and the summary instead of the value's text (long
// values such as a list of constraints). Empty when the axis has none.
static std::vector<std::string> read_names(const std::string& path, const toml::table* names, const Axis& axis) {
  std::vector<std::string> r;
  if (!names) return r;
  const toml::node* n = names->get(axis.key);
  if (!n) return r;
  const toml::array* arr = n->as_array();
  if (!arr || arr->size() != axis.values.size())
    throw Error(where_in(path, *n), "[sweep.names] '" + axis.key + "' must be an array of " +
                                        std::to_string(axis.values.size()) + " strings, one per value in [sweep.vary]");
  for (const toml::node& x : *arr) {
    const auto v = x.value<std::string>();
    if (!v || v->empty())
      throw Error(where_in(path, x), "[sweep.names] '" + axis.key + "': names are non-empty strings");
    r.push_back(*v);
  }
  return r;
}

// The strings of [sweep] `key`: one string or an array of strings; empty when absent.
static std::vector<std::string> read_strings(const std::string& path, const toml::table& sweep, const char* key) {
  std::vector<std::string> r;
  const toml::node* n = sweep.get(key);
  if (!n) return r;
  if (const auto v = n->value<std::string>()) return {*v};
  const toml::array* arr = n->as_array();
  if (arr)
    for (const toml::node& x : *arr)
      if (const auto v = x.value<std::string>()) r.push_back(*v);
  if (!arr || r.size() != arr->size() || r.empty())
    throw Error(where_in(path, *n), std::string("[sweep] ") + key + " must be a string or an array of strings");
  return r;
}

static void check_keys(const std::string& path, const toml::table& sweep) {
  static const std::vector<std::string> known = {"graph", "name",  "metric", "set",     "vary",
                                                 "names", "slurm", "varies", "control", "search"};
  for (auto&& [k, v] : sweep) {
    const std::string key(k.str());
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw Error(where_in(path, v), "unknown key '" + key +
                                         "' in [sweep] (known: graph, name, metric, set, vary, names, slurm, "
                                         "varies, control, search)");
  }
}

// Value i of `axis` as its label reads it: "hidden=64", or the graph file's stem.
static std::string part_of(const Axis& axis, size_t i) {
  if (axis.key == "graph") return fs::path(unquote(axis.values[i])).stem().string();
  return short_key(axis.key) + "=" + label_value(axis.names.empty() ? axis.values[i] : axis.names[i]);
}

// Two values of one axis that read the same would give two combinations one label, so one
// run directory: refused at the second value.
static void check_distinct(const std::string& path, const toml::table& sweep, const Axis& axis) {
  std::set<std::string> seen;
  for (size_t i = 0; i < axis.values.size(); ++i)
    if (!seen.insert(part_of(axis, i)).second) {
      const toml::node* names = sweep["names"][axis.key].node();
      const SourcePosition at = axis.names.empty() ? axis.at[i] : where_in(path, *(*names->as_array()).get(i));
      throw Error(at, "'" + part_of(axis, i) + "' appears twice in [sweep." + (axis.names.empty() ? "vary" : "names") +
                          "] '" + axis.key + "': two combinations would share one label and run directory");
    }
}

static std::vector<Axis> read_axes(const std::string& path, const toml::table& sweep) {
  std::vector<Axis> axes;
  if (const toml::table* vary = sweep["vary"].as_table())
    for (auto&& [k, v] : *vary) {
      const toml::array* arr = v.as_array();
      if (!arr || arr->empty())
        throw Error(where_in(path, v), "[sweep.vary] '" + std::string(k.str()) + "' must be a non-empty array");
      Axis a{std::string(k.str()), where_in(path, k), {}, {}, {}};
      for (const toml::node& x : *arr) {
        a.values.push_back(toml_text(x));
        a.at.push_back(where_in(path, x));
      }
      a.names = read_names(path, sweep["names"].as_table(), a);
      check_distinct(path, sweep, a);
      axes.push_back(a);
    }
  return axes;
}

// What the sweep states it varies, or the [sweep.vary] keys other than the seed.
static void read_varies(const std::string& path, const toml::table& sweep, const std::vector<Axis>& axes,
                        SweepPlan& plan) {
  plan.varies = read_strings(path, sweep, "varies");
  plan.varies_stated = !plan.varies.empty();
  if (plan.varies_stated) return;
  for (const auto& a : axes)
    if (a.key != "train.seed") plan.varies.push_back(a.key);
}

// The group of `job` with its part on `axis` replaced by `part`.
static std::string group_with(const SweepJob& job, size_t axis, const std::string& part) {
  std::string g;
  for (size_t i = 0; i < job.parts.size(); ++i) g += (g.empty() ? "" : ", ") + (i == axis ? part : job.parts[i]);
  return g;
}

// [sweep] control: an arm, or one value of a varied key (then each arm has its own control).
static void check_control(const std::string& path, const toml::table& sweep, SweepPlan& plan) {
  const toml::node* n = sweep.get("control");
  plan.control = n ? n->value_or(std::string()) : plan.jobs.front().group;
  if (n && !n->is_string())
    throw Error(where_in(path, *n), "[sweep] control must be a string: an arm, or one value of a varied key");
  for (const auto& j : plan.jobs)
    if (j.group == plan.control) {
      for (auto& k : plan.jobs) k.control = plan.control;
      return;
    }
  for (size_t axis = 0; axis < plan.jobs.front().parts.size(); ++axis)
    for (const auto& j : plan.jobs)
      if (j.parts[axis] == plan.control) {
        for (auto& k : plan.jobs) k.control = group_with(k, axis, plan.control);
        return;
      }
  std::string known;
  for (const auto& j : plan.jobs)
    if (known.find("'" + j.group + "'") == std::string::npos) known += (known.empty() ? "'" : ", '") + j.group + "'";
  throw Error(where_in(path, *n),
              "[sweep] control '" + plan.control +
                  "' is neither an arm of this sweep nor one value of a varied key (arms: " + known + ")");
}

// Every combination, its graph parsed and validated before anything trains.
static std::vector<SweepJob> build_jobs(const std::string& path, const std::string& graph_file,
                                        const toml::node* graph_node, const std::vector<PlacedOverride>& fixed,
                                        const std::vector<Axis>& axes, const Registry& registry) {
  std::vector<SweepJob> jobs;
  for (const auto& c : cross_product(axes)) {
    SweepJob j;
    std::vector<PlacedOverride> overrides = fixed;
    std::string file = graph_file;
    SourcePosition file_at = graph_node ? where_in(path, *graph_node) : SourcePosition{};
    for (size_t i = 0; i < axes.size(); ++i) {
      if (axes[i].key == "graph") {  // the graph file itself varies (relative to the sweep file)
        file = (fs::path(path).parent_path() / unquote(axes[i].values[c[i]])).lexically_normal().string();
        file_at = axes[i].at[c[i]];
      } else {
        overrides.push_back({axes[i].key + "=" + axes[i].values[c[i]], axes[i].key_at, axes[i].at[c[i]]});
      }
      const std::string part = part_of(axes[i], c[i]);
      j.label += (j.label.empty() ? "" : ",") + part;
      if (axes[i].key != "train.seed") j.parts.push_back(part);
    }
    for (const auto& p : j.parts) j.group += (j.group.empty() ? "" : ", ") + p;
    if (j.label.empty()) j.label = "base";
    if (j.group.empty()) j.group = "base";
    if (!fs::is_regular_file(file))
      throw Error(file_at, "graph file " + file + " not found (a graph's path is relative to the sweep file)");
    j.graph = parse_graph_file_with_positions(file, overrides, registry);
    j.seed = j.graph.train.get_int("seed");
    j.graph_file = file;
    j.overrides = std::move(overrides);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

SweepPlan read_sweep(const std::string& path, const std::vector<std::string>& extra, const Registry& registry) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw Error(SourcePosition{path, int(e.source().begin.line), int(e.source().begin.column)},
                "malformed TOML: " + std::string(e.description()));
  }
  const toml::table* sweep = root["sweep"].as_table();
  if (!sweep) throw Error(SourcePosition{path, 1, 1}, "no [sweep] table");
  check_keys(path, *sweep);
  SweepPlan plan;
  plan.path = path;
  // graph: the graph file, relative to the sweep file; or vary graph = [...] instead.
  const auto graph_rel = (*sweep)["graph"].value<std::string>();
  const bool graph_varies = (*sweep)["vary"]["graph"].is_array();
  if (!graph_rel && !graph_varies)
    throw Error(where_in(path, *sweep), "[sweep] needs graph = \"<graph file>\" or [sweep.vary] graph = [...]");
  plan.graph_file =
      graph_rel ? (fs::path(path).parent_path() / *graph_rel).lexically_normal().string() : std::string("(varied)");
  plan.name = (*sweep)["name"].value_or(fs::path(path).stem().string());
  plan.metric = (*sweep)["metric"].value_or(std::string("test_accuracy"));
  if (plan.metric != "test_accuracy" && plan.metric != "validation_accuracy")
    throw Error(where_in(path, *sweep), "metric must be test_accuracy or validation_accuracy");
  if (const toml::node* s = sweep->get("slurm")) {
    if (!s->is_table()) throw Error(where_in(path, *s), "[sweep] slurm must be a table: [sweep.slurm]");
    plan.slurm = read_slurm(path, s->as_table());
  }

  // Overrides carry their positions in the sweep file, so errors about a value name its line.
  std::vector<PlacedOverride> fixed;
  if (const toml::table* set = (*sweep)["set"].as_table()) fixed = placed_overrides(path, *set);
  for (const auto& e : extra) fixed.push_back({e, {}, {}});  // --set: named as such in errors
  const std::vector<Axis> axes = read_axes(path, *sweep);
  read_varies(path, *sweep, axes, plan);
  plan.jobs = build_jobs(path, plan.graph_file, graph_rel ? sweep->get("graph") : nullptr, fixed, axes, registry);
  check_control(path, *sweep, plan);
  if (const toml::node* search = sweep->get("search")) {
    if (!search->is_table()) throw Error(where_in(path, *search), "[sweep] search must be a table: [sweep.search]");
    plan.search = read_search(path, *search->as_table(), flatten_graph_toml(plan.jobs.front().graph.resolved_toml));
    for (SweepJob& j : plan.jobs) j.search_toml = with_overrides(j, plan.search->set, registry).resolved_toml;
  }
  return plan;
}

}  // namespace biornn
