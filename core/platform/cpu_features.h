// What the CPU can compute fast, read once from /proc/cpuinfo's flags. The engine never reads
// /proc itself: whoever builds a compute context passes these down (tests inject their own).
#pragma once

#include <string>

namespace biornn {

struct CpuFeatures {
  bool avx512_bf16 = false;  // AVX512-BF16 (vdpbf16ps): bf16 dot products with fp32 sums
  bool amx_bf16 = false;     // AMX tiles with bf16
  bool bf16() const { return avx512_bf16 || amx_bf16; }
  std::string describe() const;  // "avx512_bf16 amx_bf16", or "no bf16 instructions"
};

// From the text of /proc/cpuinfo (or just its "flags" line): whole-word flags of the first CPU.
CpuFeatures cpu_features_from_cpuinfo(const std::string& cpuinfo);

// This machine's, read from /proc/cpuinfo on the first call (none where it is unreadable).
const CpuFeatures& host_cpu_features();

}  // namespace biornn
