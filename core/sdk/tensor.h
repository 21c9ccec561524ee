// Tensor and parameter types: Eigen row-major float matrices (oneDNN wraps the same buffers).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/sdk/random.h"

namespace biornn {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, 1, Eigen::Dynamic, Eigen::RowMajor>;  // a row
using MatrixMap = Eigen::Map<Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstMatrixMap = Eigen::Map<const Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;

// A strided [rows, cols] view into a larger row-major buffer (e.g. one H-wide block
// of a [B, k*H] pre-activation step).
inline MatrixMap view(float* data, int rows, int cols, int stride) {
  return MatrixMap(data, rows, cols, Eigen::OuterStride<>(stride));
}
inline ConstMatrixMap view(const float* data, int rows, int cols, int stride) {
  return ConstMatrixMap(data, rows, cols, Eigen::OuterStride<>(stride));
}

// A float buffer aligned like Eigen's own matrices (64 bytes with AVX-512). The layer's
// per-step buffers use it so that Eigen's vectorised passes split rows the same way on every
// run (its peeling depends on addresses), which keeps training bit-for-bit reproducible.
using AlignedBuffer = std::vector<float, Eigen::aligned_allocator<float>>;

// An aligned allocator whose resize() leaves new elements unset, as malloc does: for the
// layer's per-step buffers, which are written before they are read, so that growing one
// (from the training minibatch to the evaluation one, every epoch) writes no megabytes of zeros.
// Buffers of 512 KiB and more are placed on 2 MiB boundaries (whole huge pages: one of 512 KiB
// takes 2 MiB) and offered to the kernel for transparent huge pages: their first touch then
// costs one page fault per 2 MiB instead of one per 4 KiB. A page fault in a virtual machine
// costs microseconds (13 us here: 0.2 s of a 1.4 s flip-flop run with a 4 MiB threshold; with
// 4 MiB the first step of a 64-unit task network still took 2,000 faults, 27-38 ms, now ~400
// faults, ~10 ms).
void* allocate_scratch(size_t bytes);
void free_scratch(void* p, size_t bytes) noexcept;

template <class T>
struct UnsetAllocator : Eigen::aligned_allocator<T> {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = UnsetAllocator<U>;
  };
  UnsetAllocator() = default;
  template <class U>
  UnsetAllocator(const UnsetAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return static_cast<T*>(allocate_scratch(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { free_scratch(p, n * sizeof(T)); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
template <class T>
using ScratchVector = std::vector<T, UnsetAllocator<T>>;
using ScratchBuffer = ScratchVector<float>;

// Fills m with U(-scale, scale) / N(0, scale^2) from rng, element by element in row order.
void fill_uniform(Matrix& m, float scale, Rng& rng);
void fill_normal(Matrix& m, float stddev, Rng& rng);

// A trainable tensor. `raw` is what the optimizer updates; `value` is the effective
// tensor the model uses (value = constraint(raw), or raw itself without constraint).
// `grad` is dLoss/d value; `raw_grad` is dLoss/d raw (what the optimizer reads).
struct Parameter {
  std::string name;
  Matrix raw;
  Matrix value;
  Matrix grad;
  Matrix raw_grad;
  bool trainable = true;
  class Constraint* constraint = nullptr;  // owned by the layer; may be null

  void resize(int rows, int cols);  // sets all four to zeros of this shape
  int64_t size() const { return raw.size(); }
};

}  // namespace biornn
