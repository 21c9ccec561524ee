// The benchmark runner (//runners:bench) on tiny shapes: each model trains on synthetic data
// and prints its one `bench:` line with a positive speed and no primitive built while timed;
// --breakdown and --gemm-probe print theirs. Speed itself is measured by tools/bench, never
// here.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "core/testing/testing.h"

namespace biornn {
namespace {

// key=value fields of the first line of `text` that starts with `prefix`.
std::map<std::string, std::string> fields(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  std::string line;
  std::map<std::string, std::string> f;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream words(line.substr(prefix.size()));
    std::string w;
    while (words >> w)
      if (auto eq = w.find('='); eq != std::string::npos) f[w.substr(0, eq)] = w.substr(eq + 1);
    break;
  }
  return f;
}

testing::Outcome bench(std::vector<std::string> args) {
  args.insert(args.begin(), testing::runfile("runners/bench"));
  for (const char* a : {"--hidden", "16", "--steps", "5", "--batch", "16", "--batches", "2", "--warmup", "1",
                        "--no-peak", "--threads", "2"})
    args.push_back(a);
  return testing::run(args);
}

TEST(BenchRunner, EveryModelPrintsItsLine) {
  for (const char* model : {"simple_gru", "varying_dale", "gru"}) {
    testing::Outcome o = bench({"--model", model});
    ASSERT_EQ(o.exit_code, 0) << model << "\n" << o.out << o.err;
    auto f = fields(o.out, "bench: ");
    ASSERT_FALSE(f.empty()) << o.out;
    EXPECT_EQ(f["model"], model);
    EXPECT_GT(std::stod(f["samples_per_second"]), 0) << o.out;
    EXPECT_GT(std::stod(f["step_gflop"]), 0) << o.out;
    EXPECT_EQ(f["new_primitives_while_timed"], "0") << o.out;
    EXPECT_TRUE(std::isfinite(std::stod(f["loss"]))) << o.out;
  }
}

TEST(BenchRunner, BreakdownAndGemmProbe) {
  testing::Outcome o = bench({"--model", "varying_dale", "--breakdown"});
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  auto f = fields(o.out, "breakdown: ");
  for (const char* phase : {"forward_ms", "backward_ms", "optimizer_ms"})
    EXPECT_GT(std::stod(f[phase]), 0) << phase << "\n" << o.out;

  o = bench({"--model", "simple_gru", "--gemm-probe"});
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("core: a chunk of rows per thread, packed W_cat"), std::string::npos) << o.out;
}

// --twin: a cell with both backwards (core/sdk/derived_cell.h) runs each twice, alternating; the
// two train the same model, so every run ends at the same loss.
TEST(BenchRunner, TwinRunsBothBackwardsOfACell) {
  testing::Outcome o = bench({"--model", "adaptive_rate", "--twin"});
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  auto f = fields(o.out, "twin: model=");
  const double hand = std::stod(f["hand_written_samples_per_second"]),
               derived = std::stod(f["derived_samples_per_second"]);
  EXPECT_GT(hand, 0) << o.out;
  EXPECT_GT(derived, 0) << o.out;
  const double ratio = std::stod(f["derived_over_hand_written"]);  // of the printed, rounded speeds
  EXPECT_NEAR(ratio, derived / hand, 0.01 * ratio + 1e-3) << o.out;
  std::istringstream lines(o.out);
  std::set<std::string> losses;
  int runs = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("bench: ", 0) == 0) {
      ++runs;
      losses.insert(fields(line, "bench: ")["loss"]);
    }
  EXPECT_EQ(runs, 4) << o.out;
  EXPECT_EQ(losses.size(), 1u) << o.out;
}

TEST(BenchRunner, UnknownModelIsAnError) {
  testing::Outcome o = bench({"--model", "nope"});
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.err.find("nope"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace biornn
