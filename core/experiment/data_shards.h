// How the examples are divided: the validation split carved from the training split, each
// rank's share of a minibatch or an evaluation split, and data shards (issue 21).
//
// Data shards let data-parallel ranks share the data. The order of an epoch is a function of
// (seed, S) alone: shard s holds the training indices train[i] with i mod S == s (the last
// n mod S are left out, the same ones every epoch), each shard is shuffled per epoch by its
// own generator, and global minibatch b is shard 0's b-th slice of B / S rows, then shard 1's,
// and so on. Rank r of S ranks trains exactly on shard r's slices, so it keeps only shard r in
// memory (with its share of the validation split); one process with train.data_shards = S
// trains in the same order as S ranks. S = 1 is the order of the unsharded trainer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/collective.h"
#include "core/sdk/dataset.h"
#include "core/sdk/options.h"
#include "core/sdk/random.h"

namespace biornn {

// The example indices train() uses: the validation split is carved from the training split
// by a permutation seeded with train.seed; the rest trains. Errors if nothing is left.
struct SplitIndices {
  std::vector<int64_t> train, validation, test;  // train and validation index Split::kTrain
};
SplitIndices make_splits(int64_t train_size, int64_t test_size, const Options& train_options);
SplitIndices make_splits(const Dataset& data, const Options& train_options);

// Rank `rank`'s share [lo, hi) of n rows, of `ranks` ranks.
std::pair<int64_t, int64_t> rank_share(int64_t n, int rank, int ranks);

class DataShards {
 public:
  // S from [train] data_shards (0: one per rank) for `ranks`. Errors: S neither 1 nor the
  // number of ranks (with several), a batch size that does not divide by S.
  DataShards(const Options& train, const Collective& ranks);

  int count() const { return count_; }
  // Each rank keeps only its own shard: S ranks with S > 1.
  bool ranks_keep_own_shard() const { return ranks_ > 1 && count_ == ranks_; }
  // Training examples no shard holds: n mod S of n.
  int64_t left_out(int64_t train_size) const { return train_size % count_; }
  // Shard s of the training indices `train`.
  std::vector<int64_t> shard(const std::vector<int64_t>& train, int s) const;

  // One generator per shard, seeded from train.seed (shard 0's is the unsharded trainer's).
  std::vector<Rng> generators(uint64_t seed) const;
  // One epoch's global order of `train`; advances every shard's generator.
  std::vector<int64_t> epoch_order(const std::vector<int64_t>& train, std::vector<Rng>& generators) const;
  // The generators' states as text ("s0 s1 ...", for a checkpoint) and back; from_text
  // returns false when `text` is not S states.
  static std::string text(const std::vector<Rng>& generators);
  bool from_text(const std::string& text, std::vector<Rng>* generators) const;

  // For Dataset::keep_only: the examples this rank reads when it keeps its own shard (its
  // shard of the training split and its share of the validation split; the test split
  // whole). Empty (keep everything) otherwise.
  RowsToKeep rows_of_this_rank(const Options& train) const;

 private:
  int count_ = 1, ranks_ = 1, rank_ = 0;
  int64_t slice_ = 1;  // rows per shard per minibatch: B / S
};

}  // namespace biornn
