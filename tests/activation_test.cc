// Every nonlinearity phi of core/sdk/activation.h: derivative against central differences away
// from kinks, and which ones give non-negative rates.
#include <gtest/gtest.h>

#include "core/sdk/activation.h"

namespace biornn {
namespace {

TEST(Activation, DerivativeMatchesFiniteDifferences) {
  ScratchArray u(1, 8);
  u << -2.5f, -1.0f, -0.3f, -0.05f, 0.05f, 0.3f, 1.0f, 2.5f;
  for (const std::string& name : activation_names()) {
    const Activation a = activation_from_name(name);
    ScratchArray y(1, 8), dy(1, 8), up(1, 8), down(1, 8);
    activate(a, u, y);
    activate_derivative(a, u, y, dy);
    const float eps = 1e-3f;
    activate(a, u + eps, up);
    activate(a, u - eps, down);
    for (int i = 0; i < 8; ++i)
      EXPECT_NEAR(dy(0, i), (up(0, i) - down(0, i)) / (2 * eps), 2e-3) << name << " at u = " << u(0, i);
  }
}

TEST(Activation, RectifiedTanhIsANonNegativeSaturatingRate) {
  ScratchArray u(1, 4), y(1, 4);
  u << -3.0f, 0.0f, 0.5f, 20.0f;
  activate(Activation::kRectifiedTanh, u, y);
  EXPECT_EQ(y(0, 0), 0.0f);
  EXPECT_EQ(y(0, 1), 0.0f);
  EXPECT_NEAR(y(0, 2), std::tanh(0.5f), 1e-6);
  EXPECT_NEAR(y(0, 3), 1.0f, 1e-6);
  EXPECT_EQ(activation_from_name("rectified_tanh"), Activation::kRectifiedTanh);
}

}  // namespace
}  // namespace biornn
