// DerivedCell: a cell written forward-only. Its author gives one unit's step, templated on the
// scalar type; forward runs it in float, backward derives its Jacobian with dual numbers.
#pragma once

#include <memory>
#include <string>

#include "core/sdk/cell.h"
#include "core/sdk/dual.h"
#include "core/sdk/error.h"
#include "core/sdk/options.h"

namespace biornn {

// What one unit's step reads at step t: the unit's own values only (T = float, double, or a
// math::Dual while the engine derives the backward).
template <class T>
struct UnitInput {
  const T* pre;     // [kBlocks]: the unit's linear blocks (pre[m] = column m*H + unit of block m)
  T z;              // the gate's value (1 for a cell with kReadsGate = false, or without a gate)
  const T* s_prev;  // [kStateVariables]: the unit's state s_{t-1}
  const T* unit;    // [kUnitParameters]: effective values of the cell's unit_parameters()
};

// The shape of a derived cell's step, and the order of its inputs in a flat array:
// pre[blocks], then z (only if reads_gate), s_prev[state_variables], unit[unit_parameters].
struct UnitShape {
  int blocks = 1, state_variables = 1, unit_parameters = 0;
  bool reads_gate = false;
  int inputs() const { return blocks + (reads_gate ? 1 : 0) + state_variables + unit_parameters; }
  int outputs() const { return state_variables + 1; }  // s_t, then the rate of s_t
};

// The face of a derived cell that is no template: what the engine checks (core/engine/
// gradient_check.h) in double, and the derived forward/backward a hand-written fast path is
// compared with.
class UnitStepCell : public StepCell {
 public:
  virtual UnitShape unit_shape() const = 0;
  // in [inputs] (UnitShape's order) -> out [outputs]: s_t and rate(s_t), in double.
  virtual void unit_step(const double* in, double* out) const = 0;
  // As unit_step, and jacobian [outputs, inputs] (row-major) = d out / d in from dual numbers.
  virtual void unit_jacobian(const double* in, double* out, double* jacobian) const = 0;
  // The forward/backward derived from the step. forward()/backward() are these unless a
  // hand-written fast path overrides them.
  virtual void derived_forward(CellForward& step) const = 0;
  virtual void derived_backward(CellBackward& step) const = 0;
  // An Error naming what differs when num_blocks() or unit_parameters() disagree with the
  // declared shape (the engine checks it when it builds the layer).
  void check_unit_shape() const {
    const UnitShape s = unit_shape();
    if (num_blocks() != s.blocks || int(unit_parameters().size()) != s.unit_parameters)
      throw Error("its cell declares kBlocks = " + std::to_string(s.blocks) +
                  " and kUnitParameters = " + std::to_string(s.unit_parameters) + ", but has " +
                  std::to_string(num_blocks()) + " blocks (block_specs()) and " +
                  std::to_string(unit_parameters().size()) + " unit_parameters(): make them agree");
  }
};

namespace detail {
// One unit's inputs by value, for a step of shape (B blocks, K state variables, U unit parameters).
template <class T, int B, int K, int U>
struct UnitValues {
  T pre[B], s_prev[K], unit[U > 0 ? U : 1];
  T z = T(1);
  UnitInput<T> input() const { return {pre, z, s_prev, unit}; }
};
}  // namespace detail

// A cell written forward-only (CRTP: class MyCell : public DerivedCell<MyCell>). MyCell gives
//   static constexpr int kStateVariables, kBlocks, kUnitParameters; static constexpr bool kReadsGate;
//   template <class T> void step(const UnitInput<T>& u, T* s) const;   // s [kStateVariables] = s_t
// and optionally `template <class T> T firing_rate(const T* s) const` (default: s[0]), plus
// what every cell gives: create_parameters, block_specs (kBlocks of them), unit_parameters
// (kUnitParameters names). The step uses math:: functions (exp, tanh, activate, ...) so that
// it runs on dual numbers too. Backward, rate() and rate_backward() are derived from it.
template <class Self>
class DerivedCell : public UnitStepCell {
 public:
  bool reads_gate() const override { return Self::kReadsGate; }
  int state_variables() const override { return Self::kStateVariables; }
  UnitShape unit_shape() const override {
    return {Self::kBlocks, Self::kStateVariables, Self::kUnitParameters, Self::kReadsGate};
  }
  template <class T>
  T firing_rate(const T* s) const {
    return s[0];
  }

  void forward(CellForward& step) const override { derived_forward(step); }
  void backward(CellBackward& step) const override { derived_backward(step); }

  void derived_forward(CellForward& f) const override {
    const int rows = int(f.z.rows()), h = int(f.z.cols());
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < h; ++j) {
        float in[kInputs()], s[Self::kStateVariables];
        gather(f.pre, f.z, f.s_prev, f.unit, i, j, in);
        f.r(i, j) = evaluate(unit_from<float>(in), s);
        for (int v = 0; v < Self::kStateVariables; ++v) f.s(i, v * h + j) = s[v];
      }
  }

  void derived_backward(CellBackward& b) const override {
    using D = math::Dual<float, kDirections(kInputs())>;
    const int rows = int(b.z.rows()), h = int(b.z.cols());
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < h; ++j) {
        float in[kInputs()], d_in[kInputs()], d_out[kOutputs()];
        D out[kOutputs()];
        gather(b.pre, b.z, b.s_prev, b.unit, i, j, in);
        out[Self::kStateVariables] = evaluate(unit_from<D>(in), out);
        for (int v = 0; v < Self::kStateVariables; ++v) d_out[v] = b.d_s(i, v * h + j);
        d_out[Self::kStateVariables] = b.d_r(i, j);
        vector_jacobian(out, d_out, d_in);
        scatter(d_in, b, i, j);
      }
  }

  void rate(ConstMatrixMap s, MatrixMap r) const override {
    for (int i = 0; i < int(r.rows()); ++i)
      for (int j = 0; j < int(r.cols()); ++j) {
        float state[Self::kStateVariables];
        for (int v = 0; v < Self::kStateVariables; ++v) state[v] = s(i, v * r.cols() + j);
        r(i, j) = self().firing_rate(state);
      }
  }

  void rate_backward(ConstMatrixMap s, ConstMatrixMap, ConstMatrixMap d_r, MatrixMap d_s) const override {
    using D = math::Dual<float, kDirections(Self::kStateVariables)>;
    const int h = int(d_r.cols());
    for (int i = 0; i < int(d_r.rows()); ++i)
      for (int j = 0; j < h; ++j) {
        D state[Self::kStateVariables];
        for (int v = 0; v < Self::kStateVariables; ++v) state[v] = D::input(s(i, v * h + j), v);
        const D r = self().firing_rate(state);
        for (int v = 0; v < Self::kStateVariables; ++v) d_s(i, v * h + j) += d_r(i, j) * r.d[v];
      }
  }

  void unit_step(const double* in, double* out) const override {
    out[Self::kStateVariables] = evaluate(unit_from<double>(in), out);
  }

  void unit_jacobian(const double* in, double* out, double* jacobian) const override {
    math::Dual<double, kInputs()> y[kOutputs()];
    y[Self::kStateVariables] = evaluate(unit_from<math::Dual<double, kInputs()>>(in), y);
    for (int o = 0; o < kOutputs(); ++o) {
      out[o] = y[o].v;
      for (int k = 0; k < kInputs(); ++k) jacobian[o * kInputs() + k] = y[o].d[k];
    }
  }

 private:
  static constexpr int kInputs() {
    return Self::kBlocks + (Self::kReadsGate ? 1 : 0) + Self::kStateVariables + Self::kUnitParameters;
  }
  static constexpr int kOutputs() { return Self::kStateVariables + 1; }
  // Derivative directions for `inputs` in float: rounded up to a multiple of 8 (the extra ones
  // stay zero), so that every dual operation is whole vector instructions (GCC -O2 vectorises
  // only loops without a remainder). Measured on adaptive_rate's derived training step (N = 6):
  // 1.3x faster padded to 8.
  static constexpr int kDirections(int inputs) { return (inputs + 7) / 8 * 8; }
  static constexpr int state_at() { return Self::kBlocks + (Self::kReadsGate ? 1 : 0); }
  static constexpr int unit_at() { return state_at() + Self::kStateVariables; }

  const Self& self() const { return static_cast<const Self&>(*this); }

  // s_t into s[0..k) and the rate of s_t as the result.
  template <class V, class T>
  T evaluate(const V& u, T* s) const {
    self().step(u.input(), s);
    return self().firing_rate(s);
  }

  // The flat inputs (UnitShape's order) of unit j in row i.
  static void gather(const ConstMatrixMap& pre, const ConstMatrixMap& z, const ConstMatrixMap& s_prev,
                     const ConstMatrixMap& unit, int i, int j, float* in) {
    const int h = int(z.cols());
    for (int m = 0; m < Self::kBlocks; ++m) in[m] = pre(i, m * h + j);
    if (Self::kReadsGate) in[Self::kBlocks] = z(i, j);
    for (int v = 0; v < Self::kStateVariables; ++v) in[state_at() + v] = s_prev(i, v * h + j);
    for (int p = 0; p < Self::kUnitParameters; ++p) in[unit_at() + p] = unit(p, j);
  }

  // dLoss/d inputs back to the views: d_pre, d_z (only a cell that reads the gate), d_s (now
  // dLoss/d s_{t-1}), d_unit.
  static void scatter(const float* d_in, CellBackward& b, int i, int j) {
    const int h = int(b.z.cols());
    for (int m = 0; m < Self::kBlocks; ++m) b.d_pre(i, m * h + j) = d_in[m];
    if (Self::kReadsGate) b.d_z(i, j) = d_in[Self::kBlocks];
    for (int v = 0; v < Self::kStateVariables; ++v) b.d_s(i, v * h + j) = d_in[state_at() + v];
    for (int p = 0; p < Self::kUnitParameters; ++p) b.d_unit(i, p * h + j) = d_in[unit_at() + p];
  }

  // One unit's inputs as scalars of type T from the flat array `in`; for a dual T, input k is
  // direction k.
  template <class T, class S>
  static auto unit_from(const S* in) {
    detail::UnitValues<T, Self::kBlocks, Self::kStateVariables, Self::kUnitParameters> u;
    for (int m = 0; m < Self::kBlocks; ++m) u.pre[m] = scalar<T>(in, m);
    if (Self::kReadsGate) u.z = scalar<T>(in, Self::kBlocks);
    for (int v = 0; v < Self::kStateVariables; ++v) u.s_prev[v] = scalar<T>(in, state_at() + v);
    for (int p = 0; p < Self::kUnitParameters; ++p) u.unit[p] = scalar<T>(in, unit_at() + p);
    return u;
  }
  template <class T, class S>
  static T scalar(const S* in, int k) {
    if constexpr (std::is_floating_point_v<T>)
      return T(in[k]);
    else
      return T::input(typename T::Scalar(in[k]), k);
  }

  // d_in[k] = sum_o d_out[o] * d out[o] / d in[k]: the vector-Jacobian product.
  template <class D>
  static void vector_jacobian(const D* out, const float* d_out, float* d_in) {
    for (int k = 0; k < kInputs(); ++k) d_in[k] = 0;
    for (int o = 0; o < kOutputs(); ++o)
      for (int k = 0; k < kInputs(); ++k) d_in[k] += d_out[o] * out[o].d[k];
  }
};

// The option of a cell that has both a hand-written backward (the fast path) and the one
// derived from its step: backward = "hand_written" (default) or "derived".
inline OptionSchema& add_backward_option(OptionSchema& schema) {
  return schema.add_string("backward", "hand_written",
                           "hand_written: the cell's own forward/backward (fast); derived: both from its per-unit "
                           "step, backward by dual numbers",
                           {"hand_written", "derived"});
}

// The cell the `backward` option chooses: Derived (a DerivedCell) or HandWritten (usually a
// subclass of it that overrides forward() and backward()). Both constructed from `o`.
template <class Derived, class HandWritten>
std::unique_ptr<Cell> make_cell_by_backward(const Options& o) {
  if (o.get_string("backward") == "derived") return std::make_unique<Derived>(o);
  return std::make_unique<HandWritten>(o);
}

}  // namespace biornn
