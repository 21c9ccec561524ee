// Dual numbers and the scalar math a forward-only cell's step is written in (core/sdk/derived_cell.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/sdk/activation.h"

namespace biornn {
namespace math {

// A value and its derivatives along N input directions: d[i] = d value / d input_i.
// Forward-mode automatic differentiation: every operation applies the chain rule to d.
template <class S, int N>
struct Dual {
  using Scalar = S;
  S v = 0;
  S d[N] = {};
  Dual() = default;
  Dual(S value) : v(value) {}  // a constant (implicit, so 2 * x and x + 1 read as usual)
  // Input `direction` with this value: d = the unit vector e_direction.
  static Dual input(S value, int direction) {
    Dual x(value);
    x.d[direction] = 1;
    return x;
  }
};

// The scalar types a step runs on: float and double (plain), Dual (derivatives).
template <class T>
using IfPlain = std::enable_if_t<std::is_floating_point_v<T>, T>;
template <class S, int N>
using Of = typename Dual<S, N>::Scalar;  // a plain operand of a Dual operation (not deduced)

// f(x) for a dual x, given f(x.v) and f'(x.v).
template <class S, int N>
Dual<S, N> chain(const Dual<S, N>& x, S f, S df) {
  Dual<S, N> y(f);
  for (int i = 0; i < N; ++i) y.d[i] = df * x.d[i];
  return y;
}

template <class S, int N>
Dual<S, N> operator-(const Dual<S, N>& x) {
  return chain(x, -x.v, S(-1));
}
template <class S, int N>
Dual<S, N> operator+(const Dual<S, N>& a, const Dual<S, N>& b) {
  Dual<S, N> y(a.v + b.v);
  for (int i = 0; i < N; ++i) y.d[i] = a.d[i] + b.d[i];
  return y;
}
template <class S, int N>
Dual<S, N> operator-(const Dual<S, N>& a, const Dual<S, N>& b) {
  Dual<S, N> y(a.v - b.v);
  for (int i = 0; i < N; ++i) y.d[i] = a.d[i] - b.d[i];
  return y;
}
template <class S, int N>
Dual<S, N> operator*(const Dual<S, N>& a, const Dual<S, N>& b) {
  Dual<S, N> y(a.v * b.v);
  for (int i = 0; i < N; ++i) y.d[i] = a.d[i] * b.v + a.v * b.d[i];
  return y;
}
template <class S, int N>
Dual<S, N> operator/(const Dual<S, N>& a, const Dual<S, N>& b) {
  Dual<S, N> y(a.v / b.v);
  for (int i = 0; i < N; ++i) y.d[i] = (a.d[i] - y.v * b.d[i]) / b.v;
  return y;
}
template <class S, int N>
Dual<S, N> operator+(const Dual<S, N>& a, Of<S, N> b) {
  return chain(a, a.v + b, S(1));
}
template <class S, int N>
Dual<S, N> operator+(Of<S, N> a, const Dual<S, N>& b) {
  return chain(b, a + b.v, S(1));
}
template <class S, int N>
Dual<S, N> operator-(const Dual<S, N>& a, Of<S, N> b) {
  return chain(a, a.v - b, S(1));
}
template <class S, int N>
Dual<S, N> operator-(Of<S, N> a, const Dual<S, N>& b) {
  return chain(b, a - b.v, S(-1));
}
template <class S, int N>
Dual<S, N> operator*(const Dual<S, N>& a, Of<S, N> b) {
  return chain(a, a.v * b, b);
}
template <class S, int N>
Dual<S, N> operator*(Of<S, N> a, const Dual<S, N>& b) {
  return chain(b, a * b.v, a);
}
template <class S, int N>
Dual<S, N> operator/(const Dual<S, N>& a, Of<S, N> b) {
  return chain(a, a.v / b, S(1) / b);
}
template <class S, int N>
Dual<S, N> operator/(Of<S, N> a, const Dual<S, N>& b) {
  const S y = a / b.v;
  return chain(b, y, -y / b.v);
}
template <class S, int N, class U>
Dual<S, N>& operator+=(Dual<S, N>& a, const U& b) {
  return a = a + b;
}
template <class S, int N, class U>
Dual<S, N>& operator-=(Dual<S, N>& a, const U& b) {
  return a = a - b;
}
template <class S, int N, class U>
Dual<S, N>& operator*=(Dual<S, N>& a, const U& b) {
  return a = a * b;
}
template <class S, int N, class U>
Dual<S, N>& operator/=(Dual<S, N>& a, const U& b) {
  return a = a / b;
}

// The plain value (for a branch: `if (math::value(v) > 0)`; the branch taken is what is derived).
template <class T>
IfPlain<T> value(T x) {
  return x;
}
template <class S, int N>
S value(const Dual<S, N>& x) {
  return x.v;
}

// Elementary functions, for float, double and dual numbers alike: each is its value f(x) and its
// derivative df(x, f(x)) on plain numbers; `elementary` applies it to a plain or a dual x.
template <class F, class T>
IfPlain<T> elementary(T x) {
  return F::f(x);
}
template <class F, class S, int N>
Dual<S, N> elementary(const Dual<S, N>& x) {
  const S y = F::f(x.v);
  return chain(x, y, F::df(x.v, y));
}

// tanh in float as Eigen's arrays compute it (its rational approximation, clamped, and x itself
// near 0), so that a derived cell's forward gives what a hand-written one on arrays gives; in
// plain code that inlines (glibc's tanhf, and Eigen's scalar path of the same approximation,
// were each measured to take about a third of a derived cell's training step). Double: std::tanh.
inline float tanh_value(float a) {
#ifdef EIGEN_VECTORIZE_FMA
  const float clamp = 7.99881172180175781f;
#else
  const float clamp = 7.90531110763549805f;
#endif
  if (std::abs(a) < 0.0004f) return a;
  const float x = std::min(std::max(a, -clamp), clamp), x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return x * p / q;
}
inline double tanh_value(double x) { return std::tanh(x); }

// One line per function: its name, its value f(x) and its derivative in x and y = f(x).
#define BIORNN_ELEMENTARY(NAME, VALUE, DERIVATIVE)            \
  struct NAME##_function {                                    \
    template <class S>                                        \
    static S f(S x) {                                         \
      return VALUE;                                           \
    }                                                         \
    template <class S>                                        \
    static S df([[maybe_unused]] S x, [[maybe_unused]] S y) { \
      return DERIVATIVE;                                      \
    }                                                         \
  };                                                          \
  template <class T>                                          \
  T NAME(const T& x) {                                        \
    return elementary<NAME##_function>(x);                    \
  }
// clang-format off
BIORNN_ELEMENTARY(exp, std::exp(x), y)
BIORNN_ELEMENTARY(log, std::log(x), S(1) / x)
BIORNN_ELEMENTARY(log1p, std::log1p(x), S(1) / (S(1) + x))
BIORNN_ELEMENTARY(sqrt, std::sqrt(x), S(0.5) / y)
BIORNN_ELEMENTARY(abs, std::abs(x), S((x > 0) - (x < 0)))                     // derivative 0 at 0
BIORNN_ELEMENTARY(tanh, tanh_value(x), S(1) - y * y)
BIORNN_ELEMENTARY(relu, x > 0 ? x : S(0), S(x > 0))                           // max(x, 0)
BIORNN_ELEMENTARY(sigmoid, S(1) / (S(1) + std::exp(-x)), y * (S(1) - y))
BIORNN_ELEMENTARY(softplus, relu_function::f(x) + std::log1p(std::exp(-std::abs(x))),  // log(1 + e^x), no overflow
                  sigmoid_function::f(x))
// clang-format on
#undef BIORNN_ELEMENTARY

// phi(u) for a nonlinearity chosen by name (core/sdk/activation.h), on any scalar type.
template <class T>
T activate(Activation a, const T& u) {
  switch (a) {
    case Activation::kTanh: return tanh(u);
    case Activation::kRelu: return relu(u);
    case Activation::kSoftplus: return softplus(u);
    case Activation::kSigmoid: return sigmoid(u);
    case Activation::kRectifiedTanh: return tanh(relu(u));
  }
  return u;
}

}  // namespace math
}  // namespace biornn
