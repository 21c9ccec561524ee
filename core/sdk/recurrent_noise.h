// Recurrent noise (Song, Yang & Wang 2016): private Gaussian noise in each unit's drive,
// scaled with the time constant, drawn from a counter-based hash so that every value depends
// only on (seed, draw, step, batch row, unit), never on how the batch is split into threads.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/sdk/random.h"

namespace biornn {

struct RecurrentNoise {
  double std = 0;              // sigma_rec; 0 = no noise
  double alpha = 1;            // dt / tau: the drive gets sqrt(2 / alpha) * sigma_rec * N(0, 1)
  uint64_t seed = 1;           // the noise stream (a layer option, independent of train.seed)
  bool in_evaluation = false;  // also when the model is not training
  double drive_std() const { return std > 0 ? std::sqrt(2.0 / alpha) * std : 0.0; }
};

// A standard normal value for one (seed, draw, step, row, unit), by Box-Muller on two 24-bit
// uniforms taken from one hash.
inline float noise_normal(uint64_t seed, uint64_t draw, uint64_t step, uint64_t row, uint64_t unit) {
  const uint64_t k = mix64(seed ^ mix64(draw ^ mix64(step ^ mix64(row ^ mix64(unit)))));
  const float u1 = (float(k >> 40) + 0.5f) * (1.0f / 16777216.0f);
  const float u2 = (float(k & 0xffffffull) + 0.5f) * (1.0f / 16777216.0f);
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647692f * u2);
}

}  // namespace biornn
