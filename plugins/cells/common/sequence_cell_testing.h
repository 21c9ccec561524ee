// Shared by the tests of the oneDNN sequence cells (gru, lstm): parity of forward and backward
// with a double-precision reference of PyTorch's equations, and PyTorch's parameter layout.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/sdk/cell.h"
#include "core/sdk/parameter_set.h"

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

}  // namespace biornn::testing
