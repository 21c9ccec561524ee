#include "core/parameter_set.h"

#include "core/error.h"

namespace biornn {

Parameter& ParameterSet::add(const std::string& name, int rows, int cols) {
  if (find(name)) throw Error("parameter '" + name + "' is declared twice in one layer");
  params_.push_back(std::make_unique<Parameter>());
  params_.back()->name = name;
  params_.back()->resize(rows, cols);
  return *params_.back();
}

Parameter* ParameterSet::find(const std::string& name) {
  for (auto& p : params_)
    if (p->name == name) return p.get();
  return nullptr;
}

const Parameter* ParameterSet::find(const std::string& name) const {
  for (auto& p : params_)
    if (p->name == name) return p.get();
  return nullptr;
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
  for (auto& p : params_) r.push_back(p.get());
  return r;
}

std::vector<const Parameter*> ParameterSet::all() const {
  std::vector<const Parameter*> r;
  for (auto& p : params_) r.push_back(p.get());
  return r;
}

std::string ParameterSet::names() const {
  std::string r;
  for (size_t i = 0; i < params_.size(); ++i) r += (i ? ", " : "") + params_[i]->name;
  return r.empty() ? "(none)" : r;
}

}  // namespace biornn
