#include "core/experiment/rank_agreement.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "core/sdk/error.h"

namespace biornn {

uint64_t parameter_hash(Model& model) {
  uint64_t h = 1469598103934665603ull;
  for (const Parameter* p : model.parameters()) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(p->raw.data());
    for (size_t i = 0, n = size_t(p->raw.size()) * sizeof(float); i < n; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ull;
    }
  }
  return h;
}

void RankAgreement::on_step(const StepEvent& event) {
  double requested = local_ && local_->should_stop(event.state->global_step) ? 1 : 0;
  c_.sum(&requested, 1);
  if (requested > 0) agreed_->request();
}

void RankAgreement::on_epoch(const EpochMetrics& metrics, const TrainState&) {
  const uint64_t h = parameter_hash(model_);
  if (!c_.all_equal(h))
    throw Error("after epoch " + std::to_string(metrics.epoch) + " the parameters differ between the " +
                std::to_string(c_.size()) + " ranks (rank " + std::to_string(c_.rank()) + " has hash " +
                std::to_string(h) + "); the ranks must run the same build, graph and data");
  spdlog::info("parameters identical on all {} ranks (hash {:016x})", c_.size(), h);
}

}  // namespace biornn
