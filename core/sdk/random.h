// The project's random numbers: one generator and its distributions, defined here rather than
// by the standard library, whose distributions (std::normal_distribution, std::shuffle, ...)
// give different values under libstdc++ and libc++. The same seed gives the same stream, the
// same initialisation and the same shuffles on every platform; //tests:random_test pins a
// few values of the stream, so a change of any of them is a deliberate one.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace biornn {

// splitmix64 (Steele, Lea & Flood 2014): adds the golden-ratio increment to `state` and returns
// the mixed result. Every seeded stream in the project (this Rng, the tasks' trials) steps
// with it.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// splitmix64's step as a hash: a bijective 64-bit mix of x (counter-based streams, e.g. the
// recurrent noise).
inline uint64_t mix64(uint64_t x) { return splitmix64(x); }

// The random stream of a run: one seed reproduces initialisation and shuffling.
class Rng {
 public:
  explicit Rng(uint64_t seed = 1) : state_(seed) {}

  uint64_t next() { return splitmix64(state_); }  // 64 random bits
  double uniform();                               // [0, 1), 53 bits
  double uniform(double low, double high);        // [low, high)
  double normal();                                // mean 0, standard deviation 1 (Box-Muller)
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  uint64_t below(uint64_t n);  // 0 .. n-1, each equally likely (no modulo bias); n > 0
  bool bernoulli(double p) { return uniform() < p; }

  // Fisher-Yates: every order equally likely; the same seed gives the same order anywhere.
  template <class It>
  void shuffle(It first, It last) {
    const auto n = last - first;
    for (auto i = n - 1; i > 0; --i) {
      const auto j = static_cast<decltype(i)>(below(uint64_t(i) + 1));
      if (j != i) std::swap(first[i], first[j]);
    }
  }

  // The whole state as text (a decimal number), for a checkpoint; from_text reads it back and
  // returns false when `text` is not one.
  std::string text() const { return std::to_string(state_); }
  bool from_text(const std::string& text);

 private:
  uint64_t state_;
};

}  // namespace biornn
