// Registry: every plugin (built in or loaded from a .so) registers its factories here by name.
#pragma once

#include <any>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/sdk/error.h"
#include "core/sdk/options.h"

namespace biornn {

struct PluginInfo {
  std::string kind;    // "cell", "gate", "scaling", "constraint", "dataset", "optimizer"
  std::string name;    // what a graph file writes: plugin = "rate"
  std::string doc;     // one line
  std::string origin;  // the .so file it came from, or "core"
  OptionSchema schema;
  std::any factory;  // std::function<std::unique_ptr<T>(const Options&)>
};

class Registry {
 public:
  // Registers a factory of kind T::kKind. A name registered twice is refused with an
  // Error naming both origins; the first registration stays.
  template <class T>
  void add(const std::string& name, const std::string& doc, OptionSchema schema,
           std::function<std::unique_ptr<T>(const Options&)> factory) {
    PluginInfo info{T::kKind, name, doc, origin_, std::move(schema), std::move(factory)};
    insert(std::move(info));
  }

  // The entry, or an Error at `where` listing the known names of that kind.
  const PluginInfo& get(const std::string& kind, const std::string& name, const SourcePosition& where = {}) const;
  const PluginInfo* find(const std::string& kind, const std::string& name) const;
  std::vector<const PluginInfo*> list(const std::string& kind = "") const;
  std::string known(const std::string& kind) const;  // "a, b, c"

  template <class T>
  std::unique_ptr<T> create(const std::string& name, const Options& options) const {
    const PluginInfo& info = get(T::kKind, name, options.where());
    auto& f = std::any_cast<const std::function<std::unique_ptr<T>(const Options&)>&>(info.factory);
    return f(options);
  }

  // Origin stamped on registrations that follow (the plugin loader sets the .so path).
  void set_origin(const std::string& origin) { origin_ = origin; }
  // Removes every entry whose origin is `origin` (used when a plugin fails mid-registration).
  void remove_origin(const std::string& origin);

 private:
  void insert(PluginInfo info);
  std::map<std::string, std::map<std::string, PluginInfo>> entries_;  // kind -> name -> info
  std::string origin_ = "core";
};

}  // namespace biornn
