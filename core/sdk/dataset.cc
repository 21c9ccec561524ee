#include "core/sdk/dataset.h"

#include <vector>

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

int decision(const float* outputs, int steps, int n, int classes, const BatchData& batch, int i) {
  std::vector<double> sum(size_t(classes), 0.0);
  int counted = 0;
  for (int t = 0; t < steps; ++t) {
    const size_t row = size_t(t) * n + i;
    if (batch.labels[row] <= 0 || batch.mask[row] <= 0) continue;
    for (int c = 0; c < classes; ++c) sum[size_t(c)] += outputs[row * classes + c];
    ++counted;
  }
  if (counted == 0) return -1;
  int best = 0;
  for (int c = 1; c < classes; ++c)
    if (sum[size_t(c)] > sum[size_t(best)]) best = c;
  return best;
}

int choice_label(int steps, int n, const BatchData& batch, int i) {
  for (int t = 0; t < steps; ++t) {
    const size_t row = size_t(t) * n + i;
    if (batch.labels[row] > 0 && batch.mask[row] > 0) return batch.labels[row];
  }
  return -1;
}

const char* condition_kind_name(ConditionKind kind) {
  switch (kind) {
    case ConditionKind::kSignedEvidence: return "signed evidence";
    case ConditionKind::kCategory: return "category";
    case ConditionKind::kCircular: return "circular";
    case ConditionKind::kMagnitude: return "magnitude";
  }
  return "?";
}

}  // namespace biornn
