#include "core/sdk/error.h"

namespace biornn {

std::string SourcePosition::str() const {
  if (path.empty()) return "";
  if (line <= 0) return path;
  return path + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Error::Error(const std::string& message) : std::runtime_error(message) {}

Error::~Error() = default;

Incompatible::~Incompatible() = default;

Error::Error(const SourcePosition& where, const std::string& message)
    : std::runtime_error(where.str().empty() ? message : where.str() + ": " + message), where_(where) {}

}  // namespace biornn
