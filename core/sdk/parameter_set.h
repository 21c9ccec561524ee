// The named parameters of one recurrent layer, shared by its cell, gate, scaling and constraints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/sdk/tensor.h"

namespace biornn {

// What a parameter is for, so that other plugins find it without knowing its name: the
// conductance gate and the scalings read the cell's recurrent weight, diagnostics its spectrum.
enum class ParameterRole { kOther, kRecurrent, kInput, kBias };

// Each plugin of a layer owns a namespace ("cell", "gate", "scaling"): the layer sets the
// owner before calling it (Scope). A name is unique within its owner; a name another owner
// already uses is stored qualified ("gate.W"), so a gate and a cell cannot clash. Inside a
// plugin's scope, get/find see that plugin's own names only (never another plugin's parameter
// of the same name); another plugin's parameter is reached by role (find_role) or by its
// qualified name "<owner>.<name>" ("cell.W"). Outside any scope (constraints, diagnostics,
// checkpoints) a name is the stored one ("W", "gate.W") or the qualified one.
class ParameterSet {
 public:
  // Adds a zero-initialised [rows, cols] parameter owned by the current owner; a name that
  // owner already has is an error.
  Parameter& add(const std::string& name, int rows, int cols, ParameterRole role = ParameterRole::kOther);
  // Returns the parameter or throws an Error naming `who` and the known names.
  Parameter& get(const std::string& name, const std::string& who = "");
  const Parameter& get(const std::string& name, const std::string& who = "") const;
  Parameter* find(const std::string& name);
  const Parameter* find(const std::string& name) const;
  // The first parameter added with `role` (the cell adds first), or null.
  Parameter* find_role(ParameterRole role);
  const Parameter* find_role(ParameterRole role) const;
  std::vector<Parameter*> all();
  std::vector<const Parameter*> all() const;
  std::string names() const;

  // Sets the owner for its lifetime (the layer wraps each plugin call in one).
  class Scope {
   public:
    Scope(const ParameterSet& set, std::string owner) : set_(set), saved_(set.owner_) { set.owner_ = std::move(owner); }
    ~Scope() { set_.owner_ = saved_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    const ParameterSet& set_;
    std::string saved_;
  };

 private:
  struct Entry {
    std::unique_ptr<Parameter> parameter;  // stable address
    std::string owner, local_name;         // parameter->name is local_name or owner.local_name
    ParameterRole role;
  };
  std::vector<Entry> entries_;  // insertion order
  mutable std::string owner_;   // the plugin being called (set by Scope)
};

}  // namespace biornn
