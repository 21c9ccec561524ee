// gradcheck.toml, the settings a plugin folder gives its generated gradient check: read
// correctly, and every bad key or value is one error naming file:line:column.
#include <gtest/gtest.h>

#include <string>

#include "core/engine/gradient_check.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

std::string write_plan(const std::string& text) {
  const std::string path = testing::temp_dir("gradcheck_plan") + "/gradcheck.toml";
  testing::write_file(path, text);
  return path;
}

std::string plan_error(const std::string& text, std::string* path = nullptr) {
  const std::string p = write_plan(text);
  if (path) *path = p;
  try {
    read_check_plan(p);
  } catch (const Error& e) { return e.what(); }
  return "";
}

PluginInfo cell_with_phi() {
  PluginInfo info;
  info.kind = "cell";
  info.name = "my_cell";
  info.schema.add_string("phi", "tanh", "nonlinearity", {"tanh", "relu"}).add_float("dt", 1.0, "step", 0, 10, true);
  return info;
}

TEST(GradientCheckPlan, DefaultsWithoutSettings) {
  const PluginCheckPlan plan = read_check_plan(write_plan("# nothing but the defaults\n"));
  EXPECT_EQ(plan.hidden, std::vector<int>{GradientCheckSettings().hidden});
  EXPECT_EQ(plan.seeds, std::vector<uint64_t>{GradientCheckSettings().seed});
  EXPECT_EQ(plan.epsilon, GradientCheckSettings().epsilon);
  ASSERT_EQ(plan.option_sets.size(), 1u);
  EXPECT_TRUE(plan.option_sets[0].empty());
}

TEST(GradientCheckPlan, ReadsHiddenSeedsAndOptionSets) {
  const PluginCheckPlan plan =
      read_check_plan(write_plan("hidden = [5, 6]\nseeds = 3\nepsilon = 0.01\n[[options]]\nphi = "
                                 "\"relu\"\n[[options]]\nphi = \"tanh\"\ndt = 0.5\n"));
  EXPECT_EQ(plan.hidden, (std::vector<int>{5, 6}));
  EXPECT_EQ(plan.seeds, std::vector<uint64_t>{3});
  EXPECT_EQ(plan.epsilon, 0.01);
  ASSERT_EQ(plan.option_sets.size(), 3u);  // the defaults, then the two tables
  ASSERT_EQ(plan.option_sets[2].size(), 2u);
  const Options o = options_with(cell_with_phi(), plan.option_sets[2]);
  EXPECT_EQ(o.get_string("phi"), "tanh");
  EXPECT_EQ(o.get_float("dt"), 0.5);
  LayerCombination c{"my_cell", "learned", "", {}, "cell", "my_cell", plan.option_sets[1]};
  EXPECT_EQ(c.str(), "cell=my_cell{phi=\"relu\"} gate=learned");
}

TEST(GradientCheckPlan, EpsilonForAllSetsAndForOneSet) {
  const PluginCheckPlan plan = read_check_plan(
      write_plan("epsilon = 0.005\n[[options]]\nphi = \"relu\"\n[[options]]\nphi = \"tanh\"\nepsilon = 0.01\n"));
  ASSERT_EQ(plan.option_sets.size(), 3u);
  EXPECT_EQ(plan.epsilon_of(0), 0.005);  // the defaults
  EXPECT_EQ(plan.epsilon_of(1), 0.005);
  EXPECT_EQ(plan.epsilon_of(2), 0.01);
  ASSERT_EQ(plan.option_sets[2].size(), 1u);  // the step is not a plugin option
  EXPECT_EQ(plan.option_sets[2][0].name, "phi");
  EXPECT_EQ(plan_error("[[options]]\nepsilon = 0\n").substr(plan_error("[[options]]\nepsilon = 0\n").find(":2:")),
            ":2:11: 'epsilon' must be a number in (0, 0.1]");
}

TEST(GradientCheckPlan, UnknownKeyNamesFileLineColumn) {
  std::string path;
  const std::string msg = plan_error("hidden = 6\nhiden = 7\n", &path);
  EXPECT_EQ(msg,
            path + ":2:1: unknown key 'hiden' in a gradient-check file (known keys: hidden, seeds, epsilon, options)");
}

TEST(GradientCheckPlan, BadValuesNameFileLineColumn) {
  const std::pair<const char*, const char*> cases[] = {
      {"hidden = [5, 0]\n", ":1:14: 'hidden' must be a positive integer or an array of them, as in hidden = [5, 6]"},
      {"seeds = []\n", ":1:9: 'seeds' is empty: give at least one value or leave it out"},
      {"epsilon = 0.5\n", ":1:11: 'epsilon' must be a number in (0, 0.1]"},
      {"options = 3\n", ":1:11: 'options' must be an array of tables: write each set as [[options]]"},
      {"[[options]]\nphi = [1]\n", ":2:7: option 'phi' must be a number, boolean or string"},
  };
  for (const auto& [text, expected] : cases) {
    std::string path;
    const std::string msg = plan_error(text, &path);
    EXPECT_EQ(msg, path + expected);
  }
  std::string path;
  const std::string syntax = plan_error("hidden = \n", &path);
  EXPECT_EQ(syntax.rfind(path + ":1:", 0), 0u) << syntax;  // a TOML syntax error
}

TEST(GradientCheckPlan, OptionThePluginDoesNotHaveNamesFileLineColumn) {
  const std::string path = write_plan("[[options]]\nphi = \"relu\"\nalpha = 0.5\n");
  const PluginCheckPlan plan = read_check_plan(path);
  try {
    options_with(cell_with_phi(), plan.option_sets[1]);
    FAIL() << "alpha was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ":3:9: unknown option 'alpha' for cell 'my_cell' (known options: phi, dt)");
  }
  const PluginCheckPlan bad = read_check_plan(write_plan("[[options]]\nphi = \"sine\"\n"));
  try {
    options_with(cell_with_phi(), bad.option_sets[1]);
    FAIL() << "phi = sine was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gradcheck.toml:2:7: "), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace biornn
