#include "core/experiment/run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/analysis/analysis.h"
#include "core/experiment/checkpoint.h"
#include "core/sdk/error.h"
#include "core/plots/plot.h"
#include "core/experiment/rank_agreement.h"
#include "core/experiment/summary_json.h"

namespace biornn {

namespace fs = std::filesystem;

namespace {

const char* kBase[] = {
    "epoch",         "train_loss", "train_penalty", "train_accuracy", "validation_accuracy", "validation_loss",
    "test_accuracy", "test_loss",  "learning_rate", "gradient_norm",  "samples_per_second",  "seconds"};
const char* kLayerColumns[] = {
    "spectral_radius", "svd_entropy", "excitatory_input", "inhibitory_input", "z_mean", "z_p10", "z_p50", "z_p90"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> r;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, sep);) r.push_back(x);
  return r;
}

}  // namespace

void MetricsTable::load(const std::string& path, int keep_through_epoch) {
  std::ifstream in(path);
  std::string header, line;
  if (!std::getline(in, header)) return;
  columns_ = split(header, ',');
  while (std::getline(in, line)) {
    const auto v = split(line, ',');
    std::map<std::string, double> row;
    for (size_t i = 0; i < columns_.size() && i < v.size(); ++i)
      if (!v[i].empty()) row[columns_[i]] = std::strtod(v[i].c_str(), nullptr);  // empty: not measured
    if (!row.empty() && row["epoch"] <= keep_through_epoch) rows_.push_back(row);
  }
}

void MetricsTable::append(const EpochMetrics& m, const std::vector<LayerDiagnostics>& diags,
                          const std::map<std::string, double>& extra) {
  const auto available = [](const LayerDiagnostics& d, size_t column) {
    return column < 2 ? d.has_w : column < 4 ? d.has_ei : d.has_gates;  // the order of kLayerColumns
  };
  if (columns_.empty()) {
    columns_.assign(std::begin(kBase), std::end(kBase));
    for (const auto& d : diags)
      for (size_t i = 0; i < std::size(kLayerColumns); ++i)
        if (available(d, i)) columns_.push_back(d.layer + "." + kLayerColumns[i]);
    for (const auto& [name, value] : extra) columns_.push_back(name);
  }
  std::map<std::string, double> row{{"epoch", m.epoch},
                                    {"train_loss", m.train_loss},
                                    {"train_penalty", m.train_penalty},
                                    {"train_accuracy", m.train_accuracy},
                                    {"validation_accuracy", m.validation_accuracy},
                                    {"validation_loss", m.validation_loss},
                                    {"test_accuracy", m.test_accuracy},
                                    {"test_loss", m.test_loss},
                                    {"learning_rate", m.learning_rate},
                                    {"gradient_norm", m.gradient_norm},
                                    {"samples_per_second", m.samples_per_second},
                                    {"seconds", m.seconds}};
  for (const auto& d : diags) {
    const double values[] = {
        d.spectral_radius, d.svd_entropy, d.excitatory_input, d.inhibitory_input, d.z_mean, d.z_p10, d.z_p50, d.z_p90};
    for (size_t i = 0; i < std::size(kLayerColumns); ++i)
      if (available(d, i)) row[d.layer + "." + kLayerColumns[i]] = values[i];
  }
  for (const auto& [name, value] : extra) row[name] = value;
  rows_.push_back(std::move(row));
}

std::string MetricsTable::csv() const {
  std::ostringstream f;
  f.precision(6);
  for (size_t i = 0; i < columns_.size(); ++i) f << (i ? "," : "") << columns_[i];
  f << "\n";
  for (const auto& row : rows_) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      const auto it = row.find(columns_[i]);
      f << (i ? "," : "");
      if (it != row.end()) f << it->second;  // a value not measured in this row stays empty
    }
    f << "\n";
  }
  return f.str();
}

std::pair<std::vector<double>, std::vector<double>> MetricsTable::series(const std::string& column,
                                                                         bool is_signed) const {
  std::pair<std::vector<double>, std::vector<double>> s;
  for (const auto& r : rows_) {
    const auto it = r.find(column);
    if (it != r.end() && std::isfinite(it->second) && (is_signed || it->second >= -1e-12)) {
      s.first.push_back(r.at("epoch"));
      s.second.push_back(it->second);
    }
  }
  return s;
}

void write_plots(const RunDirectory& run, const MetricsTable& metrics, const std::vector<LayerDiagnostics>& last) {
  auto series = [&](const std::string& col, const std::string& name, bool is_signed = false) {
    auto [x, y] = metrics.series(col, is_signed);
    return Series{name, x, y};
  };
  write_figure(
      run.path(), "loss",
      line_plot("Loss", "epoch", "loss",
                {series("train_loss", "train"), series("validation_loss", "validation"), series("test_loss", "test")}));
  write_figure(run.path(), "accuracy",
               line_plot("Accuracy", "epoch", "accuracy",
                         {series("train_accuracy", "train"), series("validation_accuracy", "validation"),
                          series("test_accuracy", "test")}));
  for (const auto& d : last) {
    const std::string& l = d.layer;
    if (d.has_w) {
      write_figure(
          run.path(), "spectrum_" + l,
          line_plot("Layer " + l + ": spectral radius and SVD entropy of W", "epoch", "",
                    {series(l + ".spectral_radius", "spectral radius"), series(l + ".svd_entropy", "SVD entropy")}));
      write_figure(run.path(), "eigenvalues_" + l,
                   scatter_plot("Layer " + l + ": eigenvalues of effective W", d.eigen_real, d.eigen_imag, true, "real",
                                "imaginary"));
      write_figure(
          run.path(), "singular_values_" + l,
          histogram_plot("Layer " + l + ": singular values of effective W", d.singular_values, 30, "singular value"));
    }
    if (d.has_gates)
      write_figure(
          run.path(), "gates_" + l,
          line_plot("Layer " + l + ": gate z (10th, 50th, 90th percentile)", "epoch", "z",
                    {series(l + ".z_p10", "p10"), series(l + ".z_p50", "median"), series(l + ".z_p90", "p90")}));
    if (d.has_ei)
      write_figure(run.path(), "ei_balance_" + l,
                   line_plot("Layer " + l + ": mean E and I input per unit", "epoch", "input",
                             {series(l + ".excitatory_input", "excitatory", true),
                              series(l + ".inhibitory_input", "inhibitory", true)}));
  }
}

namespace {

// A gate whose median z is near 1 replaces the state at every step (h_t ~ phi(u_t): nothing is
// remembered); near 0 it never updates it. Either way the layer cannot integrate over time.
// +1 saturated open (z median > 0.9), -1 closed (< 0.01), 0 neither.
int gate_saturation(double z_median) { return z_median > 0.9 ? 1 : z_median < 0.01 ? -1 : 0; }

// What to change when layer l's gate saturates (+1 open, -1 closed), by the gate's plugin.
std::string saturation_advice(const LayerSpec& l, int saturation) {
  const std::string gate = "nodes." + l.node + ".gate.", way = saturation > 0 ? "Lower" : "Raise";
  if (l.gate.name == "learned")
    return fmt::format("{} its bias {}bias_init (e.g. {}; z = sigmoid(W_z r + P_z x + b_z))", way, gate,
                       saturation > 0 ? "-2" : "0");
  if (l.gate.name == "fixed")
    return fmt::format("{} {}G_b (z = dt sigmoid(G_b); e.g. {})", way, gate, saturation > 0 ? "-2" : "0");
  if (l.gate.name == "conductance")
    return fmt::format("{} the gate's drive: {}G_b (e.g. {}), the A init nodes.{}.scaling.init{}", way, gate,
                       saturation > 0 ? "-4" : "0", l.node,
                       saturation > 0 ? " (e.g. 0.2), or the input term " + gate + "init_scale" : "");
  return way + " the drive of the gate '" + l.gate.name + "' (its bias or input weights)";
}

void warn_saturated(const LayerSpec& l, double z_median, int saturation) {
  if (saturation > 0)
    spdlog::warn(
        "  {}: gate saturated open (z median {:.3f} > 0.9): every step replaces most of the state, so nothing "
        "is remembered. {} (said when it starts; metrics.csv has z at every epoch)",
        l.node, z_median, saturation_advice(l, saturation));
  else
    spdlog::warn(
        "  {}: gate saturated closed (z median {:.4f} < 0.01): the state is never updated, so the input never "
        "reaches it. {} (said when it starts; metrics.csv has z at every epoch)",
        l.node, z_median, saturation_advice(l, saturation));
}

// Each epoch: diagnostics on a fixed batch of test examples (never used for decisions), their
// console line, metrics.csv and the plots.
class RecordingObserver : public TrainingObserver {
 public:
  RecordingObserver(Experiment& e, const RunDirectory& run, int resumed_epochs, const Graph& graph)
      : e_(e), run_(run), layers_(graph.layers), plot_seconds_(graph.train.get_float("plot_seconds")) {
    if (resumed_epochs > 0) metrics_.load(run.file("metrics.csv"), resumed_epochs);
  }
  void on_epoch(const EpochMetrics& m, const TrainState&) override {
    const float* x = diagnostic_inputs();  // sets rows_: read it only after this call
    const auto diags = diagnose(e_.model, x, e_.dataset->steps(), rows_);
    if (!explained_) {  // the run's first epoch here: each diagnostic that cannot run says why, once
      for (const auto& d : diags)
        for (const auto& line : d.unavailable) spdlog::info("  {}", line);
      explained_ = true;
    }
    for (const auto& d : diags) {
      if (d.has_w) spdlog::info("  {}", describe(d));
      if (d.has_gates) note_saturation(d);
    }
    std::map<std::string, double> extra;
    for (const auto& c : constraint_metrics(e_.model)) {
      spdlog::info("  constraints: {}", biornn::describe(c));
      extra[c.layer + ".violating_fraction"] = c.violating_fraction;
      extra[c.layer + ".negative_rate_fraction"] = c.negative_rate_fraction;
    }
    for (const TaskScore& t : task_scores()) extra["test_accuracy." + t.name] = t.correct / 100;
    metrics_.append(m, diags, extra);
    run_.write_text("metrics.csv", metrics_.csv());
    undrawn_ = diags;
    if (std::chrono::duration<double>(Clock::now() - last_drawn_).count() >= plot_seconds_) finish();
  }
  // Draws the figures of the epochs not drawn yet: during training train.plot_seconds apart
  // (counted from the start), and once more when training ends, however it ends.
  void finish() {
    if (!undrawn_) return;
    write_plots(run_, metrics_, *undrawn_);  // ~50 ms for a one-layer run's 12 files
    undrawn_.reset();
    last_drawn_ = Clock::now();
  }

 private:
  // Warns when a layer's gate saturates, and again only after it recovered in between.
  void note_saturation(const LayerDiagnostics& d) {
    const int now = gate_saturation(d.z_p50);
    int& before = saturated_[d.layer];
    if (now != 0 && now != before)
      for (const LayerSpec& l : layers_)
        if (l.node == d.layer) warn_saturated(l, d.z_p50, now);
    before = now;
  }
  // A multi-task dataset (a category condition "task"): each task's test score on the first
  // (up to) 512 test trials, logged and written to metrics.csv as test_accuracy.<task>.
  std::vector<TaskScore> task_scores() {
    const Dataset& data = *e_.dataset;
    const std::vector<std::string> names = data.condition_names();
    const int task = task_condition(names);
    if (task < 0 || data.target_kind() == TargetKind::kSequenceClass) return {};
    std::vector<int64_t> idx(size_t(std::min<int64_t>(512, data.size(Split::kTest))));
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = int64_t(i);
    const Activity a = record_activity(e_.model, data, Split::kTest, idx);
    const std::vector<TaskScore> scores = scores_per_task(a, names, data.condition_labels(size_t(task)));
    std::string line;
    for (const TaskScore& t : scores) line += fmt::format("{}{} {:.1f}%", line.empty() ? "" : ", ", t.name, t.correct);
    if (!scores.empty()) spdlog::info("  per task ({} test trials): {}", idx.size(), line);
    return scores;
  }

  const float* diagnostic_inputs() {
    if (!x_.empty()) return x_.data();
    const Dataset& data = *e_.dataset;
    rows_ = int(std::min<int64_t>(256, data.size(Split::kTest)));
    std::vector<int64_t> idx(rows_);
    for (int i = 0; i < rows_; ++i) idx[i] = i;
    BatchBuffers buffers(data, rows_);
    const Minibatch b = buffers.fill(data, Split::kTest, idx.data(), rows_);
    x_.assign(b.data.x, b.data.x + size_t(data.steps()) * rows_ * data.features());
    return x_.data();
  }
  static std::string describe(const LayerDiagnostics& d) {
    return fmt::format(
        "{}: spectral radius {:.3f}, SVD entropy {:.3f}{}{}", d.layer, d.spectral_radius, d.svd_entropy,
        d.has_gates ? fmt::format(", z median {:.3f} (p10 {:.3f}, p90 {:.3f})", d.z_p50, d.z_p10, d.z_p90)
                    : std::string(),
        d.has_ei ? fmt::format(", E input {:.3f} / I input {:.3f}", d.excitatory_input, d.inhibitory_input)
                 : std::string());
  }
  using Clock = std::chrono::steady_clock;
  Experiment& e_;
  const RunDirectory& run_;
  std::vector<LayerSpec> layers_;
  double plot_seconds_;
  Clock::time_point last_drawn_ = Clock::now();           // the start counts as a drawing
  std::optional<std::vector<LayerDiagnostics>> undrawn_;  // the last epoch's, until drawn
  MetricsTable metrics_;
  AlignedBuffer x_;
  int rows_ = 0;
  bool explained_ = false;
  std::map<std::string, int> saturated_;  // each layer's gate_saturation() at the last epoch
};

}  // namespace

CheckpointObserver::CheckpointObserver(Experiment& e, const RunDirectory& run, const Options& train)
    : e_(e), run_(run), every_(train.get_int("checkpoint_every")), minutes_(train.get_float("checkpoint_minutes")) {}

void CheckpointObserver::on_step(const StepEvent& ev) {
  if (ev.minibatch == ev.minibatches) return;  // the epoch end saves
  const bool by_count = every_ > 0 && ev.minibatch % every_ == 0;
  const bool by_time = minutes_ > 0 && minutes_since_last() >= minutes_;
  if (by_count || by_time) save(*ev.state);
}

void CheckpointObserver::on_epoch(const EpochMetrics&, const TrainState& st) {
  save(st);
  if (st.since_best == 0) save_checkpoint(run_.file("checkpoint_best.bin"), e_, st);
}

double CheckpointObserver::minutes_since_last() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count() / 60;
}

void CheckpointObserver::save(const TrainState& st) {
  save_checkpoint(run_.file("checkpoint.bin"), e_, st);
  last_ = std::chrono::steady_clock::now();
}

RunOutcome execute_run(const Graph& graph, const Registry& registry, const RunDirectory& run, bool resume) {
  RunOptions o;
  o.resume = resume;
  return execute_run(graph, registry, run, o);
}

RunOutcome execute_run(const Graph& graph, const Registry& registry, const RunDirectory& run,
                       const RunOptions& options) {
  const bool root = !options.collective || options.collective->is_root();
  std::unique_ptr<FileLock> writer;  // rank 0 writes the run directory: it alone holds its lock
  std::unique_ptr<RunDirectory::Log> log;
  if (root) {
    writer = run.lock();
    log = run.attach_log();
    run.write_text("graph.toml", graph.resolved_toml);
    spdlog::info("graph {} -> run directory {}", graph.name, run.path());
  }
  auto experiment = build_experiment(graph, registry);
  const int64_t parameters = experiment->model.parameter_count();
  TrainState state;
  if (options.resume) load_checkpoint(run.file("checkpoint.bin"), *experiment, state);
  RecordingObserver recorder(*experiment, run, state.epochs_done, graph);
  CheckpointObserver checkpoints(*experiment, run, graph.train);
  TrainContext context{options.stop, options.collective, {}};
  // More than one rank: they agree on stopping and compare parameters (core/experiment/rank_agreement.h).
  StopToken agreed;
  std::optional<RankAgreement> agreement;
  if (options.collective && options.collective->size() > 1) {
    agreement.emplace(experiment->model, *options.collective, options.stop, &agreed);
    context.stop = &agreed;
    context.observers.push_back(&*agreement);
  }
  if (root) context.observers.insert(context.observers.end(), {&recorder, &checkpoints});
  context.observers.insert(context.observers.end(), options.observers.begin(), options.observers.end());

  RunOutcome out;
  auto write_summary = [&] {
    if (root) run.write_text("summary.json", summary_json(graph.name, out.status, out.result, parameters, out.message));
  };
  try {
    out.result = train(*experiment, graph, state, context);
  } catch (const TrainingDiverged& e) {
    if (root) recorder.finish();
    out.result.epochs = state.history;
    out.status = "diverged";
    out.message =
        std::string(e.what()) + (fs::exists(run.file("checkpoint.bin"))
                                     ? " (the last good checkpoint is kept in " + run.file("checkpoint.bin") + ")"
                                     : " (no checkpoint was written: it diverged before the first epoch ended)");
    spdlog::error("{}", out.message);
    write_summary();
    return out;
  }
  if (root) recorder.finish();
  if (out.result.interrupted) {
    if (root) save_checkpoint(run.file("checkpoint.bin"), *experiment, state);
    out.status = "interrupted";
    spdlog::warn("interrupted: checkpoint saved; continue with: bazel run //runners:train -- --resume {}", run.path());
  } else {
    out.status = out.result.reached_target  ? "reached_target"
                 : out.result.early_stopped ? "early_stopped"
                                            : "completed";
  }
  if (root) save_npz(run.file("parameters.npz"), *experiment);
  write_summary();
  return out;
}

}  // namespace biornn
