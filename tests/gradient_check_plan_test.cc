// gradcheck.toml, the settings a plugin folder gives its generated gradient check: read
// correctly, and every bad key or value is one error naming file:line:column.
#include <gtest/gtest.h>

#include <string>

#include "core/engine/gradient_check.h"
#include "core/experiment/plugin_loader.h"
#include "core/sdk/constraint.h"
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

// The plan of the generated gradient checks comes from the registry: a cell or constraint
// under a name the plan has never seen is paired like the others, every cell with every
// constraint at least once.
class GradientCheckPlanFromRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::load_all_plugins(registry_, loader_);
    // Plugins under new names: the factories of rate and nonnegative, registered again with
    // their .so as origin (so the loader removes them before it unloads their code).
    using CellFactory = std::function<std::unique_ptr<Cell>(const Options&)>;
    using ConstraintFactory = std::function<std::unique_ptr<Constraint>(const Options&)>;
    const PluginInfo& rate = registry_.get("cell", "rate");
    registry_.set_origin(rate.origin);
    registry_.add<Cell>("zz_cell", "rate again", rate.schema, std::any_cast<const CellFactory&>(rate.factory));
    const PluginInfo& nonnegative = registry_.get("constraint", "nonnegative");
    registry_.set_origin(nonnegative.origin);
    registry_.add<Constraint>("zz_constraint", "nonnegative again", nonnegative.schema,
                              std::any_cast<const ConstraintFactory&>(nonnegative.factory));
    registry_.set_origin("core");
  }
  Registry registry_;
  PluginLoader loader_{registry_};
};

TEST_F(GradientCheckPlanFromRegistry, EveryCellMeetsEveryConstraint) {
  const std::vector<LayerCombination> plan = combinations_to_check(registry_);
  for (const PluginInfo* cell : registry_.list("cell"))
    for (const PluginInfo* constraint : registry_.list("constraint")) {
      bool met = false;
      for (const LayerCombination& c : plan)
        for (const auto& [parameter, name] : c.constraints)
          met = met || (c.cell == cell->name && name == constraint->name);
      EXPECT_TRUE(met) << cell->name << " is never checked with constraint " << constraint->name;
    }
}

// A combination that does not build is a failure of the check, unless the plugin that refuses
// it says it is a documented incompatibility (biornn::Incompatible, with its reason).
TEST_F(GradientCheckPlanFromRegistry, ABuildErrorFailsAnIncompatibilitySkips) {
  class Refusing : public Constraint {
   public:
    explicit Refusing(bool documented) : documented_(documented) {}
    void initialize(Parameter& p, Rng&) override {
      if (documented_) throw Incompatible("refusing on '" + p.name + "': documented, use nonnegative instead");
      throw Error("refusing on '" + p.name + "': a bug");
    }
    void apply(const Matrix& raw, Matrix& value) const override { value = raw; }
    void backward(const Matrix&, const Matrix&, const Matrix& grad, Matrix& raw_grad) const override {
      raw_grad = grad;
    }

   private:
    bool documented_;
  };
  registry_.add<Constraint>("buggy", "throws Error", OptionSchema(),
                            [](const Options&) { return std::make_unique<Refusing>(false); });
  registry_.add<Constraint>("documented", "throws Incompatible", OptionSchema(),
                            [](const Options&) { return std::make_unique<Refusing>(true); });
  const GradientCheckResult buggy = check_layer(registry_, {"rate", "learned", "", {{"W", "buggy"}}});
  EXPECT_FALSE(buggy.skipped);
  EXPECT_TRUE(buggy.build_failed);
  EXPECT_EQ(buggy.build_error, "refusing on 'W': a bug");
  const GradientCheckResult documented = check_layer(registry_, {"rate", "learned", "", {{"W", "documented"}}});
  EXPECT_TRUE(documented.skipped);
  EXPECT_FALSE(documented.build_failed);
  EXPECT_EQ(documented.skip_reason, "refusing on 'W': documented, use nonnegative instead");
  // The checked plugins' own refusals are documented ones: dale on a non-square weight.
  const GradientCheckResult dale_on_p = check_layer(registry_, {"rate", "learned", "", {{"P", "dale"}}});
  EXPECT_TRUE(dale_on_p.skipped) << dale_on_p.build_error;
}

// The float32 layer check's tolerance: at most 1.5e-2 (it was 2e-2, about 4% apart).
TEST(GradientCheckPlan, ToleranceIsTight) { EXPECT_LE(GradientCheckSettings().tolerance, 1.5e-2); }

}  // namespace
}  // namespace biornn
