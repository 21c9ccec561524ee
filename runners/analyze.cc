// analyze: what a trained network does on its task. Records activity on fresh test trials
// (activity.npz), draws trajectories on their principal components, the task's plots, and
// finds the fixed points of one step with the input held at x* (fixed_points.npz and plot).
//   bazel run //runners:analyze -- runs/flip_flop_varying_dale/001
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "core/engine/builtins.h"
#include "core/analysis/analysis.h"
#include "core/experiment/checkpoint.h"
#include "core/experiment/graph.h"
#include "core/platform/npz.h"
#include "core/analysis/pca.h"
#include "core/plots/plot.h"
#include "core/experiment/run_directory.h"
#include "runners/common.h"

namespace biornn {
namespace {

namespace fs = std::filesystem;

struct Settings {
  std::string run_dir, out_dir, checkpoint = "last", input = "zero";
  int trials = 256, starts = 512;
  double start_noise = 0.1;
  uint64_t seed = 1;
  FixedPointOptions fixed_points;
};

NpyArray floats(const std::string& name, std::vector<int64_t> shape, std::vector<float> v) {
  return {name, std::move(shape), std::move(v), {}};
}

void write_activity(const std::string& path, const Activity& a, const Dataset& d) {
  const int64_t T = a.steps, n = a.trials;
  std::vector<NpyArray> arrays = {floats("inputs", {T, n, a.features}, a.x), floats("rates", {T, n, a.hidden}, a.rates),
                                  floats("outputs", {T, n, a.output_size}, a.outputs), floats("mask", {T, n}, a.mask),
                                  floats("correct", {n}, a.correct)};
  if (!a.gates.empty()) arrays.push_back(floats("gates", {T, n, a.hidden}, a.gates));
  if (!a.states.empty()) arrays.push_back(floats("states", {T, n, a.state_size}, a.states));
  if (d.target_kind() == TargetKind::kStepClass) {
    arrays.push_back({"labels", {T, n}, {}, a.labels});
    arrays.push_back({"decisions", {n}, {}, a.decisions});
  } else {
    arrays.push_back(floats("targets", {T, n, a.output_size}, a.targets));
  }
  const auto names = d.condition_names();
  for (size_t c = 0; c < names.size(); ++c) {
    std::vector<float> v;
    for (int i = 0; i < a.trials; ++i) v.push_back(a.conditions[size_t(i) * names.size() + c]);
    arrays.push_back(floats("condition_" + names[c], {n}, v));
  }
  write_npz(path, arrays);
}

// Colour groups of the trials: the distinct condition tuples when there are at most 8, else
// the distinct values of the first condition when at most 8, else its quartiles.
std::pair<std::vector<int>, std::vector<std::string>> groups(const Activity& a, const std::vector<std::string>& names) {
  const size_t C = names.size();
  std::vector<int> group(size_t(a.trials), 0);
  if (C == 0) return {group, {"all trials"}};
  auto tuple = [&](int i) {
    return std::vector<float>(a.conditions.begin() + ptrdiff_t(i * C), a.conditions.begin() + ptrdiff_t((i + 1) * C));
  };
  for (size_t use : {C, size_t(1)}) {
    std::map<std::vector<float>, int> seen;
    for (int i = 0; i < a.trials; ++i) {
      auto t = tuple(i);
      t.resize(use);
      seen.emplace(t, 0);
    }
    if (seen.size() > 8) continue;
    std::vector<std::string> labels;
    int k = 0;
    for (auto& [t, index] : seen) {
      index = k++;
      std::string label;
      for (size_t c = 0; c < use; ++c) label += (c ? ", " : "") + names[c] + " " + fmt::format("{:g}", t[c]);
      labels.push_back(label);
    }
    for (int i = 0; i < a.trials; ++i) {
      auto t = tuple(i);
      t.resize(use);
      group[size_t(i)] = seen[t];
    }
    return {group, labels};
  }
  std::vector<float> first;
  for (int i = 0; i < a.trials; ++i) first.push_back(a.conditions[size_t(i) * C]);
  std::vector<float> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  std::vector<float> cuts;
  for (int q = 1; q < 4; ++q) cuts.push_back(sorted[sorted.size() * q / 4]);
  std::vector<std::string> labels;
  for (int q = 0; q < 4; ++q) labels.push_back(names[0] + " quartile " + std::to_string(q + 1));
  for (int i = 0; i < a.trials; ++i)
    group[size_t(i)] = int(std::upper_bound(cuts.begin(), cuts.end(), first[size_t(i)]) - cuts.begin());
  return {group, labels};
}

// Trajectories of every trial on the first two components (at most 64 drawn per group).
std::vector<Trajectory> trajectories(const Activity& a, const Eigen::MatrixXd& pc, const std::vector<int>& group) {
  std::vector<Trajectory> out;
  std::map<int, int> drawn;
  for (int i = 0; i < a.trials; ++i) {
    if (drawn[group[size_t(i)]]++ >= 64) continue;
    Trajectory t;
    t.group = group[size_t(i)];
    for (int s = 0; s < a.steps; ++s) {
      const Eigen::Index row = Eigen::Index(s) * a.trials + i;
      t.x.push_back(pc(row, 0));
      t.y.push_back(pc(row, 1));
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string axis(const Pca& p, int k) { return fmt::format("PC{} ({:.1f}% of variance)", k + 1, 100 * p.explained(k)); }

// Choice tasks: P(choice 2) against each condition that is not "context", one curve per context
// when there is one (Mante et al. 2013), else one curve; the table behind the curves in
// psychometric.csv, and % correct by the evidence's magnitude on the console.
void psychometric_plots(const Activity& a, const std::vector<std::string>& names, const RunDirectory& out) {
  const bool has_context = std::find(names.begin(), names.end(), "context") != names.end();
  const std::vector<ChoiceRow> rows = choice_table(a, names);
  std::string csv = "condition,context,value,trials,percent_choice_2,percent_correct\n";
  std::map<std::string, std::map<float, Series>> curves;  // condition -> context -> curve
  for (const ChoiceRow& r : rows) {
    csv +=
        fmt::format("{},{:g},{:g},{},{:.2f},{:.2f}\n", r.condition, r.context, r.value, r.trials, r.choice2, r.correct);
    Series& s = curves[r.condition][r.context];
    s.name = !has_context     ? "network"
             : r.context == 0 ? "context: motion"
             : r.context == 1 ? "context: colour"
                              : fmt::format("context {:g}", r.context);
    s.x.push_back(r.value);
    s.y.push_back(r.choice2);
  }
  out.write_text("psychometric.csv", csv);
  std::cout << "analyze: " << out.file("psychometric.csv") << "\n";
  for (const std::string& line : accuracy_by_magnitude(a, names)) std::cout << "analyze: " << line << "\n";
  for (const auto& [condition, by_context] : curves) {
    std::vector<Series> series;
    for (const auto& entry : by_context) series.push_back(entry.second);
    const std::string stem = "psychometric_" + condition;
    write_figure(out.path(), stem,
                 line_plot("psychometric curve: choices against " + condition,
                           condition + " (signed: > 0 favours choice 2)", "% choice 2", series));
    std::cout << "analyze: " << out.file(stem) << ".svg, .png\n";
  }
}

// The task's score per distinct condition tuple (when there are at most 24 of them).
void performance_plot(const Activity& a, const std::vector<std::string>& names, const RunDirectory& out) {
  const size_t C = names.size();
  std::map<std::vector<float>, std::pair<double, int>> by;
  for (int i = 0; i < a.trials; ++i) {
    std::vector<float> t(a.conditions.begin() + ptrdiff_t(i * C), a.conditions.begin() + ptrdiff_t((i + 1) * C));
    by[t].first += a.correct[size_t(i)];
    by[t].second += 1;
  }
  if (C == 0 || by.size() > 24) {
    std::cout << "analyze: no per-condition plot (" << by.size() << " distinct conditions)\n";
    return;
  }
  std::vector<std::string> labels;
  std::vector<double> values;
  for (const auto& [t, k] : by) {
    std::string label;
    for (size_t c = 0; c < C; ++c) label += (c ? "," : "") + fmt::format("{:g}", t[c]);
    labels.push_back(label);
    values.push_back(100.0 * k.first / k.second);
  }
  std::string joined;
  for (size_t c = 0; c < C; ++c) joined += (c ? ", " : "") + names[c];
  write_figure(out.path(), "performance",
               bar_chart("task score per condition (" + joined + ")", labels, values, {}, "% correct"));
  std::cout << "analyze: " << out.file("performance") << ".svg, .png\n";
}

// x*: zeros, or the mean input over every recorded step, or comma-separated values.
std::vector<float> fixed_point_input(const std::string& spec, const Activity& a) {
  std::vector<float> x(size_t(a.features), 0.0f);
  if (spec == "zero") return x;
  if (spec == "mean") {
    const size_t rows = size_t(a.steps) * a.trials;
    for (size_t r = 0; r < rows; ++r)
      for (int f = 0; f < a.features; ++f) x[size_t(f)] += a.x[r * a.features + f] / float(rows);
    return x;
  }
  std::stringstream in(spec);
  std::string item;
  x.clear();
  while (std::getline(in, item, ',')) x.push_back(std::stof(item));
  if (int(x.size()) != a.features)
    throw Error("--input: " + std::to_string(x.size()) + " values given, the task has " + std::to_string(a.features) +
                " inputs (or use zero / mean)");
  return x;
}

void find_and_plot_fixed_points(Experiment& e, const Activity& a, const Pca& pca, const Eigen::MatrixXd& pc,
                                const std::vector<int>& group, const std::vector<std::string>& group_names,
                                const Settings& set, const RunDirectory& out) {
  RecurrentLayer& layer = *e.model.layers().back();
  const std::string why = why_no_step_map(layer);
  if (!why.empty() || e.model.layers().size() > 1) {
    std::cout << "analyze: fixed points: not searched: "
              << (why.empty() ? "the model has several layers; the finder works on a one-layer model, whose input is "
                                "the task's"
                              : why)
              << "\n";
    return;
  }
  const std::vector<float> input = fixed_point_input(set.input, a);
  LayerStepMap map(layer, input);
  const int S = map.dimension();
  std::mt19937_64 rng(set.seed);
  std::uniform_int_distribution<int64_t> pick(0, int64_t(a.steps) * a.trials - 1);
  std::normal_distribution<float> noise(0, float(set.start_noise));
  std::vector<float> starts;
  for (int k = 0; k < set.starts; ++k) {
    const int64_t row = pick(rng);
    for (int d = 0; d < S; ++d) starts.push_back(a.states[size_t(row) * S + d] + noise(rng));
  }
  const FixedPointSearch found = find_fixed_points(map, starts, set.starts, set.fixed_points);
  int stable = 0;
  std::map<int, int> saddles;
  for (const FixedPoint& p : found.points) p.stable() ? ++stable : ++saddles[p.unstable];
  std::string saddle_text;
  for (const auto& [k, count] : saddles)
    saddle_text += fmt::format(", {} with {} unstable mode{}", count, k, k > 1 ? "s" : "");
  std::cout << fmt::format("analyze: fixed points: {} of {} starts converged (q < {:g}); {} distinct: {} stable{}\n",
                           found.converged, set.starts, set.fixed_points.tolerance, found.points.size(), stable,
                           saddle_text);

  // Save, and project each point's rate onto the trajectories' components.
  const int P = int(found.points.size()), H = layer.hidden();
  std::vector<float> states, q, unstable, counts, real, imag, rates(size_t(P) * H);
  for (const FixedPoint& p : found.points) {
    states.insert(states.end(), p.state.begin(), p.state.end());
    q.push_back(float(p.q));
    unstable.push_back(float(p.unstable));
    counts.push_back(float(p.starts));
    for (const auto& l : p.eigenvalues) real.push_back(float(l.real())), imag.push_back(float(l.imag()));
  }
  if (P > 0)
    dynamic_cast<const StepCell&>(layer.cell())  // a per-step layer: checked before the search
        .rate(ConstMatrixMap(states.data(), P, S, Eigen::OuterStride<>(S)),
              MatrixMap(rates.data(), P, H, Eigen::OuterStride<>(H)));
  write_npz(
      out.file("fixed_points.npz"),
      {floats("states", {P, S}, states), floats("rates", {P, H}, rates), floats("q", {P}, q),
       floats("unstable_modes", {P}, unstable), floats("starts", {P}, counts), floats("eigenvalues_real", {P, S}, real),
       floats("eigenvalues_imag", {P, S}, imag), floats("input", {int64_t(input.size())}, input),
       floats("final_q", {set.starts}, std::vector<float>(found.final_q.begin(), found.final_q.end()))});
  std::vector<Marker> markers;
  if (P > 0) {
    const Eigen::MatrixXd xy = pca.project(rates.data(), P);
    for (int k = 0; k < P; ++k)
      markers.push_back({xy(k, 0), xy(k, 1), found.points[size_t(k)].stable(),
                         found.points[size_t(k)].stable() ? "" : std::to_string(found.points[size_t(k)].unstable)});
  }
  write_figure(
      out.path(), "fixed_points",
      trajectories_plot(fmt::format("fixed points: {} stable (filled), {} unstable (open, number = unstable modes)",
                                    stable, P - stable),
                        axis(pca, 0), axis(pca, 1), trajectories(a, pc, group), group_names, markers));
  std::cout << "analyze: " << out.file("fixed_points") << ".svg, .png\n";
}

int analyze(const Settings& set, const std::vector<std::string>& plugin_dirs, const char* argv0) {
  Registry registry;
  register_builtins(registry);
  PluginLoader loader(registry);
  load_plugins(loader, argv0, plugin_dirs);
  const std::string dir = resolve_user_path(set.run_dir);
  const std::string ckpt_name = set.checkpoint == "best" ? "checkpoint_best.bin" : "checkpoint.bin";
  for (const std::string f : {"graph.toml", ckpt_name.c_str()})
    if (!fs::exists(fs::path(dir) / f))
      throw Error(dir + " has no " + f +
                  ": analyze reads a run directory that train wrote (e.g. runs/flip_flop_gru/001)");
  const RunDirectory run = RunDirectory::at(dir);
  Graph graph = parse_graph_file(run.file("graph.toml"), {}, registry);
  auto e = build_experiment(graph, registry);
  TrainState state;
  load_checkpoint(run.file(ckpt_name), *e, state);
  e->dataset->load();
  const RunDirectory out =
      RunDirectory::at(set.out_dir.empty() ? run.file("analysis") : resolve_user_path(set.out_dir));

  const int64_t available = e->dataset->size(Split::kTest);
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < std::min<int64_t>(set.trials, available); ++i) indices.push_back(i);
  const Activity a = record_activity(e->model, *e->dataset, Split::kTest, indices);
  write_activity(out.file("activity.npz"), a, *e->dataset);
  double mean = 0;
  for (float c : a.correct) mean += c / a.trials;
  std::cout << fmt::format("analyze: {} fresh test trials of {} (epoch {}): task score {:.2f}%\n", a.trials,
                           e->dataset->describe(), state.epochs_done, 100 * mean);
  std::cout << "analyze: " << out.file("activity.npz") << "\n";

  const std::vector<std::string> names = e->dataset->condition_names();
  const Pca pca = fit_pca(a.rates.data(), int64_t(a.steps) * a.trials, a.hidden, std::min(3, a.hidden));
  const Eigen::MatrixXd pc = pca.project(a.rates.data(), int64_t(a.steps) * a.trials);
  const auto [group, group_names] = groups(a, names);
  write_figure(out.path(), "pca",
               trajectories_plot("rates r_t on their first two principal components", axis(pca, 0), axis(pca, 1),
                                 trajectories(a, pc, group), group_names, {}));
  std::cout << "analyze: " << out.file("pca") << ".svg, .png\n";
  if (!a.decisions.empty()) psychometric_plots(a, names, out);
  performance_plot(a, names, out);
  find_and_plot_fixed_points(*e, a, pca, pc, group, group_names, set, out);
  return 0;
}

}  // namespace
}  // namespace biornn

int main(int argc, char** argv) {
  CLI::App app{"Analyse a trained run: activity on fresh trials, PCA, task plots, fixed points."};
  biornn::Settings set;
  std::vector<std::string> plugin_dirs;
  app.add_option("run_dir", set.run_dir, "a run directory written by train")->required();
  app.add_option("--out", set.out_dir, "where to write (default RUN_DIR/analysis)");
  app.add_option("--checkpoint", set.checkpoint, "last or best")->check(CLI::IsMember({"last", "best"}));
  app.add_option("--trials", set.trials, "fresh test trials to record")->check(CLI::Range(2, 100000));
  app.add_option("--starts", set.starts, "starting states of the fixed-point search, sampled on the trajectories")
      ->check(CLI::Range(1, 100000));
  app.add_option("--start-noise", set.start_noise, "standard deviation of the noise added to each start")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--iterations", set.fixed_points.iterations, "optimiser steps at most")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--learning-rate", set.fixed_points.learning_rate, "initial step size of the search")
      ->check(CLI::Range(1e-9, 10.0));
  app.add_option("--tolerance", set.fixed_points.tolerance, "q = 1/2 |F(h) - h|^2 below this is a fixed point")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--merge-distance", set.fixed_points.merge_distance, "states closer than this are one fixed point")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--input", set.input, "x* held during the search: zero, mean, or comma-separated values");
  app.add_option("--seed", set.seed, "seed of the start sampling");
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory");
  CLI11_PARSE(app, argc, argv);
  return biornn::run_main([&](biornn::ProcessBoundary&) { return biornn::analyze(set, plugin_dirs, argv[0]); });
}
