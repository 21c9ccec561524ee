// input_init of the rate cell and the learned gate: uniform_h (the default: P, P_z ~
// U(+-1/sqrt(H)), the draws of before the option existed) and normal_fan_in (N(0, 1/F)).
#include <gtest/gtest.h>

#include <cmath>

#include "core/experiment/plugin_loader.h"
#include "core/sdk/cell.h"
#include "core/sdk/gate.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

constexpr int H = 50, F = 400;

double stddev(const Matrix& m) {
  const double mean = m.mean();
  return std::sqrt((m.array() - float(mean)).square().mean());
}

class InputInit : public ::testing::Test {
 protected:
  void SetUp() override { testing::load_all_plugins(registry_, loader_); }
  // The input weight of plugin (kind, name) created with input_init = `init` (or the default).
  Matrix input_weight(const std::string& kind, const std::string& name, const std::string& param,
                      const std::string& init) {
    const auto& schema = registry_.get(kind, name).schema;
    Options o(schema);
    if (!init.empty()) o.set(schema, "input_init", std::string(init), {}, "test");
    ParameterSet params;
    Rng rng(9);
    if (kind == "cell")
      registry_.create<Cell>(name, o)->create_parameters(params, H, F, rng);
    else
      registry_.create<Gate>(name, o)->create_parameters(params, H, F, rng);
    return params.get(param, "test").raw;
  }
  Registry registry_;
  PluginLoader loader_{registry_};
};

TEST_F(InputInit, DefaultIsUniformOverSqrtHidden) {
  for (auto [kind, name, param] : {std::tuple{"cell", "rate", "P"}, std::tuple{"gate", "learned", "P_z"}}) {
    const Matrix p = input_weight(kind, name, param, "");
    EXPECT_LE(p.cwiseAbs().maxCoeff(), 1 / std::sqrt(float(H))) << name;
    EXPECT_NEAR(stddev(p), 1 / std::sqrt(3.0 * H), 0.05 / std::sqrt(3.0 * H)) << name;
    EXPECT_TRUE(p == input_weight(kind, name, param, "uniform_h")) << name << ": the default is uniform_h";
  }
}

TEST_F(InputInit, NormalFanInHasVarianceOneOverFeatures) {
  for (auto [kind, name, param] : {std::tuple{"cell", "rate", "P"}, std::tuple{"gate", "learned", "P_z"}}) {
    const Matrix p = input_weight(kind, name, param, "normal_fan_in");
    EXPECT_NEAR(stddev(p), 1 / std::sqrt(double(F)), 0.05 / std::sqrt(double(F))) << name;
    EXPECT_GT(p.cwiseAbs().maxCoeff(), 2.5 / std::sqrt(float(F))) << name << ": normal tails";
  }
}

}  // namespace
}  // namespace biornn
