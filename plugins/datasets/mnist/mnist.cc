// Datasets mnist and fashion_mnist: 28x28 grey images and labels 0..9 in IDX files, plain or .gz.
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/sdk/data_paths.h"
#include "core/sdk/error.h"
#include "core/sdk/plugin_api.h"
#include "plugins/datasets/common/image_sequence.h"

namespace biornn::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int kSide = 28;
constexpr uint32_t kImagesMagic = 2051;  // 0x00000803: unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 2049;  // 0x00000801: unsigned bytes, 1 dimension

// Reads a plain or gzip-compressed file (zlib passes plain files through unchanged).
// Every failure is an Error naming the file.
class CompressedFile {
 public:
  CompressedFile(std::string dataset, std::string path) : dataset_(std::move(dataset)), path_(std::move(path)) {
    errno = 0;
    file_ = gzopen(path_.c_str(), "rb");
    if (!file_)
      throw Error(
          file_error(dataset_, path_, std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory")));
    gzbuffer(file_, 1 << 18);
  }
  ~CompressedFile() { gzclose(file_); }
  CompressedFile(const CompressedFile&) = delete;
  CompressedFile& operator=(const CompressedFile&) = delete;

  // Appends up to `n` bytes to `out`; returns how many were there (fewer only at the end).
  // Memory grows with the data actually read, not with `n`, so a lying header is harmless.
  int64_t read(int64_t n, std::vector<uint8_t>* out) {
    constexpr int64_t kChunk = int64_t(1) << 24;
    int64_t total = 0;
    while (total < n) {
      const int64_t want = std::min(kChunk, n - total);
      const size_t at = out->size();
      out->resize(at + size_t(want));
      const int got = gzread(file_, out->data() + at, unsigned(want));
      check();
      if (got < 0) got_error("read failed");
      out->resize(at + size_t(got));
      total += got;
      if (got < want) break;
    }
    return total;
  }

 private:
  void check() {
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (code == Z_OK) return;
    std::string what = code == Z_BUF_ERROR    ? "gzip data ends early (truncated .gz file)"
                       : code == Z_DATA_ERROR ? "corrupt gzip data"
                       : code == Z_ERRNO      ? "read failed"
                                              : "gzip error";
    std::string detail = code == Z_ERRNO ? std::strerror(errno) : message;
    if (detail.rfind(path_ + ": ", 0) == 0) detail.erase(0, path_.size() + 2);  // zlib adds it
    got_error(what + " (zlib: " + detail + ")");
  }
  [[noreturn]] void got_error(const std::string& what) { throw Error(file_error(dataset_, path_, what)); }

  std::string dataset_, path_;
  gzFile file_ = nullptr;
};

uint32_t big_endian_u32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

// Checks that nothing follows the data the header declared.
void expect_end(CompressedFile& file, const std::string& dataset, const std::string& path,
                const std::string& declared) {
  std::vector<uint8_t> extra;
  if (file.read(1, &extra) != 0)
    throw Error(file_error(dataset, path,
                           "file is longer than its header declares (" + declared + "): extra bytes after the data"));
}

// IDX image file: magic 2051, dims N x 28 x 28, then N*28*28 bytes, with N = labels.size() (read
// from `labels_path`). Gives each image and its label to `split`, a chunk of images at a time,
// so memory holds only what the split keeps.
void read_idx_images(const std::string& dataset, const std::string& path, const std::string& labels_path,
                     const std::vector<int32_t>& labels, ImageSplit* split) {
  CompressedFile file(dataset, path);
  std::vector<uint8_t> header;
  if (file.read(16, &header) < 16)
    throw Error(file_error(dataset, path,
                           "too short for an IDX image header (" + std::to_string(header.size()) + " bytes, need 16)"));
  const uint32_t magic = big_endian_u32(&header[0]);
  if (magic != kImagesMagic)
    throw Error(file_error(dataset, path,
                           "bad magic number " + std::to_string(magic) + ", expected " + std::to_string(kImagesMagic) +
                               " (IDX file of byte images)"));
  const int64_t count = big_endian_u32(&header[4]);
  const uint32_t rows = big_endian_u32(&header[8]), columns = big_endian_u32(&header[12]);
  if (rows != kSide || columns != kSide)
    throw Error(file_error(dataset, path,
                           "images are " + std::to_string(rows) + "x" + std::to_string(columns) + ", expected " +
                               std::to_string(kSide) + "x" + std::to_string(kSide)));
  const std::string declared = std::to_string(count) + " images of 28x28";
  constexpr int64_t kImage = kSide * kSide, kChunk = 1024;  // images per read
  // The header's count is not trusted for memory: the labels file, read in full, bounds it
  // (a count that differs from it is an error below, after the file's own checks).
  split->expect(std::min(count, int64_t(labels.size())));
  std::vector<uint8_t> pixels;
  for (int64_t first = 0; first < count; first += kChunk) {
    const int64_t n = std::min(kChunk, count - first);
    pixels.clear();
    const int64_t got = file.read(n * kImage, &pixels);
    if (got < n * kImage)
      throw Error(file_error(dataset, path,
                             "truncated: header declares " + declared + " (" + std::to_string(count * kImage) +
                                 " pixel bytes), file has " + std::to_string(first * kImage + got)));
    for (int64_t i = first; i < first + n && i < int64_t(labels.size()); ++i)
      split->add(pixels.data() + (i - first) * kImage, labels[size_t(i)]);
  }
  expect_end(file, dataset, path, declared);
  if (count != int64_t(labels.size()))  // after the file's own checks: a truncated file is named as such
    throw Error(dataset + ": " + path + " holds " + std::to_string(count) + " images but " + labels_path + " holds " +
                std::to_string(labels.size()) + " labels");
}

// IDX label file: magic 2049, dim N, then N bytes in 0..9.
void read_idx_labels(const std::string& dataset, const std::string& path, std::vector<int32_t>* labels) {
  CompressedFile file(dataset, path);
  std::vector<uint8_t> bytes;
  if (file.read(8, &bytes) < 8)
    throw Error(file_error(dataset, path,
                           "too short for an IDX label header (" + std::to_string(bytes.size()) + " bytes, need 8)"));
  const uint32_t magic = big_endian_u32(&bytes[0]);
  if (magic != kLabelsMagic)
    throw Error(file_error(dataset, path,
                           "bad magic number " + std::to_string(magic) + ", expected " + std::to_string(kLabelsMagic) +
                               " (IDX file of byte labels)"));
  const int64_t count = big_endian_u32(&bytes[4]);
  const std::string declared = std::to_string(count) + " labels";
  bytes.clear();
  const int64_t got = file.read(count, &bytes);
  if (got < count)
    throw Error(
        file_error(dataset, path, "truncated: header declares " + declared + ", file has " + std::to_string(got)));
  expect_end(file, dataset, path, declared);
  labels->resize(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] > 9)
      throw Error(file_error(
          dataset, path, "label " + std::to_string(bytes[i]) + " at index " + std::to_string(i) + " is outside 0..9"));
    (*labels)[i] = bytes[i];
  }
}

class IdxDataset : public ImageSequenceDataset {
 public:
  IdxDataset(DatasetSource source, const Options& options)
      : ImageSequenceDataset(std::move(source), ImageShape{kSide, kSide, 1}, options) {}

 private:
  static constexpr const char* kStems[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

  // The file for `stem` in `dir`: plain if present, else .gz; "" if neither.
  static std::string locate(const std::string& dir, const std::string& stem) {
    std::error_code ec;
    for (const char* suffix : {"", ".gz"}) {
      fs::path p = fs::path(dir) / (stem + suffix);
      if (fs::is_regular_file(p, ec)) return p.string();
    }
    return "";
  }

  std::vector<std::string> missing_files(const std::string& dir) const override {
    std::vector<std::string> missing;
    for (const char* stem : kStems)
      if (locate(dir, stem).empty()) missing.push_back(std::string(stem) + "[.gz]");
    return missing;
  }

  void read(const std::string& dir, ImageSplit* train, ImageSplit* test) const override {
    read_split(locate(dir, kStems[0]), locate(dir, kStems[1]), train);
    read_split(locate(dir, kStems[2]), locate(dir, kStems[3]), test);
  }

  void read_split(const std::string& images_path, const std::string& labels_path, ImageSplit* split) const {
    std::vector<int32_t> labels;
    read_idx_labels(source().name, labels_path, &labels);
    read_idx_images(source().name, images_path, labels_path, labels, split);
  }
};

void register_mnist(Registry* registry) {
  registry->add<Dataset>("mnist", "MNIST handwritten digits, 28x28 grey, 60000 train / 10000 test (IDX, plain or .gz)",
                         image_sequence_schema(), [](const Options& options) {
                           return std::make_unique<IdxDataset>(
                               DatasetSource{"mnist", data_search_paths("mnist"), "sudo tools/setup.sh"}, options);
                         });
  registry->add<Dataset>(
      "fashion_mnist", "Fashion-MNIST clothing images, 28x28 grey, 60000 train / 10000 test (IDX, plain or .gz)",
      image_sequence_schema(), [](const Options& options) {
        std::vector<std::string> dirs = data_search_paths("fashion-mnist");
        dirs.push_back("/usr/share/datasets/fashion-mnist");  // Debian's dataset-fashion-mnist
        return std::make_unique<IdxDataset>(
            DatasetSource{"fashion_mnist", dirs, "sudo tools/setup.sh (installs Debian's dataset-fashion-mnist)"},
            options);
      });
}

}  // namespace
}  // namespace biornn::datasets

BIORNN_PLUGIN("mnist", "1.0", &biornn::datasets::register_mnist)
