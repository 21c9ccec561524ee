// Bad inputs (issue 6): hand-written graph files, downloaded dataset files and plugins built
// elsewhere. None may crash or hang the framework or let it train on garbage silently: each
// test feeds one kind of bad input through the real code path (the plugins Bazel builds, the
// train runner) and asserts the exact message the user sees. docs/bad_inputs.md tabulates
// them. The last tests replay the fuzzers' seed corpus and every crash they found
// (tests/fuzz/, tools/fuzz/run.sh) through the same code.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <sstream>

#include "core/engine/builtins.h"
#include "core/sdk/dataset.h"
#include "core/experiment/graph.h"
#include "core/sdk/plugin_api.h"
#include "core/experiment/plugin_loader.h"
#include "core/experiment/run.h"
#include "core/testing/testing.h"
#include "core/experiment/trainer.h"
#include "runners/sweep_plan.h"
#include "tests/fuzz/dataset_input.h"

extern char** environ;

namespace biornn {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------
// Helpers

// Every plugin Bazel built, loaded once (a dataset must never outlive its plugin's code).
struct Plugins {
  Registry registry;
  PluginLoader loader{registry};
  std::vector<std::string> errors;
  Plugins() {
    register_builtins(registry);
    for (const auto& d : default_plugin_directories(""))
      for (const auto& e : loader.load_directory(d)) errors.push_back(e);
  }
};
Registry& registry() {
  static Plugins* p = new Plugins;
  for (const auto& e : p->errors) ADD_FAILURE() << e;
  p->errors.clear();
  return p->registry;
}

// The message of the Error that parsing `text` as g.toml raises.
std::string parse_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_graph_text(text, "g.toml", overrides, registry());
  } catch (const Error& e) { return e.what(); }
  return "(no error)";
}

// The message of the Error that building the model of `text` raises (the graph parses).
std::string build_error(const std::string& text) {
  Graph g = parse_graph_text(text, "g.toml", {}, registry());
  try {
    build_experiment(g, registry());
  } catch (const Error& e) { return e.what(); }
  return "(no error)";
}

std::string big_endian(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

std::string idx_images(uint32_t count, uint32_t rows = 28, uint32_t columns = 28, size_t pixels = SIZE_MAX) {
  std::string s = big_endian(2051) + big_endian(count) + big_endian(rows) + big_endian(columns);
  if (pixels == SIZE_MAX) pixels = size_t(count) * rows * columns;
  for (size_t i = 0; i < pixels; ++i) s += char((i * 31) & 0xFF);
  return s;
}

std::string idx_labels(uint32_t count, size_t bytes = SIZE_MAX, char label = 3) {
  std::string s = big_endian(2049) + big_endian(count);
  if (bytes == SIZE_MAX) bytes = count;
  for (size_t i = 0; i < bytes; ++i) s += char(i % 10 == 5 ? label : char(i % 10));
  return s;
}

using testing::gzip;

using Files = std::map<std::string, std::string>;

// A valid MNIST directory of `train` and `test` examples, with `changes` written over it.
std::string mnist_dir(const Files& changes = {}, uint32_t train = 20, uint32_t test = 10) {
  const std::string dir = testing::temp_dir("mnist");
  Files files = {{"train-images-idx3-ubyte", idx_images(train)},
                 {"train-labels-idx1-ubyte", idx_labels(train)},
                 {"t10k-images-idx3-ubyte", idx_images(test)},
                 {"t10k-labels-idx1-ubyte", idx_labels(test)}};
  for (const auto& [name, bytes] : changes) {
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0)
      files.erase(name.substr(0, name.size() - 3));  // the .gz replaces the plain file
    files[name] = bytes;
  }
  for (const auto& [name, bytes] : files) testing::write_file(dir + "/" + name, bytes);
  return dir;
}

std::string cifar_records(int n, char label = 4) {
  std::string s;
  for (int r = 0; r < n; ++r) {
    s += label;
    for (int i = 0; i < 3072; ++i) s += char((i * 7 + r) & 0xFF);
  }
  return s;
}

std::string cifar_dir(const Files& changes = {}) {
  const std::string dir = testing::temp_dir("cifar10");
  Files files;
  for (int k = 1; k <= 5; ++k) files["data_batch_" + std::to_string(k) + ".bin"] = cifar_records(2);
  files["test_batch.bin"] = cifar_records(2);
  for (const auto& [name, bytes] : changes) files[name] = bytes;
  for (const auto& [name, bytes] : files) testing::write_file(dir + "/" + name, bytes);
  return dir;
}

// The message of the Error that loading dataset `name` from `dir` raises.
std::string load_error(const std::string& name, const std::string& dir) {
  const OptionSchema& schema = registry().get("dataset", name).schema;
  Options options(schema, {"g.toml", 3, 1});
  options.set(schema, "path", dir, {"g.toml", 5, 8}, "node 'data'");
  auto data = registry().create<Dataset>(name, options);
  try {
    data->load();
  } catch (const Error& e) { return e.what(); }
  return "(no error)";
}

// What a child process did.
using testing::Outcome;
using testing::read_file;
using testing::run;

// The train runner (//runners:train, a data dependency) on a graph file.
Outcome train(const std::string& graph_text, const std::vector<std::string>& extra = {},
              std::string* graph_path = nullptr) {
  const std::string dir = testing::temp_dir("train");
  const std::string path = dir + "/bad.toml";
  testing::write_file(path, graph_text);
  if (graph_path) *graph_path = path;
  std::vector<std::string> args = {testing::runfile("runners/train"), path, "--run-dir", dir + "/run"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args);
}

// Runs `f` in a child process: true if the child died (a crash, an uncaught exception)
// instead of returning. For inputs known to crash until a core fix lands.
bool crashes(const std::function<void()>& f) {
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      f();
    } catch (const Error&) {
    } catch (...) {
      _exit(3);  // what std::terminate would have ended
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// ---------------------------------------------------------------------------------------
// Graph files

const char* const kGraph = R"([optimizer]
plugin = "adam"
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

// kGraph with the first occurrence of `from` replaced by `to`.
std::string graph_with(const std::string& from, const std::string& to) {
  std::string g = kGraph;
  const size_t at = g.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) g.replace(at, from.size(), to);
  return g;
}

// `graph` reading its dataset from `dir`.
std::string on_data(std::string graph, const std::string& dir) {
  const std::string plugin = "plugin = \"mnist\"";
  return graph.replace(graph.find(plugin), plugin.size(), plugin + "\npath = \"" + dir + "\"");
}

TEST(BadGraph, TheBaseGraphIsValid) {
  EXPECT_EQ(parse_error(kGraph), "(no error)");
  EXPECT_EQ(build_error(kGraph), "(no error)");
}

TEST(BadGraph, NegativeHiddenSize) {
  EXPECT_EQ(parse_error(graph_with("hidden = 16", "hidden = -4")),
            "g.toml:8:10: 'hidden' of node 'rnn' is -4, allowed [1, 65536]");
}

TEST(BadGraph, ZeroDtOfFixedGate) {
  EXPECT_EQ(parse_error(graph_with("gate = { plugin = \"learned\" }", "gate = { plugin = \"fixed\", dt = 0.0 }")),
            "g.toml:9:33: option 'dt' of node 'rnn' gate (gate 'fixed') is 0, allowed in (0, 1]");
}

TEST(BadGraph, NegativeDtOfConductanceCell) {
  EXPECT_EQ(parse_error(graph_with("plugin = \"rate\"", "plugin = \"conductance\"\ndt = -0.5")),
            "g.toml:7:6: option 'dt' of node 'rnn' (cell 'conductance') is -0.5, allowed in (0, 100]");
}

TEST(BadGraph, ExcitatoryFractionOutsideZeroOne) {
  EXPECT_EQ(parse_error(graph_with("hidden = 16",
                                   "hidden = 16\nconstraints = [ { plugin = \"dale\", parameter = \"W\", "
                                   "excitatory_fraction = 1.5 } ]")),
            "g.toml:9:75: option 'excitatory_fraction' of node 'rnn' constraint (constraint 'dale') is 1.5, "
            "allowed in [0, 1]");
}

TEST(BadGraph, ConstraintOnAParameterTheCellDoesNotHave) {
  EXPECT_EQ(
      build_error(graph_with("hidden = 16", "hidden = 16\nconstraints = [ { plugin = \"dale\", parameter = \"Q\" } ]")),
      "g.toml:5:8: layer 'rnn' constraint: no parameter 'Q' in this layer (parameters: W, P, b, W_z, P_z, b_z)");
}

TEST(BadGraph, ScalingWithAGateThatHasNoConductance) {
  EXPECT_EQ(build_error(graph_with("gate = { plugin = \"learned\" }",
                                   "gate = { plugin = \"learned\" }\nscaling = { plugin = \"constant\" }")),
            "g.toml:5:8: layer 'rnn': a scaling A is given but its gate does not use one (only the conductance "
            "gate scales |W| by A)");
}

TEST(BadGraph, ConductanceGateWithoutScaling) {
  EXPECT_EQ(build_error(graph_with("gate = { plugin = \"learned\" }", "gate = { plugin = \"conductance\" }")),
            "g.toml:5:8: layer 'rnn': its gate needs a scaling A (add scaling = { plugin = ... })");
}

TEST(BadGraph, InputCycle) {
  std::string g = kGraph;
  g += "[nodes.a]\nplugin = \"rate\"\ninput = \"b\"\nhidden = 8\n";
  g += "[nodes.b]\nplugin = \"rate\"\ninput = \"a\"\nhidden = 8\n";
  EXPECT_EQ(parse_error(g), "g.toml:13:8: input cycle through node 'a'");
  // Two layers reading each other, one of them also feeding the readout.
  std::string g2 = graph_with("input = \"data\"", "input = \"rnn2\"");
  g2 += "[nodes.rnn2]\nplugin = \"rate\"\ninput = \"rnn\"\nhidden = 8\n";
  EXPECT_EQ(
      parse_error(g2),
      "g.toml:15:9: node 'rnn' feeds both 'out' and 'rnn2'; a graph is one chain from the dataset to the readout");
}

TEST(BadGraph, DuplicateNodeName) {
  std::string g = kGraph;
  g += "[nodes.rnn]\nplugin = \"rate\"\ninput = \"data\"\nhidden = 8\n";
  EXPECT_EQ(
      parse_error(g),
      "g.toml:13:1: malformed TOML: Error while parsing table header: cannot redefine existing table 'nodes.rnn'");
}

// An "unknown plugin" error lists every known plugin, and a new plugin folder adds to that list
// (no edit outside the folder may turn a test red): the text before the list is checked word
// for word, the list for the plugins named here (each as a whole word), and the text after it.
void expect_known_list(const std::string& line, const std::string& before, const std::vector<std::string>& names,
                       const std::string& after) {
  ASSERT_EQ(line.substr(0, before.size()), before) << line;
  ASSERT_GE(line.size(), before.size() + after.size()) << line;
  EXPECT_EQ(line.substr(line.size() - after.size()), after) << line;
  const std::string list = " " + line.substr(before.size(), line.size() - before.size() - after.size()) + ",";
  for (const std::string& name : names)
    EXPECT_TRUE(std::regex_search(list, std::regex("[ ,]" + name + "[,;]"))) << name << " not in: " << list;
}

// The end of every unknown-plugin message.
const std::string kRebuildHint = "; one added since the last build? run bazel build //plugins/... to build it)";

const std::vector<std::string> kSomeCells = {"conductance", "gru", "rate", "vanilla"};
const std::vector<std::string> kSomeDatasets = {"adding", "cifar10", "mnist", "perceptual_decision"};

TEST(BadGraph, UnknownKey) {
  EXPECT_EQ(parse_error(graph_with("hidden = 16", "hidden = 16\nhiden_size = 4")),
            "g.toml:9:1: unknown key 'hiden_size' in node 'rnn' (cell 'rate') (known keys: phi, init_scale, "
            "input_init, constraints, gate, hidden, input, noise_alpha, noise_in_evaluation, noise_seed, noise_std, "
            "plugin, scaling)");
}

TEST(BadGraph, WrongType) {
  EXPECT_EQ(parse_error(graph_with("hidden = 16", "hidden = \"16\"")),
            "g.toml:8:10: 'hidden' of node 'rnn' must be an integer, got a string");
  EXPECT_EQ(parse_error(graph_with("[nodes.data]", "[train]\nepochs = 2.5\n[nodes.data]")),
            "g.toml:4:10: option 'epochs' of [train] must be an integer, got 2.5");
}

TEST(BadGraph, UnknownPlugin) {
  expect_known_list(parse_error(graph_with("\"learned\"", "\"learnt\"")),
                    "g.toml:9:19: unknown gate plugin 'learnt' (known gate plugins: ",
                    {"conductance", "fixed", "learned"}, kRebuildHint);
  const std::string line = parse_error(graph_with("\"rate\"", "\"rnn\""));
  expect_known_list(line, "g.toml:6:10: unknown plugin 'rnn' for node 'rnn' (known cells: ", kSomeCells,
                    std::string("; and \"readout\"") + kRebuildHint);
  expect_known_list(line.substr(line.find("; datasets: ") + 2), "datasets: ", kSomeDatasets,
                    std::string("; and \"readout\"") + kRebuildHint);
}

TEST(BadGraph, SetWithABadValue) {
  EXPECT_EQ(parse_error(kGraph, {"train.epochs=many"}),
            "--set train.epochs=many: option 'epochs' of [train] must be an integer, got \"many\"");
  EXPECT_EQ(parse_error(kGraph, {"nodes.rnn.hidden=0"}),
            "--set nodes.rnn.hidden=0: 'hidden' of node 'rnn' is 0, allowed [1, 65536]");
  expect_known_list(parse_error(kGraph, {"nodes.rnn.gate.plugin=lerned"}),
                    "--set nodes.rnn.gate.plugin=lerned: unknown gate plugin 'lerned' (known gate plugins: ",
                    {"conductance", "fixed", "learned"}, kRebuildHint);
  EXPECT_EQ(parse_error(kGraph, {"train.epochs"}), "--set train.epochs: expected key=value, e.g. --set train.epochs=1");
  EXPECT_EQ(parse_error(kGraph, {"nodes.rnn.plugin.x=1"}), "--set nodes.rnn.plugin.x=1: 'plugin' is not a table");
  // Issue 20: a misspelt node name (it said "node 'rrn' has no 'plugin' key").
  EXPECT_EQ(parse_error(kGraph, {"nodes.rrn.hidden=8"}),
            "--set nodes.rrn.hidden=8: no node 'rrn' in the graph (its nodes: data, out, rnn); to add one, set "
            "nodes.rrn.plugin first");
}

// Issue 21: a global batch that does not divide into the data shards stops the runner before
// the data is read (one process here; tests/mpi_test does it with 2 ranks).
TEST(BadGraph, BatchSizeThatDoesNotDivideIntoTheDataShards) {
  const Outcome r = train(kGraph, {"--set", "train.data_shards=3", "--set", "train.batch_size=32"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("error: --set train.batch_size=32: train.batch_size 32 does not divide into 3 data shards "
                       "(train.data_shards): use a multiple of 3, e.g. 30\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("data: "), std::string::npos) << "no data is loaded first: " << r.err;
}

// Found by tools/fuzz (tests/fuzz/regressions/graph/): a --set value that is not TOML is
// quoted as a string, but a control character in it made that second parse throw TOML++'s
// own exception, which nothing caught: the runner died in std::terminate. Checked in a child
// process first, so a regression fails this test instead of ending the test binary.
TEST(BadGraph, SetWithAControlCharacter) {
  const std::vector<std::string> control = {"description=two\nlines"}, not_utf8 = {"description=bad\xff utf-8"};
  ASSERT_FALSE(crashes([&] { parse_graph_text(kGraph, "g.toml", control, registry()); }));
  ASSERT_FALSE(crashes([&] { parse_graph_text(kGraph, "g.toml", not_utf8, registry()); }));
  // A control character is escaped: the value is the string it was.
  EXPECT_EQ(parse_graph_text(kGraph, "g.toml", control, registry()).description, "two\nlines");
  EXPECT_EQ(parse_error(kGraph, not_utf8),
            "--set description=bad\xff utf-8: the value is neither TOML nor a valid "
            "string (Encountered invalid utf-8 sequence)");
}

// The message of the Error that reading sweep file `sweep` (beside kGraph as g.toml) raises.
std::string sweep_error(const std::string& sweep, const std::vector<std::string>& extra = {}) {
  const std::string dir = testing::temp_dir("bad_sweep");
  testing::write_file(dir + "/g.toml", kGraph);
  testing::write_file(dir + "/s.toml", sweep);
  try {
    read_sweep(dir + "/s.toml", extra, registry());
  } catch (const Error& e) {
    std::string m = e.what();  // paths relative to the sweep's directory
    for (size_t at = m.find(dir + "/"); at != std::string::npos; at = m.find(dir + "/")) m.erase(at, dir.size() + 1);
    return m;
  }
  return "(no error)";
}

// A value from a sweep file is reported at its line and column in the sweep file, not as a
// "--set" without a position; --set on the sweep runner's command line still says --set.
// Issue 20: an error a plugin raises while the model is built (a mask file that does not
// exist) is placed at the value it quotes when --set gave that value, not at the base graph's
// node line.
TEST(BadGraph, ABuildErrorNamesTheSetThatGaveTheValue) {
  const std::string set =
      "nodes.rnn.constraints=[{ plugin = \"mask\", parameter = \"W\", file = \"/nonexistent/m.npy\" }]";
  const Graph g = parse_graph_text(kGraph, "g.toml", {set}, registry());
  std::string message = "(no error)";
  try {
    build_experiment(g, registry());
  } catch (const Error& e) { message = e.what(); }
  EXPECT_EQ(message.rfind("--set " + set, 0), 0u) << message;
  EXPECT_NE(message.find("cannot open mask file '/nonexistent/m.npy'"), std::string::npos) << message;
}

TEST(BadSweep, AValueNamesItsPositionInTheSweepFile) {
  const std::string head = "[sweep]\ngraph = \"g.toml\"\n\n";
  EXPECT_EQ(sweep_error(head + "[sweep.vary]\n\"nodes.rnn.hidden\" = [8, -3]\n"),
            "s.toml:5:26: 'hidden' of node 'rnn' is -3, allowed [1, 65536]");
  EXPECT_EQ(sweep_error(head + "[sweep.vary]\n\"nodes.rnn.phi\" = [\"tanh\", \"rleu\"]\n"),
            "s.toml:5:28: option 'phi' of node 'rnn' (cell 'rate') is \"rleu\", allowed one of tanh, relu, softplus, "
            "sigmoid, rectified_tanh");
  EXPECT_EQ(sweep_error(head + "[sweep.set]\n\"train.epochs\" = 0\n"),
            "s.toml:5:18: option 'epochs' of [train] is 0, allowed in [1, 100000]");
  EXPECT_EQ(sweep_error(head + "[sweep.vary]\n\"nodes.rnn.hiden\" = [8]\n").substr(0, 52),
            "s.toml:5:1: unknown key 'hiden' in node 'rnn' (cell ");
  EXPECT_EQ(sweep_error(head + "[sweep.vary]\n\"nodes.rnn.plugin.x\" = [1]\n"),
            "s.toml:5:1: nodes.rnn.plugin.x=1: 'plugin' is not a table");
  EXPECT_EQ(sweep_error("[sweep]\ngraph = \"g.toml\"\n[sweep.vary]\ngraph = [\"g.toml\", \"h.toml\"]\n"),
            "s.toml:4:20: graph file h.toml not found (a graph's path is relative to the sweep file)");
  EXPECT_EQ(sweep_error(head, {"nodes.rnn.hidden=0"}),
            "--set nodes.rnn.hidden=0: 'hidden' of node 'rnn' is 0, allowed [1, 65536]");
}

// ---------------------------------------------------------------------------------------
// Dataset files

TEST(BadDataset, TheBaseDatasetsAreValid) {
  EXPECT_EQ(load_error("mnist", mnist_dir()), "(no error)");
  EXPECT_EQ(load_error("cifar10", cifar_dir()), "(no error)");
}

TEST(BadDataset, BadMagic) {
  const std::string dir = mnist_dir({{"train-labels-idx1-ubyte", idx_images(20)}});
  EXPECT_EQ(
      load_error("mnist", dir),
      "mnist: " + dir + "/train-labels-idx1-ubyte: bad magic number 2051, expected 2049 (IDX file of byte labels)");
}

TEST(BadDataset, HeaderSizesDisagreeWithTheFile) {
  const std::string dir = mnist_dir({{"t10k-images-idx3-ubyte", idx_images(10, 32, 32)}});
  EXPECT_EQ(load_error("mnist", dir), "mnist: " + dir + "/t10k-images-idx3-ubyte: images are 32x32, expected 28x28");
  const std::string dir2 = mnist_dir({{"train-images-idx3-ubyte", idx_images(60000, 28, 28, 20 * 784)}});
  EXPECT_EQ(load_error("mnist", dir2), "mnist: " + dir2 +
                                           "/train-images-idx3-ubyte: truncated: header declares 60000 images of 28x28 "
                                           "(47040000 pixel bytes), file has 15680");
}

TEST(BadDataset, TruncatedFile) {
  const std::string dir = mnist_dir({{"train-images-idx3-ubyte", idx_images(20, 28, 28, 20 * 784 - 1)}});
  EXPECT_EQ(load_error("mnist", dir), "mnist: " + dir +
                                          "/train-images-idx3-ubyte: truncated: header declares 20 images of 28x28 "
                                          "(15680 pixel bytes), file has 15679");
  const std::string dir2 = mnist_dir({{"t10k-labels-idx1-ubyte", idx_labels(10, 7)}});
  EXPECT_EQ(load_error("mnist", dir2),
            "mnist: " + dir2 + "/t10k-labels-idx1-ubyte: truncated: header declares 10 labels, file has 7");
  const std::string dir3 = mnist_dir({{"train-labels-idx1-ubyte", std::string("\0\0\x08", 3)}});
  EXPECT_EQ(load_error("mnist", dir3),
            "mnist: " + dir3 + "/train-labels-idx1-ubyte: too short for an IDX label header (3 bytes, need 8)");
}

TEST(BadDataset, OverLongFile) {
  const std::string dir = mnist_dir({{"train-labels-idx1-ubyte", idx_labels(20, 21)}});
  EXPECT_EQ(load_error("mnist", dir), "mnist: " + dir +
                                          "/train-labels-idx1-ubyte: file is longer than its header declares (20 "
                                          "labels): extra bytes after the data");
}

TEST(BadDataset, LabelOutOfRange) {
  const std::string dir = mnist_dir({{"train-labels-idx1-ubyte", idx_labels(20, 20, 10)}});
  EXPECT_EQ(load_error("mnist", dir),
            "mnist: " + dir + "/train-labels-idx1-ubyte: label 10 at index 5 is outside 0..9");
  const std::string dir2 = cifar_dir({{"data_batch_3.bin", cifar_records(1) + cifar_records(1, char(200))}});
  EXPECT_EQ(load_error("cifar10", dir2),
            "cifar10: " + dir2 + "/data_batch_3.bin: label 200 of record 1 is outside 0..9");
}

TEST(BadDataset, ImageCountDiffersFromLabelCount) {
  const std::string dir = mnist_dir({{"t10k-labels-idx1-ubyte", idx_labels(9)}});
  EXPECT_EQ(load_error("mnist", dir), "mnist: " + dir + "/t10k-images-idx3-ubyte holds 10 images but " + dir +
                                          "/t10k-labels-idx1-ubyte holds 9 labels");
}

TEST(BadDataset, CorruptGzip) {
  std::string gz = gzip(idx_images(20));
  gz[gz.size() / 2] ^= 0x55;
  const std::string dir = mnist_dir({{"train-images-idx3-ubyte.gz", gz}});
  EXPECT_EQ(load_error("mnist", dir),
            "mnist: " + dir + "/train-images-idx3-ubyte.gz: corrupt gzip data (zlib: incorrect data check)");
  const std::string whole = gzip(idx_images(20));
  const std::string cut = whole.substr(0, whole.size() - 12);
  const std::string dir2 = mnist_dir({{"train-images-idx3-ubyte.gz", cut}});
  EXPECT_EQ(load_error("mnist", dir2), "mnist: " + dir2 +
                                           "/train-images-idx3-ubyte.gz: gzip data ends early (truncated .gz file) "
                                           "(zlib: unexpected end of file)");
  // A gzip magic number followed by garbage.
  const std::string dir3 = mnist_dir({{"train-images-idx3-ubyte.gz", "\x1f\x8b not really gzip"}});
  EXPECT_EQ(load_error("mnist", dir3), "mnist: " + dir3 +
                                           "/train-images-idx3-ubyte.gz: corrupt gzip data (zlib: unknown compression "
                                           "method)");
}

TEST(BadDataset, CifarSizeNotAMultipleOf3073) {
  const std::string dir = cifar_dir({{"test_batch.bin", cifar_records(2).substr(0, 3073 * 2 - 10)}});
  EXPECT_EQ(load_error("cifar10", dir), "cifar10: " + dir +
                                            "/test_batch.bin: size 6136 is not a multiple of the 3073-byte record (1 "
                                            "label byte + 3072 image bytes): truncated or not a CIFAR-10 binary file");
  const std::string dir2 = cifar_dir({{"data_batch_2.bin", ""}});
  EXPECT_EQ(load_error("cifar10", dir2), "cifar10: " + dir2 + "/data_batch_2.bin: file is empty");
}

TEST(BadDataset, MissingFile) {
  const std::string dir = mnist_dir();
  fs::remove(dir + "/t10k-labels-idx1-ubyte");
  EXPECT_EQ(load_error("mnist", dir), "g.toml:5:8: mnist: dataset not found; looked in " + dir +
                                          " (missing t10k-labels-idx1-ubyte[.gz]); get it with: sudo tools/setup.sh, "
                                          "or fix the dataset's path option");
}

// ---------------------------------------------------------------------------------------
// Plugins built elsewhere (tests/plugins/ builds one .so for each way to be wrong)

std::string plugin_error(const std::string& path, Registry* r = nullptr) {
  Registry own;
  PluginLoader loader(r ? *r : own);
  try {
    loader.load(path);
  } catch (const Error& e) { return e.what(); }
  return "(no error)";
}
std::string test_plugin(const std::string& name) {
  return testing::runfile("tests/plugins/" + name + "_test_plugin.so");
}

TEST(BadPlugin, WrongApiVersion) {
  const std::string p = test_plugin("wrong_version");
  EXPECT_EQ(plugin_error(p), "plugin " + p +
                                 " was built for plugin API version 43, this framework supports version 2: rebuild "
                                 "it against this core/");
}

TEST(BadPlugin, NotASharedLibrary) {
  const std::string p = testing::temp_dir("plugin") + "/fake_plugin.so";
  testing::write_file(p, "#!/bin/sh\necho not a library\n");
  EXPECT_EQ(plugin_error(p), "cannot load plugin " + p +
                                 ": boost::dll::shared_library::load() failed (dlerror system message: " + p +
                                 ": file too short): Bad file descriptor (is it a shared library built for this "
                                 "machine?)");
}

TEST(BadPlugin, NoEntryPoint) {
  const std::string p = test_plugin("no_entry");
  EXPECT_EQ(plugin_error(p), "plugin " + p +
                                 " has no entry point 'biornn_plugin_entry' (declare one with BIORNN_PLUGIN(...) "
                                 "from core/sdk/plugin_api.h)");
}

TEST(BadPlugin, ThrowsWhileRegistering) {
  const std::string p = test_plugin("throwing");
  Registry r;
  EXPECT_EQ(plugin_error(p, &r), "plugin " + p + " failed while registering: this plugin is broken on purpose");
  EXPECT_EQ(r.find("constraint", "half_registered"), nullptr);
}

TEST(BadPlugin, DuplicateName) {
  Registry r;
  PluginLoader loader(r);
  const std::string good = test_plugin("good"), dup = test_plugin("duplicate");
  loader.load(good);
  try {
    loader.load(dup);
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "plugin " + dup +
                                         " failed while registering: plugin name clash: constraint "
                                         "'test_identity' from " +
                                         dup + " is already registered by " + good +
                                         "; remove one of the two files from the plugin directories");
  }
}

// ---------------------------------------------------------------------------------------
// Numbers: a run that stops being finite is stopped, naming where

// A dataset whose inputs turn NaN from its 12th training minibatch on (a plugin's bug: the
// image datasets map bytes through a table and cannot produce one). With 64 examples in
// minibatches of 8 that is epoch 2, minibatch 4, step 12.
class NanDataset : public Dataset {
 public:
  void load() override {}
  int64_t size(Split s) const override { return s == Split::kTrain ? 64 : 16; }
  int steps() const override { return 3; }
  int features() const override { return 2; }
  int classes() const override { return 10; }
  void batch(Split split, const int64_t* idx, int n, float* x, int32_t* y) const override {
    const bool nan = split == Split::kTrain && ++train_batches_ >= 12;
    for (int i = 0; i < 3 * n * 2; ++i) x[i] = nan ? NAN : 0.5f;
    for (int i = 0; i < n; ++i) y[i] = int32_t(idx[i] % 10);
  }
  std::string describe() const override { return "nan_data"; }

 private:
  mutable int train_batches_ = 0;
};

std::string train_error(const std::string& text) {
  Graph g = parse_graph_text(text, "g.toml", {}, registry());
  auto e = build_experiment(g, registry());
  try {
    train(*e, g);
  } catch (const TrainingDiverged& err) { return err.what(); }
  return "(no error)";
}

TEST(BadNumbers, NanFromADatasetStopsTrainingNamingEpochAndStep) {
  static bool added = [] {
    registry().add<Dataset>("nan_data", "test", OptionSchema(),
                            [](const Options&) { return std::make_unique<NanDataset>(); });
    return true;
  }();
  (void)added;
  const std::string g = graph_with("plugin = \"mnist\"", "plugin = \"nan_data\"") +
                        "[train]\nvalidation_size = 0\nbatch_size = 8\nepochs = 3\n";
  EXPECT_EQ(train_error(g),
            "training diverged: the loss is nan at epoch 2, minibatch 4 (step 12); lower the learning rate, set "
            "train.clip_grad_norm, or check the data for NaN");
}

TEST(BadNumbers, ExplodingInitialisationStopsTrainingNamingEpochAndStep) {
  const std::string dir = mnist_dir({}, 64, 16);
  const std::string g = "[nodes.data]\nplugin = \"mnist\"\npath = \"" + dir + "\"\n" +
                        "[nodes.rnn]\nplugin = \"conductance\"\ninput = \"data\"\nhidden = 16\n"
                        "dt = 100\nphi = \"relu\"\ninit_scale = 100\n"
                        "[nodes.out]\nplugin = \"readout\"\ninput = \"rnn\"\n"
                        "[train]\nvalidation_size = 0\nbatch_size = 8\nepochs = 2\nclip_grad_norm = 0\n";
  const std::string e = train_error(g);  // the first forward pass overflows: NaN, signed by rounding
  EXPECT_TRUE(
      std::regex_match(e, std::regex("training diverged: the loss is -?nan at epoch 1, minibatch 1 \\(step 1\\); "
                                     "lower the learning rate, set train.clip_grad_norm, or check the data "
                                     "for NaN")))
      << e;
}

// The graph of a run that diverges within a few steps: sgd at its largest learning rate on a
// conductance cell with relu rates (unbounded) and no gradient clipping.
std::string diverging_graph(const std::string& dir) {
  return "[optimizer]\nplugin = \"sgd\"\nlearning_rate = 100\n"
         "[nodes.data]\nplugin = \"mnist\"\npath = \"" +
         dir +
         "\"\n"
         "[nodes.rnn]\nplugin = \"conductance\"\nphi = \"relu\"\ninput = \"data\"\nhidden = 16\n"
         "[nodes.out]\nplugin = \"readout\"\ninput = \"rnn\"\n"
         "[train]\nvalidation_size = 0\nbatch_size = 8\nepochs = 5\nclip_grad_norm = 0\n";
}

// Where exactly it diverges, and whether the loss or the gradient goes first, depends on
// rounding (oneDNN picks kernels by CPU): the message's shape is what is asserted.
const char* const kDivergedAt =
    "training diverged: (the loss is -?(nan|inf)|non-finite gradient) at epoch [0-9]+, minibatch [0-9]+ "
    "\\(step [0-9]+\\)(; lower the learning rate, set train.clip_grad_norm, or check the data for NaN)?";

TEST(BadNumbers, HugeLearningRateStopsTrainingNamingEpochAndStep) {
  const std::string e = train_error(diverging_graph(mnist_dir({}, 64, 16)));
  EXPECT_TRUE(std::regex_match(e, std::regex(kDivergedAt))) << e;
}

// What a diverged run says about its checkpoint must be true: it diverges in its first
// epoch here, before any checkpoint is written.
TEST(BadNumbers, DivergedRunNamesOnlyACheckpointThatExists) {
  Graph g = parse_graph_text(diverging_graph(mnist_dir({}, 64, 16)), "g.toml", {}, registry());
  const std::string dir = testing::temp_dir("diverged");
  const RunOutcome out = execute_run(g, registry(), RunDirectory::at(dir), false);
  ASSERT_EQ(out.status, "diverged");
  EXPECT_TRUE(std::regex_search(out.message, std::regex(std::string("^") + kDivergedAt))) << out.message;
  EXPECT_FALSE(fs::exists(dir + "/checkpoint.bin"));
  EXPECT_EQ(out.message.find("checkpoint is kept in"), std::string::npos) << out.message;
  EXPECT_TRUE(std::regex_search(out.message, std::regex(" \\(no checkpoint was written: it diverged before the "
                                                        "first epoch ended\\)$")))
      << out.message;
}

// ---------------------------------------------------------------------------------------
// Task options (generated datasets): the schema's range, and checks the task makes itself

TEST(BadTask, OptionOutOfRange) {
  const std::string g = graph_with("plugin = \"mnist\"", "plugin = \"flip_flop\"\npulse_probability = 1.5");
  EXPECT_EQ(parse_error(g),
            "g.toml:5:21: option 'pulse_probability' of node 'data' (dataset 'flip_flop') is 1.5, allowed in [0, 1]");
}

TEST(BadTask, CoherenceOutsideZeroOne) {
  // The range is the schema's (add_numbers), so the graph does not parse.
  const std::string g = graph_with("plugin = \"mnist\"", "plugin = \"perceptual_decision\"\ncoherences = [0.1, 1.5]");
  EXPECT_EQ(
      parse_error(g),
      "g.toml:5:14: option 'coherences' of node 'data' (dataset 'perceptual_decision'): element 2 is 1.5, allowed "
      "in [0, 1]");
}

TEST(BadTask, ResponseNotLongerThanGrace) {
  const std::string g = graph_with("plugin = \"mnist\"", "plugin = \"working_memory\"\nresponse_ms = 60.0");
  EXPECT_EQ(
      build_error(g),
      "g.toml:5:15: working_memory: the response period (3 steps) must be longer than grace_ms (5 steps at dt_ms 20): "
      "lengthen it or lower grace_ms");
}

// ---------------------------------------------------------------------------------------
// The analyze runner on a directory that is not a trained run, and on bad flags

// Issue 20: every runner's main goes through one process boundary (runners/common.h
// run_main): an exception that is not a biornn::Error (here std::stof's invalid_argument from
// --input 0.1,x) is one "error:" line and exit code 1, not std::terminate (exit 134).
TEST(AnalyzeRunner, AnyExceptionIsOneErrorLine) {
  const std::string dir = testing::temp_dir("analyze_input");
  testing::write_file(dir + "/g.toml", testing::tiny_task_graph("plugin = \"perceptual_decision\""));
  const Outcome trained = run({testing::runfile("runners/train"), dir + "/g.toml", "--run-dir", dir + "/run"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const Outcome o = run({testing::runfile("runners/analyze"), dir + "/run", "--trials", "8", "--starts", "2",
                         "--iterations", "5", "--input", "0.1,x"});
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  EXPECT_EQ(o.last_err_line().rfind("error: ", 0), 0u) << o.err;
}

TEST(AnalyzeRunner, DirectoryWithoutACheckpoint) {
  const std::string dir = testing::temp_dir("not_a_run");
  testing::write_file(dir + "/graph.toml", kGraph);
  Outcome o = run({testing::runfile("runners/analyze"), dir});
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  EXPECT_EQ(o.last_err_line(), "error: " + dir +
                                   " has no checkpoint.bin: analyze reads a run directory that train wrote (e.g. "
                                   "runs/flip_flop_gru/001), or --graph G.toml --weights W.npz");
}

// ---------------------------------------------------------------------------------------
// The train runner end to end: exit code 1 and one line "error: <file>...: ..." on stderr

TEST(TrainRunner, MalformedGraph) {
  std::string path;
  Outcome o = train("[nodes.data]\nplugin = \"mnist\"\n[nodes.rnn\nplugin = \"rate\"\n", {}, &path);
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  EXPECT_EQ(o.last_err_line(),
            "error: " + path + ":3:11: malformed TOML: Error while parsing table header: expected ']', saw '\\n'");
}

TEST(TrainRunner, UnknownPlugin) {
  std::string path;
  Outcome o = train(graph_with("plugin = \"rate\"", "plugin = \"rnn\""), {}, &path);
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  expect_known_list(o.last_err_line(),
                    "error: " + path + ":6:10: unknown plugin 'rnn' for node 'rnn' (known cells: ", kSomeCells,
                    std::string("; and \"readout\"") + kRebuildHint);
}

TEST(TrainRunner, TruncatedDatasetFile) {
  const std::string dir = mnist_dir({{"t10k-images-idx3-ubyte", idx_images(10, 28, 28, 10 * 784 - 100)}});
  const std::string g = on_data(kGraph, dir) + "[train]\nvalidation_size = 4\nepochs = 1\n";
  Outcome o = train(g);
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  EXPECT_EQ(o.last_err_line(), "error: mnist: " + dir +
                                   "/t10k-images-idx3-ubyte: truncated: header declares 10 images of 28x28 (7840 "
                                   "pixel bytes), file has 7740");
}

TEST(TrainRunner, MissingDataset) {
  std::string path;
  const std::string g = graph_with("plugin = \"mnist\"", "plugin = \"mnist\"\npath = \"/nonexistent/mnist\"");
  Outcome o = train(g, {}, &path);
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  EXPECT_EQ(o.last_err_line(), "error: " + path +
                                   ":5:8: mnist: dataset not found; looked in /nonexistent/mnist (no such "
                                   "directory); get it with: sudo tools/setup.sh, or fix the dataset's path option");
}

TEST(TrainRunner, DivergingRun) {
  std::string path;
  Outcome o = train(diverging_graph(mnist_dir({}, 64, 16)), {}, &path);
  const std::string run_dir = fs::path(path).parent_path().string() + "/run";
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  const std::string line = o.last_err_line();
  EXPECT_TRUE(std::regex_match(line, std::regex(std::string("error: ") + kDivergedAt +
                                                " \\(no checkpoint was written: it diverged before the first "
                                                "epoch ended\\)")))
      << line;
  EXPECT_NE(read_file(run_dir + "/summary.json").find("\"status\": \"diverged\""), std::string::npos);
}

TEST(TrainRunner, BadPluginInPluginDir) {
  const std::string plugins = testing::temp_dir("plugins");
  fs::copy_file(test_plugin("wrong_version"), plugins + "/wrong_version_test_plugin.so");
  std::string path;
  Outcome o = train(graph_with("plugin = \"rate\"", "plugin = \"test_identity\""), {"--plugin-dir", plugins}, &path);
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  // The bad plugin is reported (on stdout, with the log) and skipped; the graph then names
  // a plugin that is not there.
  EXPECT_NE(o.out.find("plugin " + plugins +
                       "/wrong_version_test_plugin.so was built for plugin API version 43, this framework "
                       "supports version 2: rebuild it against this core/"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.err_lines(), 1) << o.err;
  expect_known_list(o.last_err_line(),
                    "error: " + path + ":6:10: unknown plugin 'test_identity' for node 'rnn' (known cells: ",
                    kSomeCells, std::string("; and \"readout\"") + kRebuildHint);
}

// ---------------------------------------------------------------------------------------
// The fuzzers' seeds and findings, replayed through the Bazel-built plugins

std::vector<std::string> files_in(const std::string& rel) {
  std::vector<std::string> r;
  std::string dir;
  try {
    dir = testing::runfile(rel);
  } catch (const std::exception&) {
    return r;  // an empty folder is not in the runfiles
  }
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string()[0] != '.') r.push_back(e.path().string());
  std::sort(r.begin(), r.end());
  return r;
}

// Same as tools/fuzz/graph_fuzzer.cc: "#set " lines are overrides.
std::string replay_graph(const std::string& text) {
  std::vector<std::string> overrides;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("#set ", 0) == 0) overrides.push_back(line.substr(5));
  Graph g;
  try {
    g = parse_graph_text(text, "fuzz.toml", overrides, registry());
  } catch (const Error& e) { return e.what(); }
  Graph again = parse_graph_text(g.resolved_toml, "resolved.toml", {}, registry());
  EXPECT_EQ(again.resolved_toml, g.resolved_toml);
  return "";
}

std::string replay_dataset(const std::string& name, const std::string& path) {
  const std::string bytes = read_file(path);
  const auto& names = name == "cifar10" ? fuzz::cifar10_files() : fuzz::idx_files();
  const fuzz::DatasetInput in =
      fuzz::decode_dataset_input(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), names);
  const std::string dir = testing::temp_dir("replay");
  fuzz::write_dataset_input(dir, in);
  return fuzz::load_dataset_input(registry(), name, dir, in);
}

TEST(FuzzCorpus, SeedsAreValid) {
  const auto graphs = files_in("tests/fuzz/corpus/graph");
  EXPECT_GE(graphs.size(), 10u);
  for (const auto& f : graphs) EXPECT_EQ(replay_graph(read_file(f)), "") << f;
  for (const std::string target : {"idx", "cifar10"}) {
    const auto seeds = files_in("tests/fuzz/corpus/" + target);
    EXPECT_GE(seeds.size(), 3u) << target;
    for (const auto& f : seeds) EXPECT_EQ(replay_dataset(target == "idx" ? "mnist" : "cifar10", f), "") << f;
  }
}

// Findings that still crash until the fix named in tests/fuzz/known_crashes.txt lands
// (checked in a child process, so the other findings are still replayed): file -> fix.
std::map<std::string, std::string> needs_fix() {
  std::map<std::string, std::string> m;
  std::istringstream lines(read_file(testing::runfile("tests/fuzz/known_crashes.txt")));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    m[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
  }
  return m;
}

TEST(FuzzRegressions, EveryFindingIsAnErrorNotACrash) {
  std::vector<std::string> skipped;
  int replayed = 0;
  for (const std::string target : {"graph", "idx", "cifar10"}) {
    const std::string name = target == "idx" ? "mnist" : target;
    for (const auto& f : files_in("tests/fuzz/regressions/" + target)) {
      const std::string key = target + "/" + fs::path(f).filename().string();
      auto replay = [&] { return target == "graph" ? replay_graph(read_file(f)) : replay_dataset(name, f); };
      if (crashes([&] { replay(); })) {
        const auto known_crashes = needs_fix();
        auto known = known_crashes.find(key);
        if (known == known_crashes.end())
          ADD_FAILURE() << f << " crashes the Bazel-built code";
        else
          skipped.push_back(key + " (needs fix: " + known->second + ")");
        continue;
      }
      const std::string e = replay();
      ++replayed;
      // An error names where: the graph file or the --set (graphs), the dataset (datasets).
      if (target == "graph" && !e.empty()) {
        EXPECT_TRUE(e.rfind("fuzz.toml:", 0) == 0 || e.rfind("--set ", 0) == 0) << f << ": " << e;
      }
      if (target != "graph" && !e.empty()) { EXPECT_EQ(e.rfind(name + ": ", 0), 0u) << f << ": " << e; }
    }
  }
  if (!skipped.empty()) {
    std::string list;
    for (const auto& s : skipped) list += "\n  " + s;
    GTEST_SKIP() << replayed << " findings replayed; still crashing:" << list;
  }
}

}  // namespace
}  // namespace biornn
