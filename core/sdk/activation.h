// The nonlinearities phi a cell or gate can select by name: value and derivative, vectorised.
#pragma once

#include <string>
#include <vector>

#include "core/sdk/error.h"
#include "core/sdk/tensor.h"

namespace biornn {

// Scratch for elementwise passes over row-major step views. It must be row-major too:
// mixing storage orders makes Eigen fall back to scalar loops (tanh measured 10x slower).
using ScratchArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// rectified_tanh: max(0, tanh(u)), a non-negative rate that saturates (rates are rates).
enum class Activation { kTanh, kRelu, kSoftplus, kSigmoid, kRectifiedTanh };

inline const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> n = {"tanh", "relu", "softplus", "sigmoid", "rectified_tanh"};
  return n;
}

inline Activation activation_from_name(const std::string& name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "softplus") return Activation::kSoftplus;
  if (name == "sigmoid") return Activation::kSigmoid;
  if (name == "rectified_tanh") return Activation::kRectifiedTanh;
  throw Error("unknown activation '" + name + "' (known: tanh, relu, softplus, sigmoid, rectified_tanh)");
}

// y = phi(u) for an Eigen array expression.
template <class In, class Out>
inline void activate(Activation a, const In& u, Out&& y) {
  switch (a) {
    case Activation::kTanh: y = u.tanh(); break;
    case Activation::kRelu: y = u.max(0.0f); break;
    case Activation::kSoftplus: y = u.max(0.0f) + (-u.abs()).exp().log1p(); break;
    case Activation::kSigmoid: y = 1.0f / (1.0f + (-u).exp()); break;
    case Activation::kRectifiedTanh: y = u.max(0.0f).tanh(); break;
  }
}

// dy = phi'(u), given u and y = phi(u).
template <class In, class Y, class Out>
inline void activate_derivative(Activation a, const In& u, const Y& y, Out&& dy) {
  switch (a) {
    case Activation::kTanh: dy = 1.0f - y * y; break;
    case Activation::kRelu: dy = (u > 0.0f).template cast<float>(); break;
    case Activation::kSoftplus: dy = 1.0f / (1.0f + (-u).exp()); break;
    case Activation::kSigmoid: dy = y * (1.0f - y); break;
    case Activation::kRectifiedTanh: dy = (u > 0.0f).template cast<float>() * (1.0f - y * y); break;
  }
}

}  // namespace biornn
