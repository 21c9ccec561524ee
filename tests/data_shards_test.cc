// Issue 21: data shards. The global order of an epoch from (seed, S); one shard's rows per
// rank; the bad inputs (a batch that does not divide by S, S neither 1 nor the rank count, a
// training split that does not divide); and a rank training on the rows it keeps alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/experiment/data_shards.h"
#include "core/experiment/plugin_loader.h"
#include "core/experiment/trainer.h"
#include "core/sdk/error.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

// Rank `rank` of `size`; sums are no-ops (enough for what one rank reads and keeps).
class FakeRanks : public Collective {
 public:
  FakeRanks(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }

 private:
  int rank_, size_;
};

Options train_options(int64_t batch, int64_t shards, int64_t validation = 10) {
  Options o(train_schema());
  o.set(train_schema(), "batch_size", batch, {}, "test");
  o.set(train_schema(), "data_shards", shards, {}, "test");
  o.set(train_schema(), "validation_size", validation, {}, "test");
  o.set(train_schema(), "seed", int64_t(7), {}, "test");
  return o;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) { return e.what(); }
  return "";
}

TEST(DataShards, OneShardIsTheUnshardedOrder) {
  const Options o = train_options(8, 1);
  const DataShards shards(o, Collective());
  const SplitIndices s = make_splits(100, 0, o);
  auto g = shards.generators(7);
  const std::vector<int64_t> order = shards.epoch_order(s.train, g);
  std::vector<int64_t> expected = s.train;
  Rng old(7 * 0xBF58476D1CE4E5B9ull + 2);  // the trainer's shuffling generator before data shards
  old.shuffle(expected.begin(), expected.end());
  EXPECT_EQ(order, expected);
  EXPECT_EQ(DataShards::text(g), old.text());  // checkpoints keep their format
}

TEST(DataShards, EachMinibatchTakesASliceOfEveryShard) {
  const Options o = train_options(6, 3);
  const DataShards shards(o, Collective());       // one process trains in the order of 3 ranks
  const SplitIndices s = make_splits(100, 0, o);  // 90 training examples: 30 per shard
  auto g = shards.generators(7);
  const std::vector<int64_t> first = shards.epoch_order(s.train, g), second = shards.epoch_order(s.train, g);
  ASSERT_EQ(first.size(), 90u);
  EXPECT_NE(first, second);  // each epoch reshuffles
  for (int r = 0; r < 3; ++r) {
    const std::vector<int64_t> shard = shards.shard(s.train, r);
    std::set<int64_t> seen;
    for (const auto& order : {first, second})
      for (size_t start = 0; start < order.size(); start += 6) {
        const auto [lo, hi] = rank_share(int64_t(std::min<size_t>(6, order.size() - start)), r, 3);
        for (int64_t i = lo; i < hi; ++i) {
          EXPECT_TRUE(std::binary_search(shard.begin(), shard.end(), order[start + size_t(i)]));
          seen.insert(order[start + size_t(i)]);
        }
      }
    EXPECT_EQ(seen.size(), shard.size()) << "rank " << r << " trains on all of its shard, and only on it";
  }
}

TEST(DataShards, AShardsStateRoundTripsAndAnotherCountIsRefused) {
  const DataShards two(train_options(4, 2), Collective()), three(train_options(6, 3), Collective());
  auto g = two.generators(7);
  std::vector<Rng> back;
  EXPECT_TRUE(two.from_text(DataShards::text(g), &back));
  EXPECT_EQ(DataShards::text(back), DataShards::text(g));
  EXPECT_FALSE(three.from_text(DataShards::text(g), &back));
  EXPECT_FALSE(two.from_text("12 x", &back));
}

TEST(DataShards, ARankKeepsItsShardAndItsShareOfValidation) {
  const Options o = train_options(4, 0, 11);  // 0: one shard per rank
  const FakeRanks rank1(1, 2);
  const DataShards shards(o, rank1);
  ASSERT_EQ(shards.count(), 2);
  ASSERT_TRUE(shards.ranks_keep_own_shard());
  const RowsToKeep keep = shards.rows_of_this_rank(o);
  ASSERT_TRUE(keep);
  const std::vector<int64_t> rows = keep(Split::kTrain, 101);
  const SplitIndices s = make_splits(101, 0, o);  // 90 train: 45 per shard; 11 validation: rank 1 has 6
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  EXPECT_EQ(rows.size(), 45u + 6u);
  for (int64_t i : shards.shard(s.train, 1)) EXPECT_TRUE(std::binary_search(rows.begin(), rows.end(), i));
  for (int64_t i : shards.shard(s.train, 0)) EXPECT_FALSE(std::binary_search(rows.begin(), rows.end(), i));
  EXPECT_EQ(keep(Split::kTest, 30).size(), 30u);                              // the test split stays whole
  EXPECT_FALSE(DataShards(train_options(4, 1), rank1).rows_of_this_rank(o));  // 1 shard: every rank keeps all
  EXPECT_FALSE(DataShards(o, Collective()).rows_of_this_rank(o));             // one process keeps all
}

TEST(DataShards, BadInputsAreOneLineErrorsSayingWhatToDo) {
  const std::string batch = error_of([] { DataShards(train_options(33, 0), FakeRanks(0, 2)); });
  EXPECT_NE(batch.find("train.batch_size 33 does not divide into 2 data shards (one per MPI rank): use a "
                       "multiple of 2, e.g. 32"),
            std::string::npos)
      << batch;
  EXPECT_EQ(batch.find('\n'), std::string::npos);
  const std::string count = error_of([] { DataShards(train_options(12, 3), FakeRanks(0, 2)); });
  EXPECT_NE(count.find("train.data_shards = 3 with 2 MPI ranks: set it to 2"), std::string::npos) << count;
  // A training split that does not divide: the same last n mod S examples are left out.
  const Options o = train_options(4, 2);
  const DataShards shards(o, Collective());
  const SplitIndices s = make_splits(101, 0, o);  // 91 training examples
  EXPECT_EQ(shards.left_out(91), 1);
  auto g = shards.generators(7);
  const std::vector<int64_t> order = shards.epoch_order(s.train, g);
  EXPECT_EQ(order.size(), 90u);
  EXPECT_EQ(std::count(order.begin(), order.end(), s.train.back()), 0);
}

// Rank 1 of 2 trains and evaluates reading only the rows it keeps (the synthetic dataset
// throws on any other), 16 steps an epoch from its 125-row shard.
TEST(DataShards, ARankTrainsOnTheRowsItKeeps) {
  Registry registry;
  PluginLoader loader(registry);
  testing::load_all_plugins(registry, loader);
  testing::register_synthetic_dataset(registry);
  const std::string text = R"(
[train]
epochs = 2
batch_size = 16
validation_size = 50
threads = 1
[optimizer]
plugin = "adam"
[nodes.data]
plugin = "synthetic"
train = 301
test = 40
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 8
[nodes.out]
plugin = "readout"
input = "rnn"
)";
  const Graph g = parse_graph_text(text, "data_shards_test.toml", {}, registry);
  auto e = build_experiment(g, registry);
  FakeRanks rank1(1, 2);
  TrainState state;
  TrainContext context;
  context.collective = &rank1;
  const TrainResult r = train(*e, g, state, context);
  EXPECT_EQ(r.epochs.size(), 2u);
  EXPECT_EQ(state.global_step, 2 * 16);  // 251 training examples: 125 per shard, 8 per shard per step
}

}  // namespace
}  // namespace biornn
