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

// One split as read from the files: images [N, C, H, W] uint8 and labels [N] in 0..9.
struct ImageSplit {
  std::vector<uint8_t> images;
  std::vector<int32_t> labels;
  int64_t size() const { return int64_t(labels.size()); }
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
  // every file), reads both splits, applies the limits and computes the normalisation.
  void load() final;
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
  // Reads both splits from `dir`, checking every file; throws Error naming the file.
  // A positive limit lets the reader stop after that many examples of a split.
  virtual void read(const std::string& dir, int64_t train_limit, int64_t test_limit, ImageSplit* train,
                    ImageSplit* test) const = 0;

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
