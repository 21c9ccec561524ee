#include "core/sdk/random.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace biornn {

double Rng::uniform() { return double(next() >> 11) * 0x1.0p-53; }

double Rng::uniform(double low, double high) { return low + (high - low) * uniform(); }

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: the logarithm is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t Rng::below(uint64_t n) {
  // Lemire's multiply-shift with rejection of the biased low products (arXiv:1805.10941).
  uint64_t x = next();
  __uint128_t m = __uint128_t(x) * n;
  uint64_t low = uint64_t(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      x = next();
      m = __uint128_t(x) * n;
      low = uint64_t(m);
    }
  }
  return uint64_t(m >> 64);
}

bool Rng::from_text(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  state_ = uint64_t(v);
  return true;
}

}  // namespace biornn
