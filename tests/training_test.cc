// A short real training run: row-wise MNIST subset (from ../shared/data or data/), the
// loss falls and accuracy rises well above chance. Skipped when MNIST is absent. Also the
// busy-machine warning the trainer prints before a multi-threaded run.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/engine/builtins.h"
#include "core/platform/cpu_load.h"
#include "core/sdk/data_paths.h"
#include "core/experiment/plugin_loader.h"
#include "core/experiment/trainer.h"

namespace biornn {
namespace {

TEST(CpuLoad, BusyCpusFromTwoProcStatSnapshots) {
  // 100 jiffies pass; 25 of them idle (+iowait) on 2 CPUs -> 1.5 CPUs busy.
  const std::string before = "cpu  100 0 100 700 100 0 0 0 0 0";
  const std::string after = "cpu  150 0 125 720 105 0 0 0 0 0";
  auto busy = busy_cpus_between(before, after, 2);
  ASSERT_TRUE(busy.has_value());
  EXPECT_NEAR(*busy, 1.5, 1e-9);
  EXPECT_FALSE(busy_cpus_between("cpu0 1 2 3 4", after, 2).has_value());  // not the aggregate line
  EXPECT_FALSE(busy_cpus_between(after, before, 2).has_value());          // time went backwards
  EXPECT_FALSE(busy_cpus_between("", after, 2).has_value());
}

TEST(CpuLoad, WarnsOnlyWhenThreadsWouldShareACore) {
  EXPECT_EQ(contention_warning(0.1, 2, 2), "");  // quiet machine
  EXPECT_EQ(contention_warning(1.0, 1, 2), "");  // one thread fits beside the other job
  EXPECT_EQ(contention_warning(1.5, 2, 4), "");  // enough free CPUs
  const std::string w = contention_warning(1.0, 2, 2);
  EXPECT_NE(w.find("1.0 of the 2 CPUs busy"), std::string::npos) << w;
  EXPECT_NE(w.find("--set train.threads=1"), std::string::npos) << w;
}

TEST(Training, LossFallsOnRealMnistSubset) {
  bool have = false;
  for (const auto& d : data_search_paths("mnist")) have = have || std::filesystem::exists(d);
  if (!have) GTEST_SKIP() << "MNIST not found; run tools/setup.sh";
  Registry registry;
  register_builtins(registry);
  PluginLoader loader(registry);
  for (const auto& d : default_plugin_directories(""))
    for (const auto& e : loader.load_directory(d)) ADD_FAILURE() << e;
  const std::string text = R"(
[train]
epochs = 3
batch_size = 64
validation_size = 500
threads = 1
log_every = 1000
[optimizer]
plugin = "adam"
learning_rate = 0.005
[nodes.data]
plugin = "mnist"
train_limit = 3000
test_limit = 1000
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 32
gate = { plugin = "learned" }
[nodes.out]
plugin = "readout"
input = "rnn"
)";
  Graph g = parse_graph_text(text, "training_test.toml", {}, registry);
  auto e = build_experiment(g, registry);
  TrainResult r = train(*e, g);
  ASSERT_EQ(r.epochs.size(), 3u);
  std::printf("%s\n", result_line(r).c_str());
  EXPECT_LT(r.epochs.back().train_loss, 0.8 * r.epochs.front().train_loss);
  EXPECT_GT(r.epochs.back().test_accuracy, 0.6);
}

}  // namespace
}  // namespace biornn
