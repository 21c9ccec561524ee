// Tests of the conductance cell: forward against a direct loop over the update equations
// (plain and reversal-potential forms, with and without a gate), r_0 = phi(0), and finite-
// difference gradient checks of the non-default forms (the generated gradcheck test covers
// the defaults only).
#include <gtest/gtest.h>

#include <cmath>

#include "core/engine/gradient_check.h"
#include "core/experiment/plugin_loader.h"
#include "core/engine/recurrent_layer.h"
#include "core/sdk/registry.h"

namespace biornn {
namespace {

using Settings = std::map<std::string, OptionValue>;

struct Loaded {
  Registry registry;
  PluginLoader loader{registry};
  Loaded() {
    for (const auto& dir : default_plugin_directories(""))
      for (const auto& err : loader.load_directory(dir)) ADD_FAILURE() << err;
    registry.set_origin("conductance_test");
    alias("conductance_reversal", {{"reversal", true}, {"phi", std::string("sigmoid")}});
    alias("conductance_reversal_tanh", {{"reversal", true}, {"dt", 0.5}});
    alias("conductance_softplus_dt", {{"phi", std::string("softplus")}, {"dt", 0.3}});
    alias("conductance_reversal_explicit",
          {{"reversal", true}, {"reversal_scheme", std::string("explicit")}, {"phi", std::string("sigmoid")}});
    alias("conductance_reversal_explicit_tanh",
          {{"reversal", true}, {"reversal_scheme", std::string("explicit")}, {"dt", 0.5}});
  }
  Options options(const Settings& s) const {
    const OptionSchema& schema = registry.get("cell", "conductance").schema;
    Options o(schema);
    for (const auto& [k, v] : s) o.set(schema, k, v, {}, "test");
    return o;
  }
  // Registers `name` as the conductance cell with these options (check_layer uses defaults).
  void alias(const std::string& name, const Settings& s) {
    Options o = options(s);
    registry.add<Cell>(name, "test alias", OptionSchema(),
                       [this, o](const Options&) { return registry.create<Cell>("conductance", o); });
  }
};

Loaded& loaded() {
  static Loaded l;
  return l;
}

float phi(const std::string& name, float v) {
  if (name == "tanh") return std::tanh(v);
  if (name == "sigmoid") return 1.0f / (1.0f + std::exp(-v));
  if (name == "relu") return std::max(v, 0.0f);
  return std::log1p(std::exp(v));
}

// Runs a layer of the conductance cell (gate: none or fixed) and a plain loop; returns the
// largest difference of the rates.
double forward_difference(const Settings& s, bool fixed_gate) {
  Registry& reg = loaded().registry;
  const int H = 4, F = 3, T = 5, B = 2;
  Rng rng(11);
  Options o = loaded().options(s);
  std::unique_ptr<Gate> gate;
  if (fixed_gate) gate = reg.create<Gate>("fixed", Options(reg.get("gate", "fixed").schema));
  RecurrentLayer layer("l", H, F, reg.create<Cell>("conductance", o), std::move(gate), nullptr, {}, rng);
  for (Parameter* p : layer.parameters().all()) fill_uniform(p->raw, 0.8f, rng);
  Matrix x(T * B, F);
  fill_uniform(x, 1.0f, rng);
  layer.prepare();
  layer.forward(x.data(), T, B);
  const float* out = layer.outputs();

  const ParameterSet& ps = layer.parameters();
  const Matrix &W = ps.get("W").value, &P = ps.get("P").value, &b = ps.get("b").value;
  const float dt = float(o.get_float("dt")), ee = float(o.get_float("E_E")), ei = float(o.get_float("E_I"));
  const bool rev = o.get_bool("reversal"), implicit = o.get_string("reversal_scheme") == "implicit";
  const std::string ph = o.get_string("phi");
  std::vector<float> z(H, 1.0f);
  if (fixed_gate)  // fixed gate: z = dt_gate * sigmoid(G_b), dt_gate = 1
    for (int i = 0; i < H; ++i) z[i] = 1.0f / (1.0f + std::exp(-ps.get("G_b").value(0, i)));
  double worst = 0;
  for (int n = 0; n < B; ++n) {
    std::vector<float> v(H, 0.0f), r(H, phi(ph, 0.0f));
    for (int t = 0; t < T; ++t) {
      std::vector<float> nv(H), nr(H);
      for (int i = 0; i < H; ++i) {
        float in = b(0, i), ge = 0, gi = 0, rec = 0;
        for (int f = 0; f < F; ++f) in += P(i, f) * x(t * B + n, f);
        for (int j = 0; j < H; ++j) {
          rec += W(i, j) * r[j];
          if (W(i, j) > 0)
            ge += W(i, j) * r[j];
          else
            gi += -W(i, j) * r[j];
        }
        if (!rev)
          nv[i] = (v[i] + dt * (rec + in)) / (1.0f + dt * z[i]);
        else if (implicit)
          nv[i] = (v[i] + dt * (ge * ee + gi * ei + in)) / (1.0f + dt * (z[i] + ge + gi));
        else
          nv[i] = (v[i] + dt * (ge * (ee - v[i]) + gi * (ei - v[i]) + in)) / (1.0f + dt * z[i]);
        nr[i] = phi(ph, nv[i]);
        worst = std::max(worst, double(std::abs(nr[i] - out[(size_t(t) * B + n) * H + i])));
      }
      v = nv;
      r = nr;
    }
  }
  return worst;
}

TEST(ConductanceCell, ForwardMatchesTheUpdateEquations) {
  EXPECT_LT(forward_difference({}, false), 1e-5);
  EXPECT_LT(forward_difference({{"dt", 0.25}}, true), 1e-5);
  EXPECT_LT(forward_difference({{"phi", std::string("sigmoid")}}, true), 1e-5);  // r_0 = 0.5
  EXPECT_LT(forward_difference({{"reversal", true}, {"phi", std::string("softplus")}}, false), 1e-5);
  EXPECT_LT(forward_difference({{"reversal", true}, {"dt", 0.5}, {"E_E", 2.0}, {"E_I", -0.5}}, true), 1e-5);
  const OptionValue explicit_scheme = std::string("explicit");
  EXPECT_LT(forward_difference({{"reversal", true}, {"reversal_scheme", explicit_scheme}, {"phi", std::string("relu")}},
                               false),
            1e-5);
  EXPECT_LT(forward_difference({{"reversal", true}, {"reversal_scheme", explicit_scheme}, {"dt", 0.5}}, true), 1e-5);
}

TEST(ConductanceCell, InitialRateIsPhiOfZero) {
  Registry& reg = loaded().registry;
  auto made = reg.create<Cell>("conductance", loaded().options({{"phi", std::string("sigmoid")}}));
  auto* cell = dynamic_cast<StepCell*>(made.get());
  ASSERT_NE(cell, nullptr);
  Matrix s(2, 3), r(2, 3);
  s.setConstant(7);
  cell->initial(view(s.data(), 2, 3, 3));
  cell->rate(view(static_cast<const float*>(s.data()), 2, 3, 3), view(r.data(), 2, 3, 3));
  EXPECT_EQ(s.cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_NEAR(r.minCoeff(), 0.5f, 1e-7);
  EXPECT_NEAR(r.maxCoeff(), 0.5f, 1e-7);
}

// Issue 20: a gate whose phi_z is tanh gives z = -1 at saturation; with dt = 1 the cell
// divided by 1 + dt z = 0. z is a conductance: the cell reads max(z, 0), so V stays finite
// (V_{t-1} + dt u, as with z = 0) in every form, and no gradient flows into z below 0.
TEST(ConductanceCell, ANegativeGateOutputNeverZeroesTheDenominator) {
  for (bool reversal : {false, true}) {
    auto made = loaded().registry.create<Cell>("conductance", loaded().options({{"reversal", reversal}}));
    auto* cell = dynamic_cast<StepCell*>(made.get());
    ASSERT_NE(cell, nullptr);
    const int h = 2, blocks = reversal ? 3 : 1;
    Matrix pre = Matrix::Constant(1, blocks * h, 0.0f), z = Matrix::Constant(1, h, -1.0f), s_prev(1, h), s(1, h),
           r(1, h), unit(0, h);
    pre.rightCols(h).setConstant(0.25f);  // the input drive u (plain) or I (reversal)
    s_prev << 0.5f, -0.5f;
    CellForward f{view(static_cast<const float*>(pre.data()), 1, blocks * h, blocks * h),
                  view(static_cast<const float*>(z.data()), 1, h, h),
                  view(static_cast<const float*>(s_prev.data()), 1, h, h),
                  view(s.data(), 1, h, h),
                  view(r.data(), 1, h, h),
                  view(static_cast<const float*>(unit.data()), 0, h, h)};
    cell->forward(f);
    EXPECT_TRUE(s.allFinite()) << "reversal " << reversal << ": " << s;
    EXPECT_FLOAT_EQ(s(0, 0), 0.75f);
    EXPECT_FLOAT_EQ(s(0, 1), -0.25f);
  }
}

TEST(ConductanceCell, NonDefaultFormsMatchFiniteDifferences) {
  const Registry& reg = loaded().registry;
  std::vector<LayerCombination> combos;
  for (const char* cell : {"conductance_reversal", "conductance_reversal_tanh", "conductance_reversal_explicit",
                           "conductance_reversal_explicit_tanh", "conductance_softplus_dt"}) {
    combos.push_back({cell, "", "", {}});
    combos.push_back({cell, "fixed", "", {}});
    combos.push_back({cell, "learned", "", {}});
    combos.push_back({cell, "conductance", "constant", {}});
    combos.push_back({cell, "learned", "", {{"W", "dale"}}});
    combos.push_back({cell, "conductance", "ei", {{"W", "dale"}}});
  }
  // A larger step than the default 3e-3: the forward pass is float, so the central
  // difference's rounding noise (~1e-7 * |loss| / eps) shrinks while the O(eps^2)
  // truncation error stays far below the tolerance.
  GradientCheckSettings settings;
  settings.epsilon = 1e-2;
  for (const auto& c : combos) {
    const GradientCheckResult r = check_layer(reg, c, settings);
    ASSERT_FALSE(r.skipped) << c.str() << ": " << r.skip_reason;
    std::printf("checked %-70s worst relative error %.2e (%s)\n", c.str().c_str(), r.worst_relative_error,
                r.worst_entry.c_str());
    EXPECT_LT(r.worst_relative_error, GradientCheckSettings().tolerance) << c.str() << ": " << r.worst_entry;
  }
}

}  // namespace
}  // namespace biornn
