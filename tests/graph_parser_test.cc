// Graph files: a valid one parses with every default filled in; each kind of mistake is
// an error naming file:line:column.
#include <gtest/gtest.h>

#include "core/experiment/graph.h"
#include "core/experiment/plugin_loader.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

class GraphParser : public ::testing::Test {
 protected:
  void SetUp() override { testing::load_all_plugins(registry_, loader_); }
  Graph parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return parse_graph_text(text, "g.toml", overrides, registry_);
  }
  std::string error(const std::string& text, const std::vector<std::string>& overrides = {}) {
    try {
      parse(text, overrides);
    } catch (const Error& e) { return e.what(); }
    return "(no error)";
  }
  Registry registry_;
  PluginLoader loader_{registry_};
};

const char* kValid = R"(description = "test"
[train]
epochs = 3
[optimizer]
plugin = "adam"
learning_rate = 0.01
[nodes.data]
plugin = "mnist"
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 16
gate = { plugin = "learned" }
[nodes.out]
plugin = "readout"
input = "rnn"
)";

TEST_F(GraphParser, ValidGraphHasDefaultsFilledIn) {
  Graph g = parse(kValid);
  EXPECT_EQ(g.name, "g");
  EXPECT_EQ(g.train.get_int("epochs"), 3);
  EXPECT_EQ(g.train.get_int("batch_size"), 128);  // default
  EXPECT_DOUBLE_EQ(g.optimizer.options.get_float("learning_rate"), 0.01);
  ASSERT_EQ(g.layers.size(), 1u);
  EXPECT_EQ(g.layers[0].hidden, 16);
  EXPECT_EQ(g.layers[0].cell.options.get_string("phi"), "tanh");  // default
  EXPECT_EQ(g.dataset.name, "mnist");
  EXPECT_NE(g.resolved_toml.find("batch_size = 128"), std::string::npos) << g.resolved_toml;
  // The resolved graph is itself a valid graph that gives the same result.
  Graph again = parse_graph_text(g.resolved_toml, "resolved.toml", {}, registry_);
  EXPECT_EQ(again.resolved_toml, g.resolved_toml);
}

TEST_F(GraphParser, OverridesApplyToAnyOption) {
  Graph g = parse(kValid, {"train.epochs=1", "nodes.rnn.hidden=32", "nodes.rnn.gate.plugin=fixed",
                           "nodes.data.path=/some/where", "optimizer.learning_rate=1e-4"});
  EXPECT_EQ(g.train.get_int("epochs"), 1);
  EXPECT_EQ(g.layers[0].hidden, 32);
  EXPECT_EQ(g.layers[0].gate.name, "fixed");
  EXPECT_EQ(g.dataset.options.get_string("path"), "/some/where");
  EXPECT_DOUBLE_EQ(g.optimizer.options.get_float("learning_rate"), 1e-4);
}

TEST_F(GraphParser, BadOverrideSaysSet) {
  EXPECT_NE(error(kValid, {"train.epochs=many"}).find("--set"), std::string::npos);
  EXPECT_NE(error(kValid, {"train.epochs"}).find("expected key=value"), std::string::npos);
}

TEST_F(GraphParser, StackingIsTwoNodes) {
  std::string t = kValid;
  t.replace(t.find("input = \"rnn\""), 13, "input = \"rnn2\"");
  t += "[nodes.rnn2]\nplugin = \"rate\"\ninput = \"rnn\"\nhidden = 8\ngate = { plugin = \"fixed\" }\n";
  Graph g = parse(t);
  ASSERT_EQ(g.layers.size(), 2u);
  EXPECT_EQ(g.layers[0].node, "rnn");
  EXPECT_EQ(g.layers[1].node, "rnn2");
}

TEST_F(GraphParser, MalformedTomlNamesLine) {
  std::string t = kValid;
  t.insert(t.find("[nodes.rnn]"), "oops = = 3\n");
  EXPECT_NE(error(t).find("g.toml:9:"), std::string::npos) << error(t);
  EXPECT_NE(error(t).find("malformed TOML"), std::string::npos);
}

TEST_F(GraphParser, UnknownPluginListsKnownOnes) {
  std::string t = kValid;
  t.replace(t.find("\"learned\""), 9, "\"lerned\"");
  const std::string e = error(t);
  EXPECT_NE(e.find("g.toml:13:"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown gate plugin 'lerned'"), std::string::npos) << e;
  EXPECT_NE(e.find("learned"), std::string::npos) << e;
  std::string t2 = kValid;
  t2.replace(t2.find("plugin = \"rate\""), 15, "plugin = \"ratte\"");
  EXPECT_NE(error(t2).find("g.toml:10:"), std::string::npos) << error(t2);
  EXPECT_NE(error(t2).find("rate, vanilla"), std::string::npos) << error(t2);
}

TEST_F(GraphParser, UnknownKeyNamesPosition) {
  std::string t = kValid;
  t.insert(t.find("hidden = 16"), "hiddn = 4\n");
  const std::string e = error(t);
  EXPECT_NE(e.find("g.toml:12:1: unknown key 'hiddn'"), std::string::npos) << e;
  std::string t2 = kValid;
  t2.insert(t2.find("epochs = 3"), "epoch = 3\n");
  EXPECT_NE(error(t2).find("g.toml:3:1: unknown key 'epoch' in [train]"), std::string::npos) << error(t2);
}

TEST_F(GraphParser, WrongTypeAndRangeNamePosition) {
  std::string t = kValid;
  t.replace(t.find("epochs = 3"), 10, "epochs = \"3\"");
  EXPECT_NE(error(t).find("g.toml:3:10: option 'epochs' of [train] must be an integer"), std::string::npos) << error(t);
  std::string t2 = kValid;
  t2.replace(t2.find("hidden = 16"), 11, "hidden = -4");
  EXPECT_NE(error(t2).find("g.toml:12:10: 'hidden' of node 'rnn' is -4"), std::string::npos) << error(t2);
  std::string t3 = kValid;
  t3.replace(t3.find("learning_rate = 0.01"), 20, "learning_rate = -1.0");
  EXPECT_NE(error(t3).find("g.toml:6:17:"), std::string::npos) << error(t3);
}

// List options: a TOML array, or (as before arrays were read) one comma-separated string; an
// element of the wrong type is one line naming its place, the key and the node.
TEST_F(GraphParser, ListOptionsAreArrays) {
  auto with = [](const std::string& line) {
    std::string t = kValid;
    t.replace(t.find("plugin = \"mnist\""), 16, "plugin = \"perceptual_decision\"\n" + line);
    return t;
  };
  const std::vector<double> expected = {0, 0.1, 1};
  Graph g = parse(with("coherences = [0, 0.1, 1]"));
  EXPECT_EQ(g.dataset.options.get_numbers("coherences"), expected);
  EXPECT_NE(g.resolved_toml.find("coherences = ["), std::string::npos) << g.resolved_toml;
  Graph again = parse_graph_text(g.resolved_toml, "resolved.toml", {}, registry_);
  EXPECT_EQ(again.dataset.options.get_numbers("coherences"), expected);
  EXPECT_EQ(parse(with("coherences = \"0, 0.1, 1\"")).dataset.options.get_numbers("coherences"), expected);
  EXPECT_EQ(parse(kValid, {"nodes.data.plugin=perceptual_decision", "nodes.data.coherences=[0, 0.1, 1]"})
                .dataset.options.get_numbers("coherences"),
            expected);
  EXPECT_EQ(parse(with("")).dataset.options.get_numbers("coherences"),
            (std::vector<double>{0, 0.032, 0.064, 0.128, 0.256, 0.512}));  // the default

  EXPECT_EQ(error(with("coherences = [0, \"x\"]")),
            "g.toml:9:18: option 'coherences' of node 'data' (dataset 'perceptual_decision'): element 2 is a string, "
            "expected a number");
  EXPECT_EQ(error(with("coherences = [0.1, 1.5]")),
            "g.toml:9:14: option 'coherences' of node 'data' (dataset 'perceptual_decision'): element 2 is 1.5, "
            "allowed in [0, 1]");
  EXPECT_EQ(error(with("coherences = \"0.1, x\"")),
            "g.toml:9:14: option 'coherences' of node 'data' (dataset 'perceptual_decision'): element 2 ('x') is not a "
            "number (write an array, e.g. [0.05, 0.15, 0.5])");
  EXPECT_EQ(error(with("coherences = 0.5")),
            "g.toml:9:14: option 'coherences' of node 'data' (dataset 'perceptual_decision') must be a list of "
            "numbers, got 0.5");
  std::string rnn = kValid;
  rnn.replace(rnn.find("plugin = \"rate\""), 15, "plugin = \"rate\"\nphi = [\"tanh\"]");
  EXPECT_EQ(error(rnn), "g.toml:11:7: option 'phi' of node 'rnn' (cell 'rate') must be a string, got an array");
}

TEST_F(GraphParser, MissingAndCyclicInputs) {
  std::string t = kValid;
  t.replace(t.find("input = \"data\""), 14, "input = \"dta\"");
  EXPECT_NE(error(t).find("g.toml:11:9: node 'rnn' reads unknown node 'dta'"), std::string::npos) << error(t);
  std::string t2 = kValid;
  t2 += "[nodes.a]\nplugin = \"rate\"\ninput = \"b\"\nhidden = 8\n";
  t2 += "[nodes.b]\nplugin = \"rate\"\ninput = \"a\"\nhidden = 8\n";
  EXPECT_NE(error(t2).find("g.toml:17:8: input cycle through node 'a'"), std::string::npos) << error(t2);
  std::string t4 = kValid;
  t4 += "[nodes.rnn2]\nplugin = \"rate\"\ninput = \"rnn\"\nhidden = 8\n";
  EXPECT_NE(error(t4).find("g.toml:19:9: node 'rnn' feeds both 'out' and 'rnn2'"), std::string::npos) << error(t4);
  std::string t3 = kValid;
  t3.erase(t3.find("input = \"data\""), 15);
  EXPECT_NE(error(t3).find("g.toml:9:8: node 'rnn' has no 'input'"), std::string::npos) << error(t3);
}

TEST_F(GraphParser, GateIsOptionalReadoutIsNot) {
  std::string t = kValid;
  t.erase(t.find("gate = "), 30);
  EXPECT_TRUE(parse(t).layers[0].gate.name.empty());  // z = 1: a vanilla RNN
  std::string t2 = kValid;
  t2.erase(t2.find("[nodes.out]"));
  EXPECT_NE(error(t2).find("no readout node"), std::string::npos) << error(t2);
}

// "No gate" written in a graph, and varied the way a sweep does (gate.plugin = "none").
TEST_F(GraphParser, GateNoneMeansNoGate) {
  std::string t = kValid;
  t.replace(t.find("gate = { plugin = \"learned\" }"), 29, "gate = \"none\"");
  EXPECT_TRUE(parse(t).layers[0].gate.name.empty());
  EXPECT_TRUE(parse(kValid, {"nodes.rnn.gate.plugin=none"}).layers[0].gate.name.empty());
  EXPECT_EQ(parse(kValid, {"nodes.rnn.gate.plugin=fixed"}).layers[0].gate.name, "fixed");
  std::string bad = kValid;
  bad.replace(bad.find("gate = { plugin = \"learned\" }"), 29, "gate = \"learned\"");
  EXPECT_NE(error(bad).find("g.toml:13:8: node 'rnn' gate is the string 'learned'"), std::string::npos) << error(bad);
  std::string opts = kValid;
  opts.replace(opts.find("gate = { plugin = \"learned\" }"), 29, "gate = { plugin = \"none\", dt = 1.0 }");
  EXPECT_NE(error(opts).find("gate is \"none\" but has option 'dt'"), std::string::npos) << error(opts);
}

}  // namespace
}  // namespace biornn
