// The gradient check every plugin gets for free: biornn_plugin() generates a test that runs
// this file with the plugin's .so as argument. It loads every built plugin (so the plugin
// can be paired with cells, gates and scalings) and checks each combination involving it.
#include <gtest/gtest.h>

#include <cstdio>

#include "core/gradient_check.h"
#include "core/plugin_loader.h"

namespace {

std::string g_plugin;  // workspace-relative path of the plugin under test

TEST(PluginGradientCheck, EveryCombinationMatchesFiniteDifferences) {
  biornn::Registry registry;
  biornn::register_builtins(registry);
  biornn::PluginLoader loader(registry);
  for (const auto& dir : biornn::default_plugin_directories(""))
    for (const auto& err : loader.load_directory(dir)) ADD_FAILURE() << err;
  bool found = false;
  for (const auto& p : loader.loaded()) found = found || p.path.find(g_plugin) != std::string::npos;
  ASSERT_TRUE(found) << g_plugin << " was not loaded from the runfiles";

  const auto combos = biornn::combinations_to_check(registry, g_plugin);
  int checked = 0;
  double worst = 0;
  for (const auto& c : combos) {
    const auto r = biornn::check_layer(registry, c);
    if (r.skipped) {
      std::printf("skipped %-60s (%s)\n", c.str().c_str(), r.skip_reason.c_str());
      continue;
    }
    ++checked;
    worst = std::max(worst, r.worst_relative_error);
    std::printf("checked %-60s %4d entries, worst relative error %.2e (%s)\n", c.str().c_str(), r.entries_checked,
                r.worst_relative_error, r.worst_entry.c_str());
    EXPECT_LT(r.worst_relative_error, biornn::GradientCheckSettings().tolerance) << c.str() << ": " << r.worst_entry;
  }
  std::printf("%s: %d combinations checked, worst relative error %.2e\n", g_plugin.c_str(), checked, worst);
  EXPECT_GT(checked, 0) << "no combination involving " << g_plugin << " could be built";
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PLUGIN_SO_RELATIVE_PATH\n", argv[0]);
    return 2;
  }
  g_plugin = argv[1];
  return RUN_ALL_TESTS();
}
