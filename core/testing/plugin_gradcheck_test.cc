// The gradient check every plugin gets for free: biornn_plugins() (core/plugin.bzl) generates
// a test per plugin folder that runs this file with the plugin's .so and, when the folder has
// one, its gradcheck.toml. It loads every built plugin (so the plugin can be paired with
// cells, gates and scalings) and checks each combination involving it, for every hidden size,
// seed and option set the file names; one line per combination gives its worst error and where.
#include <gtest/gtest.h>

#include <cstdio>

#include "core/engine/builtins.h"
#include "core/engine/gradient_check.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/derived_cell.h"

namespace {

std::string g_plugin;  // workspace-relative path of the plugin under test
std::string g_plan;    // its gradcheck.toml, or ""

bool from_plugin(const biornn::PluginInfo& p) {
  return p.origin.size() >= g_plugin.size() &&
         p.origin.compare(p.origin.size() - g_plugin.size(), g_plugin.size(), g_plugin) == 0;
}

// Points `c`'s option set at the plugin under test, in whichever role `c` uses it.
void tune(biornn::LayerCombination& c, const biornn::Registry& registry, const biornn::OptionSet& set) {
  auto uses = [&](const std::string& kind, const std::string& name) {
    const biornn::PluginInfo* p = name.empty() ? nullptr : registry.find(kind, name);
    if (!p || !from_plugin(*p)) return false;
    c.tuned_kind = kind;
    c.tuned_name = name;
    c.options = set;
    return true;
  };
  if (set.empty() || uses("cell", c.cell) || uses("gate", c.gate) || uses("scaling", c.scaling)) return;
  for (const auto& [parameter, constraint] : c.constraints)
    if (uses("constraint", constraint)) return;
}

// Every built plugin in a registry, the entries of the one under test, and its check plan.
class PluginGradientCheck : public testing::Test {
 protected:
  void SetUp() override {
    biornn::register_builtins(registry);
    for (const auto& dir : biornn::default_plugin_directories(""))
      for (const auto& err : loader.load_directory(dir)) ADD_FAILURE() << err;
    for (const auto* p : registry.list())
      if (from_plugin(*p)) own.push_back(p);
    ASSERT_FALSE(own.empty()) << g_plugin << " was not loaded from the runfiles, or registered nothing";
    try {
      if (!g_plan.empty()) plan = biornn::read_check_plan(g_plan);
      for (const auto& set : plan.option_sets)  // a bad option is an error, not a skipped combination
        for (const auto* p : own) biornn::options_with(*p, set);
    } catch (const biornn::Error& e) { FAIL() << e.what(); }
  }

  biornn::Registry registry;
  biornn::PluginLoader loader{registry};
  std::vector<const biornn::PluginInfo*> own;
  biornn::PluginCheckPlan plan;
};

TEST_F(PluginGradientCheck, EveryCombinationMatchesFiniteDifferences) {
  const auto combos = biornn::combinations_to_check(registry, g_plugin);
  int checked = 0;
  double worst = 0;
  for (int hidden : plan.hidden)
    for (uint64_t seed : plan.seeds)
      for (size_t k = 0; k < plan.option_sets.size(); ++k)
        for (auto c : combos) {
          tune(c, registry, plan.option_sets[k]);
          biornn::GradientCheckSettings s;
          s.hidden = hidden;
          s.seed = seed;
          s.epsilon = plan.epsilon_of(k);
          const auto r = biornn::check_layer(registry, c, s);
          char step[32] = "";
          if (s.epsilon != biornn::GradientCheckSettings().epsilon)
            std::snprintf(step, sizeof step, ", epsilon %g", s.epsilon);
          const std::string what =
              c.str() + " (hidden " + std::to_string(hidden) + ", seed " + std::to_string(seed) + step + ")";
          if (r.skipped) {  // the refusing plugin documents the incompatibility (biornn::Incompatible)
            std::printf("skipped %s: %s\n", what.c_str(), r.skip_reason.c_str());
            continue;
          }
          if (r.build_failed) {
            ADD_FAILURE() << what << " does not build: " << r.build_error
                          << " (a documented incompatibility throws biornn::Incompatible with its reason)";
            continue;
          }
          ++checked;
          worst = std::max(worst, r.worst_relative_error);
          std::printf("checked %s: %d entries (%d at a kink), worst relative error %.2e at %s\n", what.c_str(),
                      r.entries_checked, r.entries_at_kinks, r.worst_relative_error, r.worst_entry.c_str());
          EXPECT_LT(r.worst_relative_error, s.tolerance) << what << ": " << r.worst_entry;
        }
  std::printf("%s: %d combinations checked, worst relative error %.2e (tolerance %.0e)\n", g_plugin.c_str(), checked,
              worst, biornn::GradientCheckSettings().tolerance);
  EXPECT_GT(checked, 0) << "no combination involving " << g_plugin << " could be built";
}

// A cell written forward-only (core/sdk/derived_cell.h), with each option set: the derived
// derivatives of its per-unit step against central differences in double, and its forward()/
// backward() (a hand-written fast path, or the derived ones) against the derived ones in float.
TEST_F(PluginGradientCheck, DerivedCellsMatchInDouble) {
  const biornn::UnitStepCheckSettings s;
  int derived_cells = 0;
  for (const auto* p : own) {
    if (p->kind != biornn::Cell::kKind) continue;
    for (const auto& set : plan.option_sets) {
      const auto cell = registry.create<biornn::Cell>(p->name, biornn::options_with(*p, set));
      const auto* derived = dynamic_cast<const biornn::UnitStepCell*>(cell.get());
      if (!derived) continue;
      ++derived_cells;
      biornn::LayerCombination named{p->name, "", "", {}, "cell", p->name, set};
      const auto r = biornn::check_unit_step(*derived, s);
      std::printf(
          "derived step of %s in double: %d entries (%d at a kink), worst relative error %.2e at %s "
          "(tolerance %.0e); forward/backward against the derived ones in float: worst %.2e at %s\n",
          named.str().c_str(), r.entries_checked, r.entries_at_kinks, r.worst_relative_error, r.worst_entry.c_str(),
          s.tolerance, r.twin_worst_relative_error, r.twin_worst_entry.c_str());
      EXPECT_GT(r.entries_checked, 0);
      EXPECT_LT(r.worst_relative_error, s.tolerance) << named.str() << ": " << r.worst_entry;
      EXPECT_LT(r.twin_worst_relative_error, s.twin_tolerance) << named.str() << ": " << r.twin_worst_entry;
    }
  }
  if (derived_cells == 0) GTEST_SKIP() << g_plugin << " has no cell written forward-only (core/sdk/derived_cell.h)";
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s PLUGIN_SO_RELATIVE_PATH [GRADCHECK_TOML]\n", argv[0]);
    return 2;
  }
  g_plugin = argv[1];
  if (argc == 3) g_plan = argv[2];
  return RUN_ALL_TESTS();
}
