#include "core/run_directory.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/plot.h"
#include "core/summary_json.h"

namespace biornn {

namespace fs = std::filesystem;

RunDirectory RunDirectory::create(const std::string& root, const std::string& graph_name) {
  const fs::path base = fs::path(root) / graph_name;
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) throw Error("cannot create run directory " + base.string() + ": " + ec.message());
  for (int i = 1; i < 100000; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%03d", i);
    if (fs::create_directory(base / name, ec)) return at((base / name).string());
  }
  throw Error("no free run index under " + base.string());
}

RunDirectory RunDirectory::at(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create run directory " + dir + ": " + ec.message());
  RunDirectory r;
  r.path_ = dir;
  return r;
}

RunDirectory RunDirectory::open_existing(const std::string& dir) {
  for (const char* f : {"graph.toml", "checkpoint.bin"})
    if (!fs::exists(fs::path(dir) / f))
      throw Error("cannot resume " + dir + ": it has no " + f + " (is it a run directory written by train?)");
  RunDirectory r;
  r.path_ = dir;
  return r;
}

void RunDirectory::write_text(const std::string& name, const std::string& text) const {
  const std::string p = file(name), tmp = p + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text;
    if (!f) throw Error("cannot write " + tmp);
  }
  fs::rename(tmp, p);
}

void RunDirectory::attach_log() const {
  auto console = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
  auto file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file("train.log"), false);
  auto logger = std::make_shared<spdlog::logger>("biornn", spdlog::sinks_init_list{console, file_sink});
  logger->set_pattern("[%H:%M:%S] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

namespace {

const char* kBase[] = {"epoch",           "train_loss",   "train_accuracy", "validation_accuracy",
                       "validation_loss", "test_accuracy", "test_loss",     "learning_rate",
                       "gradient_norm",   "samples_per_second", "seconds"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> r;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, sep);) r.push_back(x);
  return r;
}

}  // namespace

void RunDirectory::append_metrics(const EpochMetrics& m, const std::vector<LayerDiagnostics>& diags) const {
  const std::string p = file("metrics.csv");
  const bool fresh = !fs::exists(p) || fs::file_size(p) == 0;
  std::ofstream f(p, std::ios::app);
  auto nan = std::nan("");
  if (fresh) {
    for (size_t i = 0; i < std::size(kBase); ++i) f << (i ? "," : "") << kBase[i];
    for (const auto& d : diags)
      for (const char* c : {"spectral_radius", "svd_entropy", "excitatory_input", "inhibitory_input", "z_mean",
                            "z_p10", "z_p50", "z_p90"})
        f << "," << d.layer << "." << c;
    f << "\n";
  }
  f.precision(6);
  f << m.epoch << "," << m.train_loss << "," << m.train_accuracy << "," << m.validation_accuracy << ","
    << m.validation_loss << "," << m.test_accuracy << "," << m.test_loss << "," << m.learning_rate << ","
    << m.gradient_norm << "," << m.samples_per_second << "," << m.seconds;
  for (const auto& d : diags) {
    f << "," << (d.has_w ? d.spectral_radius : nan) << "," << (d.has_w ? d.svd_entropy : nan) << ","
      << (d.has_ei ? d.excitatory_input : nan) << "," << (d.has_ei ? d.inhibitory_input : nan);
    for (double v : {d.z_mean, d.z_p10, d.z_p50, d.z_p90}) f << "," << (d.has_gates ? v : nan);
  }
  f << "\n";
}

void RunDirectory::truncate_metrics(int keep_through_epoch) const {
  const std::string p = file("metrics.csv");
  std::ifstream in(p);
  if (!in) return;
  std::string header, line, kept;
  std::getline(in, header);
  while (std::getline(in, line))
    if (!line.empty() && std::stoi(line) <= keep_through_epoch) kept += line + "\n";
  in.close();
  write_text("metrics.csv", header + "\n" + kept);
}

std::vector<std::map<std::string, double>> RunDirectory::read_metrics() const {
  std::vector<std::map<std::string, double>> rows;
  std::ifstream in(file("metrics.csv"));
  std::string header, line;
  if (!std::getline(in, header)) return rows;
  const auto cols = split(header, ',');
  while (std::getline(in, line)) {
    const auto v = split(line, ',');
    std::map<std::string, double> row;
    for (size_t i = 0; i < cols.size() && i < v.size(); ++i) row[cols[i]] = std::strtod(v[i].c_str(), nullptr);
    rows.push_back(row);
  }
  return rows;
}

void RunDirectory::write_plots(const std::vector<LayerDiagnostics>& last) const {
  const auto rows = read_metrics();
  // Negative values mark "not measured" (e.g. validation_accuracy -1) unless signed.
  auto series = [&](const std::string& col, const std::string& name, bool is_signed = false) {
    Series s{name, {}, {}};
    for (const auto& r : rows) {
      auto it = r.find(col);
      if (it != r.end() && std::isfinite(it->second) && (is_signed || it->second >= -1e-12)) {
        s.x.push_back(r.at("epoch"));
        s.y.push_back(it->second);
      }
    }
    return s;
  };
  write_text("loss.svg", line_plot_svg("Loss", "epoch", "cross-entropy",
                                       {series("train_loss", "train"), series("validation_loss", "validation"),
                                        series("test_loss", "test")}));
  write_text("accuracy.svg", line_plot_svg("Accuracy", "epoch", "accuracy",
                                           {series("train_accuracy", "train"),
                                            series("validation_accuracy", "validation"),
                                            series("test_accuracy", "test")}));
  for (const auto& d : last) {
    if (d.has_w) {
      write_text("spectrum_" + d.layer + ".svg",
                 line_plot_svg("Layer " + d.layer + ": spectral radius and SVD entropy of W", "epoch", "",
                               {series(d.layer + ".spectral_radius", "spectral radius"),
                                series(d.layer + ".svd_entropy", "SVD entropy")}));
      write_text("eigenvalues_" + d.layer + ".svg",
                 scatter_svg("Layer " + d.layer + ": eigenvalues of effective W", d.eigen_real, d.eigen_imag, true,
                             "real", "imaginary"));
      write_text("singular_values_" + d.layer + ".svg",
                 histogram_svg("Layer " + d.layer + ": singular values of effective W", d.singular_values, 30,
                               "singular value"));
    }
    if (d.has_gates)
      write_text("gates_" + d.layer + ".svg",
                 line_plot_svg("Layer " + d.layer + ": gate z (10th, 50th, 90th percentile)", "epoch", "z",
                               {series(d.layer + ".z_p10", "p10"), series(d.layer + ".z_p50", "median"),
                                series(d.layer + ".z_p90", "p90")}));
    if (d.has_ei)
      write_text("ei_balance_" + d.layer + ".svg",
                 line_plot_svg("Layer " + d.layer + ": mean E and I input per unit", "epoch", "input",
                               {series(d.layer + ".excitatory_input", "excitatory", true),
                                series(d.layer + ".inhibitory_input", "inhibitory", true)}));
  }
}

RunOutcome execute_run(const Graph& graph, const Registry& registry, const RunDirectory& run, bool resume) {
  run.attach_log();
  run.write_text("graph.toml", graph.resolved_toml);
  spdlog::info("graph {} -> run directory {}", graph.name, run.path());
  auto experiment = build_experiment(graph, registry);
  const int64_t parameters = experiment->model.parameter_count();
  TrainState state;
  if (resume) {
    load_checkpoint(run.file("checkpoint.bin"), *experiment, state);
    run.truncate_metrics(state.epochs_done);
  } else {
    std::error_code ec;
    fs::remove(run.file("metrics.csv"), ec);  // a fresh run in a reused directory starts a fresh table
  }
  // Diagnostics read a fixed batch of test examples (never used for decisions).
  Dataset& data = *experiment->dataset;
  AlignedBuffer diag_x;
  int diag_n = 0;
  auto on_epoch = [&](const EpochMetrics& m, const TrainState& st) {
    if (diag_x.empty()) {
      diag_n = int(std::min<int64_t>(256, data.size(Split::kTest)));
      std::vector<int64_t> idx(diag_n);
      for (int i = 0; i < diag_n; ++i) idx[i] = i;
      std::vector<int32_t> y(diag_n);
      diag_x.resize(size_t(data.steps()) * diag_n * data.features());
      data.batch(Split::kTest, idx.data(), diag_n, diag_x.data(), y.data());
    }
    const auto diags = diagnose(*experiment, diag_x.data(), data.steps(), diag_n);
    for (const auto& d : diags)
      if (d.has_w)
        spdlog::info("  {}: spectral radius {:.3f}, SVD entropy {:.3f}{}{}", d.layer, d.spectral_radius,
                     d.svd_entropy,
                     d.has_gates ? fmt::format(", z median {:.3f} (p10 {:.3f}, p90 {:.3f})", d.z_p50, d.z_p10, d.z_p90)
                                 : std::string(),
                     d.has_ei ? fmt::format(", E input {:.3f} / I input {:.3f}", d.excitatory_input, d.inhibitory_input)
                              : std::string());
    run.append_metrics(m, diags);
    save_checkpoint(run.file("checkpoint.bin"), *experiment, st);
    if (st.since_best == 0) save_checkpoint(run.file("checkpoint_best.bin"), *experiment, st);
    run.write_plots(diags);
  };
  RunOutcome out;
  try {
    out.result = train(*experiment, graph, state, on_epoch);
  } catch (const TrainingDiverged& e) {
    out.result.epochs = state.history;
    out.status = "diverged";
    out.message = std::string(e.what()) +
                  (fs::exists(run.file("checkpoint.bin"))
                       ? " (the last good checkpoint is kept in " + run.file("checkpoint.bin") + ")"
                       : " (no checkpoint was written: it diverged before the first epoch ended)");
    spdlog::error("{}", out.message);
    run.write_text("summary.json", summary_json(graph.name, out.status, out.result, parameters, out.message));
    return out;
  }
  if (out.result.interrupted) {
    save_checkpoint(run.file("checkpoint.bin"), *experiment, state);
    out.status = "interrupted";
    spdlog::warn("interrupted: checkpoint saved; continue with: bazel run //runners:train -- --resume {}", run.path());
  } else {
    out.status = out.result.early_stopped ? "early_stopped" : "completed";
  }
  save_npz(run.file("parameters.npz"), *experiment);
  run.write_text("summary.json", summary_json(graph.name, out.status, out.result, parameters, out.message));
  return out;
}

}  // namespace biornn
