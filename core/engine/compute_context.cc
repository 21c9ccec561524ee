#include "core/engine/compute_context.h"

#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cstdlib>
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

using Key = std::tuple<bool, bool, int, int, int, int, int, int, bool, bool>;

Key key_of(const GemmShape& s) {
  return Key{s.trans_a, s.trans_b, s.m, s.n, s.k, s.lda, s.ldb, s.ldc, s.accumulate, s.packed_b};
}

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

dnnl::memory::desc plain_b_desc(const GemmShape& s) {
  return dnnl::memory::desc(dims{s.k, s.n}, dt::f32, s.trans_b ? dims{1, s.ldb} : dims{s.ldb, 1});
}

dnnl::matmul::primitive_desc make_desc(const GemmShape& s, const dnnl::engine& engine, bool user_scratchpad) {
  dnnl::memory::desc ad(dims{s.m, s.k}, dt::f32, s.trans_a ? dims{1, s.lda} : dims{s.lda, 1});
  dnnl::memory::desc bd =
      s.packed_b ? dnnl::memory::desc(dims{s.k, s.n}, dt::f32, dnnl::memory::format_tag::any) : plain_b_desc(s);
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

}  // namespace

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
    dnnl::reorder pack;  // plain B -> pd's B layout (packed shapes only)
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
  };
  std::vector<std::unique_ptr<Worker>> workers;  // by thread number; each slot touched by its thread only

  // The shared single-threaded primitive of a shape, built on first use.
  const Serial& serial_primitive(const GemmShape& s) {
    std::lock_guard<std::mutex> lock(mutex);
    const Key key = key_of(s);
    auto it = serial.find(key);
    if (it == serial.end()) {
      // oneDNN splits a primitive's work by the threads available when it is created; with one
      // thread here it does all of the work in whichever thread executes it.
      const int saved = omp_get_max_threads();
      omp_set_num_threads(1);
      auto pd = make_desc(s, engine, true);
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
      state_(std::make_unique<State>()) {
  state_->workers.resize(size_t(threads_));
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
  const Key key = key_of(s);
  auto it = st.cache.find(key);
  if (it == st.cache.end()) {
    auto pd = make_desc(s, st.engine, false);
    it = st.cache
             .emplace(key, State::Entry{dnnl::matmul(pd), dnnl::memory(pd.src_desc(), st.engine, nullptr),
                                        dnnl::memory(pd.weights_desc(), st.engine, nullptr),
                                        dnnl::memory(pd.dst_desc(), st.engine, nullptr)})
             .first;
    std::lock_guard<std::mutex> lock(st.mutex);
    ++st.created;
  }
  auto& e = it->second;
  e.a.set_data_handle(const_cast<float*>(a));
  e.b.set_data_handle(const_cast<float*>(b));
  e.c.set_data_handle(c);
  e.primitive.execute(st.stream, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
  st.stream.wait();
}

void ComputeContext::gemm_serial(const GemmShape& s, const float* a, const float* b, float* c) {
  if (s.m == 0 || s.n == 0) return;
  State& st = *state_;
  const int thread = omp_get_thread_num();
  if (thread >= threads_)
    throw Error("gemm_serial called from thread " + std::to_string(thread) + " of a parallel region wider than the " +
                "compute context's " + std::to_string(threads_) + " threads");
  std::unique_ptr<State::Worker>& worker = st.workers[size_t(thread)];
  if (!worker) worker.reset(new State::Worker{dnnl::stream(st.engine), {}});
  const Key key = key_of(s);
  auto it = worker->cache.find(key);
  if (it == worker->cache.end()) it = worker->cache.emplace(key, st.make_worker_entry(s)).first;
  State::Worker::Entry& e = it->second;
  e.a.set_data_handle(const_cast<float*>(a));
  e.b.set_data_handle(const_cast<float*>(b));
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
