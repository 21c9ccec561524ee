#include "core/experiment/data_shards.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "core/sdk/error.h"

namespace biornn {

SplitIndices make_splits(int64_t n_train_all, int64_t n_test, const Options& o) {
  const int64_t n_val = o.get_int("validation_size");
  if (n_val >= n_train_all)
    throw Error(o.where("validation_size"), "validation_size " + std::to_string(n_val) +
                                                " leaves no training examples (the training split has " +
                                                std::to_string(n_train_all) + ")");
  std::vector<int64_t> all(n_train_all);
  std::iota(all.begin(), all.end(), 0);
  Rng split_rng(uint64_t(o.get_int("seed")) * 0x9E3779B97F4A7C15ull + 1);
  split_rng.shuffle(all.begin(), all.end());
  SplitIndices s;
  s.validation.assign(all.begin(), all.begin() + n_val);
  s.train.assign(all.begin() + n_val, all.end());
  std::sort(s.validation.begin(), s.validation.end());
  std::sort(s.train.begin(), s.train.end());
  s.test.resize(size_t(n_test));
  std::iota(s.test.begin(), s.test.end(), 0);
  return s;
}

SplitIndices make_splits(const Dataset& data, const Options& o) {
  return make_splits(data.size(Split::kTrain), data.size(Split::kTest), o);
}

std::pair<int64_t, int64_t> rank_share(int64_t n, int rank, int ranks) {
  return {n * rank / ranks, n * (rank + 1) / ranks};
}

DataShards::DataShards(const Options& o, const Collective& c) : ranks_(c.size()), rank_(c.rank()) {
  const int64_t asked = o.get_int("data_shards");
  count_ = asked == 0 ? ranks_ : int(asked);
  if (ranks_ > 1 && count_ != 1 && count_ != ranks_)
    throw Error(o.where("data_shards"),
                "train.data_shards = " + std::to_string(count_) + " with " + std::to_string(ranks_) +
                    " MPI ranks: set it to " + std::to_string(ranks_) +
                    " or 0 (each rank keeps its own shard) or 1 (every rank keeps all the data)");
  const int64_t batch = o.get_int("batch_size");
  if (batch % count_ != 0)
    throw Error(o.where("batch_size"), "train.batch_size " + std::to_string(batch) + " does not divide into " +
                                           std::to_string(count_) + " data shards (" +
                                           (asked == 0 ? "one per MPI rank" : "train.data_shards") +
                                           "): use a multiple of " + std::to_string(count_) + ", e.g. " +
                                           std::to_string(std::max<int64_t>(count_, batch / count_ * count_)));
  slice_ = batch / count_;
}

std::vector<int64_t> DataShards::shard(const std::vector<int64_t>& train, int s) const {
  const size_t rows = train.size() / size_t(count_);
  std::vector<int64_t> out(rows);
  for (size_t i = 0; i < rows; ++i) out[i] = train[i * size_t(count_) + size_t(s)];
  return out;
}

std::vector<Rng> DataShards::generators(uint64_t seed) const {
  const uint64_t base = seed * 0xBF58476D1CE4E5B9ull + 2;
  std::vector<Rng> g;
  for (int s = 0; s < count_; ++s) g.emplace_back(s == 0 ? base : mix64(base + uint64_t(s)));
  return g;
}

std::vector<int64_t> DataShards::epoch_order(const std::vector<int64_t>& train, std::vector<Rng>& g) const {
  std::vector<std::vector<int64_t>> shards;
  for (int s = 0; s < count_; ++s) {
    shards.push_back(shard(train, s));
    g[size_t(s)].shuffle(shards.back().begin(), shards.back().end());
  }
  const size_t rows = shards[0].size(), slice = size_t(slice_);
  std::vector<int64_t> order;
  order.reserve(rows * size_t(count_));
  for (size_t at = 0; at < rows; at += slice)
    for (const auto& s : shards) order.insert(order.end(), s.begin() + at, s.begin() + std::min(rows, at + slice));
  return order;
}

std::string DataShards::text(const std::vector<Rng>& g) {
  std::string t;
  for (const Rng& r : g) t += (t.empty() ? "" : " ") + r.text();
  return t;
}

bool DataShards::from_text(const std::string& text, std::vector<Rng>* g) const {
  std::istringstream in(text);
  std::vector<Rng> read;
  for (std::string word; in >> word;) {
    read.emplace_back();
    if (!read.back().from_text(word)) return false;
  }
  if (int(read.size()) != count_) return false;
  *g = std::move(read);
  return true;
}

RowsToKeep DataShards::rows_of_this_rank(const Options& o) const {
  if (!ranks_keep_own_shard()) return {};
  return [shards = *this, o](Split split, int64_t n) {
    std::vector<int64_t> rows(static_cast<size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    if (split == Split::kTest) return rows;
    const SplitIndices s = make_splits(n, 0, o);
    rows = shards.shard(s.train, shards.rank_);
    const auto [lo, hi] = rank_share(int64_t(s.validation.size()), shards.rank_, shards.ranks_);
    rows.insert(rows.end(), s.validation.begin() + lo, s.validation.begin() + hi);
    std::sort(rows.begin(), rows.end());
    return rows;
  };
}

}  // namespace biornn
