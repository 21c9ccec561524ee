// Files written so that a reader never sees half of one.
#pragma once

#include <string>

namespace biornn {

// Writes `bytes` to `path` through `path`.tmp and a rename: a reader sees the old file or the
// new one, never a part. Throws an Error naming the path when it cannot.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace biornn
