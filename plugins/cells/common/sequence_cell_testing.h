// Shared by the tests of the oneDNN sequence cells (gru, lstm): parity of forward and backward
// with a double-precision reference of PyTorch's equations, and PyTorch's parameter layout.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/sdk/cell.h"
#include "core/sdk/parameter_set.h"
#include "core/sdk/registry.h"

namespace biornn::testing {

using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

// A reference run of a sequence cell for loss = sum_t <d_r_t, h_t>.
struct Reference {
  std::vector<MatD> h;  // h[0..T], each [B, H]
  MatD d_wih, d_whh;
  VecD d_bih, d_bhh;
  std::vector<MatD> d_x;  // [T] of [B, F]
};
// The parameters in PyTorch's names, in double: W_ih, W_hh, and the biases as columns.
struct PytorchWeights {
  MatD wih, whh;
  VecD bih, bhh;
  explicit PytorchWeights(const ParameterSet& ps)
      : wih(ps.get("W_ih").value.cast<double>()),
        whh(ps.get("W_hh").value.cast<double>()),
        bih(ps.get("b_ih").value.row(0).transpose().cast<double>()),
        bhh(ps.get("b_hh").value.row(0).transpose().cast<double>()) {}
};

inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

using ReferenceFn =
    std::function<Reference(const ParameterSet&, const std::vector<MatD>& x, const std::vector<MatD>& d_r, int H)>;

// max |a - b| / max |b|: the error relative to the tensor's scale.
double relative(const MatD& a, const MatD& b);

// Runs `cell` forward and backward on random x and d_r ([T, B, F], [T, B, H]) and expects the
// outputs, every parameter gradient and d_x within 1e-5 (relative) of `reference`.
void check_parity(SequenceCell& cell, ParameterSet& ps, const ReferenceFn& reference, int T, int B, int F, int H,
                  uint64_t seed);

// W_ih [gates*H, F], W_hh [gates*H, H], b_ih and b_hh [1, gates*H], all within 1/sqrt(H).
void expect_pytorch_layout(Cell& cell, int gates);

// The registry holding the built-ins and the plugin of cell `name` (plugins/cells/<name>/), loaded
// once for the process.
Registry& sequence_cell_registry(const std::string& name);
// A new cell `name` with its default options.
std::unique_ptr<Cell> make_sequence_cell(const std::string& name);

// check_parity of cell `name` with weights U(-0.8, 0.8) (every gate away from 0.5) on three
// shapes: one, a second (a new cached plan), the first again (the cached one).
void expect_parity_on_shapes(const std::string& name, const ReferenceFn& reference);

// A layer of cell `name` with a gate is refused (a sequence cell steps itself).
void expect_refuses_a_gate(const std::string& name);

}  // namespace biornn::testing
