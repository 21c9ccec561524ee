#include "core/platform/cpu_features.h"

#include <fstream>
#include <sstream>

namespace biornn {

std::string CpuFeatures::describe() const {
  std::string s;
  if (avx512_bf16) s += "avx512_bf16";
  if (amx_bf16) s += std::string(s.empty() ? "" : " ") + "amx_bf16";
  return s.empty() ? "no bf16 instructions" : s;
}

CpuFeatures cpu_features_from_cpuinfo(const std::string& cpuinfo) {
  CpuFeatures f;
  std::istringstream lines(cpuinfo);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || line.compare(0, 5, "flags") != 0) continue;
    std::istringstream words(line.substr(colon + 1));
    std::string w;
    while (words >> w) {
      if (w == "avx512_bf16") f.avx512_bf16 = true;
      if (w == "amx_bf16") f.amx_bf16 = true;
    }
    break;  // the first CPU's flags
  }
  return f;
}

const CpuFeatures& host_cpu_features() {
  static const CpuFeatures features = [] {
    std::ifstream in("/proc/cpuinfo");
    std::stringstream text;
    text << in.rdbuf();
    return cpu_features_from_cpuinfo(text.str());
  }();
  return features;
}

}  // namespace biornn
