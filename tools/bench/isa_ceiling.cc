// isa_ceiling: the instruction-throughput ceiling of this CPU's fp32 FMA and bf16 dot product
// (AVX-512), in GFLOP/s at 1 and 2 threads: what no matmul, ours or a peer's, can exceed.
//
//   bazel run -c opt //tools/bench:isa_ceiling [-- --seconds 1.0]
//
// Each thread runs kChains independent accumulator chains of vfmadd231ps (32 FLOP per
// instruction: 16 lanes x multiply-add) or vdpbf16ps (64 FLOP: 16 lanes x 2 bf16 products and
// their sums) on register operands only, enough chains to cover the instructions' latency,
// so the loop is bound by how many of them the core issues per cycle. The bench's matmul peak
// (runners/bench.cc, oneDNN's 1024^3) read against this ceiling says how close a GEMM gets.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 16;
constexpr long kInner = 1 << 20;

// One timed block of kInner iterations x kChains instructions; the sum keeps the work alive.
// Compiled for AVX-512 alone (the rest of the program runs anywhere, to say what is missing).
template <bool kBf16>
__attribute__((target("avx512f,avx512bf16"))) float block(float seed) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(seed + c * 1e-3f);
  const __m512 a = _mm512_set1_ps(1e-7f), b = _mm512_set1_ps(1.0f);
  const __m512bh ah = _mm512_cvtne2ps_pbh(a, a), bh = _mm512_cvtne2ps_pbh(b, b);
  for (long i = 0; i < kInner; ++i) {
#pragma GCC unroll 16  // kChains: the accumulators then stay in registers
    for (int c = 0; c < kChains; ++c) {
      if constexpr (kBf16) {
        acc[c] = _mm512_dpbf16_ps(acc[c], ah, bh);
      } else {
        acc[c] = _mm512_fmadd_ps(a, b, acc[c]);
      }
    }
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
  return _mm512_reduce_add_ps(s);
}

// GFLOP/s of `threads` threads each running blocks for `seconds`.
template <bool kBf16>
double ceiling_gflops(int threads, double seconds) {
  const double flop_per_block = double(kInner) * kChains * (kBf16 ? 64 : 32);
  std::vector<double> gflops(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      volatile float keep = block<kBf16>(float(t));  // warm-up: clocks up (volatile: the work is not elided)
      const auto start = std::chrono::steady_clock::now();
      long blocks = 0;
      double elapsed = 0;
      do {
        keep = block<kBf16>(float(t + blocks));
        ++blocks;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      } while (elapsed < seconds);
      (void)keep;
      gflops[t] = blocks * flop_per_block / elapsed / 1e9;
    });
  }
  for (auto& th : pool) th.join();
  double total = 0;
  for (double g : gflops) total += g;
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "isa_ceiling: unknown argument '%s'; usage: isa_ceiling [--seconds S]\n", arg.c_str());
      return 2;
    }
  }
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) {
    std::fprintf(stderr, "isa_ceiling: this CPU has no AVX-512 (see /proc/cpuinfo); nothing to measure\n");
    return 1;
  }
  const bool bf16 = __builtin_cpu_supports("avx512bf16");
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  for (int threads = 1; threads <= int(hw) && threads <= 2; ++threads) {
    std::printf("isa_ceiling: threads=%d fp32_fma_gflops=%.1f", threads, ceiling_gflops<false>(threads, seconds));
    if (bf16) std::printf(" bf16_dot_gflops=%.1f", ceiling_gflops<true>(threads, seconds));
    std::printf("\n");
  }
  if (!bf16) std::printf("isa_ceiling: no avx512_bf16 on this CPU: bf16 not measured\n");
  return 0;
}
