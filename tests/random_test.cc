// The project's generator (core/sdk/random.h): its stream is pinned, so that a change of any
// initialisation or shuffle anywhere is a deliberate one; and its distributions are sane.
#include "core/sdk/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace biornn {
namespace {

TEST(Rng, StreamIsPinned) {
  Rng r(42);
  EXPECT_EQ(r.next(), 0xbdd732262feb6e95ull);
  EXPECT_EQ(r.next(), 0x28efe333b266f103ull);
  EXPECT_EQ(r.next(), 0x47526757130f9f52ull);
  Rng zero(0);
  EXPECT_EQ(zero.next(), 0xe220a8397b1dcdafull);  // splitmix64's published first value
}

TEST(Rng, DistributionsArePinned) {
  Rng u(42);
  EXPECT_EQ(u.uniform(), 0.7415648787718233);
  EXPECT_EQ(u.uniform(), 0.1599103928769201);
  Rng n(7);
  EXPECT_NEAR(n.normal(), 0.9884743323187353, 1e-15);  // libm's log and cos: to the last bits
  Rng b(7);
  std::vector<uint64_t> draws;
  for (int i = 0; i < 8; ++i) draws.push_back(b.below(10));
  EXPECT_EQ(draws, (std::vector<uint64_t>{3, 0, 9, 5, 4, 2, 4, 3}));
  Rng s(3);
  std::vector<int> order(8);
  std::iota(order.begin(), order.end(), 0);
  s.shuffle(order.begin(), order.end());
  EXPECT_EQ(order, (std::vector<int>{2, 5, 1, 6, 7, 3, 4, 0}));
}

TEST(Rng, TextRoundTripsTheState) {
  Rng a(123);
  a.next();
  Rng b(0);
  ASSERT_TRUE(b.from_text(a.text()));
  EXPECT_EQ(a.next(), b.next());
  EXPECT_FALSE(b.from_text(""));
  EXPECT_FALSE(b.from_text("4 7 9"));  // e.g. std::mt19937_64's text form
  EXPECT_FALSE(b.from_text("99999999999999999999999"));
}

TEST(Rng, MomentsAreRight) {
  Rng r(1);
  const int n = 200000;
  double su = 0, suu = 0, sn = 0, snn = 0, sn4 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform(-1, 3), z = r.normal();
    EXPECT_GE(u, -1);
    EXPECT_LT(u, 3);
    su += u, suu += u * u, sn += z, snn += z * z, sn4 += z * z * z * z;
  }
  const double mu = su / n, vu = suu / n - mu * mu;
  EXPECT_NEAR(mu, 1.0, 0.01);  // U(-1, 3): mean 1, variance 16/12, se ~0.0026
  EXPECT_NEAR(vu, 16.0 / 12.0, 0.01);
  EXPECT_NEAR(sn / n, 0.0, 0.01);  // N(0, 1): se ~0.0022
  EXPECT_NEAR(snn / n, 1.0, 0.015);
  EXPECT_NEAR(sn4 / n, 3.0, 0.1);  // kurtosis of a normal
}

TEST(Rng, BelowAndShuffleAreUniform) {
  Rng r(5);
  std::vector<int> counts(7, 0), first(4, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) ++counts[r.below(7)];
  for (int c : counts) EXPECT_NEAR(c, n / 7, 400);  // se ~ 92
  for (int i = 0; i < 40000; ++i) {
    std::vector<int> v = {0, 1, 2, 3};
    r.shuffle(v.begin(), v.end());
    ++first[v[0]];
  }
  for (int c : first) EXPECT_NEAR(c, 10000, 400);  // se ~ 87
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += r.bernoulli(0.3);
  EXPECT_NEAR(hits, 30000, 600);
  EXPECT_EQ(r.below(1), 0u);
}

}  // namespace
}  // namespace biornn
