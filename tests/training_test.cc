// A short real training run: row-wise MNIST subset (from ../shared/data or data/), the
// loss falls and accuracy rises well above chance. Skipped when MNIST is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/data_paths.h"
#include "core/plugin_loader.h"
#include "core/trainer.h"

namespace biornn {
namespace {

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
