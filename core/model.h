// Model: a chain of recurrent layers and a linear readout with softmax cross-entropy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/recurrent_layer.h"

namespace biornn {

enum class Pooling { kLast, kMean };

// The classifier on top of the last layer: logits = pool(r) W_out^T + b_out.
class Readout {
 public:
  Readout(std::string name, int hidden, int classes, Pooling pooling, Rng& rng);
  const std::string& name() const { return name_; }
  int classes() const { return classes_; }
  Pooling pooling() const { return pooling_; }
  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }

  // r: [T, B, H]. Returns the summed loss over the batch; writes logits [B, C] internally.
  // If d_r is non-null it receives dLoss/dr ([T, B, H]) for the mean loss, written for the
  // steps from gradient_from(T) on; earlier steps get no gradient and are left untouched.
  double forward_backward(const float* r, int steps, int batch, const int32_t* labels,
                          float* d_r, int* correct);
  const Matrix& logits() const { return logits_; }
  // The first step whose rates the loss depends on (last pooling: only the final step).
  int gradient_from(int steps) const { return pooling_ == Pooling::kLast ? steps - 1 : 0; }

 private:
  std::string name_;
  int hidden_, classes_;
  Pooling pooling_;
  ParameterSet params_;
  Matrix pooled_, logits_;
};

class Model {
 public:
  void add_layer(std::unique_ptr<RecurrentLayer> layer);
  void set_readout(std::unique_ptr<Readout> readout);

  // One minibatch: forward, loss, and (when train) backward leaving raw_grad everywhere.
  // x: [T, B, F]. Returns the summed loss; `correct` counts right predictions.
  double run(const float* x, int steps, int batch, const int32_t* labels, bool train, int* correct);
  // After an optimizer step.
  void project();

  // Every parameter, in a fixed order; names are "<node>.<parameter>".
  std::vector<Parameter*> parameters();
  std::vector<std::string> parameter_names() const;
  int64_t parameter_count() const;

  const std::vector<std::unique_ptr<RecurrentLayer>>& layers() const { return layers_; }
  RecurrentLayer& layer(size_t i) { return *layers_[i]; }
  Readout& readout() { return *readout_; }

 private:
  std::vector<std::unique_ptr<RecurrentLayer>> layers_;
  std::unique_ptr<Readout> readout_;
  std::vector<AlignedBuffer> d_buffers_;
};

}  // namespace biornn
