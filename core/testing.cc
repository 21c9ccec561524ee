#include "core/testing.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace biornn::testing {

namespace fs = std::filesystem;

std::string runfile(const std::string& rel) {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* d = std::getenv(var)) {
      fs::path p = fs::path(d) / "biornn" / rel;
      if (fs::exists(p)) return p.string();
    }
  }
  throw std::runtime_error("runfile not found: " + rel + " (is it in the test's data?)");
}

std::string temp_dir(const std::string& tag) {
  const char* t = std::getenv("TEST_TMPDIR");
  fs::path base = t ? fs::path(t) : fs::temp_directory_path();
  static int counter = 0;
  fs::path p = base / (tag + "_" + std::to_string(counter++));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace biornn::testing
