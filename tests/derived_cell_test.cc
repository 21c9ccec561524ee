// Cells written forward-only (core/sdk/derived_cell.h, dual.h): the dual numbers' derivatives,
// the float functions against the array ones hand-written cells use, and the checks and errors
// of the engine (check_unit_step, the layer's shape check, no d_z for a cell without a gate).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "core/engine/gradient_check.h"
#include "core/engine/recurrent_layer.h"
#include "core/sdk/derived_cell.h"

namespace biornn {
namespace {

using D = math::Dual<double, 2>;

// f's derivative from a dual number against a central difference, at several points.
void expect_derivative(const char* name, const std::function<D(const D&)>& f, std::vector<double> at) {
  for (double x : at) {
    const D y = f(D::input(x, 1));
    const double h = 1e-6, numeric = (f(D(x + h)).v - f(D(x - h)).v) / (2 * h);
    EXPECT_NEAR(y.d[1], numeric, 1e-7 * std::max(1.0, std::abs(numeric))) << name << " at " << x;
    EXPECT_EQ(y.d[0], 0.0) << name << ": a direction the input does not have";
  }
}

TEST(Dual, ElementaryFunctionsMatchFiniteDifferences) {
  const std::vector<double> any = {-2.5, -0.7, -1e-3, 1e-3, 0.3, 4.0}, positive = {1e-2, 0.3, 2.0, 40.0};
  const struct {
    const char* name;
    D (*f)(const D&);
    const std::vector<double>& at;
  } cases[] = {
      {"exp", &math::exp<D>, any},
      {"log", &math::log<D>, positive},
      {"log1p", &math::log1p<D>, positive},
      {"sqrt", &math::sqrt<D>, positive},
      {"abs", &math::abs<D>, any},
      {"tanh", &math::tanh<D>, any},
      {"relu", &math::relu<D>, any},
      {"sigmoid", &math::sigmoid<D>, any},
      {"softplus", &math::softplus<D>, any},
      {"arithmetic", [](const D& x) { return (1 - x) * (x + 2) / (3 + x * x) - 2 / (x - 5); }, any},
  };
  for (const auto& c : cases) expect_derivative(c.name, c.f, c.at);
}

// The float step a derived cell runs must give what the array code of a hand-written cell
// (biornn::activate) gives, so the two backwards train the same model (up to float rounding:
// a few ulp where the compiler fuses other multiply-adds, e.g. at -O1 under the sanitizers).
TEST(Dual, FloatActivationsMatchTheArrayOnes) {
  ScratchArray u(1, 401), y(1, 401);
  for (int i = 0; i < u.cols(); ++i) u(0, i) = -10.0f + 0.05f * float(i);
  u(0, 200) = 1e-5f;
  for (const std::string& name : activation_names()) {
    const Activation a = activation_from_name(name);
    activate(a, u, y);
    for (int i = 0; i < u.cols(); ++i)
      EXPECT_NEAR(math::activate(a, u(0, i)), y(0, i), 1e-6f * std::max(1.0f, std::abs(y(0, i))))
          << name << " at " << u(0, i);
  }
}

// u = W r + P x + b: the parameters of the test cells' one block.
void add_weights(ParameterSet& params, int hidden, int features, Rng& rng) {
  fill_uniform(params.add("W", hidden, hidden, ParameterRole::kRecurrent).raw, 0.3f, rng);
  fill_uniform(params.add("P", hidden, features, ParameterRole::kInput).raw, 0.3f, rng);
  params.add("b", 1, hidden, ParameterRole::kBias);
}

// A gated two-variable cell written forward-only; WrongTwin breaks its hand-written twin.
class Toy : public DerivedCell<Toy> {
 public:
  static constexpr int kStateVariables = 2, kBlocks = 1, kUnitParameters = 1;
  static constexpr bool kReadsGate = true;
  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    add_weights(params, hidden, features, rng);
    params.add("k", 1, hidden).raw.setConstant(0.5f);
  }
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }
  std::vector<std::string> unit_parameters() const override { return {"k"}; }
  template <class T>
  void step(const UnitInput<T>& u, T* s) const {
    s[0] = u.s_prev[0] + u.z * (math::tanh(u.pre[0] - u.s_prev[1]) - u.s_prev[0]);
    s[1] = u.s_prev[1] * math::sigmoid(u.unit[0]) + s[0] * s[0];
  }
};

class WrongTwin : public Toy {
 public:
  void backward(CellBackward& b) const override {
    derived_backward(b);
    b.d_z *= 1.01f;  // a hand-written backward that is 1% off in one output
  }
};

TEST(CheckUnitStep, PassesTheDerivedCellAndCatchesAWrongTwin) {
  const UnitStepCheckSettings s;
  const UnitStepCheckResult good = check_unit_step(Toy(), s);
  EXPECT_GT(good.entries_checked, 0);
  EXPECT_LT(good.worst_relative_error, s.tolerance) << good.worst_entry;
  EXPECT_EQ(good.twin_worst_relative_error, 0.0);
  const UnitStepCheckResult wrong = check_unit_step(WrongTwin(), s);
  EXPECT_GT(wrong.twin_worst_relative_error, s.twin_tolerance);
  EXPECT_NE(wrong.twin_worst_entry.find("d_z"), std::string::npos) << wrong.twin_worst_entry;
}

// Declares two blocks but describes one.
class WrongShape : public Toy {
 public:
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}, {"W", "", ""}}; }
};

TEST(DerivedCell, TheLayerRefusesAShapeThatDiffersFromTheCells) {
  Rng rng(1);
  try {
    RecurrentLayer layer("l", 4, 3, std::make_unique<WrongShape>(), nullptr, nullptr, {}, rng);
    FAIL() << "a derived cell whose kBlocks differs from its block_specs() was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kBlocks"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("layer 'l'"), std::string::npos) << e.what();
  }
}

// A cell that reads no gate gets a d_z of no columns, so it cannot write one.
class Ungated : public DerivedCell<Ungated> {
 public:
  static constexpr int kStateVariables = 1, kBlocks = 1, kUnitParameters = 0;
  static constexpr bool kReadsGate = false;
  void create_parameters(ParameterSet& params, int hidden, int features, Rng& rng) override {
    add_weights(params, hidden, features, rng);
  }
  std::vector<BlockSpec> block_specs() const override { return {{"W", "P", "b"}}; }
  template <class T>
  void step(const UnitInput<T>& u, T* s) const {
    s[0] = 0.5 * u.s_prev[0] + math::tanh(u.pre[0]);
  }
  void backward(CellBackward& b) const override {
    d_z_columns = int(b.d_z.cols());
    derived_backward(b);
  }
  mutable int d_z_columns = -1;
};

TEST(DerivedCell, ACellThatReadsNoGateGetsNoDz) {
  Rng rng(1);
  auto cell = std::make_unique<Ungated>();
  const Ungated* seen = cell.get();
  RecurrentLayer layer("l", 4, 3, std::move(cell), nullptr, nullptr, {}, rng);
  Matrix x = Matrix::Ones(2 * 8, 3), d_out = Matrix::Ones(2 * 8, 4);
  layer.prepare();
  layer.forward(x.data(), 2, 8);
  layer.backward(x.data(), d_out.data(), nullptr);
  EXPECT_EQ(seen->d_z_columns, 0);
}

}  // namespace
}  // namespace biornn
