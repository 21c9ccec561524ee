// analyze: what a trained network does on its task. Records activity on fresh test trials
// (activity.npz), draws trajectories on their principal components, the task's plots, and
// finds the fixed points of one step with the input held at x* (fixed_points.npz and plot).
//   bazel run //runners:analyze -- runs/flip_flop_varying_dale/001
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <set>

#include "core/engine/builtins.h"
#include "core/analysis/analysis.h"
#include "core/experiment/checkpoint.h"
#include "core/experiment/graph.h"
#include "core/platform/npz.h"
#include "core/analysis/dimensionality.h"
#include "core/analysis/pca.h"
#include "core/analysis/task_variance.h"
#include "core/plots/plot.h"
#include "core/experiment/run_directory.h"
#include "core/experiment/summary_json.h"
#include "runners/common.h"

namespace biornn {
namespace {

namespace fs = std::filesystem;

struct Settings {
  std::string run_dir, out_dir, checkpoint = "last", input = "auto";
  std::string graph, weights;    // --graph G.toml --weights W.npz: a network from outside a run directory
  std::string task;              // --task NAME: one task of a multi-task network
  std::string continuation;      // a condition whose values the fixed points are followed along
  int continuation_between = 4;  // interpolated inputs between neighbouring values
  int trials = 256, starts = 1024;
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

// Choice tasks: P(choice 2) against each signed-evidence condition, one curve per context
// when there is one (Mante et al. 2013), else one curve; the table behind the curves in
// psychometric.csv, and % correct by the evidence's magnitude on the console.
void psychometric_plots(const Activity& a, const std::vector<std::string>& names, const RunDirectory& out) {
  const bool has_context = std::find(names.begin(), names.end(), "context") != names.end();
  const std::vector<ChoiceRow> rows = choice_table(a, names);
  if (rows.empty()) return;  // no signed-evidence condition: condition_score_plots draws the task's conditions
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
    Figure figure = line_plot("psychometric curve: choices against " + condition,
                              condition + " (signed evidence: > 0 favours choice 2)", "% choice 2", series);
    write_figure(out.path(), stem, figure.y_limits(0, 100));
    std::cout << "analyze: " << out.file(stem) << ".svg, .png\n";
  }
}

// % correct per value of each category or circular condition and per quartile of each
// magnitude (scores_by_condition): a bar chart per condition on a 0-100% axis, and the table.
void condition_score_plots(const Activity& a, const std::vector<std::string>& names, const RunDirectory& out) {
  const std::vector<ConditionScore> rows = scores_by_condition(a, names);
  if (rows.empty()) return;
  std::string csv = "condition,kind,value,trials,percent_correct\n";
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<double>>> bars;
  for (const ConditionScore& r : rows) {
    const size_t c = size_t(std::find(names.begin(), names.end(), r.condition) - names.begin());
    csv += fmt::format("{},{},{},{},{:.2f}\n", r.condition, condition_kind_name(a.condition_kinds[c]), r.label,
                       r.trials, r.correct);
    bars[r.condition].first.push_back(r.label);
    bars[r.condition].second.push_back(r.correct);
  }
  out.write_text("scores_by_condition.csv", csv);
  std::cout << "analyze: " << out.file("scores_by_condition.csv") << "\n";
  for (const auto& [condition, b] : bars) {
    const size_t c = size_t(std::find(names.begin(), names.end(), condition) - names.begin());
    Figure figure = bar_chart("task score by " + condition + " (" + condition_kind_name(a.condition_kinds[c]) + ")",
                              b.first, b.second, {}, "% correct");
    write_figure(out.path(), "score_by_" + condition, figure.y_limits(0, 100));
    std::cout << "analyze: " << out.file("score_by_" + condition) << ".svg, .png\n";
  }
}

// Components needed to explain `fraction` of the variance.
int components_for(const std::vector<double>& explained, double fraction) {
  double sum = 0;
  for (size_t k = 0; k < explained.size(); ++k)
    if ((sum += explained[k]) >= fraction) return int(k + 1);
  return int(explained.size());
}

// Participation ratio and variance explained per task period (dimensionality.csv, a plot of
// the cumulative variance explained), and the speed of the rates along the trials (speed.csv).
void dimensionality_report(const Activity& a, const RunDirectory& out) {
  const std::vector<PeriodDimensionality> dims = dimensionality_by_period(a);
  std::string csv =
      "period,samples,participation_ratio,components_for_90_percent,explained_pc1,explained_pc2,"
      "explained_pc3\n";
  std::vector<Series> cumulative;
  for (const PeriodDimensionality& d : dims) {
    const auto pc = [&](size_t k) { return k < d.explained.size() ? d.explained[k] : 0.0; };
    csv += fmt::format("{},{},{:.3f},{},{:.4f},{:.4f},{:.4f}\n", d.period, d.samples, d.participation_ratio,
                       components_for(d.explained, 0.9), pc(0), pc(1), pc(2));
    std::cout << fmt::format(
        "analyze: dimensionality, {}: participation ratio {:.2f}, {} components for 90% of "
        "the variance (PC1 {:.1f}%)\n",
        d.period, d.participation_ratio, components_for(d.explained, 0.9), 100 * pc(0));
    Series s{d.period, {}, {}};
    double sum = 0;
    for (size_t k = 0; k < std::min<size_t>(d.explained.size(), 20); ++k) {
      s.x.push_back(double(k + 1));
      s.y.push_back(100 * (sum += d.explained[k]));
    }
    cumulative.push_back(s);
  }
  out.write_text("dimensionality.csv", csv);
  Figure figure = line_plot("variance explained by the first principal components of r_t", "components",
                            "% of the variance (cumulative)", cumulative);
  write_figure(out.path(), "variance_explained", figure.y_limits(0, 100));
  const std::vector<double> speed = rate_speed(a);
  std::string speed_csv = "step,mean_speed\n";
  Series s{"mean over trials", {}, {}};
  for (size_t t = 0; t < speed.size(); ++t) {
    speed_csv += fmt::format("{},{:.6g}\n", t, speed[t]);
    s.x.push_back(double(t));
    s.y.push_back(speed[t]);
  }
  out.write_text("speed.csv", speed_csv);
  write_figure(out.path(), "speed", line_plot("speed of the rates along the trials", "step t", "|r_{t+1} - r_t|", {s}));
  std::cout << "analyze: " << out.file("dimensionality.csv") << ", " << out.file("speed.csv") << ", "
            << out.file("variance_explained") << ".svg, .png, " << out.file("speed") << ".svg, .png\n";
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
  Figure figure = bar_chart("task score per condition (" + joined + ")", labels, values, {}, "% correct");
  write_figure(out.path(), "performance", figure.y_limits(0, 100));
  std::cout << "analyze: " << out.file("performance") << ".svg, .png\n";
}

// The mean input over the recorded steps (rows of [T, n]) for which `keep(row)` holds.
template <class Keep>
std::vector<float> mean_input(const Activity& a, Keep keep, const std::string& what) {
  std::vector<double> sum(size_t(a.features), 0.0);
  int64_t count = 0;
  for (int64_t r = 0; r < int64_t(a.steps) * a.trials; ++r) {
    if (!keep(size_t(r))) continue;
    ++count;
    for (int f = 0; f < a.features; ++f) sum[size_t(f)] += a.x[size_t(r) * a.features + f];
  }
  if (count == 0) throw Error("--input " + what + ": no recorded step is in that period (use zero, mean or values)");
  std::vector<float> x;
  for (double v : sum) x.push_back(float(v / double(count)));
  return x;
}

// x*: "auto" (fixation for a choice task, whose fixation input is on whenever it holds a
// memory, else zero), zeros, the mean input over every recorded step, over the steps whose
// target is to fixate (fixation and delay periods), over the response steps, or values.
std::vector<float> fixed_point_input(const std::string& spec, const Activity& a) {
  const bool choice_task = !a.decisions.empty();
  if (spec == "auto") return fixed_point_input(choice_task ? "fixation" : "zero", a);
  if (spec == "zero") return std::vector<float>(size_t(a.features), 0.0f);
  if (spec == "mean")
    return mean_input(
        a, [](size_t) { return true; }, spec);
  if ((spec == "fixation" || spec == "response") && !choice_task)
    throw Error("--input " + spec +
                ": the task has no fixation or response period (not a choice task); use zero, "
                "mean or values");
  if (spec == "fixation")
    return mean_input(
        a, [&](size_t r) { return a.mask[r] > 0 && a.labels[r] == 0; }, spec);
  if (spec == "response")
    return mean_input(
        a, [&](size_t r) { return a.labels[r] > 0; }, spec);
  std::stringstream in(spec);
  std::string item;
  std::vector<float> x;
  while (std::getline(in, item, ',')) {
    try {
      x.push_back(std::stof(item));
    } catch (const std::exception&) {
      throw Error("--input: '" + item + "' is not a number (use auto, zero, mean, fixation, response or values)");
    }
  }
  if (int(x.size()) != a.features)
    throw Error("--input: " + std::to_string(x.size()) + " values given, the task has " + std::to_string(a.features) +
                " inputs (or use auto, zero, mean, fixation, response)");
  return x;
}

// Starting states: recorded states picked at random, plus Gaussian noise.
std::vector<float> sample_starts(const Activity& a, const Settings& set) {
  const int S = a.state_size;
  Rng rng(uint64_t(set.seed));
  std::vector<float> starts;
  for (int k = 0; k < set.starts; ++k) {
    const uint64_t row = rng.below(uint64_t(a.steps) * uint64_t(a.trials));
    for (int d = 0; d < S; ++d) starts.push_back(a.states[row * S + d] + float(set.start_noise * rng.normal()));
  }
  return starts;
}

int stable_count(const std::vector<FixedPoint>& points) {
  return int(std::count_if(points.begin(), points.end(), [](const FixedPoint& p) { return p.stable(); }));
}

// "12 stable, 3 with 1 unstable mode, 1 with 2 unstable modes".
std::string count_by_modes(const std::vector<FixedPoint>& points) {
  int stable = 0;
  std::map<int, int> saddles;
  for (const FixedPoint& p : points) p.stable() ? ++stable : ++saddles[p.unstable];
  std::string text = std::to_string(stable) + " stable";
  for (const auto& [k, count] : saddles)
    text += fmt::format(", {} with {} unstable mode{}", count, k, k > 1 ? "s" : "");
  return text;
}

void report_search(const FixedPointSearch& found, const Settings& set) {
  std::cout << fmt::format(
      "analyze: fixed points: {} of {} starts converged (q < {:g} after Newton polishing); {} "
      "outliers dropped; {} distinct: {}\n",
      found.converged, set.starts, set.fixed_points.tolerance, found.outliers, found.points.size(),
      count_by_modes(found.points));
  if (found.converged > 0) return;
  const double best = *std::min_element(found.final_q.begin(), found.final_q.end());
  std::cout << fmt::format(
      "analyze: fixed points: no start converged (lowest q reached {:.3g}, tolerance {:g}): the network still moves "
      "at this input x* ({}). Try another input (--input fixation, mean, response, or the values of a task period), "
      "more --iterations, more --starts, or a larger --tolerance.\n",
      best, set.fixed_points.tolerance, set.input);
}

// Real and imaginary parts of one complex matrix per point, as [P, rows, cols] arrays.
std::vector<NpyArray> complex_stack(const std::string& name, const std::vector<FixedPoint>& points,
                                    Eigen::MatrixXcd FixedPoint::*m) {
  std::vector<float> re, im;
  int64_t rows = 0, cols = 0;
  for (const FixedPoint& p : points) {
    const Eigen::Matrix<std::complex<double>, -1, -1, Eigen::RowMajor> v = p.*m;
    rows = v.rows(), cols = v.cols();
    for (Eigen::Index k = 0; k < v.size(); ++k)
      re.push_back(float(v.data()[k].real())), im.push_back(float(v.data()[k].imag()));
  }
  const int64_t P = int64_t(points.size());
  return {floats(name + "_real", {P, rows, cols}, re), floats(name + "_imag", {P, rows, cols}, im)};
}

std::vector<float> row_major(const Eigen::MatrixXd& m) {
  const Eigen::Matrix<double, -1, -1, Eigen::RowMajor> r = m;
  return std::vector<float>(r.data(), r.data() + r.size());
}

// Each point's rates r = rate(s), [P, H].
std::vector<float> point_rates(RecurrentLayer& layer, const std::vector<FixedPoint>& points) {
  const int P = int(points.size()), S = layer.state_size(), H = layer.hidden();
  std::vector<float> states, rates(size_t(P) * H);
  for (const FixedPoint& p : points) states.insert(states.end(), p.state.begin(), p.state.end());
  if (P > 0)
    dynamic_cast<const StepCell&>(layer.cell())  // a per-step layer: checked before the search
        .rate(ConstMatrixMap(states.data(), P, S, Eigen::OuterStride<>(S)),
              MatrixMap(rates.data(), P, H, Eigen::OuterStride<>(H)));
  return rates;
}

void write_fixed_points(const std::string& path, const FixedPointSearch& found, const std::vector<float>& rates,
                        const std::vector<float>& input, int S, int H) {
  const int64_t P = int64_t(found.points.size()), F = int64_t(input.size());
  std::vector<float> states, q, unstable, counts, real, imag, jac, input_jac;
  for (const FixedPoint& p : found.points) {
    states.insert(states.end(), p.state.begin(), p.state.end());
    q.push_back(float(p.q));
    unstable.push_back(float(p.unstable));
    counts.push_back(float(p.starts));
    for (const auto& l : p.eigenvalues) real.push_back(float(l.real())), imag.push_back(float(l.imag()));
    for (float v : row_major(p.jacobian)) jac.push_back(v);
    for (float v : row_major(p.input_jacobian)) input_jac.push_back(v);
  }
  const auto as_floats = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  std::vector<NpyArray> arrays = {floats("states", {P, S}, states),
                                  floats("rates", {P, H}, rates),
                                  floats("q", {P}, q),
                                  floats("unstable_modes", {P}, unstable),
                                  floats("starts", {P}, counts),
                                  floats("eigenvalues_real", {P, S}, real),
                                  floats("eigenvalues_imag", {P, S}, imag),
                                  floats("jacobians", {P, S, S}, jac),
                                  floats("input_jacobians", {P, S, F}, input_jac),
                                  floats("input", {F}, input),
                                  floats("adam_q", {int64_t(found.adam_q.size())}, as_floats(found.adam_q)),
                                  floats("final_q", {int64_t(found.final_q.size())}, as_floats(found.final_q))};
  for (auto& a : complex_stack("right_eigenvectors", found.points, &FixedPoint::right)) arrays.push_back(a);
  for (auto& a : complex_stack("left_eigenvectors", found.points, &FixedPoint::left)) arrays.push_back(a);
  write_npz(path, arrays);
}

// Why the fixed points of this model cannot be searched ("" when they can).
std::string why_no_fixed_points(const Model& model) {
  const std::string why = why_no_step_map(*model.layers().back());
  if (!why.empty()) return why;
  if (model.layers().size() > 1)
    return "the model has several layers; the finder works on a one-layer model, whose input is the task's";
  return "";
}

void find_and_plot_fixed_points(Experiment& e, const Activity& a, const Pca& pca, const Eigen::MatrixXd& pc,
                                const std::vector<int>& group, const std::vector<std::string>& group_names,
                                const Settings& set, const RunDirectory& out) {
  const std::string why = why_no_fixed_points(e.model);
  if (!why.empty()) {
    std::cout << "analyze: fixed points: not searched: " << why << "\n";
    return;
  }
  RecurrentLayer& layer = *e.model.layers().back();
  const std::vector<float> input = fixed_point_input(set.input, a);
  LayerStepMap map(layer, input);
  const FixedPointSearch found = find_fixed_points(map, sample_starts(a, set), set.starts, set.fixed_points);
  report_search(found, set);
  const std::vector<float> rates = point_rates(layer, found.points);
  write_fixed_points(out.file("fixed_points.npz"), found, rates, input, map.dimension(), layer.hidden());
  std::vector<Marker> markers;
  const int P = int(found.points.size());
  if (P > 0) {
    const Eigen::MatrixXd xy = pca.project(rates.data(), P);
    for (int k = 0; k < P; ++k) {
      const FixedPoint& p = found.points[size_t(k)];
      markers.push_back({xy(k, 0), xy(k, 1), p.stable(), p.stable() ? "" : std::to_string(p.unstable)});
    }
  }
  write_figure(out.path(), "fixed_points",
               trajectories_plot(fmt::format("fixed points: {} stable (filled), {} unstable (open: number = "
                                             "unstable modes)",
                                             stable_count(found.points), P - stable_count(found.points)),
                                 axis(pca, 0), axis(pca, 1), trajectories(a, pc, group), group_names, markers));
  std::cout << "analyze: " << out.file("fixed_points") << ".svg, .png\n";
}

// One held input of a continuation: a context and a value of the followed condition.
struct ContinuationStep {
  float context = 0, value = 0;
  std::vector<float> input;
};

// The held inputs along condition c (within each context when the task has one): the mean
// input of the trials with each of its values over their steps before the response, and
// `between` inputs interpolated linearly between neighbouring values (the tasks' inputs are
// linear in their evidence), so the fixed points are followed along a dense line.
std::vector<ContinuationStep> continuation_steps(const Activity& a, size_t C, size_t c, int context, int between) {
  std::map<float, std::map<float, int>> values;  // context -> value
  for (int i = 0; i < a.trials; ++i)
    values[context >= 0 ? a.conditions[size_t(i) * C + size_t(context)] : 0.0f][a.conditions[size_t(i) * C + c]];
  std::vector<ContinuationStep> steps;
  for (const auto& [ctx, by_value] : values) {
    std::vector<ContinuationStep> known;
    for (const auto& entry : by_value) {
      const float v = entry.first, k = ctx;
      known.push_back({k, v,
                       mean_input(
                           a,
                           [&](size_t r) {
                             const size_t i = r % size_t(a.trials);
                             const bool same = a.conditions[i * C + c] == v &&
                                               (context < 0 || a.conditions[i * C + size_t(context)] == k);
                             return same && a.mask[r] > 0 && a.labels[r] == 0;
                           },
                           "continuation")});
    }
    for (size_t k = 0; k < known.size(); ++k) {
      steps.push_back(known[k]);
      for (int j = 1; k + 1 < known.size() && j <= between; ++j) {
        const float w = float(j) / float(between + 1);
        ContinuationStep mid{ctx, known[k].value + w * (known[k + 1].value - known[k].value), known[k].input};
        for (size_t f = 0; f < mid.input.size(); ++f) mid.input[f] += w * (known[k + 1].input[f] - known[k].input[f]);
        steps.push_back(std::move(mid));
      }
    }
  }
  return steps;
}

// The fixed points found at each step of a continuation, and where they lie on the PCs.
struct ContinuationTable {
  std::vector<float> value, context, unstable, states;
  std::vector<double> px, py;
  std::map<float, Series> lines;  // per context: its stable points in the order of the values
  std::vector<Marker> markers;    // unstable points
};

void add_points(const ContinuationStep& step, const FixedPointSearch& found, const Eigen::MatrixXd& xy,
                ContinuationTable* t) {
  for (size_t k = 0; k < found.points.size(); ++k) {
    const FixedPoint& p = found.points[k];
    const double x = xy(Eigen::Index(k), 0), y = xy(Eigen::Index(k), 1);
    t->states.insert(t->states.end(), p.state.begin(), p.state.end());
    t->value.push_back(step.value);
    t->context.push_back(step.context);
    t->unstable.push_back(float(p.unstable));
    t->px.push_back(x);
    t->py.push_back(y);
    if (!p.stable()) t->markers.push_back({x, y, false, std::to_string(p.unstable)});
  }
  const auto stable =
      std::find_if(found.points.begin(), found.points.end(), [](const FixedPoint& p) { return p.stable(); });
  if (stable == found.points.end()) return;
  const Eigen::Index k = Eigen::Index(stable - found.points.begin());
  Series& line = t->lines[step.context];
  line.name = "context " + fmt::format("{:g}", step.context);
  line.x.push_back(xy(k, 0));
  line.y.push_back(xy(k, 1));
}

// Fixed points followed as one condition varies (--continuation), within each context: each
// search starts from trajectory states and from the previous step's points; written to
// continuation.npz and drawn on the PCs, the stable points of a context joined in value order.
void continuation(Experiment& e, const Activity& a, const std::vector<std::string>& names, const Pca& pca,
                  const Settings& set, const RunDirectory& out) {
  if (set.continuation.empty() || !why_no_fixed_points(e.model).empty()) return;
  const auto at = std::find(names.begin(), names.end(), set.continuation);
  if (at == names.end()) {
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    throw Error("--continuation: unknown condition '" + set.continuation +
                "' (the task's conditions: " + (known.empty() ? "none" : known) + ")");
  }
  const size_t C = names.size(), c = size_t(at - names.begin());
  const auto ctx = std::find(names.begin(), names.end(), "context");
  const int context = ctx == names.end() || size_t(ctx - names.begin()) == c ? -1 : int(ctx - names.begin());
  RecurrentLayer& layer = *e.model.layers().back();
  LayerStepMap map(layer, std::vector<float>(size_t(a.features), 0.0f));
  Settings few = set;
  few.starts = std::min(set.starts, 256);
  ContinuationTable table;
  std::vector<float> previous;
  for (const ContinuationStep& step : continuation_steps(a, C, c, context, set.continuation_between)) {
    map.set_input(step.input);
    std::vector<float> starts = sample_starts(a, few);
    starts.insert(starts.end(), previous.begin(), previous.end());
    const FixedPointSearch found =
        find_fixed_points(map, starts, int(starts.size()) / map.dimension(), set.fixed_points);
    previous.clear();
    for (const FixedPoint& p : found.points) previous.insert(previous.end(), p.state.begin(), p.state.end());
    const std::vector<float> rates = point_rates(layer, found.points);
    add_points(step, found,
               found.points.empty() ? Eigen::MatrixXd() : pca.project(rates.data(), int64_t(found.points.size())),
               &table);
    std::cout << fmt::format("analyze: continuation: context {:g}, {} {:.4g}: {}\n", step.context, set.continuation,
                             step.value, count_by_modes(found.points));
  }
  const int64_t P = int64_t(table.value.size());
  write_npz(out.file("continuation.npz"), {floats("value", {P}, table.value), floats("context", {P}, table.context),
                                           floats("unstable_modes", {P}, table.unstable),
                                           floats("states", {P, int64_t(map.dimension())}, table.states)});
  Figure f("fixed points along " + set.continuation + " (lines: stable points of a context; open: unstable)",
           axis(pca, 0), axis(pca, 1));
  for (const auto& entry : table.lines) f.line(entry.second, false);
  f.colored_points(table.px, table.py, std::vector<double>(table.value.begin(), table.value.end()), set.continuation)
      .markers(table.markers);
  write_figure(out.path(), "continuation_" + set.continuation, f);
  std::cout << "analyze: " << out.file("continuation_" + set.continuation) << ".svg, .png\n";
}

// The finder's options beyond the first ones (Newton polishing, outliers, the step's decay).
void add_dynamics_options(CLI::App& app, Settings& set) {
  FixedPointOptions& o = set.fixed_points;
  app.add_option("--final-learning-rate", o.final_learning_rate, "the step's ceiling decays to this at the last step")
      ->check(CLI::Range(1e-12, 10.0));
  app.add_option("--newton-iterations", o.newton_iterations, "Newton steps polishing each end (0: none)")
      ->check(CLI::Range(0, 1000));
  app.add_option("--newton-from", o.newton_from, "ends of the descent with q above this are not polished")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--outlier-scale", o.outlier_scale,
                 "points farther from the starts' centroid than this many times their mean distance are dropped")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--continuation", set.continuation,
                 "follow the fixed points along the values of this condition (within each context), e.g. motion");
  app.add_option("--continuation-between", set.continuation_between,
                 "inputs interpolated between neighbouring values of the continuation's condition")
      ->check(CLI::Range(0, 100));
}

// A multi-task network: the score of each task on the console.
void print_task_scores(const Activity& a, const std::vector<std::string>& names, const Dataset& d) {
  const int c = task_condition(names);
  if (c < 0) return;
  std::string line = "analyze: score per task (% correct):";
  for (const TaskScore& t : scores_per_task(a, names, d.condition_labels(size_t(c))))
    line += fmt::format(" {} {:.1f}%,", t.name, t.correct);
  line.pop_back();
  std::cout << line << "\n";
}

// The unit x task map of normalised task variance, units ordered by cluster, as coloured dots.
void plot_variance_map(const TaskVarianceMap& m, const UnitClusters& clusters, const RunDirectory& out) {
  std::vector<int> order(m.active.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return clusters.label[size_t(x)] < clusters.label[size_t(y)]; });
  std::vector<double> x, y, value;
  for (size_t rank = 0; rank < order.size(); ++rank)
    for (Eigen::Index k = 0; k < m.normalised.cols(); ++k) {
      x.push_back(double(k));
      y.push_back(double(rank));
      value.push_back(m.normalised(m.active[size_t(order[rank])], k));
    }
  Figure f(fmt::format("normalised task variance: {} active units in {} clusters (silhouette {:.2f})", m.active.size(),
                       clusters.k, clusters.silhouette),
           "task", "unit (ordered by cluster)");
  f.size(760, 640).colored_points(x, y, value, "variance / unit's max");
  write_figure(out.path(), "task_variance", f);
  std::cout << "analyze: " << out.file("task_variance") << ".svg, .png\n";
}

// Task variance, clusters and a lesion table (each cluster silenced, every task scored).
void task_variance_analysis(Experiment& e, const Activity& a, const std::vector<std::string>& names,
                            const std::vector<int64_t>& indices, const Settings& set, const RunDirectory& out) {
  const int c = task_condition(names);
  if (c < 0) return;
  const TaskVarianceMap m = task_variance(a, size_t(c), names.size());
  Eigen::MatrixXd rows(Eigen::Index(m.active.size()), m.normalised.cols());
  for (size_t u = 0; u < m.active.size(); ++u) rows.row(Eigen::Index(u)) = m.normalised.row(m.active[u]);
  const UnitClusters clusters = cluster_units(rows, 12, set.seed);
  plot_variance_map(m, clusters, out);
  const std::vector<std::string> labels = e.dataset->condition_labels(size_t(c));
  const std::vector<TaskScore> intact = scores_per_task(a, names, labels);
  std::string csv = "lesion,units";
  for (const TaskScore& t : intact) csv += "," + t.name;
  csv += "\nnone,0";
  for (const TaskScore& t : intact) csv += fmt::format(",{:.1f}", t.correct);
  csv += "\n";
  for (int k = 0; k < clusters.k; ++k) {
    std::vector<int> units;
    for (size_t u = 0; u < m.active.size(); ++u)
      if (clusters.label[u] == k) units.push_back(m.active[u]);
    const Lesion lesion(e.model, units);
    const Activity lesioned = record_activity(e.model, *e.dataset, Split::kTest, indices);
    csv += fmt::format("cluster {},{}", k, units.size());
    for (const TaskScore& t : scores_per_task(lesioned, names, labels)) csv += fmt::format(",{:.1f}", t.correct);
    csv += "\n";
  }
  out.write_text("lesions.csv", csv);
  std::cout << "analyze: lesions (% correct per task with each cluster silenced), " << out.file("lesions.csv") << ":\n"
            << csv;
}

// --task NAME: the trials of one task of a multi-task network, whose held input (--input
// auto) is then that task's fixation input with its rule input on. Without it, a multi-task
// network's held input averages every task's rule input: said once.
Activity one_task(const Activity& a, const std::vector<std::string>& names, const Dataset& d, const std::string& task) {
  const int c = task_condition(names);
  if (task.empty()) {
    if (c >= 0)
      std::cout << "analyze: note: a multi-task network: the fixed points' held input averages the rule inputs of all "
                   "tasks; --task NAME finds one task's\n";
    return a;
  }
  if (c < 0) throw Error("--task " + task + ": this dataset has no tasks (no condition named 'task')");
  const std::vector<std::string> labels = d.condition_labels(size_t(c));
  std::vector<int> keep;
  std::string known;
  for (const TaskScore& t : scores_per_task(a, names, labels)) known += (known.empty() ? "" : ", ") + t.name;
  for (int i = 0; i < a.trials; ++i) {
    const size_t value = size_t(a.conditions[size_t(i) * names.size() + size_t(c)]);
    if ((value < labels.size() ? labels[value] : std::to_string(value)) == task) keep.push_back(i);
  }
  if (keep.size() < 2)
    throw Error("--task " + task + ": " + std::to_string(keep.size()) + " of the " + std::to_string(a.trials) +
                " recorded trials are of that task (the recorded tasks: " + known +
                "); raise --trials or pick one of them");
  std::cout << "analyze: --task " << task << ": " << keep.size() << " of " << a.trials << " trials\n";
  return select_trials(a, keep);
}

// Why the run in `run` has not finished training, or "" when it has: analyze still reads its
// checkpoint, but says so first (a half-trained network's dynamics are not the trained ones).
std::string unfinished_reason(const RunDirectory& run) {
  if (const std::string writer = run.writer(); !writer.empty()) return "is still training (" + writer + ")";
  const auto summary = read_summary_json(run.file("summary.json"));
  if (!summary) return "has no summary.json: its training stopped before the end (killed, or a node lost)";
  if (!summary->finished()) return "ended with status '" + summary->status + "', before the epochs it was given";
  return "";
}

// The network analyze reads and where it writes: a run directory's graph and checkpoint, or
// (--graph) a graph file with its parameters from an .npz (--weights).
struct Network {
  std::unique_ptr<Experiment> experiment;
  RunDirectory out;
  std::string origin;  // "epoch 30", "weights from w.npz"
};

Network open_run(const Settings& set, Registry& registry) {
  const std::string dir = resolve_user_path(set.run_dir);
  const std::string ckpt_name = set.checkpoint == "best" ? "checkpoint_best.bin" : "checkpoint.bin";
  for (const std::string f : {"graph.toml", ckpt_name.c_str()})
    if (!fs::exists(fs::path(dir) / f))
      throw Error(dir + " has no " + f +
                  ": analyze reads a run directory that train wrote (e.g. runs/flip_flop_gru/001), or --graph "
                  "G.toml --weights W.npz");
  const RunDirectory run = RunDirectory::at(dir);
  auto e = build_experiment(parse_graph_file(run.file("graph.toml"), {}, registry), registry);
  TrainState state;
  load_checkpoint(run.file(ckpt_name), *e, state);
  if (const std::string why = unfinished_reason(run); !why.empty())
    std::cout << "analyze: warning: " << dir << " " << why << "; analysing its checkpoint of epoch "
              << state.epochs_done << " (finish it first with: bazel run //runners:train -- --resume " << dir << ")\n";
  return {std::move(e), RunDirectory::at(set.out_dir.empty() ? run.file("analysis") : resolve_user_path(set.out_dir)),
          "epoch " + std::to_string(state.epochs_done)};
}

Network open_network(const Settings& set, Registry& registry) {
  if (set.graph.empty() == set.run_dir.empty())
    throw Error("give a run directory (analyze runs/flip_flop_gru/001) or --graph G.toml --weights W.npz, not both");
  if (!set.graph.empty() && set.weights.empty())
    throw Error("--graph needs --weights W.npz (the parameters, named as parameters.npz names them)");
  if (!set.graph.empty() && set.out_dir.empty()) throw Error("--graph needs --out DIR (where to write the analysis)");
  Network net = set.graph.empty()
                    ? open_run(set, registry)
                    : Network{build_experiment(parse_graph_file(resolve_user_path(set.graph), {}, registry), registry),
                              RunDirectory::at(resolve_user_path(set.out_dir)), ""};
  if (set.weights.empty()) return net;
  const std::string weights = resolve_user_path(set.weights);
  for (const std::string& name : load_parameters_npz(weights, *net.experiment))
    std::cout << "analyze: note: " << weights << ": '" << name << "' is not a parameter of this model (ignored)\n";
  net.origin = "weights from " + weights;
  return net;
}

int analyze(const Settings& set, const std::vector<std::string>& plugin_dirs, const char* argv0) {
  Registry registry;
  register_builtins(registry);
  PluginLoader loader(registry);
  load_plugins(loader, argv0, plugin_dirs);
  const Network net = open_network(set, registry);
  Experiment* e = net.experiment.get();
  const RunDirectory& out = net.out;
  e->dataset->load();

  const int64_t available = e->dataset->size(Split::kTest);
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < std::min<int64_t>(set.trials, available); ++i) indices.push_back(i);
  const Activity all = record_activity(e->model, *e->dataset, Split::kTest, indices);
  write_activity(out.file("activity.npz"), all, *e->dataset);
  double mean = 0;
  for (float c : all.correct) mean += c / all.trials;
  std::cout << fmt::format("analyze: {} fresh test trials of {} ({}): task score {:.2f}%\n", all.trials,
                           e->dataset->describe(), net.origin, 100 * mean);
  std::cout << "analyze: " << out.file("activity.npz") << "\n";
  const std::vector<std::string> names = e->dataset->condition_names();
  print_task_scores(all, names, *e->dataset);
  if (set.task.empty()) task_variance_analysis(*e, all, names, indices, set, out);

  const Activity a = one_task(all, names, *e->dataset, set.task);
  const Pca pca = fit_pca(a.rates.data(), int64_t(a.steps) * a.trials, a.hidden, std::min(3, a.hidden));
  const Eigen::MatrixXd pc = pca.project(a.rates.data(), int64_t(a.steps) * a.trials);
  const auto [group, group_names] = groups(a, names);
  write_figure(out.path(), "pca",
               trajectories_plot("rates r_t on their first two principal components", axis(pca, 0), axis(pca, 1),
                                 trajectories(a, pc, group), group_names, {}));
  std::cout << "analyze: " << out.file("pca") << ".svg, .png\n";
  if (!a.decisions.empty()) psychometric_plots(a, names, out);
  performance_plot(a, names, out);
  condition_score_plots(a, names, out);
  dimensionality_report(a, out);
  find_and_plot_fixed_points(*e, a, pca, pc, group, group_names, set, out);
  continuation(*e, a, names, pca, set, out);
  return 0;
}

}  // namespace
}  // namespace biornn

int main(int argc, char** argv) {
  CLI::App app{"Analyse a trained run: activity on fresh trials, PCA, task plots, fixed points."};
  biornn::Settings set;
  std::vector<std::string> plugin_dirs;
  app.add_option("run_dir", set.run_dir, "a run directory written by train (or give --graph and --weights)");
  app.add_option("--task", set.task,
                 "a multi-task network: analyse one task's trials (its PCs, plots and fixed points, the held input "
                 "with its rule input on)");
  app.add_option("--graph", set.graph, "analyse the network of this graph file (with --weights and --out)");
  app.add_option("--weights", set.weights,
                 "parameters from this .npz, named as a run's parameters.npz (rnn.W, readout.W ...): a network "
                 "trained elsewhere or built by hand");
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
  app.add_option("--input", set.input,
                 "x* held during the search: auto (fixation for a choice task, else zero), zero, mean, fixation, "
                 "response, or comma-separated values");
  app.add_option("--seed", set.seed, "seed of the start sampling");
  biornn::add_dynamics_options(app, set);
  app.add_option("--plugin-dir", plugin_dirs, "also load *_plugin.so from this directory");
  CLI11_PARSE(app, argc, argv);
  return biornn::run_main([&](biornn::ProcessBoundary&) { return biornn::analyze(set, plugin_dirs, argv[0]); });
}
