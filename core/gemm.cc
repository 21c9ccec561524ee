#include "core/gemm.h"

#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cstdlib>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

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

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  struct Entry {
    dnnl::matmul primitive;
    dnnl::memory a, b, c;  // re-pointed at each call's buffers with set_data_handle
  };
  std::map<Key, Entry> cache;  // gemm(): used from one thread at a time

  // gemm_serial(): single-threaded primitives shared by every thread, guarded by `mutex`.
  struct Serial {
    dnnl::matmul::primitive_desc pd;
    dnnl::matmul primitive;
    dnnl::reorder pack;  // plain B -> pd's B layout (packed shapes only)
  };
  std::mutex mutex;
  std::map<Key, Serial> serial;
  int created = 0;
};

Context& context() {
  static Context* c = new Context();  // leaked on purpose: pool threads may outlive statics
  return *c;
}

// The shared single-threaded primitive of a shape, built on first use.
const Context::Serial& serial_primitive(const GemmShape& s) {
  Context& ctx = context();
  std::lock_guard<std::mutex> lock(ctx.mutex);
  const Key key = key_of(s);
  auto it = ctx.serial.find(key);
  if (it == ctx.serial.end()) {
    // oneDNN splits a primitive's work by the threads available when it is created; with one
    // thread here it does all of the work in whichever thread executes it.
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    auto pd = make_desc(s, ctx.engine, true);
    dnnl::matmul primitive(pd);
    omp_set_num_threads(saved);
    dnnl::reorder pack;
    if (s.packed_b)
      pack = dnnl::reorder(dnnl::reorder::primitive_desc(ctx.engine, plain_b_desc(s), ctx.engine, pd.weights_desc()));
    it = ctx.serial.emplace(key, Context::Serial{pd, primitive, pack}).first;
    ++ctx.created;
  }
  return it->second;
}

// One thread's stream, memory objects and scratchpad for the shapes it has run.
struct SerialLocal {
  struct Entry {
    dnnl::matmul primitive;
    dnnl::memory a, b, c, scratchpad;
    std::shared_ptr<void> scratch_bytes;  // 64-byte aligned, owned here
  };
  dnnl::stream stream{context().engine};
  std::map<Key, Entry> cache;
};

}  // namespace

void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
          int ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  Context& ctx = context();
  const GemmShape s{trans_a, trans_b, m, n, k, lda, ldb, ldc, accumulate, false};
  const Key key = key_of(s);
  auto it = ctx.cache.find(key);
  if (it == ctx.cache.end()) {
    auto pd = make_desc(s, ctx.engine, false);
    it = ctx.cache
             .emplace(key, Context::Entry{dnnl::matmul(pd), dnnl::memory(pd.src_desc(), ctx.engine, nullptr),
                                          dnnl::memory(pd.weights_desc(), ctx.engine, nullptr),
                                          dnnl::memory(pd.dst_desc(), ctx.engine, nullptr)})
             .first;
    std::lock_guard<std::mutex> lock(ctx.mutex);
    ++ctx.created;
  }
  auto& e = it->second;
  e.a.set_data_handle(const_cast<float*>(a));
  e.b.set_data_handle(const_cast<float*>(b));
  e.c.set_data_handle(c);
  e.primitive.execute(ctx.stream, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
  ctx.stream.wait();
}

void gemm_serial(const GemmShape& s, const float* a, const float* b, float* c) {
  if (s.m == 0 || s.n == 0) return;
  // Freed when its thread exits (a pool thread normally lives until the process ends).
  static thread_local std::unique_ptr<SerialLocal> local = std::make_unique<SerialLocal>();
  const Key key = key_of(s);
  auto it = local->cache.find(key);
  if (it == local->cache.end()) {
    const Context::Serial& shared = serial_primitive(s);
    const dnnl::engine& engine = context().engine;
    SerialLocal::Entry e{shared.primitive,
                         dnnl::memory(shared.pd.src_desc(), engine, nullptr),
                         dnnl::memory(shared.pd.weights_desc(), engine, nullptr),
                         dnnl::memory(shared.pd.dst_desc(), engine, nullptr),
                         {},
                         {}};
    const size_t bytes = (std::max<size_t>(1, shared.pd.scratchpad_desc().get_size()) + 63) / 64 * 64;
    e.scratch_bytes.reset(std::aligned_alloc(64, bytes), std::free);
    e.scratchpad = dnnl::memory(shared.pd.scratchpad_desc(), engine, e.scratch_bytes.get());
    it = local->cache.emplace(key, std::move(e)).first;
  }
  SerialLocal::Entry& e = it->second;
  e.a.set_data_handle(const_cast<float*>(a));
  e.b.set_data_handle(const_cast<float*>(b));
  e.c.set_data_handle(c);
  e.primitive.execute(
      local->stream,
      {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}, {DNNL_ARG_SCRATCHPAD, e.scratchpad}});
  local->stream.wait();
}

size_t packed_b_bytes(const GemmShape& s) { return serial_primitive(s).pd.weights_desc().get_size(); }

void pack_b(const GemmShape& s, const float* b, float* packed) {
  const Context::Serial& shared = serial_primitive(s);
  Context& ctx = context();
  dnnl::memory src(plain_b_desc(s), ctx.engine, const_cast<float*>(b));
  dnnl::memory dst(shared.pd.weights_desc(), ctx.engine, packed);
  shared.pack.execute(ctx.stream, src, dst);
  ctx.stream.wait();
}

bool same_packed_b(const GemmShape& x, const GemmShape& y) {
  return serial_primitive(x).pd.weights_desc() == serial_primitive(y).pd.weights_desc();
}

void set_compute_threads(int threads) {
  if (threads <= 0) threads = omp_get_num_procs();
  omp_set_num_threads(threads);
}

int compute_threads() { return omp_get_max_threads(); }

void set_flush_denormals(bool on) {
  constexpr unsigned kFtzDaz = 0x8040;  // MXCSR bits: flush-to-zero (15) and denormals-are-zero (6)
  auto apply = [on]() { _mm_setcsr(on ? (_mm_getcsr() | kFtzDaz) : (_mm_getcsr() & ~kFtzDaz)); };
  apply();
#pragma omp parallel num_threads(omp_get_max_threads())
  apply();
}

int gemm_primitives_created() {
  Context& ctx = context();
  std::lock_guard<std::mutex> lock(ctx.mutex);
  return ctx.created;
}

}  // namespace biornn
