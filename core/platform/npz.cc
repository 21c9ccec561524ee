#include "core/platform/npz.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <sstream>
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

namespace {

uint64_t little(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | uint8_t(b[at + size_t(k)]);
  return v;
}

// The value of 'key' in a .npy header dict, up to the next top-level comma or brace.
std::string header_field(const std::string& header, const std::string& key, const std::string& where) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) throw Error(where + ": no '" + key + "' in the .npy header");
  const size_t colon = header.find(':', k);
  const size_t end = key == "shape" ? header.find(')', colon) + 1 : header.find_first_of(",}", colon);
  return header.substr(colon + 1, end - colon - 1);
}

std::vector<int64_t> parse_shape(std::string text, const std::string& where) {
  std::vector<int64_t> shape;
  for (char& ch : text)
    if (ch == '(' || ch == ')' || ch == ',') ch = ' ';
  std::istringstream in(text);
  for (int64_t d; in >> d;) {
    if (d < 0 || (d > 0 && !shape.empty() && shape.back() > (int64_t(1) << 40) / d))
      throw Error(where + ": the .npy shape is not a plausible array size");
    shape.push_back(d);
  }
  return shape;
}

float element(const char* p, const std::string& descr) {
  if (descr == "<f4") return *reinterpret_cast<const float*>(p);
  if (descr == "<f8") return float(*reinterpret_cast<const double*>(p));
  if (descr == "<i4") return float(*reinterpret_cast<const int32_t*>(p));
  if (descr == "<i8") return float(*reinterpret_cast<const int64_t*>(p));
  if (descr == "|i1") return float(*reinterpret_cast<const int8_t*>(p));
  return float(*reinterpret_cast<const uint8_t*>(p));  // |u1, |b1
}

int element_width(const std::string& descr, const std::string& where) {
  if (descr == "<f4" || descr == "<i4") return 4;
  if (descr == "<f8" || descr == "<i8") return 8;
  if (descr == "|u1" || descr == "|i1" || descr == "|b1") return 1;
  throw Error(where + ": dtype " + descr + " is not read (use float32/64, int8/32/64, uint8 or bool)");
}

// Column-major (Fortran) values into row-major order.
std::vector<float> to_c_order(const std::vector<float>& f, const std::vector<int64_t>& shape) {
  std::vector<float> c(f.size());
  std::vector<int64_t> index(shape.size(), 0);
  for (size_t k = 0; k < f.size(); ++k) {  // k walks Fortran order: first index fastest
    size_t at = 0;
    for (size_t d = 0; d < shape.size(); ++d) at = at * size_t(shape[d]) + size_t(index[d]);
    c[at] = f[k];
    for (size_t d = 0; d < shape.size() && ++index[d] == shape[d]; ++d) index[d] = 0;
  }
  return c;
}

}  // namespace

NpyRead parse_npy(const std::string& b, const std::string& where) {
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
    throw Error(where + ": not a .npy array (no \\x93NUMPY magic)");
  const int len_bytes = b[6] == 1 ? 2 : 4;
  const size_t header_at = 8 + size_t(len_bytes);
  if (b.size() < header_at) throw Error(where + ": truncated .npy header");
  const size_t header_len = size_t(little(b, 8, len_bytes));
  if (b.size() < header_at + header_len) throw Error(where + ": truncated .npy header");
  const std::string header = b.substr(header_at, header_len);
  std::string descr = header_field(header, "descr", where);
  descr = descr.substr(descr.find('\'') + 1, 3);
  const bool fortran = header_field(header, "fortran_order", where).find("True") != std::string::npos;
  NpyRead r;
  r.shape = parse_shape(header_field(header, "shape", where), where);
  size_t n = 1;
  for (int64_t d : r.shape) n *= size_t(d);
  const int width = element_width(descr, where);
  const size_t data_at = header_at + header_len;
  if (b.size() - data_at < n * size_t(width))
    throw Error(where + ": truncated (" + std::to_string(n) + " entries of " + std::to_string(width) +
                " bytes announced, " + std::to_string(b.size() - data_at) + " bytes present)");
  r.values.resize(n);
  for (size_t k = 0; k < n; ++k) r.values[k] = element(b.data() + data_at + k * size_t(width), descr);
  if (fortran && r.shape.size() > 1) r.values = to_c_order(r.values, r.shape);
  return r;
}

namespace {

std::string inflate_raw(const std::string& in, size_t size, const std::string& where) {
  std::string out(size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw Error(where + ": zlib inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int rc = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  if (rc != Z_STREAM_END || z.total_out != size) throw Error(where + ": corrupt deflated data");
  return out;
}

}  // namespace

std::vector<NpyRead> read_npz(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open " + path + " (an .npz from numpy.savez, e.g. a run's parameters.npz)");
  const std::string z((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t end = z.size() >= 22 ? z.rfind(std::string("PK\x05\x06", 4)) : std::string::npos;
  if (end == std::string::npos || end + 22 > z.size())
    throw Error(path + ": not an .npz (no zip directory at its end)");
  const size_t entries = size_t(little(z, end + 10, 2));
  size_t at = size_t(little(z, end + 16, 4));
  std::vector<NpyRead> arrays;
  for (size_t e = 0; e < entries; ++e) {
    if (at + 46 > z.size() || z.compare(at, 4, "PK\x01\x02") != 0) throw Error(path + ": corrupt zip directory");
    const int method = int(little(z, at + 10, 2));
    const size_t packed = size_t(little(z, at + 20, 4)), size = size_t(little(z, at + 24, 4));
    const size_t name_len = size_t(little(z, at + 28, 2)), extra = size_t(little(z, at + 30, 2)),
                 comment = size_t(little(z, at + 32, 2)), local = size_t(little(z, at + 42, 4));
    if (at + 46 + name_len > z.size()) throw Error(path + ": corrupt zip directory");
    std::string name = z.substr(at + 46, name_len);
    at += 46 + name_len + extra + comment;
    if (local + 30 > z.size() || z.compare(local, 4, "PK\x03\x04") != 0)
      throw Error(path + ": corrupt zip entry " + name);
    const size_t data = local + 30 + size_t(little(z, local + 26, 2)) + size_t(little(z, local + 28, 2));
    if (packed == 0xffffffffu || data + packed > z.size())
      throw Error(path + ": entry " + name + " is truncated or zip64");
    const std::string where = path + ": " + name;
    std::string bytes = z.substr(data, packed);
    if (method == 8)
      bytes = inflate_raw(bytes, size, where);
    else if (method != 0)
      throw Error(where + ": zip method " + std::to_string(method) +
                  " (numpy.savez stores, savez_compressed deflates)");
    NpyRead array = parse_npy(bytes, where);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    array.name = name;
    arrays.push_back(std::move(array));
  }
  return arrays;
}

}  // namespace biornn
