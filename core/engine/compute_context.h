// ComputeContext: how one experiment computes (threads, denormal mode) and the oneDNN state it
// computes with (engine, stream, the matmul primitives created once per shape and cached).
// Whoever builds a model owns one and passes it down; nothing here is process-wide.
#pragma once

#include <cstddef>
#include <algorithm>
#include <exception>
#include <cstdint>
#include <memory>
#include <string>

#include "core/platform/cpu_features.h"

namespace biornn {

// How the matrix products compute: fp32 throughout, or bf16 operands (A and B rounded to
// bfloat16, to nearest even) with fp32 accumulation and an fp32 result. Everything else
// (master weights, optimizer state, elementwise math) stays fp32 either way.
enum class Precision { kFp32, kBf16 };

// train.precision as asked ("fp32" or "bf16") on a CPU with `cpu`'s features: bf16 only where
// the CPU has bf16 instructions (AVX512-BF16 or AMX-BF16); elsewhere fp32, and `note` (when
// given) gets one line saying so. Any other value: an Error naming the valid ones.
Precision choose_precision(const std::string& asked, const CpuFeatures& cpu, std::string* note = nullptr);
const char* precision_name(Precision p);

// Rounds n floats to bfloat16 (nearest even), as the bf16 products see their operands.
void to_bf16(const float* src, size_t n, uint16_t* dst);
float from_bf16(uint16_t b);

struct ComputeOptions {
  int threads = 0;                         // 0 = every core (omp_get_num_procs())
  bool flush_denormals = false;            // MXCSR flush-to-zero + denormals-are-zero while computing
  Precision precision = Precision::kFp32;  // of gemm, gemm_serial and pack_b
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
  Precision precision() const { return precision_; }

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
  // With precision() bf16, A and B are rounded to bf16 first (fp32 sums, fp32 C).
  void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
            int ldc, bool accumulate);
  // The same product on operands already in bf16 (whatever precision() says): fp32 sums, fp32 C.
  void gemm_bf16(bool trans_a, bool trans_b, int m, int n, int k, const uint16_t* a, int lda, const uint16_t* b,
                 int ldb, float* c, int ldc, bool accumulate);

  // The product computed by the calling thread alone, callable by the threads of a parallel
  // region (thread number < threads()) at once, each on its own rows. The primitive of each
  // shape is built single-threaded and shared; stream, memory objects and scratchpad belong
  // to the region's thread number, so the engine runs a whole sequence per thread on its
  // batch rows with no fork/join per time step. With precision() bf16 the thread rounds its A
  // (and an unpacked B) to bf16 in a buffer of its own; a packed B is bf16 already (pack_b).
  void gemm_serial(const GemmShape& shape, const float* a, const float* b, float* c);
  // The same with A already in bf16 (a bf16 context only): no rounding of A on the way.
  void gemm_serial(const GemmShape& shape, const uint16_t* a, const float* b, float* c);

  // For a shape with packed_b: the bytes its packed B takes, and B (plain, as described by
  // trans_b/ldb) written into that layout (in bf16 with precision() bf16: then it takes fewer
  // bytes than the floats it came from). Call outside parallel regions.
  size_t packed_b_bytes(const GemmShape& shape);
  void pack_b(const GemmShape& shape, const float* b, float* packed);
  // True if two packed shapes share one packed layout of B (then one pack_b serves both).
  bool same_packed_b(const GemmShape& x, const GemmShape& y);

  // Matmul primitives this context has built so far (to test that shapes are cached).
  int primitives_created() const;

 private:
  struct State;
  // gemm's product through the context's cache of threaded primitives (operands f32 or bf16).
  void run_cached(const GemmShape& shape, bool bf16, const void* a, const void* b, float* c);
  // gemm_serial's product; a_is_bf16: A is bf16 already.
  void run_serial(const GemmShape& shape, const void* a, bool a_is_bf16, const float* b, float* c);
  int threads_;
  bool flush_denormals_;
  Precision precision_;
  int depth_ = 0;  // open Scopes (the calling thread's)
  std::unique_ptr<State> state_;
};

}  // namespace biornn
