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

// An array read from a .npy or .npz file: its shape and its values as float (float32/64,
// int8/32/64, uint8 and bool are read; Fortran order is turned into C order).
struct NpyRead {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;  // C order
};

// Parses the bytes of one .npy file; errors name `where` and say what is wrong.
NpyRead parse_npy(const std::string& bytes, const std::string& where);
// Every array of the .npz at `path` (numpy.savez, stored, or numpy.savez_compressed, deflated).
// A missing, truncated or corrupt file: an Error naming it.
std::vector<NpyRead> read_npz(const std::string& path);

}  // namespace biornn
