// RankAgreement: what keeps the ranks of a data-parallel run in lockstep beyond the gradient
// sum. After every step the ranks agree on stopping (a SIGTERM that reached one rank, or all
// of them at different steps, stops every rank after the same step, so rank 0's checkpoint
// describes all of them); after every epoch they compare a hash of their parameters and stop
// with an error if any rank drifted. core/experiment/run.cc adds it when a run has more than one rank.
#pragma once

#include <cstdint>

#include "core/engine/collective.h"
#include "core/engine/model.h"
#include "core/experiment/trainer.h"

namespace biornn {

// FNV-1a over the bytes of every parameter (raw values), in model order.
uint64_t parameter_hash(Model& model);

class RankAgreement : public TrainingObserver {
 public:
  // `local` is this rank's own stop request (e.g. its signal handler's); `agreed` is the token
  // the trainer reads, set on every rank at once.
  RankAgreement(Model& model, Collective& collective, const StopToken* local, StopToken* agreed)
      : model_(model), c_(collective), local_(local), agreed_(agreed) {}
  void on_step(const StepEvent& event) override;
  void on_epoch(const EpochMetrics& metrics, const TrainState& state) override;

 private:
  Model& model_;
  Collective& c_;
  const StopToken* local_;
  StopToken* agreed_;
};

}  // namespace biornn
