#include "plugins/datasets/common/dataset_testing.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/experiment/plugin_loader.h"
#include "core/sdk/data_paths.h"
#include "core/sdk/error.h"
#include "core/sdk/registry.h"
#include "core/testing/testing.h"

namespace biornn::datasets::testing {
namespace {

namespace fs = std::filesystem;

Registry& registry_with(const std::string& so) {
  static auto* registry = new Registry;
  static auto* loader = new PluginLoader(*registry);
  static auto* loaded = new std::map<std::string, bool>;
  if (!(*loaded)[so]) {
    loader->load(biornn::testing::runfile(so));
    (*loaded)[so] = true;
  }
  return *registry;
}

}  // namespace

std::unique_ptr<Dataset> make_dataset(const std::string& so, const std::string& name,
                                      const std::map<std::string, OptionValue>& values, const std::string& file) {
  Registry& r = registry_with(so);
  const OptionSchema& schema = r.get("dataset", name).schema;
  auto at = [&](int line) { return file.empty() ? SourcePosition{} : SourcePosition{file, line, 1}; };
  Options options(schema, at(3));
  int line = 4;
  for (const auto& [key, value] : values) options.set(schema, key, value, at(line++), name);
  return r.create<Dataset>(name, options);
}

std::string option_error(const std::string& so, const std::string& name,
                         const std::map<std::string, OptionValue>& values) {
  try {
    make_dataset(so, name, values);
  } catch (const Error& e) { return e.what(); }
  return "";
}

std::string load_error(const std::string& so, const std::string& name, const std::map<std::string, OptionValue>& values,
                       const std::string& file) {
  auto dataset = make_dataset(so, name, values, file);
  try {
    dataset->load();
  } catch (const Error& e) {
    std::cout << "error message: " << e.what() << "\n";
    return e.what();
  }
  return "";
}

std::vector<float> all_of(const Dataset& d, Split split, std::vector<int64_t> indices, std::vector<int32_t>* labels) {
  std::vector<float> x(size_t(d.steps()) * indices.size() * d.features());
  labels->resize(indices.size());
  d.batch(split, indices.data(), int(indices.size()), x.data(), labels->data());
  return x;
}

void find_source_tree() {
  const char* workspace = std::getenv("BIORNN_WORKSPACE");
  if (workspace && fs::is_directory(workspace)) return;
  try {
    std::error_code ec;
    fs::path tree = fs::canonical(biornn::testing::runfile("WORKSPACE"), ec).parent_path();
    if (!ec) setenv("BIORNN_WORKSPACE", tree.c_str(), 1);
    set_process_paths(Paths::from_environment());  // the library reads the environment once
  } catch (const std::exception&) {}
}

}  // namespace biornn::datasets::testing
