// Cell `vanilla`: the plain (Elman) RNN, h_t = phi(W h_{t-1} + P x_t + b), r_t = h_t.
//
// The gate value z_t is ignored (dLoss/dz = 0): pairing this cell with a gate only adds
// parameters that never receive a gradient, so declare the layer without a gate. (The
// `rate` cell with no gate computes the same model; this cell exists so a graph can say
// "vanilla" and so that no gate machinery is involved at all.)
#include <cmath>

#include "core/sdk/activation.h"
#include "core/sdk/cell.h"
#include "core/sdk/plugin_api.h"
#include "plugins/cells/common/drive_cell.h"

namespace biornn {
namespace {

class VanillaCell : public DriveCell {
 public:
  explicit VanillaCell(const Options& o) : DriveCell(o) {}

  bool reads_gate() const override { return false; }

  // r_0 = h_0 = 0 (the default initial()).
  void forward(CellForward& s) const override {
    activate(phi_, s.pre.array(), s.s.array());
    s.r = s.s;
  }

  void backward(CellBackward& s) const override {
    // h_t depends on h_{t-1} only through the drive (W r_{t-1}), which the engine
    // differentiates: nothing flows through the state itself, d_s_{t-1} = 0.
    const int b = int(s.z.rows()), h = int(s.z.cols());
    thread_local ScratchArray dy;  // per-thread scratch: no allocation per step
    dy.resize(b, h);
    activate_derivative(phi_, s.pre.array(), s.s.array(), dy);
    s.d_pre.array() = (s.d_r.array() + s.d_s.array()) * dy;
    s.d_z.setZero();
    s.d_s.setZero();
  }
};

void register_vanilla(Registry* r) {
  r->add<Cell>("vanilla", "plain RNN: h = phi(W h + P x + b); ignores z, so give the layer no gate",
               drive_cell_options(), [](const Options& o) { return std::make_unique<VanillaCell>(o); });
}

}  // namespace
}  // namespace biornn

BIORNN_PLUGIN("vanilla", "1.0", &biornn::register_vanilla)
