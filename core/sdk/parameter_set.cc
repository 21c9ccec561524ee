#include "core/sdk/parameter_set.h"

#include "core/sdk/error.h"

namespace biornn {

Parameter& ParameterSet::add(const std::string& name, int rows, int cols, ParameterRole role) {
  bool taken = false;
  for (const auto& e : entries_) {
    if (e.owner == owner_ && e.local_name == name)
      throw Error("parameter '" + name + "' is declared twice" + (owner_.empty() ? "" : " by the layer's " + owner_));
    taken = taken || e.parameter->name == name;
  }
  Entry e{std::make_unique<Parameter>(), owner_, name, role};
  e.parameter->name = taken && !owner_.empty() ? owner_ + "." + name : name;
  if (taken && owner_.empty()) throw Error("parameter '" + name + "' is declared twice in one layer");
  e.parameter->resize(rows, cols);
  entries_.push_back(std::move(e));
  return *entries_.back().parameter;
}

Parameter* ParameterSet::find(const std::string& name) {
  for (auto& e : entries_) {
    const bool own = !owner_.empty() && e.owner == owner_ && e.local_name == name;
    const bool stored = owner_.empty() && e.parameter->name == name;
    const bool qualified = !e.owner.empty() && e.owner + "." + e.local_name == name;
    if (own || stored || qualified) return e.parameter.get();
  }
  return nullptr;
}

const Parameter* ParameterSet::find(const std::string& name) const {
  return const_cast<ParameterSet*>(this)->find(name);
}

Parameter* ParameterSet::find_role(ParameterRole role) {
  for (auto& e : entries_)
    if (e.role == role) return e.parameter.get();
  return nullptr;
}

const Parameter* ParameterSet::find_role(ParameterRole role) const {
  return const_cast<ParameterSet*>(this)->find_role(role);
}

Parameter& ParameterSet::get(const std::string& name, const std::string& who) {
  Parameter* p = find(name);
  if (!p)
    throw Error((who.empty() ? std::string() : who + ": ") + "no parameter '" + name +
                "' in this layer (parameters: " + names() + ")");
  return *p;
}

const Parameter& ParameterSet::get(const std::string& name, const std::string& who) const {
  return const_cast<ParameterSet*>(this)->get(name, who);
}

std::vector<Parameter*> ParameterSet::all() {
  std::vector<Parameter*> r;
  for (auto& e : entries_) r.push_back(e.parameter.get());
  return r;
}

std::vector<const Parameter*> ParameterSet::all() const {
  std::vector<const Parameter*> r;
  for (auto& e : entries_) r.push_back(e.parameter.get());
  return r;
}

std::string ParameterSet::names() const {
  std::string r;
  for (size_t i = 0; i < entries_.size(); ++i) r += (i ? ", " : "") + entries_[i].parameter->name;
  return r.empty() ? "(none)" : r;
}

}  // namespace biornn
