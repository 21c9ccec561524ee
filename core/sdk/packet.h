// Fused elementwise kernels for a step's views, on Eigen's SIMD packets (AVX-512, AVX2, SSE or
// NEON: whatever Eigen is built for here). A cell's step is a handful of elementwise formulas over
// [b, H] blocks; written as Eigen expressions each output is a pass of its own that reads its
// inputs again (the rate cell's backward: five passes, measured 3.2x slower than one fused pass at
// b = H = 64). With these a plugin writes the formulas once per packet and each input is read once.
//
//   simd::for_each_packet(b, H, [&](int i, int j, int n) {
//     const simd::Packet u = simd::load(simd::at(pre, i, j), n);
//     simd::store(simd::at(out, i, j), simd::phi(phi_, u), n);
//   });
//
// The last, partial packet of a row goes through a zero-padded copy, so every column is computed
// by the same instructions (the same rounding at every H).
#pragma once

#include <Eigen/Core>
#include <algorithm>

#include "core/sdk/activation.h"

namespace biornn {
namespace simd {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kWidth = int(sizeof(Packet) / sizeof(float));  // 1 where Eigen has no SIMD

// The address of element (i, j) of a row-major view (const for a const view).
template <class View>
inline auto at(View&& v, int i, int j) {
  return v.data() + Eigen::Index(i) * v.outerStride() + j;
}

// The first n (<= kWidth) floats at p; the other lanes 0.
inline Packet load(const float* p, int n) {
  if (n == kWidth) return Eigen::internal::ploadu<Packet>(p);
  alignas(64) float t[kWidth] = {};
  std::copy(p, p + n, t);
  return Eigen::internal::pload<Packet>(t);
}

// Writes the first n (<= kWidth) lanes of v to p.
inline void store(float* p, const Packet& v, int n) {
  if (n == kWidth) return Eigen::internal::pstoreu(p, v);
  alignas(64) float t[kWidth];
  Eigen::internal::pstore(t, v);
  std::copy(t, t + n, p);
}

inline Packet set1(float x) { return Eigen::internal::pset1<Packet>(x); }
inline Packet add(const Packet& a, const Packet& b) { return Eigen::internal::padd(a, b); }
inline Packet sub(const Packet& a, const Packet& b) { return Eigen::internal::psub(a, b); }
inline Packet mul(const Packet& a, const Packet& b) { return Eigen::internal::pmul(a, b); }
// 1 / (1 + exp(-u)), the formula activate() uses.
inline Packet sigmoid(const Packet& u) {
  namespace ei = Eigen::internal;
  return ei::pdiv(set1(1.0f), add(set1(1.0f), ei::pexp(ei::pnegate(u))));
}

// 1 where u > 0, else 0.
inline Packet step(const Packet& u) {
  return Eigen::internal::pand(Eigen::internal::pcmp_lt(set1(0.0f), u), set1(1.0f));
}

// phi(u), as activate() computes it.
inline Packet phi(Activation a, const Packet& u) {
  namespace ei = Eigen::internal;
  switch (a) {
    case Activation::kTanh: return ei::ptanh(u);
    case Activation::kRelu: return ei::pmax(u, set1(0.0f));
    case Activation::kSoftplus: return add(ei::pmax(u, set1(0.0f)), ei::plog1p(ei::pexp(ei::pnegate(ei::pabs(u)))));
    case Activation::kSigmoid: return sigmoid(u);
    case Activation::kRectifiedTanh: return ei::ptanh(ei::pmax(u, set1(0.0f)));
  }
  return u;
}

// phi'(u) given y = phi(u), as activate_derivative() computes it.
inline Packet phi_derivative(Activation a, const Packet& u, const Packet& y) {
  switch (a) {
    case Activation::kTanh: return sub(set1(1.0f), mul(y, y));
    case Activation::kRelu: return step(u);
    case Activation::kSoftplus: return sigmoid(u);
    case Activation::kSigmoid: return mul(y, sub(set1(1.0f), y));
    case Activation::kRectifiedTanh: return mul(step(u), sub(set1(1.0f), mul(y, y)));
  }
  return u;
}

// Calls f(i, j, n) for every packet of a [rows, cols] block: row i, columns j .. j + n - 1
// (n = kWidth, except the last packet of a row when kWidth does not divide cols).
template <class F>
inline void for_each_packet(int rows, int cols, F&& f) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; j += kWidth) f(i, j, std::min(kWidth, cols - j));
}

}  // namespace simd
}  // namespace biornn
