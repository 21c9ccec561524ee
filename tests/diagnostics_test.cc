// Diagnostics that cannot run for a layer say so once, naming the layer and why, and leave
// their metrics.csv columns out instead of writing nan (issue 12): a gru keeps its recurrent
// weights inside the cell (no spectrum, no sign violations, no E/I input, no gate z), a rate
// cell without Dale has a spectrum but no E/I typing of its senders.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/sdk/data_paths.h"
#include "core/experiment/graph.h"
#include "core/experiment/plugin_loader.h"
#include "core/experiment/run.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

const char* kGraph = R"(
[train]
epochs = 2
max_batches = 2
batch_size = 20
validation_size = 40
threads = 1
[optimizer]
plugin = "adam"
[nodes.data]
plugin = "synthetic"
train = 200
test = 40
[nodes.rnn]
input = "data"
hidden = 8
LAYER
[nodes.out]
plugin = "readout"
input = "rnn"
)";

class Diagnostics : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::load_all_plugins(registry_, loader_);
    testing::register_synthetic_dataset(registry_);
  }
  // Trains the graph with `layer` as the layer's plugin lines into a fresh run directory.
  std::string run(const std::string& layer) {
    std::string text = kGraph;
    text.replace(text.find("LAYER"), 5, layer);
    const Graph g = parse_graph_text(text, "diagnostics.toml", {}, registry_);
    const std::string dir = testing::temp_dir("diagnostics");
    EXPECT_EQ(execute_run(g, registry_, RunDirectory::at(dir), false).status, "completed");
    return dir;
  }
  Registry registry_;
  PluginLoader loader_{registry_};
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(Diagnostics, AWholeSequenceCellSaysOnceWhichDiagnosticsCannotRunAndWritesNoNan) {
  const std::string dir = run("plugin = \"gru\"");
  const std::string log = testing::read_file(dir + "/train.log"), csv = testing::read_file(dir + "/metrics.csv");
  EXPECT_EQ(count(log,
                  "diagnostic spectral radius, SVD entropy, eigenvalues and sign violations not available for "
                  "layer rnn: its cell declares no recurrent weight"),
            1u)
      << log;
  EXPECT_EQ(count(log, "diagnostic E/I input not available for layer rnn"), 1u) << log;
  EXPECT_EQ(count(log, "diagnostic gate z percentiles not available for layer rnn"), 1u) << log;
  EXPECT_EQ(csv.find("nan"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("rnn."), std::string::npos) << csv;  // no column of a diagnostic that did not run
  EXPECT_EQ(count(csv, "\n"), 3u) << csv;                 // the header and two epochs
}

TEST_F(Diagnostics, ARateCellWithoutDaleHasItsSpectrumButNoEIInput) {
  const std::string dir = run("plugin = \"rate\"\ngate = { plugin = \"learned\" }");
  const std::string log = testing::read_file(dir + "/train.log"), csv = testing::read_file(dir + "/metrics.csv");
  EXPECT_EQ(count(log, "diagnostic E/I input not available for layer rnn: W's constraint does not type its senders"),
            1u)
      << log;
  EXPECT_EQ(count(log, "not available"), 1u) << log;
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_NE(header.find("rnn.spectral_radius"), std::string::npos) << header;
  EXPECT_NE(header.find("rnn.z_p50"), std::string::npos) << header;
  EXPECT_EQ(header.find("rnn.excitatory_input"), std::string::npos) << header;
  EXPECT_EQ(csv.find("nan"), std::string::npos) << csv;
}

// A layer without a gate (z = 1) or whose cell ignores z has no gate diagnostics: no "z median"
// in the log, no gates plot (it would be flat at 1), no z columns.
TEST_F(Diagnostics, ALayerWithoutAGateHasNoGateDiagnostics) {
  for (const char* layer : {"plugin = \"rate\"", "plugin = \"vanilla\"", "plugin = \"leaky\""}) {
    const std::string dir = run(layer);
    const std::string log = testing::read_file(dir + "/train.log"), csv = testing::read_file(dir + "/metrics.csv");
    EXPECT_EQ(log.find("z median"), std::string::npos) << layer << "\n" << log;
    EXPECT_EQ(count(log, "diagnostic gate z percentiles not available for layer rnn"), 1u) << layer << "\n" << log;
    EXPECT_FALSE(std::filesystem::exists(dir + "/gates_rnn.svg")) << layer;
    EXPECT_EQ(csv.find("rnn.z_p50"), std::string::npos) << layer << "\n" << csv;
  }
  const std::string gated = run("plugin = \"rate\"\ngate = { plugin = \"fixed\" }");
  EXPECT_NE(testing::read_file(gated + "/train.log").find("z median"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(gated + "/gates_rnn.svg"));
}

TEST(MetricsTableCells, AValueNotMeasuredIsAnEmptyCellAndStaysUnmeasuredAfterLoading) {
  MetricsTable t;
  EpochMetrics m;
  m.epoch = 1;
  t.append(m, {}, {{"rnn.violating_fraction", 0.25}});
  m.epoch = 2;
  t.append(m, {}, {});  // the extra column has no value in this row
  const std::string csv = t.csv();
  EXPECT_EQ(csv.find("nan"), std::string::npos) << csv;
  EXPECT_NE(csv.find("0.25\n"), std::string::npos) << csv;
  EXPECT_EQ(csv.back(), '\n');
  EXPECT_EQ(csv[csv.size() - 2], ',') << csv;  // the last cell of epoch 2 is empty
  const std::string path = testing::temp_dir("metrics") + "/metrics.csv";
  testing::write_file(path, csv);
  MetricsTable loaded;
  loaded.load(path, 2);
  ASSERT_EQ(loaded.rows().size(), 2u);
  EXPECT_EQ(loaded.rows()[0].at("rnn.violating_fraction"), 0.25);
  EXPECT_EQ(loaded.rows()[1].count("rnn.violating_fraction"), 0u);
  EXPECT_EQ(loaded.csv(), csv);
}

// Issue 17: a gate that sits open (z near 1: the state is replaced at every step) or shut (z
// near 0: never updated) is named in the log with what it means and the option of its own gate
// plugin that moves it, when it starts (not at every epoch); a gate in between is not.
TEST_F(Diagnostics, AGateThatErasesOrFreezesTheStateIsNamedOnceWithTheOptionThatMovesIt) {
  const std::string open = testing::read_file(
      run("plugin = \"rate\"\ngate = { plugin = \"fixed\", G_b = 6.0, learnable = false }") + "/train.log");
  EXPECT_EQ(count(open, "rnn: gate saturated open (z median 0.998 > 0.9): every step replaces most of the state"), 1u)
      << open;
  EXPECT_NE(open.find("Lower nodes.rnn.gate.G_b (z = dt sigmoid(G_b); e.g. -2)"), std::string::npos) << open;
  const std::string shut = testing::read_file(
      run("plugin = \"rate\"\ngate = { plugin = \"fixed\", G_b = -6.0, learnable = false }") + "/train.log");
  EXPECT_EQ(count(shut, "rnn: gate saturated closed (z median 0.0025 < 0.01): the state is never updated"), 1u) << shut;
  EXPECT_NE(shut.find("Raise nodes.rnn.gate.G_b"), std::string::npos) << shut;
  const std::string learned =
      testing::read_file(run("plugin = \"rate\"\ngate = { plugin = \"learned\", bias_init = 8.0 }") + "/train.log");
  EXPECT_EQ(count(learned, "rnn: gate saturated open"), 1u) << learned;
  EXPECT_NE(learned.find("Lower its bias nodes.rnn.gate.bias_init (e.g. -2;"), std::string::npos) << learned;
  EXPECT_EQ(learned.find("G_b"), std::string::npos) << learned;  // not an option of the learned gate
  const std::string fine = testing::read_file(run("plugin = \"rate\"\ngate = { plugin = \"fixed\" }") + "/train.log");
  EXPECT_EQ(fine.find("saturated"), std::string::npos) << fine;
}

// train.plot_seconds: the figures are drawn only when that many seconds have passed since the
// start or the last drawing (here never), and when training ends, with every epoch in them; 0
// redraws after every epoch.
class LossFigureAtEachEpoch : public TrainingObserver {
 public:
  explicit LossFigureAtEachEpoch(std::string dir) : dir_(std::move(dir)) {}
  void on_epoch(const EpochMetrics&, const TrainState&) override {
    const std::string path = dir_ + "/loss.svg";
    seen.push_back(std::filesystem::exists(path) ? testing::read_file(path) : "(none)");
  }
  std::vector<std::string> seen;

 private:
  std::string dir_;
};

TEST_F(Diagnostics, FiguresAreRedrawnPlotSecondsApartAndWhenTrainingEnds) {
  for (const char* seconds : {"1e6", "0"}) {
    std::string text = kGraph;
    text.replace(text.find("LAYER"), 5, "plugin = \"rate\"");
    text.replace(text.find("epochs = 2"), 10, std::string("epochs = 3\nplot_seconds = ") + seconds);
    const Graph g = parse_graph_text(text, "plots.toml", {}, registry_);
    const std::string dir = testing::temp_dir("plots");
    LossFigureAtEachEpoch figure(dir);
    RunOptions options;
    options.observers = {&figure};
    ASSERT_EQ(execute_run(g, registry_, RunDirectory::at(dir), options).status, "completed");
    const std::string last = testing::read_file(dir + "/loss.svg");
    ASSERT_EQ(figure.seen.size(), 3u);
    if (std::string(seconds) == "0") {
      EXPECT_NE(figure.seen[0].find("<svg"), std::string::npos);
      EXPECT_NE(figure.seen[1], figure.seen[0]);
      EXPECT_NE(figure.seen[2], figure.seen[1]);
      EXPECT_EQ(last, figure.seen[2]);
    } else {
      EXPECT_EQ(figure.seen, std::vector<std::string>(3, "(none)"));  // not drawn inside the interval
      EXPECT_NE(last.find("<svg"), std::string::npos);                // the end of training draws
    }
  }
}

}  // namespace
}  // namespace biornn
