#include "core/platform/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

namespace {

std::string read_all(int fd) {
  std::string text;
  char buf[256];
  for (ssize_t n; (n = pread(fd, buf, sizeof buf, off_t(text.size()))) > 0;) text.append(buf, size_t(n));
  return text;
}

}  // namespace

FileLock::FileLock(const std::string& path, const std::string& owner) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    holder_ = read_all(fd);
    ::close(fd);
    if (err != EWOULDBLOCK) throw Error("cannot lock " + path + ": " + std::strerror(err));
    return;
  }
  if (ftruncate(fd, 0) != 0 || pwrite(fd, owner.data(), owner.size(), 0) != ssize_t(owner.size())) {
    ::close(fd);
    throw Error("cannot write " + path + ": " + std::strerror(errno));
  }
  fd_ = fd;
  holder_ = owner;
}

void FileLock::rewrite(const std::string& text) {
  if (fd_ < 0) return;
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) != ssize_t(text.size()))
    throw Error(std::string("cannot rewrite a lock file: ") + std::strerror(errno));
}

LockProbe probe_lock(const std::string& path) {
  LockProbe probe;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return probe;
  probe.text = read_all(fd);
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) probe.free = false;  // closing below drops a shared lock we took
  ::close(fd);
  return probe;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace biornn
