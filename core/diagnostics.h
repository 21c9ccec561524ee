// Diagnostics of a trained recurrent layer that other tools don't give for Dale's-law
// networks: spectrum of the effective W, SVD entropy, E/I balance, gate (time-constant) spread.
#pragma once

#include <string>
#include <vector>

#include "core/trainer.h"

namespace biornn {

struct LayerDiagnostics {
  std::string layer;
  bool has_w = false;
  double spectral_radius = 0;
  double svd_entropy = 0;  // H = -sum p_i log p_i / log N, p_i = sigma_i / sum sigma
  std::vector<double> eigen_real, eigen_imag, singular_values;
  bool has_ei = false;          // W carries a Dale constraint
  double excitatory_input = 0;  // mean over units of sum_{j in E} W_ij rbar_j
  double inhibitory_input = 0;  // same over I senders (<= 0)
  bool has_gates = false;
  double z_mean = 0, z_p10 = 0, z_p50 = 0, z_p90 = 0;  // distribution of z over units, steps, examples
};

// Runs the model forward on `x` ([T, B, F]; rates and gates from this batch) and diagnoses
// every layer with a recurrent "W".
std::vector<LayerDiagnostics> diagnose(Experiment& e, const float* x, int steps, int batch);

// SVD entropy of singular values (exposed for tests).
double svd_entropy(const std::vector<double>& singular_values);

}  // namespace biornn
