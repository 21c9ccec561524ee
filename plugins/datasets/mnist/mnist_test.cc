// Tests of the mnist plugin (mnist, fashion_mnist): small IDX files written here, and the real
// data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>

#include "core/sdk/data_paths.h"
#include "core/sdk/dataset.h"
#include "core/sdk/error.h"
#include "core/sdk/random.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"
#include "plugins/datasets/common/dataset_testing.h"

namespace biornn {
namespace {

namespace fs = std::filesystem;

constexpr int kSide = 28;
constexpr int kPixels = kSide * kSide;

const char* const kTrainImages = "train-images-idx3-ubyte";
const char* const kTrainLabels = "train-labels-idx1-ubyte";
const char* const kTestImages = "t10k-images-idx3-ubyte";
const char* const kTestLabels = "t10k-labels-idx1-ubyte";

// Known pixel p (row-major) of example k; a hash, so gzip cannot shrink it to nothing.
uint8_t pixel(int64_t k, int p) {
  uint32_t h = uint32_t(k) * 2654435761u ^ uint32_t(p) * 40503u;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return uint8_t(h);
}
int32_t label_of(int64_t k, bool test) { return int32_t((k * 3 + (test ? 1 : 0)) % 10); }

std::string big_endian(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

std::string idx_images(int count, int first_example, int rows = kSide, int columns = kSide) {
  std::string s =
      big_endian(2051) + big_endian(uint32_t(count)) + big_endian(uint32_t(rows)) + big_endian(uint32_t(columns));
  for (int k = 0; k < count; ++k)
    for (int p = 0; p < rows * columns; ++p) s += char(pixel(first_example + k, p));
  return s;
}

std::string idx_labels(int count, bool test) {
  std::string s = big_endian(2049) + big_endian(uint32_t(count));
  for (int k = 0; k < count; ++k) s += char(label_of(k, test));
  return s;
}

using testing::gzip;

constexpr int kTrain = 5, kTest = 3;  // test examples are numbered from 100

// Writes the four files of a small dataset into a fresh directory and returns it.
std::string write_dataset(bool gz, const std::string& tag = "mnist") {
  std::string dir = testing::temp_dir(tag);
  const std::string suffix = gz ? ".gz" : "";
  auto put = [&](const char* name, const std::string& bytes) {
    testing::write_file(dir + "/" + name + suffix, gz ? gzip(bytes) : bytes);
  };
  put(kTrainImages, idx_images(kTrain, 0));
  put(kTrainLabels, idx_labels(kTrain, false));
  put(kTestImages, idx_images(kTest, 100));
  put(kTestLabels, idx_labels(kTest, true));
  return dir;
}

// The plugin, loaded once and never unloaded, so that no dataset outlives its code.
constexpr const char* kSo = "plugins/datasets/mnist/mnist_plugin.so";

std::unique_ptr<Dataset> make(const std::string& name, const std::map<std::string, OptionValue>& values) {
  return datasets::testing::make_dataset(kSo, name, values, "");
}
std::string load_error(const std::string& name, const std::map<std::string, OptionValue>& values) {
  return datasets::testing::load_error(kSo, name, values, "");
}
using datasets::testing::all_of;
using datasets::testing::find_source_tree;

std::vector<int32_t> draw_order(uint64_t seed) {
  std::vector<int32_t> order(kPixels);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  rng.shuffle(order.begin(), order.end());
  return order;
}

TEST(Mnist, LoadsThroughThePluginLoaderLikeARunner) {
  std::string dir = write_dataset(false);
  Registry r;
  PluginLoader loader(r);
  loader.load(testing::runfile("plugins/datasets/mnist/mnist_plugin.so"));
  for (const char* name : {"mnist", "fashion_mnist"}) {
    const OptionSchema& schema = r.get("dataset", name).schema;
    Options o(schema);
    o.set(schema, "path", std::string(dir), {}, "test");
    std::unique_ptr<Dataset> d = r.create<Dataset>(name, o);
    d->load();
    EXPECT_EQ(d->size(Split::kTrain), kTrain);
    EXPECT_EQ(d->size(Split::kTest), kTest);
    EXPECT_EQ(d->describe(), std::string(name) + ": 5 train / 3 test, rows (T=28, F=28), from " + dir);
  }
}

TEST(Mnist, ShapesAreKnownBeforeLoad) {
  struct Case {
    const char* sequence;
    int steps, features;
  };
  for (Case c : {Case{"rows", 28, 28}, Case{"pixels", 784, 1}, Case{"permuted_pixels", 784, 1}}) {
    auto d = make("mnist", {{"sequence", std::string(c.sequence)}, {"path", std::string("/nowhere")}});
    EXPECT_EQ(d->steps(), c.steps) << c.sequence;
    EXPECT_EQ(d->features(), c.features) << c.sequence;
    EXPECT_EQ(d->classes(), 10);
    EXPECT_EQ(d->size(Split::kTrain), 0);
    EXPECT_NE(d->describe().find("not loaded"), std::string::npos) << d->describe();
  }
}

TEST(Mnist, RowsLayoutFromPlainAndGzipFiles) {
  for (bool gz : {false, true}) {
    auto d = make("mnist", {{"path", write_dataset(gz)}});
    d->load();
    ASSERT_EQ(d->size(Split::kTrain), kTrain);
    ASSERT_EQ(d->size(Split::kTest), kTest);
    std::vector<int64_t> indices = {4, 0, 2};
    std::vector<int32_t> labels;
    std::vector<float> x = all_of(*d, Split::kTrain, indices, &labels);
    const int n = 3;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(labels[size_t(i)], label_of(indices[size_t(i)], false));
      for (int t = 0; t < 28; ++t)
        for (int f = 0; f < 28; ++f)
          ASSERT_EQ(x[size_t((t * n + i) * 28 + f)], float(pixel(indices[size_t(i)], t * 28 + f) / 255.0))
              << "gz " << gz << " i " << i << " t " << t << " f " << f;
    }
    std::vector<int64_t> test_indices = {2, 1};
    x = all_of(*d, Split::kTest, test_indices, &labels);
    EXPECT_EQ(labels, (std::vector<int32_t>{label_of(2, true), label_of(1, true)}));
    EXPECT_EQ(x[size_t((5 * 2 + 1) * 28 + 7)], float(pixel(101, 5 * 28 + 7) / 255.0));
  }
}

TEST(Mnist, PixelsAndPermutedPixels) {
  const std::string dir = write_dataset(true);
  auto pixels = make("mnist", {{"path", dir}, {"sequence", std::string("pixels")}});
  auto permuted =
      make("mnist", {{"path", dir}, {"sequence", std::string("permuted_pixels")}, {"permutation_seed", int64_t(7)}});
  pixels->load();
  permuted->load();
  std::vector<int64_t> indices = {1, 3};
  std::vector<int32_t> labels;
  std::vector<float> x = all_of(*pixels, Split::kTrain, indices, &labels);
  std::vector<float> y = all_of(*permuted, Split::kTrain, indices, &labels);
  const std::vector<int32_t> order = draw_order(7);
  std::vector<int32_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int p = 0; p < kPixels; ++p) ASSERT_EQ(sorted[size_t(p)], p);  // a permutation
  EXPECT_NE(order, draw_order(8));
  int moved = 0;
  for (int t = 0; t < kPixels; ++t)
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(x[size_t(t * 2 + i)], float(pixel(indices[size_t(i)], t) / 255.0));
      ASSERT_EQ(y[size_t(t * 2 + i)], float(pixel(indices[size_t(i)], order[size_t(t)]) / 255.0));
      moved += order[size_t(t)] != t;
    }
  EXPECT_GT(moved, kPixels);  // most pixels are elsewhere
  EXPECT_NE(permuted->describe().find("permuted_pixels (T=784, F=1) seed 7"), std::string::npos)
      << permuted->describe();
}

// augment = flip_shift: each example mirrored or moved as its own draw says (the same stream and
// index give the same draw in any batch); pixels moved in from outside are 0; none leaves x alone.
TEST(Mnist, AugmentFlipsAndShiftsEachExampleByItsOwnDraw) {
  const std::string dir = write_dataset(false);
  auto plain = make("mnist", {{"path", dir}});
  auto flipped = make("mnist", {{"path", dir}, {"augment", std::string("flip")}});
  auto moved = make("mnist", {{"path", dir}, {"augment", std::string("shift")}, {"max_shift", int64_t(3)}});
  for (auto* d : {plain.get(), flipped.get(), moved.get()}) d->load();
  const std::vector<int64_t> indices = {0, 1, 2, 3, 4};
  const int n = 5;
  std::vector<int32_t> labels;
  const std::vector<float> x0 = all_of(*plain, Split::kTrain, indices, &labels);
  auto augmented = [&](const Dataset& d, uint64_t stream, const std::vector<int64_t>& idx) {
    std::vector<float> x = all_of(d, Split::kTrain, idx, &labels);
    BatchData b;
    b.x = x.data();
    d.augment(idx.data(), int(idx.size()), stream, b);
    return x;
  };
  std::vector<float> same = x0;
  BatchData b;
  b.x = same.data();
  plain->augment(indices.data(), n, 7, b);
  EXPECT_EQ(same, x0);
  int mirrored = 0, shifted = 0;
  for (uint64_t stream : {1u, 2u, 3u, 4u}) {
    const std::vector<float> f = augmented(*flipped, stream, indices);
    const std::vector<float> s = augmented(*moved, stream, indices);
    for (int i = 0; i < n; ++i) {
      const float v = float(pixel(i, 5 * 28 + 27) / 255.0);
      const float at0 = f[size_t((5 * n + i) * 28 + 0)];
      if (at0 == v)
        ++mirrored;  // row 5, column 0 shows column 27
      else
        EXPECT_EQ(at0, x0[size_t((5 * n + i) * 28 + 0)]);
      bool any = false;
      for (int t = 0; t < 28 && !any; ++t)
        for (int c = 0; c < 28 && !any; ++c) any = s[size_t((t * n + i) * 28 + c)] != x0[size_t((t * n + i) * 28 + c)];
      shifted += any;
    }
    // Example 3 alone in a batch gets the draw it got among five.
    const std::vector<float> alone = augmented(*moved, stream, {3});
    for (int t = 0; t < 28; ++t)
      for (int c = 0; c < 28; ++c) ASSERT_EQ(alone[size_t(t * 28 + c)], s[size_t((t * n + 3) * 28 + c)]);
  }
  EXPECT_GT(mirrored, 3);  // p = 1/2 over 20 draws
  EXPECT_LT(mirrored, 17);
  EXPECT_GT(shifted, 15);  // only (0, 0) of 49 shifts leaves an example as it was
  // A shift (dy, dx) shows source pixel (row - dy, column - dx), or 0 from outside the image.
  const std::vector<float> s = augmented(*moved, 1, indices);
  for (int i = 0; i < n; ++i) {
    int matches = 0;
    for (int dy = -3; dy <= 3; ++dy)
      for (int dx = -3; dx <= 3; ++dx) {
        bool all = true;
        for (int t = 0; t < 28 && all; ++t)
          for (int c = 0; c < 28 && all; ++c) {
            const int r = t - dy, q = c - dx;
            const float want = r < 0 || r >= 28 || q < 0 || q >= 28 ? 0.0f : float(pixel(i, r * 28 + q) / 255.0);
            all = s[size_t((t * n + i) * 28 + c)] == want;
          }
        matches += all;
      }
    EXPECT_EQ(matches, 1) << "example " << i;
  }
  EXPECT_NE(moved->describe().find("training examples augmented: shift (max shift 3)"), std::string::npos);
}

TEST(Mnist, PerChannelNormalizationUsesTrainingStatistics) {
  auto d = make(
      "mnist",
      {{"path", write_dataset(false)}, {"sequence", std::string("pixels")}, {"normalize", std::string("per_channel")}});
  d->load();
  std::vector<int64_t> all(kTrain);
  std::iota(all.begin(), all.end(), 0);
  std::vector<int32_t> labels;
  std::vector<float> x = all_of(*d, Split::kTrain, all, &labels);
  double sum = 0, sum_sq = 0;
  for (float v : x) sum += v, sum_sq += double(v) * v;
  const double mean = sum / double(x.size());
  EXPECT_NEAR(mean, 0.0, 1e-5);
  EXPECT_NEAR(sum_sq / double(x.size()) - mean * mean, 1.0, 1e-4);
  // Affine in the byte value, with the training mean and std: check one test pixel.
  double raw_sum = 0, raw_sq = 0;
  for (int k = 0; k < kTrain; ++k)
    for (int p = 0; p < kPixels; ++p) {
      double v = pixel(k, p) / 255.0;
      raw_sum += v, raw_sq += v * v;
    }
  const double m = raw_sum / (kTrain * kPixels);
  const double s = std::sqrt(raw_sq / (kTrain * kPixels) - m * m);
  std::vector<int64_t> one = {0};
  std::vector<float> t = all_of(*d, Split::kTest, one, &labels);
  EXPECT_NEAR(t[10], (pixel(100, 10) / 255.0 - m) / s, 1e-5);
}

TEST(Mnist, LimitsKeepTheFirstExamples) {
  auto d = make("mnist", {{"path", write_dataset(false)}, {"train_limit", int64_t(2)}, {"test_limit", int64_t(1)}});
  d->load();
  EXPECT_EQ(d->size(Split::kTrain), 2);
  EXPECT_EQ(d->size(Split::kTest), 1);
  std::vector<int64_t> indices = {1};
  std::vector<int32_t> labels;
  std::vector<float> x = all_of(*d, Split::kTrain, indices, &labels);
  EXPECT_EQ(labels[0], label_of(1, false));
  EXPECT_EQ(x[3], float(pixel(1, 3) / 255.0));
  std::vector<int64_t> outside = {2};
  EXPECT_THROW(all_of(*d, Split::kTrain, outside, &labels), Error);
  auto big = make("mnist", {{"path", write_dataset(false)}, {"train_limit", int64_t(1000)}});
  big->load();
  EXPECT_EQ(big->size(Split::kTrain), kTrain);
}

// Issue 21: a rank that keeps only its shard holds just those rows (same values, same
// normalisation from the whole training split) and refuses the others with one line.
TEST(Mnist, KeepOnlyHoldsTheNamedRowsWithTheWholeSplitsNormalization) {
  const std::string dir = write_dataset(true);
  const std::map<std::string, OptionValue> options = {
      {"path", dir}, {"sequence", std::string("pixels")}, {"normalize", std::string("per_channel")}};
  auto whole = make("mnist", options), part = make("mnist", options);
  part->keep_only([](Split split, int64_t n) {
    std::vector<int64_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    return split == Split::kTrain ? std::vector<int64_t>{1, 3} : all;
  });
  whole->load();
  part->load();
  EXPECT_EQ(part->size(Split::kTrain), kTrain);  // indices stay those of the whole split
  EXPECT_NE(part->describe().find("5 train (2 kept by this process)"), std::string::npos) << part->describe();
  std::vector<int32_t> a, b;
  const std::vector<int64_t> kept = {3, 1};
  EXPECT_EQ(all_of(*part, Split::kTrain, kept, &a), all_of(*whole, Split::kTrain, kept, &b));
  EXPECT_EQ(a, b);
  const std::vector<int64_t> dropped = {2};
  try {
    all_of(*part, Split::kTrain, dropped, &a);
    ADD_FAILURE() << "a dropped row was served";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mnist: example 2 of the train split is not kept by this process (it keeps "
                                         "2 of 5: data shared between ranks, train.data_shards)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Mnist, BatchBeforeLoadOrOutOfRangeIsAnError) {
  auto d = make("mnist", {{"path", write_dataset(false)}});
  std::vector<int64_t> indices = {0};
  std::vector<int32_t> labels;
  EXPECT_THROW(all_of(*d, Split::kTrain, indices, &labels), Error);
  d->load();
  indices = {-1};
  EXPECT_THROW(all_of(*d, Split::kTrain, indices, &labels), Error);
  indices = {kTest};
  EXPECT_THROW(all_of(*d, Split::kTest, indices, &labels), Error);
}

// Each corruption: a change to a valid dataset, the file the message must name, and a phrase.
struct Corruption {
  const char* what;
  bool gz;
  std::function<void(const std::string& dir)> apply;
  std::string file;
  std::string phrase;
};

TEST(Mnist, EveryCorruptionIsAnErrorNamingTheFile) {
  auto replace = [](const std::string& file, std::string bytes, bool gz) {
    return [=](const std::string& dir) { testing::write_file(dir + "/" + file, gz ? gzip(bytes) : bytes); };
  };
  std::string labels_with_10 = idx_labels(kTrain, false);
  labels_with_10[8 + 3] = 10;
  std::string short_images = idx_images(kTrain, 0);
  short_images.pop_back();
  std::string fewer_labels = idx_labels(kTest - 1, true);
  std::vector<Corruption> cases = {
      {"bad image magic", false, replace(kTrainImages, big_endian(2052) + idx_images(kTrain, 0).substr(4), false),
       kTrainImages, "bad magic number 2052, expected 2051"},
      {"bad label magic", true,
       replace(std::string(kTestLabels) + ".gz", big_endian(2051) + idx_labels(kTest, true).substr(4), true),
       kTestLabels, "bad magic number 2051, expected 2049"},
      {"truncated images", false, replace(kTrainImages, short_images, false), kTrainImages,
       "truncated: header declares 5 images of 28x28 (3920 pixel bytes), file has 3919"},
      {"truncated images, gz", true, replace(std::string(kTrainImages) + ".gz", short_images, true), kTrainImages,
       "truncated"},
      {"over-long images", false, replace(kTestImages, idx_images(kTest, 100) + std::string(1, '\0'), false),
       kTestImages, "longer than its header declares"},
      {"over-long labels, gz", true,
       replace(std::string(kTrainLabels) + ".gz", idx_labels(kTrain, false) + "xyz", true), kTrainLabels,
       "longer than its header declares"},
      {"label 10", false, replace(kTrainLabels, labels_with_10, false), kTrainLabels,
       "label 10 at index 3 is outside 0..9"},
      {"count mismatch", false, replace(kTestLabels, fewer_labels, false), kTestLabels, "holds 3 images but"},
      {"wrong image size", false, replace(kTrainImages, idx_images(kTrain, 0, 27, 28), false), kTrainImages,
       "images are 27x28, expected 28x28"},
      {"header too short", false, replace(kTestLabels, "\0\0\x08", false), kTestLabels,
       "too short for an IDX label header"},
      {"missing file", false, [](const std::string& dir) { fs::remove(dir + "/" + kTestLabels); }, "",
       "(missing t10k-labels-idx1-ubyte[.gz])"},
      {"corrupt gzip", true,
       [](const std::string& dir) {
         const std::string path = dir + "/" + kTrainImages + ".gz";
         std::string bytes = testing::read_file(path);
         for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i) bytes[i] ^= 0x5a;
         testing::write_file(path, bytes);
       },
       kTrainImages, "corrupt gzip data"},
      {"gzip cut short", true,
       [](const std::string& dir) {
         const std::string path = dir + "/" + kTestImages + ".gz";
         std::string bytes = testing::read_file(path);
         testing::write_file(path, bytes.substr(0, bytes.size() / 2));
       },
       kTestImages, "gzip data ends early"},
  };
  for (const Corruption& c : cases) {
    const std::string dir = write_dataset(c.gz, "corrupt");
    c.apply(dir);
    const std::string message = load_error("mnist", {{"path", dir}});
    const std::string named = c.file.empty() ? dir : dir + "/" + c.file;
    EXPECT_NE(message.find(named), std::string::npos) << c.what << ": " << message;
    EXPECT_NE(message.find(c.phrase), std::string::npos) << c.what << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.what << ": " << message;
    EXPECT_EQ(message.rfind("mnist: ", 0), 0u) << c.what << ": " << message;
  }
}

TEST(Mnist, MissingDatasetListsEveryPlaceAndTheFetchCommand) {
  const std::string empty = testing::temp_dir("empty");
  std::string message = load_error("mnist", {{"path", empty}});
  EXPECT_NE(message.find(empty + " (missing train-images-idx3-ubyte[.gz]"), std::string::npos) << message;
  EXPECT_NE(message.find("sudo tools/setup.sh"), std::string::npos) << message;

  // Default search: every directory of data_search_paths, and for fashion_mnist Debian's too.
  const std::string root = testing::temp_dir("search");
  const char* saved = std::getenv("BIORNN_WORKSPACE");
  const std::string saved_workspace = saved ? saved : "";
  setenv("BIORNN_WORKSPACE", (root + "/ws").c_str(), 1);
  setenv("BIORNN_DATA_DIR", (root + "/data").c_str(), 1);
  set_process_paths(Paths::from_environment());  // the library reads the environment once
  for (const char* name : {"mnist", "fashion_mnist"}) {
    const std::string subdir = std::string(name) == "mnist" ? "mnist" : "fashion-mnist";
    auto dataset = make(name, {});
    std::string m;
    try {
      dataset->load();
    } catch (const Error& e) { m = e.what(); }
    if (std::string(name) == "fashion_mnist" && m.empty()) continue;  // Debian's copy found
    for (const std::string& dir : data_search_paths(subdir))
      EXPECT_NE(m.find(dir + " (no such directory)"), std::string::npos) << m;
    EXPECT_NE(m.find("sudo tools/setup.sh"), std::string::npos) << m;
    if (std::string(name) == "fashion_mnist") {
      EXPECT_NE(m.find("/usr/share/datasets/fashion-mnist"), std::string::npos) << m;
    }
  }
  unsetenv("BIORNN_DATA_DIR");
  if (saved) {
    setenv("BIORNN_WORKSPACE", saved_workspace.c_str(), 1);
  } else {
    unsetenv("BIORNN_WORKSPACE");
  }
  set_process_paths(Paths::from_environment());
}

// "a, b, c": for skip messages.
std::string joined(const std::vector<std::string>& dirs) {
  std::string r;
  for (const auto& d : dirs) r += (r.empty() ? "" : ", ") + d;
  return r;
}

// The first directory of `dirs` that exists, or "".
std::string first_existing(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs)
    if (fs::is_directory(d)) return d;
  return "";
}

// Loads the real dataset through the default search (no path option) and checks it.
void expect_real(const std::string& name, const std::string& dir, const std::vector<int32_t>& first_train,
                 const std::vector<int32_t>& first_test, const std::string& statistics) {
  auto d = make(name, {{"normalize", std::string("per_channel")}});
  d->load();
  EXPECT_NE(d->describe().find("from " + dir), std::string::npos) << d->describe();
  EXPECT_EQ(d->size(Split::kTrain), 60000);
  EXPECT_EQ(d->size(Split::kTest), 10000);
  std::vector<int64_t> indices(10);
  std::iota(indices.begin(), indices.end(), 0);
  std::vector<int32_t> labels;
  all_of(*d, Split::kTrain, indices, &labels);
  EXPECT_EQ(labels, first_train);
  all_of(*d, Split::kTest, indices, &labels);
  EXPECT_EQ(labels, first_test);
  EXPECT_NE(d->describe().find(statistics), std::string::npos) << d->describe();
  std::cout << d->describe() << "\n";
}

TEST(Mnist, RealData) {
  find_source_tree();
  const std::string dir = first_existing(data_search_paths("mnist"));
  if (dir.empty()) GTEST_SKIP() << "no MNIST in " << joined(data_search_paths("mnist"));
  expect_real("mnist", dir, {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, {7, 2, 1, 0, 4, 1, 4, 9, 5, 9},
              "per_channel normalized (mean 0.1307, std 0.3081)");
}

TEST(FashionMnist, RealData) {
  find_source_tree();
  std::vector<std::string> dirs = data_search_paths("fashion-mnist");
  dirs.push_back("/usr/share/datasets/fashion-mnist");
  const std::string dir = first_existing(dirs);
  if (dir.empty()) GTEST_SKIP() << "no Fashion-MNIST in " << joined(dirs);
  expect_real("fashion_mnist", dir, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7},
              "per_channel normalized (mean 0.2860, std 0.3530)");
}

}  // namespace
}  // namespace biornn
