// Dataset fuzz inputs: one byte string that becomes a dataset directory (the files and the
// dataset's options), and the check that loads it through a registered dataset plugin.
// Shared by the libFuzzer targets in tools/fuzz/ (clang, sanitizers, plugin source compiled
// in) and by tests/bad_inputs_test.cc, which replays the seed corpus and every crash found
// (tests/fuzz/regressions/) through the real plugin .so built by Bazel.
//
// Format (every byte string is a valid input; short inputs leave files out):
//   byte 0   bits 0-1 sequence (0 rows, 1 pixels, 2 permuted_pixels, 3 rows),
//            bit 2 normalize = per_channel, bits 4-7 file k (k < 4) gets a ".gz" name
//            (its bytes are written as given: a plain file under a .gz name is read as
//            plain by zlib, gzip bytes under a plain name are decompressed)
//   byte 1   train_limit (0: all)      byte 2   test_limit (0: all)
//   byte 3   permutation_seed
//   then for each file of the dataset in order: a 4-byte little-endian length L, then
//   min(L, what is left) bytes. A file whose length field is cut off is not written at all.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/sdk/dataset.h"
#include "core/sdk/error.h"
#include "core/sdk/registry.h"

namespace biornn::fuzz {

// The files of the two datasets, in the order the format lists them.
inline const std::vector<std::string>& idx_files() {
  static const std::vector<std::string> f = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  return f;
}
inline const std::vector<std::string>& cifar10_files() {
  static const std::vector<std::string> f = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                             "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
  return f;
}

struct DatasetFile {
  std::string name;  // file name in the directory (with ".gz" when byte 0 asks for it)
  std::string bytes;
};

struct DatasetInput {
  std::string sequence = "rows";
  bool per_channel = false;
  int64_t train_limit = 0, test_limit = 0, permutation_seed = 0;
  std::vector<DatasetFile> files;  // only the files present
};

inline DatasetInput decode_dataset_input(const uint8_t* data, size_t size, const std::vector<std::string>& names) {
  DatasetInput in;
  auto byte = [&](size_t i) { return i < size ? data[i] : uint8_t(0); };
  static const char* const kSequences[] = {"rows", "pixels", "permuted_pixels", "rows"};
  in.sequence = kSequences[byte(0) & 3];
  in.per_channel = (byte(0) & 4) != 0;
  in.train_limit = byte(1);
  in.test_limit = byte(2);
  in.permutation_seed = byte(3);
  size_t at = 4;
  for (size_t k = 0; k < names.size(); ++k) {
    if (at + 4 > size) break;
    const uint32_t length =
        uint32_t(data[at]) | uint32_t(data[at + 1]) << 8 | uint32_t(data[at + 2]) << 16 | uint32_t(data[at + 3]) << 24;
    at += 4;
    const size_t n = std::min<size_t>(length, size - at);
    const bool gz = k < 4 && (byte(0) >> (4 + k) & 1);
    in.files.push_back({names[k] + (gz ? ".gz" : ""), std::string(reinterpret_cast<const char*>(data + at), n)});
    at += n;
  }
  return in;
}

// The inverse, for writing seeds and tests: `files` in the order of `names` (all present).
inline std::string encode_dataset_input(const std::vector<std::string>& files, const std::string& sequence = "rows",
                                        bool per_channel = false, int train_limit = 0, int test_limit = 0,
                                        unsigned gz_mask = 0) {
  std::string s;
  const int seq = sequence == "pixels" ? 1 : sequence == "permuted_pixels" ? 2 : 0;
  s += char(seq | (per_channel ? 4 : 0) | int(gz_mask << 4));
  s += char(train_limit);
  s += char(test_limit);
  s += char(7);  // permutation seed
  for (const auto& f : files) {
    const uint32_t n = uint32_t(f.size());
    s += {char(n), char(n >> 8), char(n >> 16), char(n >> 24)};
    s += f;
  }
  return s;
}

// Makes `dir` hold exactly the input's files (other files in it are removed).
inline void write_dataset_input(const std::string& dir, const DatasetInput& in) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path());
  for (const auto& f : in.files) {
    std::ofstream out(fs::path(dir) / f.name, std::ios::binary);
    out.write(f.bytes.data(), std::streamsize(f.bytes.size()));
  }
}

// Creates dataset `name` from `registry` on `dir`, loads it, and reads every example of
// both splits through batch(). Returns "" when it loaded, else the Error's message (an
// Error is the only acceptable failure: anything else escapes). Aborts (a finding) when a
// loaded dataset breaks its contract: labels outside 0..classes-1, non-finite inputs, or
// out-of-range indices accepted.
inline std::string load_dataset_input(const Registry& registry, const std::string& name, const std::string& dir,
                                      const DatasetInput& in) {
  const OptionSchema& schema = registry.get("dataset", name).schema;
  Options options(schema, SourcePosition{"fuzz.toml", 1, 1});
  options.set(schema, "path", dir, {}, "fuzz");
  options.set(schema, "sequence", in.sequence, {}, "fuzz");
  options.set(schema, "normalize", std::string(in.per_channel ? "per_channel" : "none"), {}, "fuzz");
  options.set(schema, "train_limit", in.train_limit, {}, "fuzz");
  options.set(schema, "test_limit", in.test_limit, {}, "fuzz");
  options.set(schema, "permutation_seed", in.permutation_seed, {}, "fuzz");
  std::unique_ptr<Dataset> data = registry.create<Dataset>(name, options);
  try {
    data->load();
  } catch (const Error& e) { return e.what(); }
  const int T = data->steps(), F = data->features(), classes = data->classes();
  for (Split split : {Split::kTrain, Split::kTest}) {
    const int64_t n = data->size(split);
    constexpr int kBatch = 16;
    std::vector<float> x(size_t(T) * kBatch * F);
    std::vector<int32_t> y(kBatch);
    std::vector<int64_t> idx(kBatch);
    for (int64_t start = 0; start < n; start += kBatch) {
      const int b = int(std::min<int64_t>(kBatch, n - start));
      for (int i = 0; i < b; ++i) idx[size_t(i)] = start + i;
      data->batch(split, idx.data(), b, x.data(), y.data());
      for (int i = 0; i < b; ++i)
        if (y[size_t(i)] < 0 || y[size_t(i)] >= classes) std::abort();
      for (size_t i = 0; i < size_t(T) * size_t(b) * size_t(F); ++i)
        if (!std::isfinite(x[i])) std::abort();
    }
    const int64_t outside = n;  // one past the end must be refused
    try {
      data->batch(split, &outside, 1, x.data(), y.data());
      std::abort();
    } catch (const Error&) {}
  }
  if (data->describe().empty()) std::abort();
  return "";
}

}  // namespace biornn::fuzz
