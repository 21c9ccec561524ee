// The named parameters of one recurrent layer, shared by its cell, gate, scaling and constraints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace biornn {

class ParameterSet {
 public:
  // Adds a zero-initialised [rows, cols] parameter; a duplicate name is an error.
  Parameter& add(const std::string& name, int rows, int cols);
  // Returns the parameter or throws an Error naming `who` and the known names.
  Parameter& get(const std::string& name, const std::string& who = "");
  const Parameter& get(const std::string& name, const std::string& who = "") const;
  Parameter* find(const std::string& name);
  const Parameter* find(const std::string& name) const;
  std::vector<Parameter*> all();
  std::vector<const Parameter*> all() const;
  std::string names() const;

 private:
  std::vector<std::unique_ptr<Parameter>> params_;  // insertion order, stable addresses
};

// One H-wide linear term of a step: pre = r_{t-1} recurrent^T + x_t input^T + bias.
// An empty matrix means "no such term" (the engine treats it as zero).
struct LinearBlock {
  Matrix recurrent;  // [H, H]
  Matrix input;      // [H, F]
  Vector bias;       // [H]
};

}  // namespace biornn
