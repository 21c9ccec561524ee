// Run under mpirun by tests/mpi_test: exercises MpiCollective on every rank.
//   mpi_collective_check sum   each rank checks sums and all_equal, prints "rank R of N: ok"
//   mpi_collective_check die DIR   watches its peers (lock files under DIR), sums in a loop;
//                                  the last rank kills itself (SIGKILL) mid-way
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "core/sdk/error.h"
#include "runners/mpi_collective.h"

namespace {

int check_sums(biornn::MpiCollective& c) {
  const int n = c.size(), r = c.rank();
  std::vector<float> f(5);
  std::vector<double> d(3);
  for (int i = 0; i < 5; ++i) f[i] = float(r + i);
  for (int i = 0; i < 3; ++i) d[i] = 0.5 * r + i;
  c.sum(f.data(), f.size());
  c.sum(d.data(), d.size());
  const double ranks = n * (n - 1) / 2.0;
  for (int i = 0; i < 5; ++i)
    if (f[i] != float(ranks + n * i)) return std::printf("rank %d: float sum %d is %g\n", r, i, f[i]), 1;
  for (int i = 0; i < 3; ++i)
    if (d[i] != 0.5 * ranks + n * i) return std::printf("rank %d: double sum %d is %g\n", r, i, d[i]), 1;
  if (!c.all_equal(42)) return std::printf("rank %d: all_equal(42) is false\n", r), 1;
  if (n > 1 && c.all_equal(uint64_t(r))) return std::printf("rank %d: all_equal(rank) is true\n", r), 1;
  std::printf("rank %d of %d: ok\n", r, n);
  return 0;
}

int die_midway(biornn::MpiCollective& c, const char* dir) {
  c.watch_peers(dir, "(advice for the user)");
  std::vector<float> g(100000, 1.0f);
  for (int step = 0;; ++step) {
    if (step == 200 && c.rank() == c.size() - 1) raise(SIGKILL);
    c.sum(g.data(), g.size());
    std::fill(g.begin(), g.end(), 1.0f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    biornn::MpiCollective c(&argc, &argv);
    if (argc > 2 && std::strcmp(argv[1], "die") == 0) return die_midway(c, argv[2]);
    return check_sums(c);
  } catch (const biornn::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
