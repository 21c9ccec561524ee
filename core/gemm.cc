#include "core/gemm.h"

#include <omp.h>
#include <xmmintrin.h>

#include <dnnl.hpp>
#include <map>
#include <mutex>
#include <tuple>

namespace biornn {

namespace {

using Key = std::tuple<bool, bool, int, int, int, int, int, int, bool>;

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  struct Entry {
    dnnl::matmul primitive;
    dnnl::memory a, b, c;  // re-pointed at each call's buffers with set_data_handle
  };
  std::map<Key, Entry> cache;
  int created = 0;
};

Context& context() {
  static Context* c = new Context();
  return *c;
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, float* c, int ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  Context& ctx = context();
  Key key{trans_a, trans_b, m, n, k, lda, ldb, ldc, accumulate};
  auto it = ctx.cache.find(key);
  if (it == ctx.cache.end()) {
    using dt = dnnl::memory::data_type;
    using dims = dnnl::memory::dims;
    dnnl::memory::desc ad(dims{m, k}, dt::f32, trans_a ? dims{1, lda} : dims{lda, 1});
    dnnl::memory::desc bd(dims{k, n}, dt::f32, trans_b ? dims{1, ldb} : dims{ldb, 1});
    dnnl::memory::desc cd(dims{m, n}, dt::f32, dims{ldc, 1});
    dnnl::primitive_attr attr;
    if (accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    dnnl::matmul::desc desc(ad, bd, cd);
    dnnl::matmul::primitive_desc pd(desc, attr, ctx.engine);
    it = ctx.cache
             .emplace(key, Context::Entry{dnnl::matmul(pd), dnnl::memory(ad, ctx.engine, nullptr),
                                          dnnl::memory(bd, ctx.engine, nullptr), dnnl::memory(cd, ctx.engine, nullptr)})
             .first;
    ++ctx.created;
  }
  auto& e = it->second;
  e.a.set_data_handle(const_cast<float*>(a));
  e.b.set_data_handle(const_cast<float*>(b));
  e.c.set_data_handle(c);
  e.primitive.execute(ctx.stream, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
  ctx.stream.wait();
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

int gemm_primitives_created() { return context().created; }

}  // namespace biornn
