// Dataset: labelled sequences for classification, read from files in official formats.
#pragma once

#include <cstdint>
#include <string>

namespace biornn {

enum class Split { kTrain, kTest };

class Dataset {
 public:
  static constexpr const char* kKind = "dataset";
  virtual ~Dataset() = default;

  // Reads the files. Errors name the file and what is wrong, and for a missing dataset
  // the places looked in and the command that fetches it.
  virtual void load() = 0;
  virtual int64_t size(Split split) const = 0;
  virtual int steps() const = 0;     // T
  virtual int features() const = 0;  // F
  virtual int classes() const = 0;
  // Writes examples `indices[0..n)` of `split` as x [T, n, F] (time-major) and labels [n].
  virtual void batch(Split split, const int64_t* indices, int n, float* x, int32_t* labels) const = 0;
  virtual std::string describe() const = 0;  // one line for the log
};

}  // namespace biornn
