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

// f(phi(u)): calls f with the Eigen expression of phi(u), so that a cell can fuse phi into the
// one pass that uses it (no scratch array written and read back).
template <class In, class F>
inline void with_activation(Activation a, const In& u, F&& f) {
  switch (a) {
    case Activation::kTanh: f(u.tanh()); break;
    case Activation::kRelu: f(u.max(0.0f)); break;
    case Activation::kSoftplus: f(u.max(0.0f) + (-u.abs()).exp().log1p()); break;
    case Activation::kSigmoid: f(1.0f / (1.0f + (-u).exp())); break;
    case Activation::kRectifiedTanh: f(u.max(0.0f).tanh()); break;
  }
}

// f(phi'(u)), given u and y = phi(u) (expressions; the derivative is written in y where it can be).
template <class In, class Y, class F>
inline void with_derivative(Activation a, const In& u, const Y& y, F&& f) {
  switch (a) {
    case Activation::kTanh: f(1.0f - y * y); break;
    case Activation::kRelu: f((u > 0.0f).template cast<float>()); break;
    case Activation::kSoftplus: f(1.0f / (1.0f + (-u).exp())); break;
    case Activation::kSigmoid: f(y * (1.0f - y)); break;
    case Activation::kRectifiedTanh: f((u > 0.0f).template cast<float>() * (1.0f - y * y)); break;
  }
}

// y = phi(u) for an Eigen array expression.
template <class In, class Out>
inline void activate(Activation a, const In& u, Out&& y) {
  with_activation(a, u, [&](const auto& phi) { y = phi; });
}

// dy = phi'(u), given u and y = phi(u).
template <class In, class Y, class Out>
inline void activate_derivative(Activation a, const In& u, const Y& y, Out&& dy) {
  with_derivative(a, u, y, [&](const auto& d) { dy = d; });
}

}  // namespace biornn
