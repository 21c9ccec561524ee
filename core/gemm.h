// Matrix products through oneDNN matmul primitives, created once per shape and cached.
#pragma once

namespace biornn {

// Row-major C[M, N] = op(A) op(B) (+ C when accumulate). op(A) is A [M, K] (lda >= K), or
// with trans_a the transpose of A stored [K, M] (lda >= M); likewise B [K, N] or, with
// trans_b, B stored [N, K]. The primitive for each distinct shape is built on first use.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, float* c, int ldc, bool accumulate);

// Sets the threads oneDNN and the elementwise passes use (0 = all cores).
void set_compute_threads(int threads);
int compute_threads();

// Flush denormal floats to zero (MXCSR FTZ + DAZ) in this thread and every compute thread.
// Long sequences decay states into denormals, which are ~100x slower on x86: measured here,
// pixel-wise MNIST (T = 784) trains 7x faster with it. The trainer turns it on by default.
void set_flush_denormals(bool on);

// Number of matmul primitives built so far (to test that shapes are cached).
int gemm_primitives_created();

}  // namespace biornn
