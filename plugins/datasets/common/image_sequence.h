// ImageSequenceDataset: images of 10 classes fed to an RNN as sequences (rows, pixels, permuted).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/sdk/dataset.h"
#include "core/sdk/options.h"

namespace biornn::datasets {

// Shape of one image as stored in memory: `channels` planes of height x width bytes,
// plane-major ([C, H, W]; MNIST has C = 1, CIFAR-10 stores its R, G, B planes so).
struct ImageShape {
  int height = 0;
  int width = 0;
  int channels = 1;
  int64_t bytes() const { return int64_t(height) * width * channels; }
};

// One split as the dataset holds it. A reader (ImageSequenceDataset::read) gives it the split's
// images in file order: expect() once, then add() for each image. It keeps the first `limit`
// (0: all) and, of those, only the rows `keep` names (data-parallel ranks keep their shard), and
// when asked sums each channel's bytes over every image it takes (kept or not), for normalisation.
class ImageSplit {
 public:
  ImageSplit() = default;
  ImageSplit(Split split, ImageShape shape, int64_t limit, RowsToKeep keep, bool channel_sums);

  // The files hold `count` images: returns how many the split takes (a reader may stop after
  // them, or read on to check its files).
  int64_t expect(int64_t count);
  // The next image in file order (shape.bytes() bytes, [C, H, W]) and its label; images past
  // those expect() took are ignored.
  void add(const uint8_t* image, int32_t label);

  int64_t size() const { return size_; }  // the whole (limited) split, kept here or not
  int64_t kept() const { return int64_t(labels_.size()); }
  // Example `index` (in [0, size())) as stored here; -1 when this process does not keep it.
  int64_t slot(int64_t index) const;
  const uint8_t* image(int64_t slot) const { return images_.data() + slot * shape_.bytes(); }
  int32_t label(int64_t slot) const { return labels_[size_t(slot)]; }
  // Sums over every image taken, per channel: of the bytes, and of their squares (exact);
  // empty unless asked for.
  const std::vector<uint64_t>& channel_sum() const { return sum_; }
  const std::vector<uint64_t>& channel_sum_of_squares() const { return sum_sq_; }

 private:
  void add_to_channel_sums(const uint8_t* image);

  Split split_ = Split::kTrain;
  ImageShape shape_;
  int64_t limit_ = 0;
  RowsToKeep keep_;
  int64_t size_ = 0, added_ = 0;
  std::vector<int64_t> rows_;  // the kept indices, sorted; empty when every one is kept
  bool keep_all_ = true;
  std::vector<uint8_t> images_;  // kept images [kept, C, H, W]
  std::vector<int32_t> labels_;  // kept labels in 0..9
  std::vector<uint64_t> sum_, sum_sq_;
};

// The options every image dataset accepts: path, sequence, permutation_seed, normalize,
// train_limit, test_limit, augment, max_shift.
OptionSchema image_sequence_schema();

// Which files make up a dataset, where to look for them and how to get them.
struct DatasetSource {
  std::string name;                      // registered name, first word of every message
  std::vector<std::string> search_dirs;  // tried in order when the `path` option is empty
  std::string fetch_command;             // what the user runs to get the files
};

// Base of the image datasets. A subclass says where the files are and how to read them;
// this class turns the bytes into sequences:
//   rows:            T = H,     F = W * C, step t = row t, features (c0, c1, .. of pixel 0, ...)
//   pixels:          T = H * W, F = C,     step t = pixel t in row-major order
//   permuted_pixels: as pixels, in a fixed order drawn from permutation_seed
//                    (the project's Rng seeded with it, then Rng::shuffle of 0..H*W-1).
// Inputs are byte / 255; normalize = per_channel then subtracts each channel's mean and
// divides by its standard deviation, both measured on the (limited) training split at load().
class ImageSequenceDataset : public Dataset {
 public:
  // steps(), features() and classes() are valid from here on, before load().
  ImageSequenceDataset(DatasetSource source, ImageShape shape, const Options& options);

  // Finds the directory (the `path` option, else the first of source.search_dirs that holds
  // every file), reads both splits, applies the limits and computes the normalisation (over
  // the whole limited training split, also when keep_only() keeps part of it).
  void load() final;
  void keep_only(RowsToKeep rows) override { keep_ = std::move(rows); }
  int64_t size(Split split) const override;
  int steps() const override { return steps_; }
  int features() const override { return features_; }
  int classes() const override { return 10; }
  // x [T, n, F] time-major: x[(t * n + i) * F + f]; labels [n]. Indices are checked.
  void batch(Split split, const int64_t* indices, int n, float* x, int32_t* labels) const override;
  // augment = flip / shift / flip_shift: each training example mirrored left-right (p = 1/2)
  // and moved by up to max_shift pixels each way, zeros filling in; in any sequence layout.
  void augment(const int64_t* indices, int n, uint64_t stream, const BatchData& batch) const override;
  std::string describe() const override;

 protected:
  // Files of the dataset that `dir` lacks (empty: all there). Names as a user would look for.
  virtual std::vector<std::string> missing_files(const std::string& dir) const = 0;
  // Reads both splits from `dir` into `train` and `test` (ImageSplit::expect, then add for each
  // image), checking every file; throws Error naming the file.
  virtual void read(const std::string& dir, ImageSplit* train, ImageSplit* test) const = 0;

  const DatasetSource& source() const { return source_; }
  const ImageShape& shape() const { return shape_; }

 private:
  struct Transform;
  Transform draw(uint64_t stream, int64_t index) const;
  std::string find_directory() const;
  void build_gather_table();
  void compute_normalization();
  const ImageSplit& split_data(Split split) const;

  DatasetSource source_;
  ImageShape shape_;
  SourcePosition where_path_;  // where the `path` option was written (or the dataset node)
  std::string path_option_;
  std::string sequence_;
  uint64_t permutation_seed_ = 0;
  bool per_channel_ = false;
  int64_t train_limit_ = 0, test_limit_ = 0;
  std::string augment_ = "none";
  int max_shift_ = 0;
  RowsToKeep keep_;  // empty: every example
  int steps_ = 0, features_ = 0;

  bool loaded_ = false;
  std::string directory_;
  ImageSplit train_, test_;
  std::vector<int32_t> gather_;                     // [T, F]: byte offset inside one image of feature (t, f)
  std::vector<int32_t> channel_of_feature_;         // [F]: the channel feature f reads
  std::vector<float> value_table_;                  // [C, 256]: input value of a byte in channel c
  std::vector<double> channel_mean_, channel_std_;  // [C], of byte/255 (0 and 1 for none)
};

// Single-line context for messages: "<dataset>: <file>: <what>".
std::string file_error(const std::string& dataset, const std::string& file, const std::string& what);

}  // namespace biornn::datasets
