#include "core/platform/npz.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/sdk/error.h"

namespace biornn {

namespace {

void put16(std::string& s, uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); }
void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }

// The fields a zip's local header and its central directory entry share.
void entry_fields(std::string& s, uint32_t crc, uint32_t size, uint16_t name_size) {
  put16(s, 0);     // flags
  put16(s, 0);     // stored, not compressed
  put16(s, 0);     // time
  put16(s, 0x21);  // date: 1980-01-01
  put32(s, crc);
  put32(s, size);  // compressed
  put32(s, size);  // uncompressed
  put16(s, name_size);
  put16(s, 0);  // extra field
}

}  // namespace

std::string npy_bytes(const NpyArray& a) {
  const bool ints = !a.integers.empty();
  std::string shape;
  for (size_t k = 0; k < a.shape.size(); ++k) shape += (k ? ", " : "") + std::to_string(a.shape[k]);
  if (a.shape.size() == 1) shape += ",";  // a Python 1-tuple: (3,)
  std::string header =
      std::string("{'descr': '") + (ints ? "<i4" : "<f4") + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  put16(out, uint16_t(header.size()));
  out += header;
  if (ints)
    out.append(reinterpret_cast<const char*>(a.integers.data()), sizeof(int32_t) * a.integers.size());
  else
    out.append(reinterpret_cast<const char*>(a.values.data()), sizeof(float) * a.values.size());
  return out;
}

namespace {
// The zip fields written here are 16 and 32 bits wide (no ZIP64): refuse what they cannot hold.
void check_fits(const std::string& path, const std::string& what, uint64_t value, uint64_t limit) {
  if (value > limit)
    throw Error("cannot write " + path + ": " + what + " is " + std::to_string(value) + ", more than the " +
                std::to_string(limit) + " a zip without ZIP64 holds; save fewer arrays, trials or steps");
}
}  // namespace

void write_npz(const std::string& path, const std::vector<NpyArray>& arrays) {
  check_fits(path, "the number of arrays", arrays.size(), 0xFFFF);
  std::string zip, central;
  uint16_t count = 0;
  for (const NpyArray& a : arrays) {
    const std::string file = a.name + ".npy", data = npy_bytes(a);
    check_fits(path, "the name of array '" + a.name + "'", file.size(), 0xFFFF);
    check_fits(path, "the size of array '" + a.name + "' in bytes", data.size(), 0xFFFFFFFEu);
    check_fits(path, "the offset of array '" + a.name + "'", zip.size() + 30 + file.size() + data.size(), 0xFFFFFFFEu);
    const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(data.data()), uInt(data.size())));
    const uint32_t offset = uint32_t(zip.size());
    put32(zip, 0x04034b50);
    put16(zip, 20);  // version needed
    entry_fields(zip, crc, uint32_t(data.size()), uint16_t(file.size()));
    zip += file;
    zip += data;
    put32(central, 0x02014b50);
    put16(central, 20);  // version made by
    put16(central, 20);  // version needed
    entry_fields(central, crc, uint32_t(data.size()), uint16_t(file.size()));
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, offset);
    central += file;
    ++count;
  }
  check_fits(path, "the archive's size in bytes", zip.size() + central.size() + 22, 0xFFFFFFFEu);
  const uint32_t central_offset = uint32_t(zip.size());
  zip += central;
  put32(zip, 0x06054b50);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, count);
  put16(zip, count);
  put32(zip, uint32_t(central.size()));
  put32(zip, central_offset);
  put16(zip, 0);
  write_atomically(path, zip);
}

void write_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.flush();
    if (!f) throw Error("cannot write " + tmp + " (disk full or no permission?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

}  // namespace biornn
