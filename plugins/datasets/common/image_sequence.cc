// ImageSequenceDataset: options, directory search, sequence gather table, normalisation, batch().
#include "plugins/datasets/common/image_sequence.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "core/sdk/random.h"
#include "core/sdk/data_paths.h"
#include "core/sdk/error.h"

namespace biornn::datasets {

namespace fs = std::filesystem;

OptionSchema image_sequence_schema() {
  OptionSchema s;
  s.add_string("path", "",
               "directory holding the dataset's files (\"\": search data/, ../shared/data/ "
               "and $BIORNN_DATA_DIR)")
      .add_string("sequence", "rows",
                  "how an image becomes a sequence: rows (one row a step), pixels (one pixel a "
                  "step), permuted_pixels (pixels in a fixed random order)",
                  {"rows", "pixels", "permuted_pixels"})
      .add_int("permutation_seed", 0, "seed of the pixel order for sequence = permuted_pixels", 0)
      .add_string("normalize", "none",
                  "none: inputs are byte/255 in [0, 1]; per_channel: then minus the channel's "
                  "mean, over its standard deviation (both from the training split)",
                  {"none", "per_channel"})
      .add_int("train_limit", 0, "keep only the first N training examples (0: all)", 0)
      .add_int("test_limit", 0, "keep only the first N test examples (0: all)", 0)
      .add_string("augment", "none",
                  "training examples only, drawn anew at every step: flip (mirror left-right with "
                  "probability 1/2), shift (move by up to max_shift pixels each way, zeros fill in), "
                  "flip_shift (both)",
                  {"none", "flip", "shift", "flip_shift"})
      .add_int("max_shift", 4, "largest shift of augment = shift or flip_shift, in pixels", 0, 64);
  return s;
}

std::string file_error(const std::string& dataset, const std::string& file, const std::string& what) {
  return dataset + ": " + file + ": " + what;
}

ImageSplit::ImageSplit(Split split, ImageShape shape, int64_t limit, RowsToKeep keep, bool channel_sums)
    : split_(split), shape_(shape), limit_(limit), keep_(std::move(keep)) {
  if (channel_sums) {
    sum_.assign(size_t(shape_.channels), 0);
    sum_sq_.assign(size_t(shape_.channels), 0);
  }
}

int64_t ImageSplit::expect(int64_t count) {
  size_ = limit_ > 0 ? std::min(limit_, count) : count;
  if (keep_) rows_ = keep_(split_, size_);
  keep_all_ = !keep_ || int64_t(rows_.size()) == size_;
  if (keep_all_) rows_.clear();
  const size_t kept = keep_all_ ? size_t(size_) : rows_.size();
  images_.reserve(kept * size_t(shape_.bytes()));
  labels_.reserve(kept);
  return size_;
}

void ImageSplit::add(const uint8_t* image, int32_t label) {
  const int64_t index = added_++;
  if (index >= size_) return;
  if (!sum_.empty()) add_to_channel_sums(image);
  if (!keep_all_ && !std::binary_search(rows_.begin(), rows_.end(), index)) return;
  images_.insert(images_.end(), image, image + shape_.bytes());
  labels_.push_back(label);
}

void ImageSplit::add_to_channel_sums(const uint8_t* image) {
  const int64_t plane = int64_t(shape_.height) * shape_.width;
  for (int c = 0; c < shape_.channels; ++c) {
    uint64_t sum = 0, sum_sq = 0;  // exact: at most 2^32 pixels of at most 255^2
    for (const uint8_t* p = image + c * plane; p < image + (c + 1) * plane; ++p) {
      sum += *p;
      sum_sq += uint64_t(*p) * *p;
    }
    sum_[size_t(c)] += sum;
    sum_sq_[size_t(c)] += sum_sq;
  }
}

int64_t ImageSplit::slot(int64_t index) const {
  if (index < 0 || index >= size_) return -1;
  if (keep_all_) return index;
  const auto it = std::lower_bound(rows_.begin(), rows_.end(), index);
  return it != rows_.end() && *it == index ? int64_t(it - rows_.begin()) : -1;
}

namespace {

// Where example `index` of `split` is held; an Error naming it when out of range or not kept here.
int64_t checked_slot(const std::string& dataset, const ImageSplit& data, Split split, int64_t index) {
  const int64_t slot = data.slot(index);
  if (slot >= 0) return slot;
  const std::string name = split == Split::kTrain ? "train" : "test";
  if (index < 0 || index >= data.size())
    throw Error(dataset + ": example index " + std::to_string(index) + " is outside the " + name + " split (" +
                std::to_string(data.size()) + " examples)");
  throw Error(dataset + ": example " + std::to_string(index) + " of the " + name +
              " split is not kept by this process (it keeps " + std::to_string(data.kept()) + " of " +
              std::to_string(data.size()) + ": data shared between ranks, train.data_shards)");
}

}  // namespace

ImageSequenceDataset::ImageSequenceDataset(DatasetSource source, ImageShape shape, const Options& options)
    : source_(std::move(source)), shape_(shape) {
  where_path_ = options.where("path");
  path_option_ = options.get_string("path");
  sequence_ = options.get_string("sequence");
  permutation_seed_ = uint64_t(options.get_int("permutation_seed"));
  per_channel_ = options.get_string("normalize") == "per_channel";
  train_limit_ = options.get_int("train_limit");
  test_limit_ = options.get_int("test_limit");
  augment_ = options.get_string("augment");
  max_shift_ = int(options.get_int("max_shift"));
  if (sequence_ == "rows") {
    steps_ = shape_.height;
    features_ = shape_.width * shape_.channels;
  } else {  // pixels, permuted_pixels (the schema allows nothing else)
    steps_ = shape_.height * shape_.width;
    features_ = shape_.channels;
  }
}

std::string ImageSequenceDataset::find_directory() const {
  std::vector<std::string> dirs;
  if (!path_option_.empty())
    dirs.push_back(resolve_user_path(path_option_));
  else
    dirs = source_.search_dirs;
  std::string looked;
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::string why;
    if (!fs::is_directory(dir, ec)) {
      why = "no such directory";
    } else {
      std::vector<std::string> missing = missing_files(dir);
      if (missing.empty()) return dir;
      why = "missing";
      for (size_t i = 0; i < missing.size(); ++i) why += (i ? ", " : " ") + missing[i];
    }
    looked += (looked.empty() ? "" : "; ") + dir + " (" + why + ")";
  }
  std::string hint = path_option_.empty() ? "" : ", or fix the dataset's path option";
  throw Error(where_path_, source_.name + ": dataset not found; looked in " + looked +
                               "; get it with: " + source_.fetch_command + hint);
}

void ImageSequenceDataset::load() {
  directory_ = find_directory();
  ImageSplit train(Split::kTrain, shape_, train_limit_, keep_, per_channel_);
  ImageSplit test(Split::kTest, shape_, test_limit_, keep_, false);
  read(directory_, &train, &test);
  train_ = std::move(train);
  test_ = std::move(test);
  build_gather_table();
  compute_normalization();
  loaded_ = true;
}

void ImageSequenceDataset::build_gather_table() {
  const int plane = shape_.height * shape_.width;
  const int c_count = shape_.channels;
  gather_.assign(size_t(steps_) * features_, 0);
  channel_of_feature_.assign(size_t(features_), 0);
  if (sequence_ == "rows") {
    for (int t = 0; t < steps_; ++t)
      for (int f = 0; f < features_; ++f) {
        const int column = f / c_count, c = f % c_count;
        gather_[size_t(t) * features_ + f] = c * plane + t * shape_.width + column;
      }
    for (int f = 0; f < features_; ++f) channel_of_feature_[size_t(f)] = f % c_count;
    return;
  }
  std::vector<int32_t> order(static_cast<size_t>(plane));
  std::iota(order.begin(), order.end(), 0);
  if (sequence_ == "permuted_pixels") {
    Rng rng(permutation_seed_);
    rng.shuffle(order.begin(), order.end());
  }
  for (int t = 0; t < steps_; ++t)
    for (int c = 0; c < c_count; ++c) gather_[size_t(t) * features_ + c] = c * plane + order[t];
  for (int c = 0; c < c_count; ++c) channel_of_feature_[size_t(c)] = c;
}

void ImageSequenceDataset::compute_normalization() {
  const int c_count = shape_.channels;
  const int64_t plane = int64_t(shape_.height) * shape_.width;
  std::vector<double> mean(size_t(c_count), 0.0), stddev(size_t(c_count), 1.0);
  if (per_channel_ && train_.size() > 0) {
    for (int c = 0; c < c_count; ++c) {
      const double count = double(train_.size()) * double(plane);
      const double m = double(train_.channel_sum()[size_t(c)]) / count / 255.0;
      const double var =
          std::max(0.0, double(train_.channel_sum_of_squares()[size_t(c)]) / count / (255.0 * 255.0) - m * m);
      mean[size_t(c)] = m;
      // A constant channel is only centred (dividing by 0 would give inf).
      stddev[size_t(c)] = var > 1e-12 ? std::sqrt(var) : 1.0;
    }
  }
  value_table_.assign(size_t(c_count) * 256, 0.0f);
  for (int c = 0; c < c_count; ++c)
    for (int v = 0; v < 256; ++v)
      value_table_[size_t(c) * 256 + size_t(v)] = float((v / 255.0 - mean[size_t(c)]) / stddev[size_t(c)]);
  channel_mean_ = mean;
  channel_std_ = stddev;
}

const ImageSplit& ImageSequenceDataset::split_data(Split split) const {
  return split == Split::kTrain ? train_ : test_;
}

int64_t ImageSequenceDataset::size(Split split) const { return split_data(split).size(); }

void ImageSequenceDataset::batch(Split split, const int64_t* indices, int n, float* x, int32_t* labels) const {
  if (!loaded_) throw Error(source_.name + ": batch() called before load()");
  const ImageSplit& data = split_data(split);
  std::vector<const uint8_t*> images(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int64_t slot = checked_slot(source_.name, data, split, indices[i]);
    labels[i] = data.label(slot);
    images[size_t(i)] = data.image(slot);
  }
  const int features = features_;
  // Per-feature pointer into the value table, so the inner loop is one gather and one lookup.
  std::vector<const float*> table(static_cast<size_t>(features));
  for (int f = 0; f < features; ++f)
    table[size_t(f)] = value_table_.data() + size_t(channel_of_feature_[size_t(f)]) * 256;
  for (int t = 0; t < steps_; ++t) {
    const int32_t* offsets = gather_.data() + size_t(t) * features;
    float* out = x + size_t(t) * size_t(n) * features;
    for (int i = 0; i < n; ++i, out += features) {
      const uint8_t* image = images[size_t(i)];
      for (int f = 0; f < features; ++f) out[f] = table[size_t(f)][image[offsets[f]]];
    }
  }
}

// One example's draw: a mirror and a shift (dy rows down, dx columns right).
struct ImageSequenceDataset::Transform {
  bool flip = false;
  int dx = 0, dy = 0;
  bool identity() const { return !flip && dx == 0 && dy == 0; }
};

ImageSequenceDataset::Transform ImageSequenceDataset::draw(uint64_t stream, int64_t index) const {
  Rng rng(mix64(stream ^ mix64(uint64_t(index))));
  Transform tr;
  if (augment_ == "flip" || augment_ == "flip_shift") tr.flip = rng.bernoulli(0.5);
  if ((augment_ == "shift" || augment_ == "flip_shift") && max_shift_ > 0) {
    const uint64_t width = uint64_t(2 * max_shift_ + 1);
    tr.dx = int(rng.below(width)) - max_shift_;
    tr.dy = int(rng.below(width)) - max_shift_;
  }
  return tr;
}

void ImageSequenceDataset::augment(const int64_t* indices, int n, uint64_t stream, const BatchData& batch) const {
  if (augment_ == "none") return;
  const int plane = shape_.height * shape_.width, features = features_;
  for (int i = 0; i < n; ++i) {
    const Transform tr = draw(stream, indices[i]);
    if (tr.identity()) continue;
    const uint8_t* image = train_.image(checked_slot(source_.name, train_, Split::kTrain, indices[i]));
    for (int t = 0; t < steps_; ++t) {
      const int32_t* offsets = gather_.data() + size_t(t) * features;
      float* out = batch.x + (size_t(t) * size_t(n) + size_t(i)) * features;
      for (int f = 0; f < features; ++f) {
        // The output pixel (row, column) shows the source pixel the transform moved there.
        const int c = offsets[f] / plane, p = offsets[f] % plane;
        const int row = p / shape_.width - tr.dy;
        int column = p % shape_.width - tr.dx;
        if (tr.flip) column = shape_.width - 1 - column;
        const bool inside = row >= 0 && row < shape_.height && column >= 0 && column < shape_.width;
        out[f] = inside ? value_table_[size_t(c) * 256 + image[c * plane + row * shape_.width + column]] : 0.0f;
      }
    }
  }
}

std::string ImageSequenceDataset::describe() const {
  std::string layout = sequence_ + " (T=" + std::to_string(steps_) + ", F=" + std::to_string(features_) + ")";
  if (sequence_ == "permuted_pixels") layout += " seed " + std::to_string(permutation_seed_);
  if (augment_ != "none")
    layout += ", training examples augmented: " + augment_ +
              (augment_ == "flip" ? "" : " (max shift " + std::to_string(max_shift_) + ")");
  if (!loaded_) return source_.name + ": not loaded yet, " + layout;
  std::string norm;
  if (per_channel_) {
    norm = ", per_channel normalized (mean";
    char buf[32];
    for (double m : channel_mean_) {
      std::snprintf(buf, sizeof buf, " %.4f", m);
      norm += buf;
    }
    norm += ", std";
    for (double s : channel_std_) {
      std::snprintf(buf, sizeof buf, " %.4f", s);
      norm += buf;
    }
    norm += ")";
  }
  const std::string kept =
      train_.kept() < train_.size() ? " (" + std::to_string(train_.kept()) + " kept by this process)" : "";
  return source_.name + ": " + std::to_string(train_.size()) + " train" + kept + " / " + std::to_string(test_.size()) +
         " test, " + layout + norm + ", from " + directory_;
}

}  // namespace biornn::datasets
