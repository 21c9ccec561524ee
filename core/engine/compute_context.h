// ComputeContext: how one experiment computes (threads, denormal mode) and the oneDNN state it
// computes with (engine, stream, the matmul primitives created once per shape and cached).
// Whoever builds a model owns one and passes it down; nothing here is process-wide.
#pragma once

#include <cstddef>
#include <algorithm>
#include <exception>
#include <memory>

namespace biornn {

struct ComputeOptions {
  int threads = 0;               // 0 = every core (omp_get_num_procs())
  bool flush_denormals = false;  // MXCSR flush-to-zero + denormals-are-zero while computing
};

// One product shape for gemm_serial (same meaning as gemm's arguments). `packed_b` means B
// is passed in oneDNN's preferred blocked layout for this shape, written by pack_b(): the
// engine packs the recurrent weights once per minibatch instead of once per step.
struct GemmShape {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
  bool accumulate = false, packed_b = false;
};

// Used by one calling thread at a time (the thread that runs the model); gemm_serial is the
// one method the threads of the context's parallel regions call.
class ComputeContext {
 public:
  explicit ComputeContext(const ComputeOptions& options = {});
  ~ComputeContext();
  ComputeContext(const ComputeContext&) = delete;
  ComputeContext& operator=(const ComputeContext&) = delete;

  int threads() const { return threads_; }
  bool flush_denormals() const { return flush_denormals_; }

  // While a Scope lives, the calling thread computes as the context says: regions that name
  // no thread count (oneDNN's threaded primitives, which read it when they are created and
  // run; a plugin's own primitives) get threads(), and FTZ/DAZ are on or off as
  // flush_denormals() says in this thread and in the threads of its parallel regions. Its
  // end restores the calling thread's thread count and MXCSR, and gives the region threads
  // the caller's former FTZ/DAZ bits. Scopes nest (an inner one does nothing). Model,
  // RecurrentLayer, TrainingStep and gemm open one around each call: callers set nothing.
  class Scope {
   public:
    explicit Scope(ComputeContext& context);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ComputeContext& context_;
    bool outer_;
    int saved_threads_ = 0;
    unsigned saved_csr_ = 0;
    bool csr_changed_ = false;
  };

  // Runs body(c) for every chunk c in [0, chunks), one chunk per thread of one parallel region
  // of min(chunks, threads()) threads (with more chunks, each thread takes every n-th). An
  // exception in a chunk is rethrown here after the region. In code compiled without OpenMP
  // (-fopenmp) the chunks run one after the other in the calling thread.
  template <class Body>
  void for_each_chunk(int chunks, Body&& body) {
    std::exception_ptr failure;
#ifdef _OPENMP
#pragma omp parallel num_threads(std::min(chunks, threads_))
#endif
    for (int c = thread_number(); c < chunks; c += team_size()) {
      try {
        body(c);
      } catch (...) {
#ifdef _OPENMP
#pragma omp critical(biornn_chunk_failure)
#endif
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  }
  // omp_get_thread_num() and omp_get_num_threads() (0 and 1 outside a parallel region).
  static int thread_number();
  static int team_size();

  // Row-major C[M, N] = op(A) op(B) (+ C when accumulate). op(A) is A [M, K] (lda >= K), or
  // with trans_a the transpose of A stored [K, M] (lda >= M); likewise B [K, N] or, with
  // trans_b, B stored [N, K]. Uses threads() threads; call it outside parallel regions.
  void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
            int ldc, bool accumulate);

  // The product computed by the calling thread alone, callable by the threads of a parallel
  // region (thread number < threads()) at once, each on its own rows. The primitive of each
  // shape is built single-threaded and shared; stream, memory objects and scratchpad belong
  // to the region's thread number, so the engine runs a whole sequence per thread on its
  // batch rows with no fork/join per time step.
  void gemm_serial(const GemmShape& shape, const float* a, const float* b, float* c);

  // For a shape with packed_b: the bytes its packed B takes, and B (plain, as described by
  // trans_b/ldb) written into that layout. Call outside parallel regions.
  size_t packed_b_bytes(const GemmShape& shape);
  void pack_b(const GemmShape& shape, const float* b, float* packed);
  // True if two packed shapes share one packed layout of B (then one pack_b serves both).
  bool same_packed_b(const GemmShape& x, const GemmShape& y);

  // Matmul primitives this context has built so far (to test that shapes are cached).
  int primitives_created() const;

 private:
  struct State;
  int threads_;
  bool flush_denormals_;
  int depth_ = 0;  // open Scopes (the calling thread's)
  std::unique_ptr<State> state_;
};

}  // namespace biornn
