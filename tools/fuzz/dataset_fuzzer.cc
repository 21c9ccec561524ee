// libFuzzer target body for the image-dataset plugins: build with -DDATASET_NAME='"mnist"'
// and mnist.cc (the IDX loader), or -DDATASET_NAME='"cifar10"' and cifar10.cc, plus
// plugins/datasets/common/image_sequence.cc. The plugin's source is compiled into the fuzzer
// (sanitizers and coverage reach it) and registered through its own BIORNN_PLUGIN entry.
//
// The input becomes a dataset directory (format: tests/fuzz/dataset_input.h); the dataset is
// created through its factory, loaded, and every example of both splits read with batch().
// Accepted: a loaded dataset that keeps its contract, or a biornn::Error naming the file.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/sdk/plugin_api.h"
#include "tests/fuzz/dataset_input.h"

#ifndef DATASET_NAME
#error "build with -DDATASET_NAME='\"mnist\"' or '\"cifar10\"'"
#endif

extern "C" const BiornnPluginInfo* biornn_plugin_entry();

namespace {

biornn::Registry& registry() {
  static biornn::Registry* r = [] {
    auto* reg = new biornn::Registry();
    biornn_plugin_entry()->register_plugins(reg);
    return reg;
  }();
  return *r;
}

// A directory of its own, removed at exit (the string is never destroyed, so the exit
// handler can still read it).
const std::string& directory() {
  static const std::string* dir = [] {
    namespace fs = std::filesystem;
    auto* t = new std::string((fs::temp_directory_path() / "biornn_fuzz_XXXXXX").string());
    if (!mkdtemp(t->data())) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(directory(), ec);
    });
    return t;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name = DATASET_NAME;
  const auto& files = name == "cifar10" ? biornn::fuzz::cifar10_files() : biornn::fuzz::idx_files();
  const biornn::fuzz::DatasetInput in = biornn::fuzz::decode_dataset_input(data, size, files);
  biornn::fuzz::write_dataset_input(directory(), in);
  const std::string error = biornn::fuzz::load_dataset_input(registry(), name, directory(), in);
  // An error must say which dataset and, when it is about a file, which one.
  if (!error.empty() && error.find(name + ": ") == std::string::npos) {
    std::fprintf(stderr, "error does not name the dataset: %s\n", error.c_str());
    std::abort();
  }
  return 0;
}
