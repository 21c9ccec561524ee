#include "core/dataset.h"

#include <algorithm>

namespace biornn {

Score Dataset::score(const float* outputs, int steps, int n, const BatchData& b) const {
  const int O = classes();
  const TargetKind kind = target_kind();
  Score s;
  if (kind == TargetKind::kSequenceClass || !b.mask) return s;
  for (int t = 0; t < steps; ++t)
    for (int i = 0; i < n; ++i) {
      const size_t row = size_t(t) * n + i;
      if (b.mask[row] <= 0) continue;
      const float* out = outputs + row * O;
      bool right;
      if (kind == TargetKind::kStepClass) {
        right = int(std::max_element(out, out + O) - out) == b.labels[row];
      } else {
        double sq = 0;
        for (int o = 0; o < O; ++o) sq += double(out[o] - b.targets[row * O + o]) * (out[o] - b.targets[row * O + o]);
        right = sq / O < 0.01;
      }
      s.correct += right;
      s.counted += 1;
    }
  return s;
}

}  // namespace biornn
