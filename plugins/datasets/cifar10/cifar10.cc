// Dataset cifar10: 32x32 RGB images of 10 classes from the binary version's record files.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/sdk/data_paths.h"
#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/image_sequence.h"

namespace biornn::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int kSide = 32;
constexpr int kChannels = 3;
constexpr int64_t kImageBytes = kSide * kSide * kChannels;  // R plane, G plane, B plane
constexpr int64_t kRecordBytes = 1 + kImageBytes;           // label byte, then the image

const char* const kTrainFiles[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                                   "data_batch_5.bin"};
const char* const kTestFile = "test_batch.bin";

// Number of records in `path`; its size must be a positive multiple of 3073 bytes.
int64_t count_records(const std::string& dataset, const std::string& path) {
  std::error_code ec;
  const uintmax_t bytes = fs::file_size(path, ec);
  if (ec) throw Error(file_error(dataset, path, "cannot read its size: " + ec.message()));
  if (bytes == 0) throw Error(file_error(dataset, path, "file is empty"));
  if (bytes % kRecordBytes != 0)
    throw Error(file_error(dataset, path,
                           "size " + std::to_string(bytes) + " is not a multiple of the " +
                               std::to_string(kRecordBytes) +
                               "-byte record (1 label byte + 3072 image bytes): truncated or "
                               "not a CIFAR-10 binary file"));
  return int64_t(bytes / kRecordBytes);
}

// Gives the first `n` records of `path` to `split`, checking each label. Reads a chunk of
// records at a time, so memory holds only what the split keeps.
void read_records(const std::string& dataset, const std::string& path, int64_t n, ImageSplit* split) {
  constexpr int64_t kChunk = 1024;  // records
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(dataset, path, std::string("cannot open: ") + std::strerror(errno)));
  std::vector<uint8_t> records(size_t(std::min(n, kChunk) * kRecordBytes));
  for (int64_t first = 0; first < n; first += kChunk) {
    const int64_t count = std::min(kChunk, n - first);
    in.read(reinterpret_cast<char*>(records.data()), std::streamsize(count * kRecordBytes));
    if (in.gcount() != std::streamsize(count * kRecordBytes))
      throw Error(file_error(dataset, path,
                             "read failed after " + std::to_string(first * kRecordBytes + in.gcount()) +
                                 " bytes (file changed while reading?)"));
    for (int64_t r = 0; r < count; ++r) {
      const uint8_t* record = records.data() + r * kRecordBytes;
      if (record[0] > 9)
        throw Error(file_error(
            dataset, path,
            "label " + std::to_string(record[0]) + " of record " + std::to_string(first + r) + " is outside 0..9"));
      split->add(record + 1, record[0]);
    }
  }
}

// Reads `files` in order into `split`, up to the records it takes (ImageSplit::expect). The
// size of every file is checked even when the split's limit stops reading early.
void read_split(const std::string& dataset, const std::string& dir, const std::vector<std::string>& files,
                ImageSplit* split) {
  std::vector<int64_t> counts;
  int64_t total = 0;
  for (const auto& f : files) {
    counts.push_back(count_records(dataset, (fs::path(dir) / f).string()));
    total += counts.back();
  }
  int64_t remaining = split->expect(total);
  for (size_t i = 0; i < files.size() && remaining > 0; ++i) {
    const int64_t n = std::min(remaining, counts[i]);
    read_records(dataset, (fs::path(dir) / files[i]).string(), n, split);
    remaining -= n;
  }
}

class Cifar10Dataset : public ImageSequenceDataset {
 public:
  explicit Cifar10Dataset(const Options& options)
      : ImageSequenceDataset(
            DatasetSource{"cifar10", data_search_paths("cifar-10-batches-bin"), "tools/fetch_cifar10.sh"},
            ImageShape{kSide, kSide, kChannels}, options) {}

 private:
  static std::vector<std::string> train_files() {
    return std::vector<std::string>(std::begin(kTrainFiles), std::end(kTrainFiles));
  }

  std::vector<std::string> missing_files(const std::string& dir) const override {
    std::vector<std::string> missing, all = train_files();
    all.push_back(kTestFile);
    std::error_code ec;
    for (const auto& f : all)
      if (!fs::is_regular_file(fs::path(dir) / f, ec)) missing.push_back(f);
    return missing;
  }

  void read(const std::string& dir, ImageSplit* train, ImageSplit* test) const override {
    read_split(source().name, dir, train_files(), train);
    read_split(source().name, dir, {kTestFile}, test);
  }
};

void register_cifar10(Registry* registry) {
  registry->add<Dataset>("cifar10", "CIFAR-10, 32x32 RGB in 10 classes, 50000 train / 10000 test (binary version)",
                         image_sequence_schema(),
                         [](const Options& options) { return std::make_unique<Cifar10Dataset>(options); });
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("cifar10", "1.0", &biornn::datasets::register_cifar10)
