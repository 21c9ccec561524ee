// Issue 11, opt-in (needs Open MPI's mpirun): MpiCollective across 2 ranks on loopback, and a
// rank that dies stopping the whole job with one clear error within seconds.
//   bazel test //tests:mpi_test
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "core/testing.h"

namespace biornn {
namespace {

class Mpi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::run({"/bin/sh", "-c", "command -v mpirun"}).exit_code != 0)
      GTEST_SKIP() << "skipped: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)";
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);  // CI runs as root
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  }
  // mpirun -np n with more ranks than cores allowed, bounded by a minute.
  static testing::Outcome mpirun(int n, const std::vector<std::string>& args) {
    std::vector<std::string> cmd = {"/usr/bin/timeout", "60", "mpirun", "--oversubscribe", "-np", std::to_string(n)};
    cmd.insert(cmd.end(), args.begin(), args.end());
    return testing::run(cmd);
  }
};

TEST_F(Mpi, CollectiveSumsAndComparesAcrossRanks) {
  const auto r = mpirun(2, {testing::runfile("tests/mpi_collective_check"), "sum"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("rank 0 of 2: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank 1 of 2: ok"), std::string::npos) << r.out;
}

TEST_F(Mpi, ADeadRankStopsEveryRankWithinSeconds) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = mpirun(2, {testing::runfile("tests/mpi_collective_check"), "die"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 124) << "timeout: the surviving rank kept waiting";
  EXPECT_LT(seconds, 20);
  EXPECT_NE((r.out + r.err).find("rank 1 with PID"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("exited on signal 9 (Killed)"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace biornn
