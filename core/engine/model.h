// Model: a chain of recurrent layers and a linear readout with its loss (softmax
// cross-entropy per sequence or per masked step, or mean squared error over masked steps).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/sdk/dataset.h"
#include "core/engine/recurrent_layer.h"

namespace biornn {

enum class Pooling { kLast, kMean, kAll };  // kAll: an output at every step
enum class Loss { kCrossEntropy, kSquaredError };

// Where a step's time goes (the bench's per-phase breakdown); null everywhere = not timed.
enum class Phase { kPrepare, kForward, kReadout, kBackward, kReduce, kClip, kOptimizer, kProject };
constexpr int kPhaseCount = 8;
const char* phase_name(Phase phase);
class PhaseTimer {
 public:
  virtual ~PhaseTimer() = default;
  virtual void add(Phase phase, double seconds) = 0;
};

// A loss summed over what it counts, so that ranks and minibatches can be added up.
struct LossSum {
  double loss = 0;      // summed over examples (pooled) or over masked steps (weighted by the mask)
  double counted = 0;   // examples, or the sum of the mask's weights
  double penalty = 0;   // the rate regulariser summed over examples (its mean divides by examples)
  int64_t correct = 0;  // pooled classification: right predictions (per-step: Dataset::score)
};

// What the gradient is the mean over: the global counts when ranks split a minibatch
// (0 = this minibatch's own counts).
struct LossScale {
  double counted = 0;  // denominator of the loss's mean (examples, or mask weights)
  int64_t rows = 0;    // examples in the global minibatch (the rate regulariser's mean)
};

// The linear readout on top of the last layer: outputs = pool(r) W^T + b, [T', B, O] with
// T' = 1 for last/mean pooling and T for kAll. Excitatory-only readouts zero W's columns of
// inhibitory units (Song et al. 2016), in value and gradient.
class Readout {
 public:
  Readout(std::string name, int hidden, int outputs, Pooling pooling, Loss loss, Rng& rng);
  Readout(std::string name, int hidden, int classes, Pooling pooling, Rng& rng)  // cross-entropy
      : Readout(std::move(name), hidden, classes, pooling, Loss::kCrossEntropy, rng) {}
  const std::string& name() const { return name_; }
  int classes() const { return outputs_; }
  Pooling pooling() const { return pooling_; }
  Loss loss() const { return loss_; }
  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }
  // Reads only the units whose mask entry is 1 (e.g. excitatory senders); [H] of 0/1.
  void set_input_mask(const std::vector<float>& mask);

  // r: [T, B, H]. Computes the outputs, and the loss against `targets` (labels [B] for
  // pooled readouts; labels [T, B] or targets [T, B, O] with mask [T, B] for kAll). When d_r
  // is non-null it receives dLoss/dr ([T, B, H]) of loss / scale.counted, written for the
  // steps from gradient_from(T) on; earlier steps are left untouched.
  // Its two products run in `context`.
  LossSum forward_backward(ComputeContext& context, const float* r, int steps, int batch, const BatchData& targets,
                           const LossScale& scale, float* d_r);
  // [T', B, O] of the last forward_backward().
  const Matrix& outputs() const { return logits_; }
  int output_steps(int steps) const { return pooling_ == Pooling::kAll ? steps : 1; }
  // The first step whose rates the loss depends on (last pooling: only the final step).
  int gradient_from(int steps) const { return pooling_ == Pooling::kLast ? steps - 1 : 0; }

 private:
  const float* pool(const float* r, int steps, int batch);
  LossSum loss_and_gradient(const BatchData& targets, Eigen::Index rows, double norm, Matrix* d_logits);
  LossSum squared_error(const BatchData& targets, Eigen::Index rows, double norm, Matrix* d_logits);
  LossSum cross_entropy(const BatchData& targets, Eigen::Index rows, double norm, Matrix* d_logits);
  // A row's weight in the loss: its mask entry for per-step readouts with a mask, else 1.
  double row_weight(const BatchData& targets, Eigen::Index row) const;
  void unpool(ComputeContext& context, const Matrix& d_logits, const Matrix& w, int steps, int batch, float* d_r);

  std::string name_;
  int hidden_, outputs_;
  Pooling pooling_;
  Loss loss_;
  ParameterSet params_;
  Vector input_mask_;  // empty: every unit
  // Kept between minibatches (no allocation per step); pooled_ and d_pooled_ only for mean pooling.
  Matrix pooled_, logits_, d_logits_, d_pooled_;
  Matrix shifted_, probabilities_;  // cross-entropy scratch: logits minus each row's max; their exponentials
};

// One minibatch as the model reads it: the dataset's BatchData and its shape.
struct Minibatch {
  BatchData data;
  int steps = 0, rows = 0;
};

// Told during a backward pass each time some parameters' raw_grad is final: the readout's,
// then each layer's from the top (a data-parallel step starts summing them across ranks then,
// while the rest of the backward pass runs).
using GradientsReady = std::function<void(const std::vector<Parameter*>& ready)>;

class Model {
 public:
  // The context every layer and the readout compute with (threads, denormals, oneDNN state):
  // set by whoever builds the model (the experiment), and outliving it. A model given none
  // makes a default one of its own (every core, no flush-to-zero) on first use.
  void set_context(ComputeContext& context);
  ComputeContext& context();

  void add_layer(std::unique_ptr<RecurrentLayer> layer);
  void set_readout(std::unique_ptr<Readout> readout);
  // L2 penalty on firing rates: rate_l2 * mean over steps and units of r^2, per example,
  // for every layer (0 = off).
  void set_rate_l2(double lambda) { rate_l2_ = lambda; }

  // Forward only: every layer's rates and gates (for diagnostics and analysis).
  void forward(const float* x, int steps, int batch);
  // One minibatch: forward, loss, and (when train) backward leaving raw_grad everywhere as
  // the gradient of loss / scale.counted + penalty / scale.rows. `timer` (may be null) receives
  // each phase; `ready` (may be empty) hears of each part of the gradients as it is done.
  LossSum run(const Minibatch& batch, bool train, const LossScale& scale = {}, PhaseTimer* timer = nullptr,
              const GradientsReady& ready = {});
  // Sequence classification shorthand: x [T, B, F], labels [B]; returns the summed loss.
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
  const Readout& readout() const { return *readout_; }

 private:
  void backward(const float* x, int steps, int batch, float* d_top, const LossScale& scale,
                const GradientsReady& ready);
  void add_rate_penalty(const RecurrentLayer& layer, float* d_out, double rows) const;
  double rate_penalty(const RecurrentLayer& layer) const;

  std::vector<std::unique_ptr<RecurrentLayer>> layers_;
  std::unique_ptr<Readout> readout_;
  std::vector<ScratchBuffer> d_buffers_;
  ComputeContext* context_ = nullptr;
  std::unique_ptr<ComputeContext> own_context_;  // when nobody set one
  double rate_l2_ = 0;
};

}  // namespace biornn
