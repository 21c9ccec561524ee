// Error types for users: every message says where (file:line:column or file path) and what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace biornn {

// A position in a user-supplied file; empty path means "no known position".
struct SourcePosition {
  std::string path;
  int line = 0;
  int column = 0;
  std::string str() const;  // "path:line:column", "path", or ""
};

// The one exception type shown to users. what() is the full single-line message,
// prefixed with the position when one is known. Its destructor is defined in error.cc (the key
// function) and the class is exported, so its vtable and type info live in the SDK library:
// an Error thrown by a plugin stays valid after the plugin is unloaded (a runner's catch runs
// after its PluginLoader is gone).
class __attribute__((visibility("default"))) Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  Error(const SourcePosition& where, const std::string& message);
  Error(const Error&) = default;
  Error& operator=(const Error&) = default;
  ~Error() override;
  const SourcePosition& where() const { return where_; }

 private:
  SourcePosition where_;
};

// An Error a plugin throws when it is built beside a plugin it is documented not to work with
// (dale on a non-square parameter, a scaling that needs sender types without a constraint that
// gives them); the message says why and what to use instead. The shared gradient check skips
// such a combination with this reason; any other Error while building is a failure there.
class __attribute__((visibility("default"))) Incompatible : public Error {
 public:
  using Error::Error;
  Incompatible(const Incompatible&) = default;
  Incompatible& operator=(const Incompatible&) = default;
  ~Incompatible() override;
};

}  // namespace biornn
