// Cell `rate`: the gated rate cell, h_t = (1 - z_t) h_{t-1} + z_t phi(W r_{t-1} + P x_t + b), r_t = h_t.
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/plugin_api.h"
#include "plugins/cells/common/drive_cell.h"

namespace biornn {
namespace {

class RateCell : public DriveCell {
 public:
  explicit RateCell(const Options& o) : DriveCell(o) {}

  bool reads_gate() const override { return true; }

  // One pass: phi fused into the update (no scratch written and read back).
  void forward(CellForward& s) const override {
    const auto s_prev = s.s_prev.array();
    with_activation(phi_, s.pre.array(), [&](const auto& y) { s.s.array() = s_prev + s.z.array() * (y - s_prev); });
    s.r = s.s;
  }

  // dh = d_r + d_s (everything that reaches h_t): d_z = dh (y - h_prev), d_s = dh (1 - z),
  // d_pre = dh z phi'(u). y is recomputed (the engine keeps u, not y); dh computed once.
  void backward(CellBackward& s) const override {
    thread_local ScratchArray y, dh;  // per-thread scratch: no allocation per step
    activate(phi_, s.pre.array(), y);
    dh = s.d_r.array() + s.d_s.array();
    s.d_z.array() = dh * (y - s.s_prev.array());
    s.d_s.array() = dh * (1.0f - s.z.array());
    with_derivative(phi_, s.pre.array(), y, [&](const auto& d) { s.d_pre.array() = dh * s.z.array() * d; });
  }
};

void register_rate(Registry* r) {
  r->add<Cell>("rate",
               "gated rate cell: h = (1-z) h + z phi(W r + P x + b), r = h (z = 1: vanilla RNN; "
               "learned z: update-gate-only GRU)",
               drive_cell_options(), [](const Options& o) { return std::make_unique<RateCell>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("rate", "1.0", &biornn::register_rate)
