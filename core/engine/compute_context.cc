#include "core/engine/compute_context.h"

#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/sdk/error.h"

namespace biornn {

namespace {

// The shape and whether its operands are bf16.
using Key = std::tuple<bool, bool, int, int, int, int, int, int, bool, bool, bool>;

Key key_of(const GemmShape& s, bool bf16) {
  return Key{s.trans_a, s.trans_b, s.m, s.n, s.k, s.lda, s.ldb, s.ldc, s.accumulate, s.packed_b, bf16};
}

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

dnnl::memory::desc plain_b_desc(const GemmShape& s, dt type = dt::f32) {
  return dnnl::memory::desc(dims{s.k, s.n}, type, s.trans_b ? dims{1, s.ldb} : dims{s.ldb, 1});
}

// Elements from the first to the last of a strided operand stored [rows, cols] with leading
// dimension ld (what a bf16 copy with the same strides must hold).
size_t extent(int rows, int cols, int ld) { return rows > 0 && cols > 0 ? size_t(rows - 1) * ld + cols : 0; }
size_t a_extent(const GemmShape& s) { return s.trans_a ? extent(s.k, s.m, s.lda) : extent(s.m, s.k, s.lda); }
size_t b_extent(const GemmShape& s) { return s.trans_b ? extent(s.n, s.k, s.ldb) : extent(s.k, s.n, s.ldb); }

dnnl::matmul::primitive_desc make_desc(const GemmShape& s, const dnnl::engine& engine, bool user_scratchpad,
                                       bool bf16) {
  const dt in = bf16 ? dt::bf16 : dt::f32;
  dnnl::memory::desc ad(dims{s.m, s.k}, in, s.trans_a ? dims{1, s.lda} : dims{s.lda, 1});
  dnnl::memory::desc bd =
      s.packed_b ? dnnl::memory::desc(dims{s.k, s.n}, in, dnnl::memory::format_tag::any) : plain_b_desc(s, in);
  dnnl::memory::desc cd(dims{s.m, s.n}, dt::f32, dims{s.ldc, 1});
  dnnl::primitive_attr attr;
  if (s.accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  if (user_scratchpad) attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(ad, bd, cd), attr, engine);
}

constexpr unsigned kFtzDaz = 0x8040;  // MXCSR bits: flush-to-zero (15) and denormals-are-zero (6)

unsigned with_ftz(unsigned csr, bool on) { return on ? (csr | kFtzDaz) : (csr & ~kFtzDaz); }

// Rounds to nearest even (a NaN stays non-finite); the loop vectorises.
inline uint16_t round_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

}  // namespace

void to_bf16(const float* src, size_t n, uint16_t* dst) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) dst[i] = round_bf16(src[i]);
}

float from_bf16(uint16_t b) {
  const uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

const char* precision_name(Precision p) { return p == Precision::kBf16 ? "bf16" : "fp32"; }

Precision choose_precision(const std::string& asked, const CpuFeatures& cpu, std::string* note) {
  if (asked == "fp32") return Precision::kFp32;
  if (asked != "bf16") throw Error("train.precision = \"" + asked + "\" is not a precision: use \"fp32\" or \"bf16\"");
  if (cpu.bf16()) return Precision::kBf16;
  if (note)
    *note =
        "train.precision = \"bf16\": this CPU has no bf16 instructions (no avx512_bf16 or amx_bf16 in "
        "/proc/cpuinfo), so the products run in fp32";
  return Precision::kFp32;
}

struct ComputeContext::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  struct Entry {
    dnnl::matmul primitive;
    dnnl::memory a, b, c;  // re-pointed at each call's buffers with set_data_handle
  };
  std::map<Key, Entry> cache;  // gemm(): used from the calling thread only

  // gemm_serial(): single-threaded primitives shared by every region thread, guarded by `mutex`.
  struct Serial {
    dnnl::matmul::primitive_desc pd;
    dnnl::matmul primitive;
    dnnl::reorder pack;  // plain fp32 B -> pd's B layout and type (packed shapes only)
  };
  mutable std::mutex mutex;
  std::map<Key, Serial> serial;
  int created = 0;

  // One region thread's stream, memory objects and scratchpad for the shapes it has run.
  struct Worker {
    struct Entry {
      dnnl::matmul primitive;
      dnnl::memory a, b, c, scratchpad;
      std::shared_ptr<void> scratch_bytes;  // 64-byte aligned, owned here
    };
    dnnl::stream stream;
    std::map<Key, Entry> cache;
    std::vector<uint16_t> a16, b16;  // bf16 copies of the operands (bf16 precision)
  };
  std::vector<std::unique_ptr<Worker>> workers;  // by thread number; each slot touched by its thread only

  // The shared single-threaded primitive of a shape, built on first use.
  bool bf16 = false;
  std::vector<uint16_t> a16, b16;  // gemm()'s bf16 copies of its operands

  const Serial& serial_primitive(const GemmShape& s) {
    std::lock_guard<std::mutex> lock(mutex);
    const Key key = key_of(s, bf16);
    auto it = serial.find(key);
    if (it == serial.end()) {
      // oneDNN splits a primitive's work by the threads available when it is created; with one
      // thread here it does all of the work in whichever thread executes it.
      const int saved = omp_get_max_threads();
      omp_set_num_threads(1);
      auto pd = make_desc(s, engine, true, bf16);
      dnnl::matmul primitive(pd);
      omp_set_num_threads(saved);
      dnnl::reorder pack;
      if (s.packed_b)
        pack = dnnl::reorder(dnnl::reorder::primitive_desc(engine, plain_b_desc(s), engine, pd.weights_desc()));
      it = serial.emplace(key, Serial{pd, primitive, pack}).first;
      ++created;
    }
    return it->second;
  }

  Worker::Entry make_worker_entry(const GemmShape& s) {
    const Serial& shared = serial_primitive(s);
    Worker::Entry e{shared.primitive,
                    dnnl::memory(shared.pd.src_desc(), engine, nullptr),
                    dnnl::memory(shared.pd.weights_desc(), engine, nullptr),
                    dnnl::memory(shared.pd.dst_desc(), engine, nullptr),
                    {},
                    {}};
    const size_t bytes = (std::max<size_t>(1, shared.pd.scratchpad_desc().get_size()) + 63) / 64 * 64;
    e.scratch_bytes.reset(std::aligned_alloc(64, bytes), std::free);
    e.scratchpad = dnnl::memory(shared.pd.scratchpad_desc(), engine, e.scratch_bytes.get());
    return e;
  }
};

ComputeContext::ComputeContext(const ComputeOptions& options)
    : threads_(options.threads > 0 ? options.threads : omp_get_num_procs()),
      flush_denormals_(options.flush_denormals),
      precision_(options.precision),
      state_(std::make_unique<State>()) {
  state_->workers.resize(size_t(threads_));
  state_->bf16 = precision_ == Precision::kBf16;
}

ComputeContext::~ComputeContext() = default;

ComputeContext::Scope::Scope(ComputeContext& context) : context_(context), outer_(context.depth_++ == 0) {
  if (!outer_) return;
  saved_threads_ = omp_get_max_threads();
  if (saved_threads_ != context_.threads_) omp_set_num_threads(context_.threads_);
  saved_csr_ = _mm_getcsr();
  const unsigned want = with_ftz(saved_csr_, context_.flush_denormals_);
  csr_changed_ = want != saved_csr_;
  if (!csr_changed_) return;
  const bool on = context_.flush_denormals_;
  _mm_setcsr(want);
#pragma omp parallel num_threads(context_.threads_)
  _mm_setcsr(with_ftz(_mm_getcsr(), on));
}

ComputeContext::Scope::~Scope() {
  --context_.depth_;
  if (!outer_) return;
  if (csr_changed_) {
    const bool was_on = (saved_csr_ & kFtzDaz) == kFtzDaz;
#pragma omp parallel num_threads(context_.threads_)
    _mm_setcsr(with_ftz(_mm_getcsr(), was_on));
    _mm_setcsr(saved_csr_);
  }
  if (saved_threads_ != context_.threads_) omp_set_num_threads(saved_threads_);
}

int ComputeContext::thread_number() { return omp_get_thread_num(); }
int ComputeContext::team_size() { return omp_get_num_threads(); }

void ComputeContext::gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b,
                          int ldb, float* c, int ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  Scope scope(*this);
  State& st = *state_;
  const GemmShape s{trans_a, trans_b, m, n, k, lda, ldb, ldc, accumulate, false};
  if (st.bf16) {
    const size_t na = a_extent(s), nb = b_extent(s);
    st.a16.resize(na);
    st.b16.resize(nb);
    uint16_t *a16 = st.a16.data(), *b16 = st.b16.data();
    // Both conversions in one region, split in blocks of 16 Ki elements.
    const size_t block = 1 << 14, blocks_a = (na + block - 1) / block, blocks = blocks_a + (nb + block - 1) / block;
#pragma omp parallel for num_threads(threads_) schedule(static) if (blocks > 4)
    for (size_t i = 0; i < blocks; ++i) {
      if (i < blocks_a)
        to_bf16(a + i * block, std::min(block, na - i * block), a16 + i * block);
      else {
        const size_t j = (i - blocks_a) * block;
        to_bf16(b + j, std::min(block, nb - j), b16 + j);
      }
    }
    gemm_bf16(trans_a, trans_b, m, n, k, a16, lda, b16, ldb, c, ldc, accumulate);
    return;
  }
  run_cached(s, false, a, b, c);
}

void ComputeContext::gemm_bf16(bool trans_a, bool trans_b, int m, int n, int k, const uint16_t* a, int lda,
                               const uint16_t* b, int ldb, float* c, int ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  Scope scope(*this);
  run_cached(GemmShape{trans_a, trans_b, m, n, k, lda, ldb, ldc, accumulate, false}, true, a, b, c);
}

void ComputeContext::run_cached(const GemmShape& s, bool bf16, const void* a, const void* b, float* c) {
  State& st = *state_;
  const Key key = key_of(s, bf16);
  auto it = st.cache.find(key);
  if (it == st.cache.end()) {
    auto pd = make_desc(s, st.engine, false, bf16);
    it = st.cache
             .emplace(key, State::Entry{dnnl::matmul(pd), dnnl::memory(pd.src_desc(), st.engine, nullptr),
                                        dnnl::memory(pd.weights_desc(), st.engine, nullptr),
                                        dnnl::memory(pd.dst_desc(), st.engine, nullptr)})
             .first;
    std::lock_guard<std::mutex> lock(st.mutex);
    ++st.created;
  }
  auto& e = it->second;
  e.a.set_data_handle(const_cast<void*>(a));
  e.b.set_data_handle(const_cast<void*>(b));
  e.c.set_data_handle(c);
  e.primitive.execute(st.stream, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
  st.stream.wait();
}

void ComputeContext::gemm_serial(const GemmShape& s, const float* a, const float* b, float* c) {
  run_serial(s, a, false, b, c);
}

void ComputeContext::gemm_serial(const GemmShape& s, const uint16_t* a, const float* b, float* c) {
  if (precision_ != Precision::kBf16) throw Error("gemm_serial with a bf16 A in an fp32 compute context");
  run_serial(s, a, true, b, c);
}

void ComputeContext::run_serial(const GemmShape& s, const void* a, bool a_is_bf16, const float* b, float* c) {
  if (s.m == 0 || s.n == 0) return;
  State& st = *state_;
  const int thread = omp_get_thread_num();
  if (thread >= threads_)
    throw Error("gemm_serial called from thread " + std::to_string(thread) + " of a parallel region wider than the " +
                "compute context's " + std::to_string(threads_) + " threads");
  std::unique_ptr<State::Worker>& worker = st.workers[size_t(thread)];
  if (!worker) worker.reset(new State::Worker{dnnl::stream(st.engine), {}});
  const Key key = key_of(s, st.bf16);
  auto it = worker->cache.find(key);
  if (it == worker->cache.end()) it = worker->cache.emplace(key, st.make_worker_entry(s)).first;
  State::Worker::Entry& e = it->second;
  const void* a_in = a;
  const void* b_in = b;
  if (st.bf16) {
    if (!a_is_bf16) {
      worker->a16.resize(a_extent(s));
      to_bf16(static_cast<const float*>(a), worker->a16.size(), worker->a16.data());
      a_in = worker->a16.data();
    }
    if (!s.packed_b) {
      worker->b16.resize(b_extent(s));
      to_bf16(b, worker->b16.size(), worker->b16.data());
      b_in = worker->b16.data();
    }
  }
  e.a.set_data_handle(const_cast<void*>(a_in));
  e.b.set_data_handle(const_cast<void*>(b_in));
  e.c.set_data_handle(c);
  e.primitive.execute(
      worker->stream,
      {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}, {DNNL_ARG_SCRATCHPAD, e.scratchpad}});
  worker->stream.wait();
}

size_t ComputeContext::packed_b_bytes(const GemmShape& s) {
  return state_->serial_primitive(s).pd.weights_desc().get_size();
}

void ComputeContext::pack_b(const GemmShape& s, const float* b, float* packed) {
  Scope scope(*this);
  State& st = *state_;
  const State::Serial& shared = st.serial_primitive(s);
  dnnl::memory src(plain_b_desc(s), st.engine, const_cast<float*>(b));
  dnnl::memory dst(shared.pd.weights_desc(), st.engine, packed);
  shared.pack.execute(st.stream, src, dst);
  st.stream.wait();
}

bool ComputeContext::same_packed_b(const GemmShape& x, const GemmShape& y) {
  return state_->serial_primitive(x).pd.weights_desc() == state_->serial_primitive(y).pd.weights_desc();
}

int ComputeContext::primitives_created() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->created;
}

}  // namespace biornn
