#include "core/platform/files.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/sdk/error.h"

namespace biornn {

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << bytes;
    if (!f) throw Error("cannot write " + tmp + " (does its directory exist and is it writable?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

}  // namespace biornn
