// Issue 17: with init = "dale", `none` and `soft_dale` start from exactly the W that `dale`
// draws from the same seed (so a relaxation comparison changes only the constraint), and
// `none` then leaves the signs free; the default keeps the owner's initialisation.
#include <gtest/gtest.h>

#include "core/experiment/plugin_loader.h"
#include "core/sdk/constraint.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

struct Loaded {
  Registry registry;
  PluginLoader loader{registry};
  Loaded() {
    for (const char* name : {"none", "soft_dale", "dale"})
      loader.load(testing::runfile(std::string("plugins/constraints/") + name + "/" + name + "_plugin.so"));
  }
  std::unique_ptr<Constraint> make(const std::string& plugin, const std::string& init) {
    const OptionSchema& schema = registry.get("constraint", plugin).schema;
    Options o(schema);
    if (!init.empty()) o.set(schema, "init", init, {}, "test");
    return registry.create<Constraint>(plugin, o);
  }
};

// W after `plugin` initialised it from seed 7, starting from the owner's values `owner`.
Matrix initialised(Loaded& l, const std::string& plugin, const std::string& init, float owner = 0.25f) {
  Parameter p;
  p.name = "W";
  p.resize(12, 12);
  p.raw.setConstant(owner);
  Rng rng(7);
  l.make(plugin, init)->initialize(p, rng);
  return p.raw;
}

TEST(SharedInitialisation, NoneAndSoftDaleStartFromDalesW) {
  Loaded l;
  const Matrix dale = initialised(l, "dale", "");
  EXPECT_TRUE(initialised(l, "none", "dale").isApprox(dale, 0)) << "none, init = dale";
  EXPECT_TRUE(initialised(l, "soft_dale", "dale").isApprox(dale, 0)) << "soft_dale, init = dale";
  EXPECT_TRUE((initialised(l, "none", "").array() == 0.25f).all()) << "the default keeps the owner's W";
  EXPECT_TRUE((initialised(l, "soft_dale", "owner").array() == 0.25f).all());
}

TEST(SharedInitialisation, NoneLeavesTheSignsFree) {
  Loaded l;
  auto none = l.make("none", "dale");
  Parameter p;
  p.name = "W";
  p.resize(12, 12);
  Rng rng(7);
  none->initialize(p, rng);
  Matrix raw = -p.raw, value;
  none->project(raw);
  none->apply(raw, value);
  EXPECT_TRUE(value.isApprox(-p.raw, 0)) << "every sign flipped, none kept them";
}

}  // namespace
}  // namespace biornn
