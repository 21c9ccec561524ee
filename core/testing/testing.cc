#include "core/engine/builtins.h"
#include "core/testing/testing.h"

#include <gtest/gtest.h>

#include "core/sdk/data_paths.h"
#include "core/sdk/dataset.h"
#include "core/sdk/error.h"
#include "core/sdk/random.h"
#include "core/platform/process.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace biornn::testing {

void load_all_plugins(Registry& registry, PluginLoader& loader) {
  register_builtins(registry);
  for (const auto& d : default_plugin_directories(""))
    for (const auto& e : loader.load_directory(d)) ADD_FAILURE() << e;
}

namespace fs = std::filesystem;

std::string runfile(const std::string& rel) {
  const std::string path = find_runfile(rel);
  if (!path.empty()) return path;
  throw std::runtime_error("runfile not found: " + rel + " (is it in the test's data?)");
}

std::string temp_dir(const std::string& tag) {
  const char* t = std::getenv("TEST_TMPDIR");
  fs::path base = t ? fs::path(t) : fs::temp_directory_path();
  static int counter = 0;
  fs::path p = base / (tag + "_" + std::to_string(counter++));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string gzip(const std::string& bytes) {
  std::string out(compressBound(uLong(bytes.size())) + 64, '\0');
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int result = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (result != Z_STREAM_END) throw std::runtime_error("gzip: deflate returned " + std::to_string(result));
  return out;
}

std::string Outcome::last_err_line() const {
  std::string s = err;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

int Outcome::err_lines() const { return int(std::count(err.begin(), err.end(), '\n')); }

Outcome run(const std::vector<std::string>& args) {
  const ProcessResult r = run_process(args);
  Outcome o;
  o.exit_code = r.exit_code;
  o.out = r.out;
  o.err = r.failure.empty() ? r.err : r.failure + "\n";
  return o;
}

std::string tiny_task_graph(const std::string& data, int hidden, int epochs) {
  return "[train]\nepochs = " + std::to_string(epochs) +
         "\nmax_batches = 2\nbatch_size = 16\nvalidation_size = 32\nthreads = 1\n"
         "[optimizer]\nplugin = \"adam\"\n[nodes.data]\n" +
         data + "\n[nodes.rnn]\nplugin = \"rate\"\ninput = \"data\"\nhidden = " + std::to_string(hidden) +
         "\n[nodes.readout]\nplugin = \"readout\"\ninput = \"rnn\"\npooling = \"all\"\n";
}

}  // namespace biornn::testing

namespace biornn::testing {
namespace {

class SyntheticDataset : public Dataset {
 public:
  explicit SyntheticDataset(const Options& o)
      : steps_(int(o.get_int("steps"))),
        features_(int(o.get_int("features"))),
        classes_(int(o.get_int("classes"))),
        train_(o.get_int("train")),
        test_(o.get_int("test")) {}
  // Like a dataset read from files, it keeps only the rows keep_only() names: asking for
  // another is an error (so tests of data shards see every stray read).
  void keep_only(RowsToKeep rows) override { keep_ = std::move(rows); }
  void load() override {
    for (Split s : {Split::kTrain, Split::kTest}) kept_[int(s)] = keep_ ? keep_(s, size(s)) : std::vector<int64_t>{};
  }
  int64_t size(Split s) const override { return s == Split::kTrain ? train_ : test_; }
  int steps() const override { return steps_; }
  int features() const override { return features_; }
  int classes() const override { return classes_; }
  void batch(Split split, const int64_t* indices, int n, float* x, int32_t* labels) const override {
    for (int i = 0; i < n; ++i) {
      const std::vector<int64_t>& kept = kept_[int(split)];
      if (keep_ && !std::binary_search(kept.begin(), kept.end(), indices[i]))
        throw Error("synthetic: example " + std::to_string(indices[i]) + " is not kept by this process");
      const uint64_t id = uint64_t(indices[i]) * 2 + (split == Split::kTest);
      std::vector<double> block(classes_, 0.0);
      for (int t = 0; t < steps_; ++t)
        for (int f = 0; f < features_; ++f) {
          const float v = value(id, t, f);
          x[(size_t(t) * n + i) * features_ + f] = v;
          block[f % classes_] += v;
        }
      labels[i] = int32_t(std::max_element(block.begin(), block.end()) - block.begin());
    }
  }
  std::string describe() const override { return "synthetic classification sequences (test data)"; }

 private:
  // A value in [0, 1) from a 64-bit mix of (id, t, f): the same on every machine.
  static float value(uint64_t id, int t, int f) {
    // mix64 adds the golden-ratio increment itself, hence id - 1.
    const uint64_t z = mix64((id - 1) * 0x9E3779B97F4A7C15ull + uint64_t(t) * 0xBF58476D1CE4E5B9ull +
                             uint64_t(f) * 0x94D049BB133111EBull);
    return float(z >> 40) / float(1 << 24);
  }
  int steps_, features_, classes_;
  int64_t train_, test_;
  RowsToKeep keep_;
  std::vector<int64_t> kept_[2];  // per split, sorted
};

}  // namespace

void register_synthetic_dataset(Registry& registry) {
  registry.add<Dataset>("synthetic", "classification sequences generated from the example index (tests)",
                        OptionSchema()
                            .add_int("steps", 6, "sequence length T", 1, 10000)
                            .add_int("features", 4, "features per step", 1, 10000)
                            .add_int("classes", 3, "classes", 2, 1000)
                            .add_int("train", 600, "training examples", 1)
                            .add_int("test", 200, "test examples", 1),
                        [](const Options& o) { return std::make_unique<SyntheticDataset>(o); });
}

}  // namespace biornn::testing
