#include "core/sdk/registry.h"

namespace biornn {

void Registry::insert(PluginInfo info) {
  auto& kind = entries_[info.kind];
  auto it = kind.find(info.name);
  if (it != kind.end())
    throw Error("plugin name clash: " + info.kind + " '" + info.name + "' from " + info.origin +
                " is already registered by " + it->second.origin +
                "; remove one of the two files from the plugin directories");
  std::string name = info.name;
  kind.emplace(name, std::move(info));
}

const PluginInfo* Registry::find(const std::string& kind, const std::string& name) const {
  auto k = entries_.find(kind);
  if (k == entries_.end()) return nullptr;
  auto it = k->second.find(name);
  return it == k->second.end() ? nullptr : &it->second;
}

std::string Registry::known(const std::string& kind) const {
  std::string r;
  auto k = entries_.find(kind);
  if (k != entries_.end())
    for (auto& [name, info] : k->second) r += (r.empty() ? "" : ", ") + name;
  return r.empty() ? "(none loaded)" : r;
}

const PluginInfo& Registry::get(const std::string& kind, const std::string& name, const SourcePosition& where) const {
  const PluginInfo* p = find(kind, name);
  if (!p)
    throw Error(where, "unknown " + kind + " plugin '" + name + "' (known " + kind + " plugins: " + known(kind) +
                           "; one added since the last build? run bazel build //plugins/... to build it)");
  return *p;
}

std::vector<const PluginInfo*> Registry::list(const std::string& kind) const {
  std::vector<const PluginInfo*> r;
  for (auto& [k, m] : entries_)
    if (kind.empty() || k == kind)
      for (auto& [n, info] : m) r.push_back(&info);
  return r;
}

void Registry::remove_origin(const std::string& origin) {
  for (auto& [k, m] : entries_)
    for (auto it = m.begin(); it != m.end();) it = it->second.origin == origin ? m.erase(it) : std::next(it);
}

}  // namespace biornn
