// Files written so that a reader never sees half of one, and files locked by one process.
#pragma once

#include <string>

namespace biornn {

// Writes `bytes` to `path` through `path`.tmp and a rename: a reader sees the old file or the
// new one, never a part. Throws an Error naming the path when it cannot.
void write_file_atomically(const std::string& path, const std::string& bytes);

// An exclusive advisory lock (flock) on `path`, created if absent, held while the object lives
// and released by the kernel when the process dies (a killed process leaves no stale lock).
// On Linux NFS flock locks are seen by every client.
class FileLock {
 public:
  // Takes the lock and writes `owner` into the file; when another process holds it, throws
  // nothing and leaves held() false (holder() then says what that process wrote).
  FileLock(const std::string& path, const std::string& owner);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }
  const std::string& holder() const { return holder_; }
  // Replaces the text in the held lock's file (e.g. "finished ..." before a normal release).
  void rewrite(const std::string& text);

 private:
  int fd_ = -1;
  std::string holder_;
};

// Whether a process holds the FileLock on `path`, checked without waiting, with the text its
// holder wrote (or the last holder, when free). A missing file counts as held by nobody.
struct LockProbe {
  bool free = true;
  std::string text;
};
LockProbe probe_lock(const std::string& path);

}  // namespace biornn
