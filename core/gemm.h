// Matrix products through oneDNN matmul primitives, created once per shape and cached.
#pragma once

#include <cstddef>

namespace biornn {

// Row-major C[M, N] = op(A) op(B) (+ C when accumulate). op(A) is A [M, K] (lda >= K), or
// with trans_a the transpose of A stored [K, M] (lda >= M); likewise B [K, N] or, with
// trans_b, B stored [N, K]. The primitive for each distinct shape is built on first use.
// Uses all compute threads; call it outside parallel regions.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
          int ldc, bool accumulate);

// One product shape for gemm_serial (same meaning as gemm's arguments). `packed_b` means B
// is passed in oneDNN's preferred blocked layout for this shape, written by pack_b(): the
// engine packs the recurrent weights once per minibatch instead of once per step.
struct GemmShape {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
  bool accumulate = false, packed_b = false;
};

// The product computed by the calling thread alone, callable from inside an OpenMP
// parallel region by several threads at once (each on its own rows). The primitive for each
// shape is built single-threaded and shared; stream, memory objects and scratchpad are the
// calling thread's own. The engine uses it to run a whole sequence per thread on its batch
// rows with no fork/join per time step.
void gemm_serial(const GemmShape& shape, const float* a, const float* b, float* c);

// For a shape with packed_b: the bytes its packed B takes, and B (plain, as described by
// trans_b/ldb) written into that layout. Call outside parallel regions.
size_t packed_b_bytes(const GemmShape& shape);
void pack_b(const GemmShape& shape, const float* b, float* packed);
// True if two packed shapes share one packed layout of B (then one pack_b serves both).
bool same_packed_b(const GemmShape& x, const GemmShape& y);

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
