#include "core/analysis.h"

#include <vector>

#include "core/error.h"

namespace biornn {

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

std::string why_no_step_map(const RecurrentLayer& layer) {
  if (!layer.cell().runs_whole_sequence()) return "";
  return "layer '" + layer.name() + "' has a whole-sequence cell (gru/lstm run every step inside oneDNN's RNN "
         "primitive, which starts from its own zero state and gives neither one step from a chosen state nor its "
         "Jacobian); fixed points need a per-step cell, e.g. the simple GRU: plugin = \"rate\" with gate = "
         "{ plugin = \"learned\" }";
}

LayerStepMap::LayerStepMap(RecurrentLayer& layer, std::vector<float> input) : layer_(layer), input_(std::move(input)) {
  const std::string why = why_no_step_map(layer);
  if (!why.empty()) throw Error("fixed points: " + why);
  if (int(input_.size()) != layer.features())
    throw Error("fixed points: the input x* has " + std::to_string(input_.size()) + " values, layer '" +
                layer.name() + "' reads " + std::to_string(layer.features()));
  layer_.prepare();
}

void LayerStepMap::apply(const float* h, int n, float* f) {
  x_.resize(size_t(n) * input_.size());
  for (int i = 0; i < n; ++i) std::copy(input_.begin(), input_.end(), x_.begin() + ptrdiff_t(i) * input_.size());
  layer_.step(h, x_.data(), n, f);
}

void LayerStepMap::vector_jacobian(const float* v, int n, float* g) {
  if (x_.size() != size_t(n) * input_.size())
    throw Error("fixed points: vector_jacobian() on " + std::to_string(n) + " rows after apply() on another number");
  layer_.step_backward(x_.data(), v, g);
}

}  // namespace biornn
