// A run stopped mid-epoch, checkpointed, and resumed in a fresh experiment ends with exactly
// the numbers of an uninterrupted run with the same seed. Also: checkpoint corruption is
// detected, and the .npz export is a readable zip of .npy files.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/experiment/checkpoint.h"
#include "core/sdk/data_paths.h"
#include "core/platform/npz.h"
#include "core/experiment/plugin_loader.h"
#include "core/testing/testing.h"
#include "core/experiment/run.h"
#include "core/experiment/trainer.h"

namespace biornn {
namespace {

const char* kGraph = R"(
[train]
epochs = 3
batch_size = 50
validation_size = 200
threads = 1
log_every = 1000
lr_schedule = "cosine"
[optimizer]
plugin = "adam"
learning_rate = 0.005
[nodes.data]
plugin = "synthetic"
train = 1200
test = 300
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 24
gate = { plugin = "learned" }
[nodes.out]
plugin = "readout"
input = "rnn"
)";

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::load_all_plugins(registry_, loader_);
    testing::register_synthetic_dataset(registry_);
    graph_ = parse_graph_text(kGraph, "resume_test.toml", {}, registry_);
  }
  Registry registry_;
  PluginLoader loader_{registry_};
  Graph graph_;
};

// Stops after `stop_step` optimizer steps (20 minibatches an epoch), checkpoints, resumes in
// a fresh experiment, and compares with an uninterrupted run.
void expect_resumes_to(const Registry& registry, const Graph& graph, const std::string& ckpt, Experiment& full,
                       const TrainResult& uninterrupted);

void check_resume(const Registry& registry, const Graph& graph, int64_t stop_step, int epochs_done,
                  int64_t next_batch) {
  auto full = build_experiment(graph, registry);
  TrainResult uninterrupted = train(*full, graph);

  const std::string ckpt = testing::temp_dir("resume") + "/checkpoint.bin";
  {
    auto first = build_experiment(graph, registry);
    TrainState st;
    StopToken stop;
    stop.request_at_step(stop_step);
    TrainResult part = train(*first, graph, st, TrainContext{&stop, nullptr, {}});
    ASSERT_TRUE(part.interrupted);
    EXPECT_EQ(st.epochs_done, epochs_done);
    EXPECT_EQ(st.next_batch, next_batch);
    save_checkpoint(ckpt, *first, st);
  }
  expect_resumes_to(registry, graph, ckpt, *full, uninterrupted);
}

// Loads `ckpt` into a fresh experiment, trains to the end, and expects the numbers and the
// parameters of the uninterrupted run `full`.
void expect_resumes_to(const Registry& registry, const Graph& graph, const std::string& ckpt, Experiment& full,
                       const TrainResult& uninterrupted) {
  auto second = build_experiment(graph, registry);  // fresh weights, overwritten by the checkpoint
  TrainState st;
  load_checkpoint(ckpt, *second, st);
  TrainResult resumed = train(*second, graph, st);
  ASSERT_EQ(resumed.epochs.size(), uninterrupted.epochs.size());
  for (size_t i = 0; i < resumed.epochs.size(); ++i) {
    EXPECT_EQ(resumed.epochs[i].train_loss, uninterrupted.epochs[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(resumed.epochs[i].test_accuracy, uninterrupted.epochs[i].test_accuracy) << "epoch " << i + 1;
    EXPECT_EQ(resumed.epochs[i].validation_loss, uninterrupted.epochs[i].validation_loss) << "epoch " << i + 1;
  }
  auto p1 = full.model.parameters(), p2 = second->model.parameters();
  for (size_t i = 0; i < p1.size(); ++i) EXPECT_TRUE(p1[i]->raw == p2[i]->raw) << i;
}

TEST_F(Resume, StoppedMidEpochAndResumedMatchesUninterrupted) { check_resume(registry_, graph_, 30, 1, 10); }

// Recurrent noise on: the noise draw counter is checkpointed, so the resumed run draws the
// same noise as the uninterrupted one (and the noise really changes the numbers).
TEST_F(Resume, WithRecurrentNoiseResumedMatchesUninterrupted) {
  const Graph noisy = parse_graph_text(kGraph, "noisy.toml", {"nodes.rnn.noise_std=0.1"}, registry_);
  auto quiet = build_experiment(graph_, registry_), loud = build_experiment(noisy, registry_);
  EXPECT_NE(train(*quiet, graph_).epochs.back().train_loss, train(*loud, noisy).epochs.back().train_loss);
  check_resume(registry_, noisy, 30, 1, 10);
}

// Stopped right after an epoch's shuffle, before its first minibatch: the resumed run must
// keep that epoch's order, not shuffle again (a bug found by interrupting the train runner).
TEST_F(Resume, StoppedAtAnEpochBoundaryAndResumedMatchesUninterrupted) { check_resume(registry_, graph_, 20, 1, 0); }

// A hard kill (no chance to save anything) loses at most train.checkpoint_every minibatches:
// the periodic checkpoint inside the epoch resumes to the uninterrupted run's numbers.
TEST_F(Resume, HardKillResumesFromThePeriodicCheckpoint) {
  const Graph g = parse_graph_text(kGraph, "kill.toml", {"train.checkpoint_every=4"}, registry_);
  auto full = build_experiment(g, registry_);
  const TrainResult uninterrupted = train(*full, g);
  const RunDirectory run = RunDirectory::at(testing::temp_dir("kill"));
  {
    auto first = build_experiment(g, registry_);
    TrainState st;
    CheckpointObserver checkpoints(*first, run, g.train);
    struct Kill : TrainingObserver {
      void on_step(const StepEvent& ev) override {
        if (ev.state->global_step == 27) throw std::runtime_error("killed");
      }
    } kill;
    EXPECT_THROW(train(*first, g, st, TrainContext{nullptr, nullptr, {&checkpoints, &kill}}), std::runtime_error);
  }
  TrainState saved;
  auto probe = build_experiment(g, registry_);
  load_checkpoint(run.file("checkpoint.bin"), *probe, saved);
  EXPECT_EQ(saved.global_step, 24);  // epoch 2, minibatch 4 of 20: the last multiple of 4 before 27
  EXPECT_EQ(saved.epochs_done, 1);
  EXPECT_EQ(saved.next_batch, 4);
  expect_resumes_to(registry_, g, run.file("checkpoint.bin"), *full, uninterrupted);
}

TEST_F(Resume, CorruptOrForeignCheckpointIsRefused) {
  auto e = build_experiment(graph_, registry_);
  TrainState st;
  const std::string ckpt = testing::temp_dir("corrupt") + "/checkpoint.bin";
  save_checkpoint(ckpt, *e, st);
  std::string bytes;
  {
    std::ifstream f(ckpt, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() / 2] ^= 0x5a;
  testing::write_file(ckpt, bytes);
  try {
    load_checkpoint(ckpt, *e, st);
    FAIL() << "corruption not detected";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find(ckpt + " is corrupt"), std::string::npos) << err.what();
  }
  // A checkpoint of a differently shaped model names the mismatch.
  Graph other = parse_graph_text(kGraph, "other.toml", {"nodes.rnn.hidden=12"}, registry_);
  auto small = build_experiment(other, registry_);
  save_checkpoint(ckpt, *small, st);
  try {
    load_checkpoint(ckpt, *e, st);
    FAIL() << "shape mismatch not detected";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("rnn.W [12x12], the model expects rnn.W [24x24]"), std::string::npos)
        << err.what();
  }
}

// Issue 20: a checkpoint whose CRC is right but whose sizes are absurd (a hand-made or
// foreign file) is refused by its sizes, before anything is allocated from them (it threw
// std::bad_alloc, which no runner caught).
TEST_F(Resume, ACheckpointsSizesAreCheckedBeforeAllocation) {
  auto e = build_experiment(graph_, registry_);
  TrainState st;
  const std::string ckpt = testing::temp_dir("sizes") + "/checkpoint.bin";
  save_checkpoint(ckpt, *e, st);
  std::string bytes = testing::read_file(ckpt);
  bytes.resize(bytes.size() - 4);  // without its CRC
  // magic (8), version (8), parameter count (8), the first name (8 + its length), then rows, cols.
  uint64_t name_length = 0;
  std::memcpy(&name_length, bytes.data() + 24, 8);
  const uint64_t huge = (1u << 26) - 1;
  for (size_t at : {size_t(32 + name_length), size_t(40 + name_length)}) std::memcpy(&bytes[at], &huge, 8);
  const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())));
  bytes.append(reinterpret_cast<const char*>(&crc), 4);
  testing::write_file(ckpt, bytes);
  try {
    load_checkpoint(ckpt, *e, st);
    FAIL() << "absurd sizes not detected";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find(ckpt + " is unreadable: a matrix of 67108863 x 67108863 floats"),
              std::string::npos)
        << err.what();
  }
}

// Issue 20: the library attaches a run's train.log to the runner's logger for the run only:
// what is logged after (the next run of a local sweep, the runner's own lines) is not in it.
TEST_F(Resume, ARunsLogIsDetachedWhenItEnds) {
  const std::string dir = testing::temp_dir("logs");
  const Graph g = parse_graph_text(kGraph, "logs.toml", {"train.epochs=1", "train.max_batches=2"}, registry_);
  const auto logger = spdlog::default_logger();
  const size_t sinks = logger->sinks().size();
  execute_run(g, registry_, RunDirectory::at(dir + "/a"), false);
  spdlog::info("a line logged between two runs");
  execute_run(g, registry_, RunDirectory::at(dir + "/b"), false);
  EXPECT_EQ(spdlog::default_logger(), logger) << "the library replaced the runner's logger";
  EXPECT_EQ(logger->sinks().size(), sinks);
  const std::string a = testing::read_file(dir + "/a/train.log"), b = testing::read_file(dir + "/b/train.log");
  EXPECT_NE(a.find("-> run directory " + dir + "/a"), std::string::npos) << a;
  EXPECT_EQ(a.find("between two runs"), std::string::npos) << a;
  EXPECT_EQ(a.find(dir + "/b"), std::string::npos) << a;
  EXPECT_NE(b.find("-> run directory " + dir + "/b"), std::string::npos) << b;
}

TEST_F(Resume, NpzIsAZipOfNpyFiles) {
  auto e = build_experiment(graph_, registry_);
  const std::string path = testing::temp_dir("npz") + "/p.npz";
  save_npz(path, *e);
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  ASSERT_GT(bytes.size(), 100u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_NE(bytes.find("rnn.W.npy"), std::string::npos);
  EXPECT_NE(bytes.find("rnn.W.raw.npy"), std::string::npos);
  EXPECT_NE(bytes.find("\x93NUMPY"), std::string::npos);
  EXPECT_NE(bytes.find("'shape': (24, 24)"), std::string::npos);
  EXPECT_EQ(bytes.substr(bytes.size() - 22, 4), std::string("PK\x05\x06", 4));
  // A real zip reader (Python's zipfile) opens it and finds every CRC right.
  const testing::Outcome zip = testing::run(
      {"/usr/bin/python3", "-c",
       "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(len(z.namelist()))",
       path});
  ASSERT_EQ(zip.exit_code, 0) << zip.err;
  EXPECT_EQ(zip.out, std::to_string(2 * e->model.layer(0).parameters().all().size() +
                                    e->model.readout().parameters().all().size()) +
                         "\n");
  // A flipped data byte is caught by the same reader.
  bytes[bytes.find("\x93NUMPY") + 200] ^= 0x01;
  testing::write_file(path, bytes);
  EXPECT_NE(testing::run({"/usr/bin/python3", "-c",
                          "import sys, zipfile\nsys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)", path})
                .exit_code,
            0);
}

// Constraint state (partial Dale's obeying senders, a random mask) comes from the checkpoint, not
// from the random stream: a model built with another seed takes the saved state back.
TEST_F(Resume, ConstraintStateComesFromTheCheckpoint) {
  const std::vector<std::string> partial = {
      "nodes.rnn.constraints=[{ plugin = \"dale\", parameter = \"W\", "
      "obeying_fraction = 0.5 }, { plugin = \"mask\", parameter = \"W\", "
      "density = 0.5 }]"};
  std::vector<std::string> seed1 = partial, seed2 = partial;
  seed1.push_back("train.seed=1");
  seed2.push_back("train.seed=2");
  const Graph g1 = parse_graph_text(kGraph, "c1.toml", seed1, registry_);
  const Graph g2 = parse_graph_text(kGraph, "c2.toml", seed2, registry_);
  auto first = build_experiment(g1, registry_), second = build_experiment(g2, registry_);
  const auto state = [](Experiment& e) { return e.model.layer(0).constraints().at(0).constraint->state(); };
  ASSERT_FALSE(state(*first).empty());
  ASSERT_NE(state(*first), state(*second)) << "the two seeds should draw different obeying senders and masks";
  const std::string ckpt = testing::temp_dir("constraint_state") + "/checkpoint.bin";
  TrainState st;
  save_checkpoint(ckpt, *first, st);
  load_checkpoint(ckpt, *second, st);
  EXPECT_EQ(state(*first), state(*second));
  Matrix w1, w2;
  first->model.layer(0).constraints().at(0).constraint->apply(first->model.layer(0).parameters().get("W").raw, w1);
  second->model.layer(0).constraints().at(0).constraint->apply(second->model.layer(0).parameters().get("W").raw, w2);
  EXPECT_EQ(w1, w2) << "the same raw W and the same state give the same effective W";
}

TEST(Npz, RefusesWhatItsZipFieldsCannotHold) {
  std::vector<NpyArray> many(70000, NpyArray{"a", {1}, {1.0f}, {}});
  for (size_t i = 0; i < many.size(); ++i) many[i].name = "a" + std::to_string(i);
  const std::string path = testing::temp_dir("npz_limits") + "/many.npz";
  try {
    write_npz(path, many);
    FAIL() << "70000 arrays do not fit a 16-bit count";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the number of arrays is 70000, more than the 65535"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace biornn
