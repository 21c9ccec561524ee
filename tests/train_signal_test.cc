// SIGTERM, what Slurm sends a task it preempts or that reached its time limit, makes train
// save a checkpoint (as Ctrl-C does); `train --run-dir D --continue` then resumes it, and the
// run ends with the numbers of one that was never stopped.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/experiment/run_directory.h"
#include "core/platform/files.h"
#include "core/platform/process.h"
#include "core/experiment/summary_json.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

const char* kGraph = R"(
[train]
epochs = 2
batch_size = 32
seed = 3
validation_size = 128
threads = 1
log_every = 1

[optimizer]
plugin = "adam"
learning_rate = 2e-3

[nodes.data]
plugin = "mnist"
sequence = "rows"
train_limit = 4096
test_limit = 256

[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 128
gate = { plugin = "learned" }

[nodes.readout]
plugin = "readout"
input = "rnn"
)";

TEST(TrainSignal, SigtermSavesACheckpointAndContinueResumesToTheSameResult) {
  const std::string dir = testing::temp_dir("sigterm"), train = testing::runfile("runners/train");
  testing::write_file(dir + "/graph.toml", kGraph);
  const std::string reference = dir + "/reference", stopped = dir + "/stopped";
  ASSERT_EQ(testing::run({train, dir + "/graph.toml", "--run-dir", reference}).exit_code, 0);

  ChildProcess child({train, dir + "/graph.toml", "--run-dir", stopped, "--continue"});
  ASSERT_TRUE(child.running()) << child.failure();
  // Signal once the first minibatch is logged: 128 of them per epoch remain.
  for (int i = 0; i < 600 && testing::read_file(stopped + "/train.log").find("epoch 1/2 [    1/") == std::string::npos;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(child.send_signal(SIGTERM));
  const ProcessResult run = child.wait();
  const std::string first = run.out + run.err;
  ASSERT_EQ(run.exit_code, 130) << first;
  EXPECT_NE(first.find("stopping on request at epoch"), std::string::npos) << first;
  const auto interrupted = read_summary_json(stopped + "/summary.json");
  ASSERT_TRUE(interrupted.has_value());
  EXPECT_EQ(interrupted->status, "interrupted");

  const auto resumed = testing::run({train, dir + "/graph.toml", "--run-dir", stopped, "--continue"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  EXPECT_NE(resumed.out.find("resuming after epoch"), std::string::npos) << resumed.out;
  const auto a = read_summary_json(reference + "/summary.json"), b = read_summary_json(stopped + "/summary.json");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->status, "completed");
  EXPECT_EQ(a->epochs, b->epochs);
  EXPECT_EQ(a->train_loss, b->train_loss);
  EXPECT_EQ(a->test_loss, b->test_loss);
  EXPECT_EQ(a->test_accuracy, b->test_accuracy);
  EXPECT_EQ(a->validation_accuracy, b->validation_accuracy);
}

TEST(ChildProcess, ASignalledChildEndsWithTheSignalsCode) {
  ChildProcess child({"/bin/sh", "-c", "exec sleep 30"});
  ASSERT_TRUE(child.running()) << child.failure();
  ASSERT_TRUE(child.send_signal(SIGTERM));
  EXPECT_EQ(child.wait().exit_code, 128 + SIGTERM);
  EXPECT_FALSE(child.running());
  EXPECT_FALSE(child.send_signal(SIGTERM));
}

TEST(ChildProcess, RunToTheEndCapturesBothStreamsAndTheExitCode) {
  const ProcessResult r = run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(ChildProcess, AProgramThatCannotStartSaysWhy) {
  const ProcessResult r = run_process({"/nonexistent/program"});
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_NE(r.failure.find("/nonexistent/program"), std::string::npos) << r.failure;
}

TEST(TrainSignal, ContinueStartsAFreshRunWhenThereIsNoCheckpoint) {
  const std::string dir = testing::temp_dir("continue_fresh"), train = testing::runfile("runners/train");
  testing::write_file(dir + "/graph.toml", kGraph);
  const auto r = testing::run({train, dir + "/graph.toml", "--run-dir", dir + "/run", "--continue", "--set",
                               "train.epochs=1", "--set", "train.max_batches=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.out.find("resuming"), std::string::npos);
  EXPECT_EQ(read_summary_json(dir + "/run/summary.json")->status, "completed");
}

// Issue 20: a run directory is locked by the process that trains in it; a second writer (a
// Slurm task resubmitted while the first still runs) is refused, naming the first one's host
// and pid, and writes nothing. The lock dies with its process (no stale lock after a kill).
TEST(RunLock, ASecondWriterIsRefusedWithTheFirstOnesHostAndPid) {
  const std::string dir = testing::temp_dir("locked");
  testing::write_file(dir + "/graph.toml", kGraph);
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  const std::string first = "host " + std::string(host) + " pid " + std::to_string(getpid());
  {
    const auto held = RunDirectory::at(dir + "/run").lock();
    const auto second = testing::run({testing::runfile("runners/train"), dir + "/graph.toml", "--run-dir", dir + "/run",
                                      "--set", "train.epochs=1", "--set", "train.max_batches=1"});
    EXPECT_EQ(second.exit_code, 1) << second.err;
    EXPECT_NE(second.err.find("error: run directory " + dir + "/run is in use by another process (" + first),
              std::string::npos)
        << second.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/run/graph.toml")) << "the refused writer wrote";
    EXPECT_FALSE(FileLock(dir + "/run/lock", "me").held()) << "one process, two opens: still exclusive";
  }
  EXPECT_TRUE(FileLock(dir + "/run/lock", "me").held()) << "released when its holder ends";
}

}  // namespace
}  // namespace biornn
