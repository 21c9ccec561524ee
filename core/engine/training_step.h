// One training step, the same for the trainer, the bench and data-parallel runs: forward and
// BPTT, the gradients summed across ranks (each part's sum starts as soon as the backward pass
// has it: the readout's while the layers' backward runs, then layer by layer; the bottom
// layer's, the last, at once), then the loss terms on parameters (soft
// constraints' penalties, weight regularisers: once, not once per rank), the global norm over
// trainable parameters, clipping, the optimizer step and the constraints' projection.
#pragma once

#include <string>
#include <vector>

#include "core/engine/collective.h"
#include "core/engine/loss_terms.h"
#include "core/engine/model.h"
#include "core/sdk/optimizer.h"
#include "core/sdk/options.h"

namespace biornn {

struct StepOptions {
  double clip_grad_norm = 0;  // 0 = no clipping
  // L1 / L2 penalties on the recurrent W, the input P of every layer and the readout's W
  // (lambda * sum |w| or lambda * sum w^2, on raw values; their gradient is added after the
  // ranks' gradients are summed).
  double recurrent_l1 = 0, recurrent_l2 = 0, input_l1 = 0, input_l2 = 0, readout_l1 = 0, readout_l2 = 0;
  // Reads them from a validated [train] table.
  static StepOptions from(const Options& train);
};

struct StepResult {
  LossSum loss;                  // this minibatch (all ranks) summed
  double parameter_penalty = 0;  // soft constraints' penalties + weight regularisers, counted once
  Score score;                   // per-step datasets: the task's own measure (all ranks)
  double gradient_norm = 0;      // before clipping, over trainable parameters only
  bool finite = true;            // false: the loss or the gradient is nan/inf (nothing was updated)
  std::string what;              // when !finite: "the loss is nan", "non-finite gradient", ...
  // Every term added to the loss beside the task's: the rate regulariser's mean over the
  // global minibatch plus parameter_penalty (what the logs print as "penalty").
  double penalty = 0;
};

class TrainingStep {
 public:
  TrainingStep(Model& model, Optimizer& optimizer, Collective& collective, const StepOptions& options);

  // One step on this rank's share `batch` of a global minibatch of `global_rows` examples.
  // `dataset` (may be null for pooled classification) scores per-step outputs.
  StepResult run(const Minibatch& batch, int64_t global_rows, double learning_rate, const Dataset* dataset = nullptr,
                 PhaseTimer* timer = nullptr);

  // The parameters the optimizer updates, in its fixed order (every parameter; frozen ones
  // are skipped by the optimizer and by the norm).
  const std::vector<Parameter*>& parameters() const { return params_; }

 private:
  LossScale global_scale(const Minibatch& batch, int64_t global_rows);
  // Copies the trainable gradients of `ready` into flat_ and starts their sum across ranks
  // (the last part of the step: sums them at once).
  void start_summing(const std::vector<Parameter*>& ready);
  // Waits for the sums and copies them back into raw_grad.
  void finish_summing();
  double add_parameter_penalties();

  Model& model_;
  Optimizer& optimizer_;
  Collective& collective_;
  StepOptions options_;
  std::vector<Parameter*> params_;
  std::vector<WeightPenalty> weight_penalties_;
  std::vector<Parameter*> trainable_;  // what the loss terms on parameters apply to
  std::vector<float> flat_;            // the gradients of every trainable parameter, summed across ranks
  std::vector<std::pair<Parameter*, size_t>> summing_;  // this step's parameters in flat_, and where
};

// Global L2 norm of raw_grad over the trainable parameters (frozen ones do not count).
double trainable_gradient_norm(const std::vector<Parameter*>& params);

}  // namespace biornn
