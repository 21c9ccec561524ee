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

  void forward(CellForward& s) const override {
    thread_local ScratchArray y;  // per-thread scratch: no allocation per step
    y.resize(s.z.rows(), s.z.cols());
    activate(phi_, s.pre.array(), y);
    s.s.array() = s.s_prev.array() + s.z.array() * (y - s.s_prev.array());
    s.r = s.s;
  }

  void backward(CellBackward& s) const override {
    thread_local ScratchArray y, dy;
    y.resize(s.z.rows(), s.z.cols());
    dy.resize(s.z.rows(), s.z.cols());
    activate(phi_, s.pre.array(), y);
    activate_derivative(phi_, s.pre.array(), y, dy);
    // dh = d_r + d_s (everything that reaches h_t), kept in dy's place to avoid a buffer.
    dy *= s.d_r.array() + s.d_s.array();  // dy = dh * phi'
    s.d_z.array() = (s.d_r.array() + s.d_s.array()) * (y - s.s_prev.array());
    s.d_s.array() = (s.d_r.array() + s.d_s.array()) * (1.0f - s.z.array());
    s.d_pre.array() = dy * s.z.array();
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
