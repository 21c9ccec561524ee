// Cell `rate`: the gated rate cell, h_t = (1 - z_t) h_{t-1} + z_t phi(W r_{t-1} + P x_t + b), r_t = h_t.
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/packet.h"
#include "core/sdk/plugin_api.h"
#include "plugins/cells/common/drive_cell.h"

namespace biornn {
namespace {

class RateCell : public DriveCell {
 public:
  explicit RateCell(const Options& o) : DriveCell(o) {}

  bool reads_gate() const override { return true; }

  // One pass per step (simd::for_each_packet): y = phi(u), h = h_prev + z (y - h_prev), r = h.
  void forward(CellForward& s) const override {
    simd::for_each_packet(int(s.z.rows()), int(s.z.cols()), [&](int i, int j, int n) {
      const simd::Packet y = simd::phi(phi_, simd::load(simd::at(s.pre, i, j), n));
      const simd::Packet h_prev = simd::load(simd::at(s.s_prev, i, j), n);
      const simd::Packet h = simd::add(h_prev, simd::mul(simd::load(simd::at(s.z, i, j), n), simd::sub(y, h_prev)));
      simd::store(simd::at(s.s, i, j), h, n);
      simd::store(simd::at(s.r, i, j), h, n);
    });
  }

  // One pass: dh = d_r + d_s (everything that reaches h_t), d_z = dh (y - h_prev),
  // d_s = dh (1 - z), d_pre = dh z phi'(u); y is recomputed (the engine keeps u, not y).
  void backward(CellBackward& s) const override {
    simd::for_each_packet(int(s.z.rows()), int(s.z.cols()), [&](int i, int j, int n) {
      const simd::Packet u = simd::load(simd::at(s.pre, i, j), n), z = simd::load(simd::at(s.z, i, j), n);
      const simd::Packet y = simd::phi(phi_, u);
      const simd::Packet dh = simd::add(simd::load(simd::at(s.d_r, i, j), n), simd::load(simd::at(s.d_s, i, j), n));
      simd::store(simd::at(s.d_z, i, j), simd::mul(dh, simd::sub(y, simd::load(simd::at(s.s_prev, i, j), n))), n);
      simd::store(simd::at(s.d_s, i, j), simd::mul(dh, simd::sub(simd::set1(1.0f), z)), n);
      simd::store(simd::at(s.d_pre, i, j), simd::mul(simd::mul(dh, z), simd::phi_derivative(phi_, u, y)), n);
    });
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
