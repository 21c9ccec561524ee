// The fused SIMD kernels of core/sdk/packet.h against the Eigen expressions of activation.h
// (the simple reference), at every width so that the zero-padded last packet of a row is
// covered; and the scratch buffers' allocator of core/sdk/tensor.h.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/sdk/activation.h"
#include "core/sdk/packet.h"
#include "core/sdk/tensor.h"

namespace biornn {
namespace {

// A [rows, cols] block of values spread over [-4, 4], kinks at 0 included.
Matrix spread(int rows, int cols) {
  Matrix u(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) u(i, j) = -4.0f + 8.0f * float((i * cols + j) % 97) / 96.0f;
  u(0, 0) = 0.0f;
  return u;
}

TEST(Packet, PhiAndDerivativeEqualTheEigenReferenceAtEveryWidth) {
  for (const std::string& name : activation_names()) {
    const Activation a = activation_from_name(name);
    for (int cols : {1, 3, simd::kWidth - 1, simd::kWidth, simd::kWidth + 5, 64, 67}) {
      if (cols < 1) continue;
      const Matrix u = spread(3, cols);
      Matrix y_ref(3, cols), d_ref(3, cols), y(3, cols), d(3, cols);
      activate(a, u.array(), y_ref.array());
      activate_derivative(a, u.array(), y_ref.array(), d_ref.array());
      simd::for_each_packet(3, cols, [&](int i, int j, int n) {
        const simd::Packet pu = simd::load(simd::at(u, i, j), n), py = simd::phi(a, pu);
        simd::store(simd::at(y, i, j), py, n);
        simd::store(simd::at(d, i, j), simd::phi_derivative(a, pu, py), n);
      });
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < cols; ++j) {
          EXPECT_NEAR(y(i, j), y_ref(i, j), 1e-6f * (1 + std::abs(y_ref(i, j)))) << name << " at u = " << u(i, j);
          EXPECT_NEAR(d(i, j), d_ref(i, j), 1e-6f * (1 + std::abs(d_ref(i, j)))) << name << " at u = " << u(i, j);
        }
    }
  }
}

TEST(Packet, StoreWritesOnlyTheRowsColumns) {
  Matrix m = Matrix::Constant(2, simd::kWidth + 3, 7.0f);
  auto left = view(m.data(), 2, simd::kWidth + 1, int(m.cols()));  // the last two columns stay
  simd::for_each_packet(2, simd::kWidth + 1,
                        [&](int i, int j, int n) { simd::store(simd::at(left, i, j), simd::set1(1.0f), n); });
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j <= simd::kWidth; ++j) EXPECT_EQ(m(i, j), 1.0f);
    EXPECT_EQ(m(i, simd::kWidth + 1), 7.0f);
    EXPECT_EQ(m(i, simd::kWidth + 2), 7.0f);
  }
}

TEST(ScratchBuffer, SmallAndHugeBuffersAreAlignedAndKeepTheirValuesWhenGrown) {
  ScratchBuffer small(100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data()) % 64, 0u);
  for (size_t i = 0; i < small.size(); ++i) small[i] = float(i);
  small.resize(size_t(3) << 20);  // 12 MiB: mapped on a 2 MiB boundary for huge pages
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data()) % (size_t(2) << 20), 0u);
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(small[i], float(i));
  small.back() = 1.0f;  // the whole mapping is writable
  small[small.size() / 2] = 2.0f;
  small.resize(10);       // shrinking keeps the storage
  small.shrink_to_fit();  // and giving it back unmaps it
  EXPECT_EQ(small[9], 9.0f);
}

}  // namespace
}  // namespace biornn
