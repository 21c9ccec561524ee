// NumPy .npz files (an uncompressed zip of .npy arrays) that numpy.load reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace biornn {

// One array: float32 or int32 values in C order with their shape.
struct NpyArray {
  std::string name;               // the key numpy.load gives it (".npy" is added in the zip)
  std::vector<int64_t> shape;     // e.g. {T, n, H}; {} is a scalar
  std::vector<float> values;      // used when `integers` is empty
  std::vector<int32_t> integers;  // int32 arrays
};

// The bytes of one .npy file (format 1.0, little-endian).
std::string npy_bytes(const NpyArray& a);
// Writes `arrays` as an .npz at `path` (to path + ".tmp", then renamed). Errors name the file.
void write_npz(const std::string& path, const std::vector<NpyArray>& arrays);
// Writes `bytes` to path + ".tmp", then renames it to `path`, so a crash never leaves half a
// file. Errors name the file.
void write_atomically(const std::string& path, const std::string& bytes);

}  // namespace biornn
