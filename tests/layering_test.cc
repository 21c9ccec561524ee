// The layers of core run one way: every `#include "core/<layer>/..."` in core/, plugins/ and
// runners/ is checked against the order below. A plugin's own sources see the SDK only (its
// tests may see everything). Bazel enforces the same from the other side (a layer's library
// does not depend on the layers above, so their headers are not in its sandbox); this test
// names the file and line, and also covers the sources Bazel does not compile here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/testing/testing.h"

namespace biornn {
namespace {

namespace fs = std::filesystem;

// Which layers each layer may include (itself always). Keep in step with core/*/BUILD.
const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::map<std::string, std::set<std::string>> a = {
      {"sdk", {}},
      {"platform", {"sdk"}},
      {"engine", {"sdk", "platform"}},
      {"analysis", {"sdk", "platform", "engine"}},
      {"plots", {"sdk", "platform"}},
      {"experiment", {"sdk", "platform", "engine", "analysis", "plots"}},
      {"testing", {"sdk", "platform", "engine", "analysis", "plots", "experiment"}},
      {"plugin", {"sdk"}},
  };
  return a;
}

// The layer that source `path` (workspace-relative) belongs to, or "" when unchecked.
std::string layer_of(const std::string& path) {
  static const std::regex core("^core/([a-z_]+)/"), test("_test\\.cc$|_testing\\.(cc|h)$");
  std::smatch m;
  if (std::regex_search(path, m, core)) return m[1];
  if (path.rfind("plugins/", 0) == 0 && !std::regex_search(path, test)) return "plugin";
  return "";
}

// One line per include of `text` (from file `path` of layer `layer`) that runs the wrong way.
std::vector<std::string> violations(const std::string& path, const std::string& layer, const std::string& text) {
  static const std::regex include("^\\s*#\\s*include\\s+\"core/([a-z_]+)/");
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (!std::regex_search(line, m, include)) continue;
    const std::string to = m[1];
    if (to == layer || allowed().at(layer).count(to)) continue;
    out.push_back(path + ":" + std::to_string(n) + ": " + layer + " includes " + to + " (" + line + ")");
  }
  return out;
}

TEST(Layering, CheckerCatchesAWrongInclude) {
  EXPECT_EQ(violations("core/sdk/x.h", "sdk", "#include \"core/engine/model.h\"\n").size(), 1u);
  EXPECT_EQ(violations("plugins/cells/x/x.cc", "plugin", "#include \"core/experiment/trainer.h\"\n").size(), 1u);
  EXPECT_TRUE(violations("core/engine/x.cc", "engine", "#include \"core/sdk/cell.h\"\n").empty());
  EXPECT_EQ(layer_of("plugins/cells/rate/rate_test.cc"), "");
  EXPECT_EQ(layer_of("core/plots/plot.cc"), "plots");
}

TEST(Layering, EveryIncludeRunsDownward) {
  const fs::path root = fs::path(testing::runfile("WORKSPACE")).parent_path();
  int checked = 0;
  std::vector<std::string> wrong;
  for (const char* top : {"core", "plugins"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = entry.path().extension();
      if (ext != ".h" && ext != ".cc") continue;
      const std::string rel = entry.path().lexically_relative(root).string();
      const std::string layer = layer_of(rel);
      if (layer.empty()) continue;
      ASSERT_TRUE(allowed().count(layer)) << rel << ": core/" << layer << "/ is not a known layer: add it to allowed()";
      std::ifstream f(entry.path());
      std::stringstream text;
      text << f.rdbuf();
      for (auto& v : violations(rel, layer, text.str())) wrong.push_back(v);
      ++checked;
    }
  }
  EXPECT_GT(checked, 100) << "the sources were not found in the runfiles";
  for (const auto& w : wrong) ADD_FAILURE() << w;
}

// Issue 20: the library reads the environment in one place (core/sdk/data_paths.cc,
// Paths::from_environment, which a runner's process boundary calls once) and never replaces
// the runner's logger: no getenv elsewhere in core/ or in a plugin, no set_default_logger.
TEST(Layering, TheEnvironmentIsReadOnceAndTheLoggerIsTheRunners) {
  const fs::path root = fs::path(testing::runfile("WORKSPACE")).parent_path();
  const std::regex reads_environment("getenv\\s*\\(|set_default_logger\\s*\\(");
  std::vector<std::string> wrong;
  for (const char* top : {"core", "plugins"})
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const std::string rel = entry.path().lexically_relative(root).string(), layer = layer_of(rel);
      const std::string ext = entry.path().extension();
      if ((ext != ".h" && ext != ".cc") || layer.empty() || layer == "testing" || rel == "core/sdk/data_paths.cc")
        continue;
      std::ifstream f(entry.path());
      std::string line;
      for (int n = 1; std::getline(f, line); ++n)
        if (std::regex_search(line, reads_environment)) wrong.push_back(rel + ":" + std::to_string(n) + ": " + line);
    }
  for (const auto& w : wrong) ADD_FAILURE() << w;
}

}  // namespace
}  // namespace biornn
