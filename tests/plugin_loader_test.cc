// The plugin loader on real .so files: each way a plugin can be wrong gets its own error,
// naming the file, and the registry stays usable afterwards.
#include <gtest/gtest.h>

#include <string>

#include "core/engine/builtins.h"
#include "core/sdk/constraint.h"
#include "core/sdk/plugin_api.h"
#include "core/experiment/plugin_loader.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

std::string plugin(const std::string& name) { return testing::runfile("tests/plugins/" + name + "_test_plugin.so"); }

std::string load_error(PluginLoader& loader, const std::string& path) {
  try {
    loader.load(path);
  } catch (const Error& e) { return e.what(); }
  return "";
}

TEST(PluginLoader, LoadsAGoodPlugin) {
  Registry r;
  PluginLoader loader(r);
  EXPECT_EQ(r.find("constraint", "test_identity"), nullptr);  // fails before loading
  loader.load(plugin("good"));
  ASSERT_NE(r.find("constraint", "test_identity"), nullptr);  // works after
  EXPECT_EQ(loader.loaded().size(), 1u);
  EXPECT_EQ(loader.loaded()[0].name, "good");
  auto c = r.create<Constraint>("test_identity", Options());
  Matrix raw = Matrix::Constant(2, 2, 3.0f), value;
  c->apply(raw, value);
  EXPECT_EQ(value(1, 1), 3.0f);
}

TEST(PluginLoader, WrongApiVersionIsRefusedWithBothVersions) {
  Registry r;
  PluginLoader loader(r);
  const std::string path = plugin("wrong_version");
  const std::string msg = load_error(loader, path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("API version " + std::to_string(BIORNN_PLUGIN_API_VERSION + 41)), std::string::npos) << msg;
  EXPECT_NE(msg.find("supports version " + std::to_string(BIORNN_PLUGIN_API_VERSION)), std::string::npos) << msg;
}

// Compiled against copies of the interface headers in which CellForward has one member more
// (tests/plugins/BUILD), with the same API version: refused by the ABI fingerprint, and the
// message names both fingerprints, the plugin's with the larger CellForward and other hash.
TEST(PluginLoader, ChangedInterfaceHeadersAreRefusedWithBothFingerprints) {
  Registry r;
  PluginLoader loader(r);
  const std::string path = plugin("changed_abi");
  const std::string msg = load_error(loader, path);
  EXPECT_NE(msg.find(path + " was built against other interface headers"), std::string::npos) << msg;
  const BiornnAbiFingerprint& core = core_abi_fingerprint();
  const std::string mine = describe(core);
  EXPECT_NE(msg.find("this core: " + mine), std::string::npos) << msg;
  const std::string plugin_part = "(plugin: sizes ";
  const size_t at = msg.find(plugin_part);
  ASSERT_NE(at, std::string::npos) << msg;
  const unsigned long plugin_cell_forward = std::stoul(msg.substr(at + plugin_part.size()));
  EXPECT_GT(plugin_cell_forward, core.sizes[0]) << "sizeof(CellForward) as the plugin saw it: " << msg;
  const size_t hash_at = msg.find(" headers ", at);
  ASSERT_NE(hash_at, std::string::npos) << msg;
  EXPECT_NE(msg.substr(hash_at + 9, 16), std::string(core.interface_hash, 16)) << msg;
  EXPECT_TRUE(loader.loaded().empty());
  EXPECT_TRUE(r.list("constraint").empty());
}

TEST(PluginLoader, MissingEntryPointIsRefused) {
  Registry r;
  PluginLoader loader(r);
  const std::string path = plugin("no_entry");
  const std::string msg = load_error(loader, path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("no entry point"), std::string::npos) << msg;
}

TEST(PluginLoader, NotASharedLibraryIsRefused) {
  Registry r;
  PluginLoader loader(r);
  const std::string path = testing::temp_dir("loader") + "/fake_plugin.so";
  testing::write_file(path, "this is not an ELF file\n");
  const std::string msg = load_error(loader, path);
  EXPECT_NE(msg.find("cannot load plugin " + path), std::string::npos) << msg;
}

TEST(PluginLoader, MissingFileIsRefused) {
  Registry r;
  PluginLoader loader(r);
  const std::string msg = load_error(loader, "/nonexistent/x_plugin.so");
  EXPECT_NE(msg.find("/nonexistent/x_plugin.so: no such file"), std::string::npos) << msg;
}

TEST(PluginLoader, ThrowingPluginLeavesNoHalfRegistration) {
  Registry r;
  PluginLoader loader(r);
  const std::string path = plugin("throwing");
  const std::string msg = load_error(loader, path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("broken on purpose"), std::string::npos) << msg;
  EXPECT_EQ(r.find("constraint", "half_registered"), nullptr);
  loader.load(plugin("good"));  // still usable
  EXPECT_NE(r.find("constraint", "test_identity"), nullptr);
}

TEST(PluginLoader, DuplicateNameIsRefusedNamingBothFiles) {
  Registry r;
  PluginLoader loader(r);
  loader.load(plugin("good"));
  const std::string dup = plugin("duplicate");
  const std::string msg = load_error(loader, dup);
  EXPECT_NE(msg.find(dup), std::string::npos) << msg;
  EXPECT_NE(msg.find(plugin("good")), std::string::npos) << msg;
  EXPECT_EQ(r.get("constraint", "test_identity").origin, plugin("good"));
}

TEST(PluginLoader, DirectoryLoadCollectsErrorsAndKeepsGoodOnes) {
  Registry r;
  PluginLoader loader(r);
  const auto errors = loader.load_directory(testing::runfile("tests/plugins"));
  // good loads; wrong_version, changed_abi, no_entry, throwing fail; duplicate clashes with good.
  EXPECT_EQ(errors.size(), 5u);
  EXPECT_NE(r.find("constraint", "test_identity"), nullptr);
}

TEST(Registry, UnknownNameListsKnownOnes) {
  Registry r;
  register_builtins(r);
  try {
    r.get("optimizer", "adamw", SourcePosition{"g.toml", 3, 11});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(
        e.what(),
        "g.toml:3:11: unknown optimizer plugin 'adamw' (known optimizer plugins: adam, sgd; one added since the "
        "last build? run bazel build //plugins/... to build it)");
  }
}

}  // namespace
}  // namespace biornn
