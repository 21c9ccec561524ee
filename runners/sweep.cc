// sweep: run the cross product of values listed in a sweep file, then write one comparison
// table (Markdown and CSV: mean and spread over seeds) and a bar chart.
//   bazel run //runners:sweep -- graphs/sweep_a_modes_mnist.toml
#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "core/graph.h"
#include "core/plot.h"
#include "core/run.h"
#include "runners/common.h"

namespace {

namespace fs = std::filesystem;

struct Axis {
  std::string key;
  std::vector<std::string> values;  // TOML text of each value
};

std::string toml_text(const toml::node& n) {
  std::ostringstream s;
  n.visit([&](auto&& v) { s << v; });
  return s.str();
}

std::string unquote(const std::string& v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) return v.substr(1, v.size() - 2);
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
  auto parts = key;
  size_t dots = std::count(key.begin(), key.end(), '.');
  if (key.rfind("nodes.", 0) == 0 && dots >= 2) return key.substr(key.find('.', 6) + 1);
  if (dots >= 1) return key.substr(key.find('.') + 1);
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run every combination of a sweep file and compare them in one table."};
  std::string sweep_path, runs_root;
  std::vector<std::string> extra, plugin_dirs;
  bool dry = false, keep = false;
  app.add_option("sweep", sweep_path, "sweep file, e.g. graphs/sweep_a_modes_mnist.toml")->required();
  app.add_option("--set", extra, "override applied to every run (repeatable)");
  app.add_option("--runs-root", runs_root, "parent of run directories (default: <workspace>/runs)");
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory");
  app.add_flag("--dry-run", dry, "validate every combination and list them, train nothing");
  app.add_flag("--keep-completed", keep, "reuse runs that completed in an earlier invocation of this sweep");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_pattern("[%H:%M:%S] %v");
  biornn::Registry& registry = biornn::global_registry();
  biornn::PluginLoader loader(registry);
  biornn::load_plugins(loader, argv[0], plugin_dirs);

  try {
    const std::string path = biornn::resolve_user_path(sweep_path);
    toml::table root;
    try {
      root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      throw biornn::Error(biornn::SourcePosition{path, int(e.source().begin.line), int(e.source().begin.column)},
                          "malformed TOML: " + std::string(e.description()));
    }
    const toml::table* sweep = root["sweep"].as_table();
    if (!sweep) throw biornn::Error(biornn::SourcePosition{path, 1, 1}, "no [sweep] table");
    auto where = [&](const toml::node& n) {
      return biornn::SourcePosition{path, int(n.source().begin.line), int(n.source().begin.column)};
    };
    for (auto&& [k, v] : *sweep) {
      const std::string key(k.str());
      if (key != "graph" && key != "name" && key != "metric" && key != "set" && key != "vary")
        throw biornn::Error(where(v), "unknown key '" + key + "' in [sweep] (known: graph, name, metric, set, vary)");
    }
    // graph: the graph file, relative to the sweep file; or vary graph = [...] instead.
    const auto graph_rel = (*sweep)["graph"].value<std::string>();
    const bool graph_varies = (*sweep)["vary"]["graph"].is_array();
    if (!graph_rel && !graph_varies)
      throw biornn::Error(where(*sweep), "[sweep] needs graph = \"<graph file>\" or [sweep.vary] graph = [...]");
    const std::string graph_file =
        graph_rel ? (fs::path(path).parent_path() / *graph_rel).lexically_normal().string() : std::string("(varied)");
    const std::string name = (*sweep)["name"].value_or(fs::path(path).stem().string());
    const std::string metric = (*sweep)["metric"].value_or(std::string("test_accuracy"));
    if (metric != "test_accuracy" && metric != "validation_accuracy")
      throw biornn::Error(where(*sweep), "metric must be test_accuracy or validation_accuracy");

    std::vector<std::string> fixed;
    if (const toml::table* set = (*sweep)["set"].as_table())
      for (auto&& [k, v] : *set) fixed.push_back(std::string(k.str()) + "=" + toml_text(v));
    for (const auto& e : extra) fixed.push_back(e);
    std::vector<Axis> axes;
    if (const toml::table* vary = (*sweep)["vary"].as_table())
      for (auto&& [k, v] : *vary) {
        const toml::array* arr = v.as_array();
        if (!arr || arr->empty())
          throw biornn::Error(where(v), "[sweep.vary] '" + std::string(k.str()) + "' must be a non-empty array");
        Axis a{std::string(k.str()), {}};
        for (const toml::node& x : *arr) a.values.push_back(toml_text(x));
        axes.push_back(a);
      }

    // Every combination, validated before anything trains.
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
    struct Job {
      std::vector<size_t> pick;
      std::vector<std::string> overrides;
      std::string label, group;
      biornn::Graph graph;
    };
    std::vector<Job> jobs;
    for (const auto& c : combos) {
      Job j{c, fixed, "", "", {}};
      std::string file = graph_file;
      for (size_t i = 0; i < axes.size(); ++i) {
        std::string part;
        if (axes[i].key == "graph") {  // the graph file itself varies (relative to the sweep file)
          file = (fs::path(path).parent_path() / unquote(axes[i].values[c[i]])).lexically_normal().string();
          part = fs::path(unquote(axes[i].values[c[i]])).stem().string();
        } else {
          j.overrides.push_back(axes[i].key + "=" + axes[i].values[c[i]]);
          part = short_key(axes[i].key) + "=" + label_value(axes[i].values[c[i]]);
        }
        j.label += (j.label.empty() ? "" : ",") + part;
        if (axes[i].key != "train.seed") j.group += (j.group.empty() ? "" : ", ") + part;
      }
      if (j.label.empty()) j.label = "base";
      if (j.group.empty()) j.group = "base";
      j.graph = biornn::parse_graph_file(file, j.overrides, registry);
      jobs.push_back(std::move(j));
    }
    spdlog::info("sweep {}: {} runs of {}", name, jobs.size(), graph_file);
    for (const auto& j : jobs) spdlog::info("  {}", j.label);
    if (dry) return 0;

    const fs::path root_dir = fs::path(runs_root.empty() ? (fs::path(biornn::workspace_directory()) / "runs").string()
                                                         : biornn::resolve_user_path(runs_root)) /
                              name;
    std::map<std::string, std::vector<double>> by_group, speed_by_group;
    std::vector<std::string> group_order;
    std::ostringstream runs_csv;
    runs_csv << "label,group,status,test_accuracy,validation_accuracy,train_loss,samples_per_second,run_dir\n";
    for (auto& j : jobs) {
      const auto run = biornn::RunDirectory::at((root_dir / j.label).string());
      biornn::RunOutcome out;
      biornn::MetricsTable table;
      table.load(run.file("metrics.csv"), 1 << 30);
      const auto& done = table.rows();
      std::ifstream summary_file(run.file("summary.json"));
      const std::string summary((std::istreambuf_iterator<char>(summary_file)), {});
      if (keep && summary.find("\"status\": \"completed\"") != std::string::npos && !done.empty()) {
        // Finished in an earlier invocation of this sweep: reuse its metrics.
        out.status = "completed";
        for (const auto& row : done) {
          biornn::EpochMetrics m;
          m.epoch = int(row.at("epoch"));
          m.test_accuracy = row.at("test_accuracy");
          m.validation_accuracy = row.at("validation_accuracy");
          m.train_loss = row.at("train_loss");
          m.samples_per_second = row.at("samples_per_second");
          out.result.epochs.push_back(m);
        }
        spdlog::info("{}: already completed in {}, reusing it", j.label, run.path());
      } else {
        out = biornn::execute_run(j.graph, registry, run, false);
      }
      if (out.status == "interrupted") {
        spdlog::warn("sweep interrupted; finished runs are in {}", root_dir.string());
        return 130;
      }
      const auto& r = out.result;
      double value = std::nan(""), speed = 0;
      if (!r.epochs.empty()) {
        value = metric == "test_accuracy" ? r.epochs.back().test_accuracy : r.epochs.back().validation_accuracy;
        for (const auto& e : r.epochs) speed += e.samples_per_second / r.epochs.size();
      }
      if (!by_group.count(j.group)) group_order.push_back(j.group);
      by_group[j.group].push_back(value);
      speed_by_group[j.group].push_back(speed);
      runs_csv << '"' << j.label << "\",\"" << j.group << "\"," << out.status << ","
               << (r.epochs.empty() ? std::nan("") : r.epochs.back().test_accuracy) << ","
               << (r.epochs.empty() ? std::nan("") : r.epochs.back().validation_accuracy) << ","
               << (r.epochs.empty() ? std::nan("") : r.epochs.back().train_loss) << "," << speed << "," << run.path()
               << "\n";
      std::cout << "sweep run: " << j.label << " status=" << out.status << " " << metric << "=" << value << std::endl;
    }

    std::ostringstream md, csv;
    md << "| setting | runs | " << metric << " mean | std | min | max | samples/s |\n|---|---|---|---|---|---|---|\n";
    csv << "setting,runs," << metric << "_mean," << metric << "_std,min,max,samples_per_second\n";
    std::vector<double> means, stds;
    for (const auto& g : group_order) {
      const auto& v = by_group[g];
      double mean = 0, sq = 0, lo = 1e300, hi = -1e300, sp = 0;
      for (double x : v) {
        mean += x / v.size();
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      for (double x : v) sq += (x - mean) * (x - mean);
      const double sd = v.size() > 1 ? std::sqrt(sq / (v.size() - 1)) : 0.0;
      for (double x : speed_by_group[g]) sp += x / speed_by_group[g].size();
      char row[512];
      std::snprintf(row, sizeof row, "| %s | %zu | %.2f%% | %.2f | %.2f%% | %.2f%% | %.0f |\n", g.c_str(), v.size(),
                    100 * mean, 100 * sd, 100 * lo, 100 * hi, sp);
      md << row;
      csv << '"' << g << "\"," << v.size() << "," << mean << "," << sd << "," << lo << "," << hi << "," << sp << "\n";
      means.push_back(100 * mean);
      stds.push_back(100 * sd);
    }
    const auto summary = biornn::RunDirectory::at(root_dir.string());
    summary.write_text("runs.csv", runs_csv.str());
    summary.write_text("summary.md", "# Sweep " + name + "\n\nGraph: " + graph_file + "\n\n" + md.str());
    summary.write_text("summary.csv", csv.str());
    summary.write_text("summary.svg", biornn::bar_chart_svg("Sweep " + name, group_order, means, stds, metric + " (%)"));
    std::cout << "\n" << md.str() << "\nwritten: " << summary.file("summary.md") << std::endl;
  } catch (const biornn::Error& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
