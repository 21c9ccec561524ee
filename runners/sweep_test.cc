// Issues 17 and 20: what a sweep's table says (intervals, paired differences, confounds), and
// that a sweep survives a failing combination and a Ctrl-C: interrupted + resumed with
// --keep-completed writes the table of an uninterrupted sweep.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/engine/builtins.h"
#include "core/sdk/error.h"
#include "core/testing/testing.h"
#include "runners/sweep_local.h"
#include "runners/sweep_plan.h"
#include "runners/sweep_report.h"
#include "runners/sweep_search.h"

namespace biornn {
namespace {

TEST(SweepStats, MeanStdAndTInterval) {
  const ArmStats s = arm_stats({1, 2, 3, 4, 5});
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_NEAR(s.sd, std::sqrt(2.5), 1e-12);
  // t_{0.975, 4} = 2.776445: half width 2.776445 * sqrt(2.5) / sqrt(5)
  EXPECT_NEAR(s.high - s.mean, 2.776445 * std::sqrt(0.5), 1e-5);
  EXPECT_NEAR(s.mean - s.low, s.high - s.mean, 1e-12);
  EXPECT_TRUE(std::isnan(arm_stats({0.5}).low));  // one run: no interval
}

TEST(SweepStats, PairedDifferenceUsesTheSeedsBothArmsHave) {
  const std::map<int64_t, double> control{{1, 0.5}, {2, 0.6}, {3, 0.7}};
  const std::map<int64_t, double> arm{{1, 0.6}, {2, 0.65}, {3, 0.85}, {4, 0.99}};  // seed 4 has no pair
  const PairedDifference d = paired_difference(control, arm);
  EXPECT_EQ(d.difference.n, 3u);
  EXPECT_NEAR(d.difference.mean, 0.1, 1e-12);
  EXPECT_NEAR(d.difference.sd, 0.05, 1e-12);
  EXPECT_NEAR(d.t, 0.1 / (0.05 / std::sqrt(3.0)), 1e-9);
  // Two degrees of freedom: p = 1 - |t| / sqrt(t^2 + 2).
  EXPECT_NEAR(d.p, 1 - d.t / std::sqrt(d.t * d.t + 2), 1e-9);
  EXPECT_NEAR(d.difference.high - d.difference.mean, 4.302653 * 0.05 / std::sqrt(3.0), 1e-5);
}

TEST(SweepReport, KeysThatDifferAndConfounds) {
  const std::string control = R"(
name = "a"
[train]
seed = 1
epochs = 3
[nodes.rnn]
hidden = 8
constraints = [{ plugin = "dale", parameter = "W" }]
)";
  const std::string arm = R"(
name = "b"
[train]
seed = 2
epochs = 5
[nodes.rnn]
hidden = 8
constraints = [{ plugin = "none", parameter = "W" }]
)";
  const auto d = graph_differences(control, arm, {"nodes.rnn.constraints"});
  ASSERT_EQ(d.size(), 2u);  // seed and name are not differences between arms
  EXPECT_EQ(d[0].key, "nodes.rnn.constraints[0].plugin");
  EXPECT_EQ(d[0].control, "'dale'");
  EXPECT_EQ(d[0].arm, "'none'");
  EXPECT_FALSE(d[0].confound);
  EXPECT_EQ(d[1].key, "train.epochs");
  EXPECT_TRUE(d[1].confound);
}

// A tiny classification graph on the synthetic dataset: 10 minibatches an epoch, 2 epochs.
const char* kGraph = R"(
[train]
epochs = 2
batch_size = 50
validation_size = 100
threads = 1
[optimizer]
plugin = "adam"
learning_rate = 1e-2
[nodes.data]
plugin = "synthetic"
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 8
gate = { plugin = "learned" }
[nodes.readout]
plugin = "readout"
input = "rnn"
)";

class SweepRun : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::load_all_plugins(registry_, loader_);
    testing::register_synthetic_dataset(registry_);
    dir_ = testing::temp_dir("sweep");
    testing::write_file(dir_ + "/g.toml", kGraph);
  }
  SweepPlan plan(const std::string& vary) {
    testing::write_file(dir_ + "/s.toml", "[sweep]\ngraph = \"g.toml\"\nname = \"s\"\n[sweep.vary]\n" + vary);
    return read_sweep(dir_ + "/s.toml", {}, registry_);
  }
  std::string error_of(const std::string& sweep_text) {
    testing::write_file(dir_ + "/s.toml", sweep_text);
    try {
      read_sweep(dir_ + "/s.toml", {}, registry_);
    } catch (const Error& e) {
      const std::string m = e.what();
      return m.substr(m.find("s.toml"));
    }
    return "no error";
  }
  Registry registry_;
  PluginLoader loader_{registry_};
  std::string dir_;
};

TEST_F(SweepRun, DuplicateLabelsAreRefusedWhereTheyAreWritten) {
  EXPECT_EQ(error_of("[sweep]\ngraph = \"g.toml\"\n[sweep.vary]\n\"train.seed\" = [1, 2, 1]\n"),
            "s.toml:4:23: 'seed=1' appears twice in [sweep.vary] 'train.seed': two combinations would share one "
            "label and run directory");
  EXPECT_EQ(error_of("[sweep]\ngraph = \"g.toml\"\n[sweep.vary]\n\"nodes.rnn.hidden\" = [4, 8]\n"
                     "[sweep.names]\n\"nodes.rnn.hidden\" = [\"small\", \"small\"]\n"),
            "s.toml:6:32: 'hidden=small' appears twice in [sweep.names] 'nodes.rnn.hidden': two combinations would "
            "share one label and run directory");
  EXPECT_EQ(
      error_of("[sweep]\ngraph = \"g.toml\"\ncontrol = \"hidden=3\"\n[sweep.vary]\n\"nodes.rnn.hidden\" = [4, 8]\n"),
      "s.toml:3:11: [sweep] control 'hidden=3' is neither an arm of this sweep nor one value of a varied key "
      "(arms: 'hidden=4', 'hidden=8')");
}

// control = one value of a varied key in a crossed sweep: each arm is paired with the arm that
// has that value and the arm's own other values (each model against itself with signed rates).
TEST_F(SweepRun, AControlValuePairsEachArmWithinItsOtherValues) {
  testing::write_file(dir_ + "/s.toml",
                      "[sweep]\ngraph = \"g.toml\"\ncontrol = \"phi=tanh\"\n[sweep.vary]\n\"nodes.rnn.hidden\" = "
                      "[4, 8]\n\"nodes.rnn.phi\" = [\"tanh\", \"rectified_tanh\"]\n\"train.seed\" = [1, 2]\n");
  const SweepPlan p = read_sweep(dir_ + "/s.toml", {}, registry_);
  ASSERT_EQ(p.jobs.size(), 8u);
  EXPECT_EQ(p.jobs[2].group, "hidden=4, phi=rectified_tanh");
  EXPECT_EQ(p.jobs[2].control, "hidden=4, phi=tanh");
  EXPECT_EQ(p.jobs[6].control, "hidden=8, phi=tanh");
  std::vector<SweepRow> rows;
  for (size_t i = 0; i < p.jobs.size(); ++i) {  // accuracy 0.1 * hidden + (rectified ? 0.01 : 0) + seed / 1000
    SweepRow r{p.jobs[i].label, p.jobs[i].group, dir_ + "/none", p.jobs[i].seed, "completed", {}};
    r.summary.status = "completed";
    r.summary.test_accuracy = (i < 4 ? 0.4 : 0.8) + (i % 4 >= 2 ? 0.01 : 0.0) + 0.001 * double(p.jobs[i].seed);
    rows.push_back(r);
  }
  const std::string md = write_sweep_report(p, rows, dir_ + "/report");
  EXPECT_NE(md.find("control: phi=tanh (a value of a varied key"), std::string::npos) << md;
  EXPECT_NE(md.find("| hidden=4, phi=tanh (control) | 2 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| hidden=8, phi=tanh (control) | 2 |"), std::string::npos) << md;
  // +1.00 against its own hidden size, not the +41 or -39 against the other one
  EXPECT_NE(md.find("| hidden=8, phi=rectified_tanh (vs hidden=8, phi=tanh) | 2 | 81.15 | 0.07 | [80.51, 81.79] | "
                    "1.00 |"),
            std::string::npos)
      << md;
}

// [sweep.search]: every bad input is one line at the sweep file's line and column.
TEST_F(SweepRun, SearchErrorsNameTheirPlace) {
  const std::string head = "[sweep]\ngraph = \"g.toml\"\n[sweep.search]\n";
  EXPECT_EQ(
      error_of(head + "trials = 4\n[sweep.search.space]\n\"optimizer.learning_rate\" = { low = 1e-2, high = 1e-4, "
                      "log = true }\n"),
      "s.toml:6:29: [sweep.search.space] 'optimizer.learning_rate': low 0.01 is not below high 0.0001 (an "
      "empty or inverted range)");
  EXPECT_EQ(error_of(head + "[sweep.search.space]\n\"optimizer.learning_rate\" = { low = 1e-3, high = 1e-3 }\n"),
            "s.toml:5:29: [sweep.search.space] 'optimizer.learning_rate': low 0.001 is not below high 0.001 (an "
            "empty or inverted range)");
  EXPECT_EQ(error_of(head + "trails = 4\n[sweep.search.space]\n\"optimizer.learning_rate\" = { low = 1, high = 2 }\n"),
            "s.toml:4:10: unknown key 'trails' in [sweep.search] (known: trials, metric, storage, seed, pruning, "
            "warmup_epochs, startup_trials, workers, set, space)");
  EXPECT_EQ(error_of(head + "[sweep.search.space]\n\"nodes.rnn.gate.G_c\" = { low = -4, high = 0 }\n"),
            "s.toml:5:24: [sweep.search.space] 'nodes.rnn.gate.G_c' is not a key of the resolved graph (e.g. "
            "optimizer.learning_rate, nodes.rnn.gate.G_b, nodes.rnn.constraints[0].spectral_radius)");
  EXPECT_EQ(error_of(head + "metric = \"test_accuracy\"\n"),
            "s.toml:4:10: [sweep.search] metric must be \"validation_accuracy\" (the test split never steers a "
            "search: it is touched once per final arm)");
  testing::write_file(dir_ + "/s.toml", head +
                                            "storage = \"sqlite:/proc/no/study.db\"\n[sweep.search.space]\n"
                                            "\"optimizer.learning_rate\" = { low = 1e-4, high = 1e-2 }\n");
  const SweepPlan p = read_sweep(dir_ + "/s.toml", {}, registry_);
  try {
    open_storage(*p.search, dir_ + "/search");
    ADD_FAILURE() << "a storage under /proc opened";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.substr(m.find("s.toml")),
              "s.toml:4:11: the study's storage /proc/no/study.db cannot be opened for "
              "writing (No such file or directory)");
  }
}

// The search's trials train on [sweep.search.set] (a slice, fewer epochs); --tuned trains each
// arm at its own study's best settings without them, and the report lists the tuned keys
// with the varied ones, not as confounds. An arm without a finished study is named.
TEST_F(SweepRun, TunedArmsTrainTheirStudysBestWithoutTheSearchSlice) {
  testing::write_file(dir_ + "/s.toml",
                      "[sweep]\ngraph = \"g.toml\"\nname = \"s\"\n[sweep.set]\n\"train.epochs\" = 6\n[sweep.vary]\n"
                      "\"nodes.rnn.hidden\" = [4, 8]\n[sweep.search]\n[sweep.search.set]\n\"train.epochs\" = 2\n"
                      "[sweep.search.space]\n\"optimizer.learning_rate\" = { low = 1e-4, high = 1e-1, log = true }\n");
  const SweepPlan plan = read_sweep(dir_ + "/s.toml", {}, registry_);
  EXPECT_NE(plan.jobs[0].search_toml.find("epochs = 2"), std::string::npos);  // a trial's base graph
  EXPECT_NE(plan.jobs[0].graph.resolved_toml.find("epochs = 6"), std::string::npos);
  try {
    with_tuned(plan, dir_ + "/search", registry_);
    ADD_FAILURE() << "tuned without a study";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("arm 'hidden=4' has no finished study; run the search first"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::create_directories(dir_ + "/search/hidden=4");
  std::filesystem::create_directories(dir_ + "/search/hidden=8");
  testing::write_file(dir_ + "/search/hidden=4/best.json", R"({"set": ["optimizer.learning_rate=0.02"]})");
  testing::write_file(dir_ + "/search/hidden=8/best.json", R"({"set": 3})");
  try {
    with_tuned(plan, dir_ + "/search", registry_);
    ADD_FAILURE() << "a malformed best.json was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden=8/best.json: not the JSON search.py writes"), std::string::npos)
        << e.what();
  }
  testing::write_file(dir_ + "/search/hidden=8/best.json", R"({"set": ["optimizer.learning_rate=0.005"]})");
  const SweepPlan tuned = with_tuned(plan, dir_ + "/search", registry_);
  EXPECT_EQ(tuned.jobs[0].graph.optimizer.options.get_float("learning_rate"), 0.02);
  EXPECT_EQ(tuned.jobs[1].graph.optimizer.options.get_float("learning_rate"), 0.005);
  EXPECT_EQ(tuned.jobs[1].graph.train.get_int("epochs"), 6);
  EXPECT_EQ(tuned.tuned, std::vector<std::string>{"optimizer.learning_rate"});
  std::vector<SweepRow> rows;
  for (const auto& j : tuned.jobs) rows.push_back({j.label, j.group, dir_ + "/none", j.seed, "missing", {}});
  const std::string md = write_sweep_report(tuned, rows, dir_ + "/report");
  EXPECT_NE(md.find("Tuned: optimizer.learning_rate, each arm at the best trial of its own Optuna study"),
            std::string::npos);
  EXPECT_NE(md.find("| nodes.rnn.hidden: 4 -> 8; optimizer.learning_rate: 0.02 -> 0.005 | none |"), std::string::npos)
      << md;
}

// A constraint that cannot be built (Dale's law on the non-square input weight P) fails its
// combinations only: --dry-run names them, the sweep records them and trains the others.
TEST_F(SweepRun, AFailingCombinationIsRecordedAndTheSweepGoesOn) {
  const SweepPlan p = plan(
      "\"nodes.rnn.constraints\" = [[{ plugin = \"none\", parameter = \"W\" }], [{ plugin = \"dale\", parameter = "
      "\"P\" }]]\n[sweep.names]\n\"nodes.rnn.constraints\" = [\"none\", \"dale_on_P\"]\n");
  const auto errors = build_every_model(p, registry_);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "");
  EXPECT_NE(errors[1].find("square"), std::string::npos) << errors[1];
  const LocalSweep s = run_sweep_locally(p, registry_, dir_ + "/runs", false, nullptr);
  EXPECT_EQ(s.exit_code(), kSweepSomeFailed);
  EXPECT_EQ(s.rows[0].status, "completed");
  EXPECT_EQ(s.rows[1].status, "failed");
  EXPECT_NE(s.rows[1].summary.message.find("square"), std::string::npos);
  EXPECT_NE(s.summary_md.find("- constraints=dale_on_P: failed ("), std::string::npos) << s.summary_md;
  EXPECT_NE(s.summary_md.find("| constraints=none (control) | 1 |"), std::string::npos) << s.summary_md;
  EXPECT_NE(s.summary_md.find("| constraints=dale_on_P | 0 |"), std::string::npos) << s.summary_md;
}

// train.target: each run stops at the first epoch whose validation accuracy reaches it, and its
// time and steps to the target reach summary.json and the table.
TEST_F(SweepRun, TargetStopsTheRunAndTheTableSaysWhen) {
  testing::write_file(dir_ + "/g.toml", std::string(kGraph).replace(std::string(kGraph).find("epochs = 2"), 10,
                                                                    "epochs = 20\ntarget = 0.6"));
  const SweepPlan p = plan("\"train.seed\" = [1, 2]\n");
  const LocalSweep s = run_sweep_locally(p, registry_, dir_ + "/runs", false, nullptr);
  ASSERT_EQ(s.exit_code(), kSweepAllFinished) << s.summary_md;
  for (const auto& r : s.rows) {
    EXPECT_EQ(r.status, "reached_target");
    EXPECT_GE(r.summary.validation_accuracy, 0.6);
    EXPECT_LT(r.summary.epochs, 20);
    EXPECT_EQ(r.summary.steps_to_target, 10.0 * r.summary.epochs);  // 10 minibatches an epoch
    EXPECT_GT(r.summary.seconds_to_target, 0);
    EXPECT_GE(r.summary.wall_seconds_to_target, r.summary.seconds_to_target);  // the bookkeeping too
  }
  EXPECT_NE(s.summary_md.find("| 2/2, "), std::string::npos) << s.summary_md;
}

// train.target_every: the validation split is also scored every that many steps inside an
// epoch, so a run stops at the first such step (or epoch end) that reaches the target: never
// later than checking at epoch ends only, with the same seed. Without a target it is an error.
TEST_F(SweepRun, TargetCheckedInsideEpochsStopsAtTheFirstCheckThatReachesIt) {
  auto graph_with = [&](const std::string& train_lines) {
    std::string g = kGraph;
    g.replace(g.find("epochs = 2"), 10, "epochs = 20\n" + train_lines);
    testing::write_file(dir_ + "/g.toml", g);
    return run_sweep_locally(plan("\"train.seed\" = [1, 2, 3]\n"), registry_, dir_ + "/runs", false, nullptr);
  };
  const LocalSweep at_epochs = graph_with("target = 0.6");
  std::filesystem::remove_all(dir_ + "/runs");
  const LocalSweep inside = graph_with("target = 0.6\ntarget_every = 3");
  ASSERT_EQ(inside.exit_code(), kSweepAllFinished) << inside.summary_md;
  bool earlier = false;
  for (size_t i = 0; i < inside.rows.size(); ++i) {
    const RunSummary& r = inside.rows[i].summary;
    EXPECT_EQ(inside.rows[i].status, "reached_target");
    EXPECT_GE(r.validation_accuracy, 0.6);
    const int64_t steps = int64_t(r.steps_to_target);
    EXPECT_TRUE(steps % 3 == 0 || steps % 10 == 0) << steps;  // a check inside the epoch, or its end
    EXPECT_EQ(r.epochs, (steps + 9) / 10);                    // the last epoch ended at that step
    EXPECT_LE(steps, at_epochs.rows[i].summary.steps_to_target);
    earlier |= steps < at_epochs.rows[i].summary.steps_to_target;
  }
  EXPECT_TRUE(earlier);  // at least one seed reached it between two epoch ends
  std::filesystem::remove_all(dir_ + "/runs");
  const LocalSweep no_target = graph_with("target_every = 3");
  ASSERT_EQ(no_target.rows.size(), 3u);
  EXPECT_EQ(no_target.rows[0].status, "failed");
  EXPECT_NE(no_target.rows[0].summary.message.find(
                "train.target_every = 3 checks train.target inside each epoch, but train.target is 0"),
            std::string::npos)
      << no_target.rows[0].summary.message;
}

// summary.csv without its last column (samples/s: timing, not a result).
std::string results_of(const std::string& summary_csv) {
  std::istringstream in(testing::read_file(summary_csv));
  std::string out;
  for (std::string line; std::getline(in, line);) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

// runs.csv up to its train_loss column (then samples/s and the run directory): every run's
// metrics, which a resume that changed the numbers would change.
std::string run_metrics_of(const std::string& runs_csv) {
  std::istringstream in(testing::read_file(runs_csv));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    size_t end = 0, fields = 0;
    for (bool quoted = false; end < line.size() && fields < 7; ++end) {
      quoted ^= line[end] == '"';
      fields += !quoted && line[end] == ',';
    }
    out += line.substr(0, end) + "\n";
  }
  return out;
}

TEST_F(SweepRun, InterruptedAndResumedGivesTheUninterruptedTable) {
  const SweepPlan p = plan("\"nodes.rnn.hidden\" = [6, 8]\n\"train.seed\" = [1, 2]\n");
  const LocalSweep whole = run_sweep_locally(p, registry_, dir_ + "/whole", false, nullptr);
  ASSERT_EQ(whole.exit_code(), kSweepAllFinished);

  StopToken stop;
  stop.request_at_step(15);  // inside the first combination's second epoch
  const LocalSweep first = run_sweep_locally(p, registry_, dir_ + "/split", false, &stop);
  EXPECT_EQ(first.exit_code(), kSweepInterrupted);
  EXPECT_EQ(first.rows[0].status, "interrupted");
  EXPECT_EQ(first.rows[1].status, "not started (sweep interrupted)");
  EXPECT_NE(first.summary_md.find("| hidden=6 (control) | 0 |"), std::string::npos) << first.summary_md;
  const LocalSweep resumed = run_sweep_locally(p, registry_, dir_ + "/split", true, nullptr);
  EXPECT_EQ(resumed.exit_code(), kSweepAllFinished);
  EXPECT_EQ(results_of(dir_ + "/split/summary.csv"), results_of(dir_ + "/whole/summary.csv"));
  EXPECT_EQ(run_metrics_of(dir_ + "/split/runs.csv"), run_metrics_of(dir_ + "/whole/runs.csv"));
  EXPECT_NE(results_of(dir_ + "/whole/summary.csv").find("\"hidden=8\",2,"), std::string::npos);
}

}  // namespace
}  // namespace biornn
