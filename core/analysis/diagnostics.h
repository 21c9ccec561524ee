// Diagnostics of a trained recurrent layer that other tools don't give for Dale's-law
// networks: spectrum of the effective W, SVD entropy, E/I balance, gate (time-constant) spread.
#pragma once

#include <string>
#include <vector>

#include "core/engine/model.h"

namespace biornn {

struct LayerDiagnostics {
  std::string layer;
  bool has_w = false;
  double spectral_radius = 0;
  double svd_entropy = 0;  // H = -sum p_i log p_i / log N, p_i = sigma_i / sum sigma
  std::vector<double> eigen_real, eigen_imag, singular_values;
  bool has_ei = false;  // W's constraint types its senders (dale, soft_dale)
  // Mean over units of sum_{j in E} W_ij rbar_j: weight times the sender's mean rate, with
  // the sign it really has (negative if E senders' rates are negative, e.g. phi = tanh).
  double excitatory_input = 0;
  double inhibitory_input = 0;  // same over I senders (<= 0 when rates are >= 0)
  bool has_gates = false;
  double z_mean = 0, z_p10 = 0, z_p50 = 0, z_p90 = 0;  // distribution of z over units, steps, examples
  // One line per diagnostic that cannot run for this layer, saying why, e.g. "diagnostic
  // E/I input not available for layer rnn: W's constraint does not type its senders as E or I
  // (dale, soft_dale do)". Its metrics.csv columns are left out, never written as nan.
  std::vector<std::string> unavailable;
};

// Runs the model forward on `x` ([T, B, F]; rates and gates from this batch) and diagnoses
// every layer with a recurrent "W".
std::vector<LayerDiagnostics> diagnose(Model& model, const float* x, int steps, int batch);

// Where a layer sits between an unconstrained RNN and Dale's law, cheap enough for every
// epoch: the fraction of W's synapses whose sign is not their sender's, and of negative rates.
struct ConstraintMetrics {
  std::string layer;
  // Sender types from W's constraint (dale, soft_dale) when it has them; otherwise each
  // sender's majority sign (the Dale typing closest to W), so the metric exists for every W.
  bool types_from_constraint = false;
  double violating_fraction = 0;      // #{i, j : s_j W_ij < 0} / H^2, W the effective weight
  double negative_rate_fraction = 0;  // of the rates r of the layer's last forward pass
};

// One entry per layer with a square effective "W" (the last forward's rates must exist).
std::vector<ConstraintMetrics> constraint_metrics(const Model& model);
// The fraction of entries with s_j W_ij < 0; empty `signs`: each column's majority sign.
double sign_violation_fraction(const Matrix& w, const std::vector<float>& signs);
// One log line: "rnn: 0.00% of W's synapses violate their sender's sign (...), 0.0% of rates < 0".
std::string describe(const ConstraintMetrics& m);

// SVD entropy of singular values (exposed for tests).
double svd_entropy(const std::vector<double>& singular_values);

}  // namespace biornn
