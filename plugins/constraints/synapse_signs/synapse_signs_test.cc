// Tests of synapse_signs: W_eff starts as the owner's W, every synapse keeps its initial sign
// after simulated optimizer steps, columns keep mixed signs (not Dale), and backward() against
// finite differences.
#include <gtest/gtest.h>

#include "core/sdk/constraint.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"
#include "plugins/constraints/common/backward_check.h"

namespace biornn {
namespace {

std::unique_ptr<Constraint> make() {
  static Registry registry;
  static PluginLoader loader(registry);
  if (!registry.find("constraint", "synapse_signs"))
    loader.load(testing::runfile("plugins/constraints/synapse_signs/synapse_signs_plugin.so"));
  const OptionSchema& schema = registry.get("constraint", "synapse_signs").schema;
  return registry.create<Constraint>("synapse_signs", Options(schema));
}

Parameter owner_initialised(int h, Rng& rng) {
  Parameter p;
  p.name = "W";
  p.resize(h, h);
  fill_uniform(p.raw, 1.0f, rng);
  return p;
}

TEST(SynapseSigns, StartsAsTheOwnersWeightAndKeepsEverySign) {
  const int h = 30;
  Rng rng(3);
  Parameter p = owner_initialised(h, rng);
  const Matrix initial = p.raw;
  auto c = make();
  c->initialize(p, rng);
  c->apply(p.raw, p.value);
  EXPECT_TRUE(p.value == initial);
  EXPECT_TRUE(c->column_signs().empty());  // not Dale: no sender types
  for (int step = 0; step < 5; ++step) {
    for (Eigen::Index i = 0; i < p.raw.size(); ++i) p.raw.data()[i] += float(0.5 * rng.normal());
    c->project(p.raw);
    c->apply(p.raw, p.value);
    for (Eigen::Index i = 0; i < p.raw.size(); ++i)
      EXPECT_GE(p.value.data()[i] * initial.data()[i], 0.0f) << "step " << step << " entry " << i;
  }
  int mixed_columns = 0;
  for (int j = 0; j < h; ++j) mixed_columns += (p.value.col(j).maxCoeff() > 0 && p.value.col(j).minCoeff() < 0);
  EXPECT_EQ(mixed_columns, h);
}

TEST(SynapseSigns, BackwardMatchesFiniteDifferences) {
  const int h = 6;
  Rng rng(2);
  Parameter p = owner_initialised(h, rng);
  auto c = make();
  c->initialize(p, rng);
  for (Eigen::Index i = 0; i < p.raw.size(); i += 2) p.raw.data()[i] = -p.raw.data()[i];  // flipped raw
  Matrix weight(h, h);
  fill_uniform(weight, 1.0f, rng);
  EXPECT_EQ(backward_mismatch(*c, p.raw, weight), "");
}

}  // namespace
}  // namespace biornn
