// Tests of the cifar10 plugin: small record files written here, and the real data when present.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

constexpr int kSide = 32;
constexpr int kPlane = kSide * kSide;

// Known byte of channel c (0 R, 1 G, 2 B) at pixel p (row-major) of example k.
uint8_t pixel(int64_t k, int c, int p) {
  uint32_t h = uint32_t(k) * 2654435761u ^ uint32_t(c * kPlane + p) * 40503u;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return uint8_t(h);
}
int32_t label_of(int64_t k) { return int32_t((k * 7 + 3) % 10); }

// Records of examples first..first+count-1: a label byte, then the R, G and B planes.
std::string records(int first, int count) {
  std::string s;
  for (int k = first; k < first + count; ++k) {
    s += char(label_of(k));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < kPlane; ++p) s += char(pixel(k, c, p));
  }
  return s;
}

// Train batches hold 2, 1, 1, 1, 1 examples (0..5); the test batch examples 100..102.
constexpr int kTrainCounts[5] = {2, 1, 1, 1, 1};
constexpr int kTrain = 6, kTest = 3;

std::string write_dataset(const std::string& tag = "cifar") {
  std::string dir = testing::temp_dir(tag);
  int first = 0;
  for (int b = 0; b < 5; ++b) {
    testing::write_file(dir + "/data_batch_" + std::to_string(b + 1) + ".bin", records(first, kTrainCounts[b]));
    first += kTrainCounts[b];
  }
  testing::write_file(dir + "/test_batch.bin", records(100, kTest));
  return dir;
}

constexpr const char* kSo = "plugins/datasets/cifar10/cifar10_plugin.so";

std::unique_ptr<Dataset> make(const std::map<std::string, OptionValue>& values) {
  return datasets::testing::make_dataset(kSo, "cifar10", values, "");
}
std::string load_error(const std::map<std::string, OptionValue>& values) {
  return datasets::testing::load_error(kSo, "cifar10", values, "");
}
using datasets::testing::all_of;
using datasets::testing::find_source_tree;

float input(int64_t k, int c, int p) { return float(pixel(k, c, p) / 255.0); }

TEST(Cifar10, ShapesAreKnownBeforeLoad) {
  struct Case {
    const char* sequence;
    int steps, features;
  };
  for (Case c : {Case{"rows", 32, 96}, Case{"pixels", 1024, 3}, Case{"permuted_pixels", 1024, 3}}) {
    auto d = make({{"sequence", std::string(c.sequence)}});
    EXPECT_EQ(d->steps(), c.steps) << c.sequence;
    EXPECT_EQ(d->features(), c.features) << c.sequence;
    EXPECT_EQ(d->classes(), 10);
  }
}

TEST(Cifar10, TrainBatchesInOrderAndRowsInterleaveRgb) {
  const std::string dir = write_dataset();
  auto d = make({{"path", dir}});
  d->load();
  ASSERT_EQ(d->size(Split::kTrain), kTrain);
  ASSERT_EQ(d->size(Split::kTest), kTest);
  EXPECT_EQ(d->describe(), "cifar10: 6 train / 3 test, rows (T=32, F=96), from " + dir);
  std::vector<int64_t> all(kTrain);
  std::iota(all.begin(), all.end(), 0);
  std::vector<int32_t> labels;
  std::vector<float> x = all_of(*d, Split::kTrain, all, &labels);
  const int n = kTrain;
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(labels[size_t(i)], label_of(i));
    for (int t = 0; t < 32; ++t)
      for (int column = 0; column < 32; ++column)
        for (int c = 0; c < 3; ++c)
          ASSERT_EQ(x[size_t((t * n + i) * 96 + 3 * column + c)], input(i, c, t * 32 + column))
              << i << " " << t << " " << column << " " << c;
  }
  std::vector<int64_t> test_indices = {2, 0};
  x = all_of(*d, Split::kTest, test_indices, &labels);
  EXPECT_EQ(labels, (std::vector<int32_t>{label_of(102), label_of(100)}));
  EXPECT_EQ(x[size_t((31 * 2 + 1) * 96 + 95)], input(100, 2, 31 * 32 + 31));
}

TEST(Cifar10, PixelsAndPermutedPixelsCarryRgbPerStep) {
  const std::string dir = write_dataset();
  auto pixels = make({{"path", dir}, {"sequence", std::string("pixels")}});
  auto permuted = make({{"path", dir}, {"sequence", std::string("permuted_pixels")}, {"permutation_seed", int64_t(3)}});
  pixels->load();
  permuted->load();
  std::vector<int32_t> order(kPlane);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(3);
  rng.shuffle(order.begin(), order.end());
  std::vector<int64_t> indices = {5, 2};
  std::vector<int32_t> labels;
  std::vector<float> x = all_of(*pixels, Split::kTrain, indices, &labels);
  std::vector<float> y = all_of(*permuted, Split::kTrain, indices, &labels);
  EXPECT_EQ(labels, (std::vector<int32_t>{label_of(5), label_of(2)}));
  for (int t = 0; t < kPlane; ++t)
    for (int i = 0; i < 2; ++i)
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(x[size_t((t * 2 + i) * 3 + c)], input(indices[size_t(i)], c, t));
        ASSERT_EQ(y[size_t((t * 2 + i) * 3 + c)], input(indices[size_t(i)], c, order[size_t(t)]));
      }
}

TEST(Cifar10, PerChannelNormalization) {
  auto d =
      make({{"path", write_dataset()}, {"sequence", std::string("pixels")}, {"normalize", std::string("per_channel")}});
  d->load();
  std::vector<int64_t> all(kTrain);
  std::iota(all.begin(), all.end(), 0);
  std::vector<int32_t> labels;
  std::vector<float> x = all_of(*d, Split::kTrain, all, &labels);
  for (int c = 0; c < 3; ++c) {
    double sum = 0, sum_sq = 0, count = 0;
    for (size_t j = size_t(c); j < x.size(); j += 3) sum += x[j], sum_sq += double(x[j]) * x[j], ++count;
    EXPECT_NEAR(sum / count, 0.0, 1e-5) << c;
    EXPECT_NEAR(sum_sq / count - (sum / count) * (sum / count), 1.0, 1e-4) << c;
  }
}

TEST(Cifar10, LimitsSpanBatchFiles) {
  auto d = make({{"path", write_dataset()}, {"train_limit", int64_t(3)}, {"test_limit", int64_t(2)}});
  d->load();
  EXPECT_EQ(d->size(Split::kTrain), 3);
  EXPECT_EQ(d->size(Split::kTest), 2);
  std::vector<int64_t> indices = {2};
  std::vector<int32_t> labels;
  std::vector<float> x = all_of(*d, Split::kTrain, indices, &labels);
  EXPECT_EQ(labels[0], label_of(2));  // first record of data_batch_2.bin
  EXPECT_EQ(x[1], input(2, 1, 0));
}

TEST(Cifar10, EveryCorruptionIsAnErrorNamingTheFile) {
  struct Corruption {
    const char* what;
    std::function<void(const std::string& dir)> apply;
    std::string file;
    std::string phrase;
  };
  std::string bad_label = records(100, kTest);
  bad_label[3073] = 10;  // label of record 1
  std::vector<Corruption> cases = {
      {"size not a multiple of 3073",
       [](const std::string& dir) { testing::write_file(dir + "/data_batch_3.bin", records(3, 1) + "x"); },
       "data_batch_3.bin", "size 3074 is not a multiple of the 3073-byte record"},
      {"truncated record",
       [](const std::string& dir) { testing::write_file(dir + "/data_batch_1.bin", records(0, 2).substr(0, 5000)); },
       "data_batch_1.bin", "size 5000 is not a multiple"},
      {"bad label", [&](const std::string& dir) { testing::write_file(dir + "/test_batch.bin", bad_label); },
       "test_batch.bin", "label 10 of record 1 is outside 0..9"},
      {"empty file", [](const std::string& dir) { testing::write_file(dir + "/data_batch_2.bin", ""); },
       "data_batch_2.bin", "file is empty"},
      {"missing file", [](const std::string& dir) { fs::remove(dir + "/data_batch_5.bin"); }, "",
       "(missing data_batch_5.bin)"},
  };
  for (const Corruption& c : cases) {
    const std::string dir = write_dataset("corrupt");
    c.apply(dir);
    const std::string message = load_error({{"path", dir}});
    const std::string named = c.file.empty() ? dir : dir + "/" + c.file;
    EXPECT_NE(message.find(named), std::string::npos) << c.what << ": " << message;
    EXPECT_NE(message.find(c.phrase), std::string::npos) << c.what << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.what << ": " << message;
  }
}

TEST(Cifar10, MissingDatasetNamesTheFetchScript) {
  const std::string empty = testing::temp_dir("empty");
  std::string message = load_error({{"path", empty}});
  EXPECT_NE(message.find(empty + " (missing data_batch_1.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("tools/fetch_cifar10.sh"), std::string::npos) << message;
  message = load_error({{"path", empty + "/absent"}});
  EXPECT_NE(message.find(empty + "/absent (no such directory)"), std::string::npos) << message;
}

TEST(Cifar10, RealData) {
  find_source_tree();
  std::string dir;
  for (const auto& d : data_search_paths("cifar-10-batches-bin"))
    if (dir.empty() && fs::is_directory(d)) dir = d;
  if (dir.empty()) {
    std::string looked;
    for (const auto& d : data_search_paths("cifar-10-batches-bin")) looked += " " + d;
    GTEST_SKIP() << "no CIFAR-10 in" << looked;
  }
  auto d = make({{"normalize", std::string("per_channel")}});  // found by the default search
  d->load();
  EXPECT_NE(d->describe().find("from " + dir), std::string::npos) << d->describe();
  EXPECT_EQ(d->size(Split::kTrain), 50000);
  EXPECT_EQ(d->size(Split::kTest), 10000);
  std::vector<int64_t> indices(10);
  std::iota(indices.begin(), indices.end(), 0);
  std::vector<int32_t> labels;
  all_of(*d, Split::kTrain, indices, &labels);
  EXPECT_EQ(labels, (std::vector<int32_t>{6, 9, 9, 4, 1, 1, 2, 7, 8, 3}));
  all_of(*d, Split::kTest, indices, &labels);
  EXPECT_EQ(labels, (std::vector<int32_t>{3, 8, 8, 0, 6, 6, 1, 6, 3, 1}));
  EXPECT_NE(d->describe().find("(mean 0.4914 0.4822 0.4465, std 0.2470 0.2435 0.2616)"), std::string::npos)
      << d->describe();
  std::cout << d->describe() << "\n";

  // batch() speed, for the log: rows of 256 examples, T=32 x F=96.
  std::vector<int64_t> picks(256);
  for (size_t i = 0; i < picks.size(); ++i) picks[i] = int64_t(i * 193 % 50000);
  std::vector<float> xs(size_t(32) * 256 * 96);
  std::vector<int32_t> ys(256);
  const auto start = std::chrono::steady_clock::now();
  for (int repeat = 0; repeat < 20; ++repeat) d->batch(Split::kTrain, picks.data(), 256, xs.data(), ys.data());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "batch(): " << 20 * xs.size() / seconds / 1e6 << " M inputs/s\n";

  // Rows layout on the real bytes: example 10000 is the first record of data_batch_2.bin.
  auto plain = make({{"path", dir}});
  plain->load();
  std::ifstream f(dir + "/data_batch_2.bin", std::ios::binary);
  std::vector<unsigned char> record(3073);
  f.read(reinterpret_cast<char*>(record.data()), 3073);
  std::vector<int64_t> one = {10000};
  std::vector<float> x = all_of(*plain, Split::kTrain, one, &labels);
  EXPECT_EQ(labels[0], record[0]);
  for (int t = 0; t < 32; ++t)
    for (int column = 0; column < 32; ++column)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(x[size_t(t * 96 + 3 * column + c)], float(record[size_t(1 + c * 1024 + t * 32 + column)] / 255.0));
}

}  // namespace
}  // namespace biornn
