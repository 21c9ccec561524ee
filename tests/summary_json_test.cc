// summary.json: written and read back with nlohmann-json; any message round-trips.
#include "core/experiment/summary_json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/sdk/error.h"
#include "core/testing/testing.h"

namespace biornn {
namespace {

TrainResult two_epochs() {
  TrainResult r;
  for (int e = 1; e <= 2; ++e) {
    EpochMetrics m;
    m.epoch = e;
    m.test_accuracy = 0.1 * e + 1.0 / 3;  // not exact in 6 digits: the full double must survive
    m.validation_accuracy = 0.2 * e;
    m.train_loss = 2.0 / e;
    m.test_loss = 1.5 / e;
    m.samples_per_second = 1000.0 * e;
    m.seconds = 3.0;
    r.epochs.push_back(m);
  }
  return r;
}

TEST(SummaryJson, MessagesWithTabsQuotesAndControlCharactersRoundTrip) {
  const std::string message = std::string("tab\there, \"quoted\", back\\slash, new\nline, cr\r, bell\a, nul") +
                              std::string(1, '\0') + ", esc\x1b, unicode \xc3\xa9";
  const std::string text = summary_json("g\t\"x\"", "diverged", two_epochs(), 42, message);
  const RunSummary s = parse_summary_json(text, "mem");
  EXPECT_EQ(s.message, message);
  EXPECT_EQ(s.graph, "g\t\"x\"");
  EXPECT_EQ(s.status, "diverged");
  EXPECT_EQ(s.parameters, 42);
  EXPECT_EQ(s.epochs, 2);
  EXPECT_EQ(s.test_accuracy, 0.2 + 1.0 / 3);
  EXPECT_EQ(s.validation_accuracy, 0.4);
  EXPECT_EQ(s.samples_per_second, 1500.0);
  EXPECT_FALSE(s.finished());
  // The file stays greppable the way scripts (and docs/bad_inputs.md) read it.
  EXPECT_NE(text.find("\"status\": \"diverged\""), std::string::npos);
}

TEST(SummaryJson, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const RunSummary s = parse_summary_json(summary_json("g", "diverged", {}, 1, "bad \xff byte"), "mem");
  EXPECT_EQ(s.message, "bad \xef\xbf\xbd byte");
}

TEST(SummaryJson, NoEpochsMeansNanMetrics) {
  const RunSummary s = parse_summary_json(summary_json("g", "completed", {}, 1, ""), "mem");
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.epochs, 0);
  EXPECT_TRUE(std::isnan(s.test_accuracy));
  EXPECT_TRUE(s.message.empty());
}

TEST(SummaryJson, ReadsFilesAndSaysWhatIsWrong) {
  const std::string dir = testing::temp_dir("summary");
  EXPECT_FALSE(read_summary_json(dir + "/summary.json").has_value());
  testing::write_file(dir + "/summary.json", summary_json("g", "early_stopped", two_epochs(), 7, ""));
  ASSERT_TRUE(read_summary_json(dir + "/summary.json").has_value());
  EXPECT_TRUE(read_summary_json(dir + "/summary.json")->finished());
  testing::write_file(dir + "/summary.json", "{\"status\": \"completed\", ");
  try {
    read_summary_json(dir + "/summary.json");
    FAIL() << "a truncated summary.json was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/summary.json: malformed summary.json"), std::string::npos) << e.what();
  }
  testing::write_file(dir + "/summary.json", "{\"status\": 3}");
  EXPECT_THROW(read_summary_json(dir + "/summary.json"), Error);
  testing::write_file(dir + "/summary.json", "{\"status\": \"completed\", \"epochs\": \"two\"}");
  EXPECT_THROW(read_summary_json(dir + "/summary.json"), Error);
}

}  // namespace
}  // namespace biornn
