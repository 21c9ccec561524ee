#include "core/analysis/diagnostics.h"

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

#include <spdlog/fmt/fmt.h>

namespace biornn {

double svd_entropy(const std::vector<double>& s) {
  double total = 0;
  for (double v : s) total += v;
  if (s.size() < 2 || total <= 0) return 0;
  double h = 0;
  for (double v : s)
    if (v > 0) h -= (v / total) * std::log(v / total);
  return h / std::log(double(s.size()));
}

double sign_violation_fraction(const Matrix& w, const std::vector<float>& signs) {
  if (w.size() == 0) return 0;
  int64_t wrong = 0;
  for (Eigen::Index j = 0; j < w.cols(); ++j) {
    int64_t negative = 0, positive = 0;
    for (Eigen::Index i = 0; i < w.rows(); ++i) {
      negative += w(i, j) < 0;
      positive += w(i, j) > 0;
    }
    if (!signs.empty())
      wrong += signs[j] > 0 ? negative : positive;
    else
      wrong += std::min(negative, positive);
  }
  return double(wrong) / double(w.size());
}

std::vector<ConstraintMetrics> constraint_metrics(const Model& model) {
  std::vector<ConstraintMetrics> out;
  for (const auto& l : model.layers()) {
    const Parameter* w = l->parameters().find_role(ParameterRole::kRecurrent);
    const int H = l->hidden();
    if (!w || w->value.rows() != H || w->value.cols() != H) continue;
    ConstraintMetrics m;
    m.layer = l->name();
    std::vector<float> signs = w->constraint ? w->constraint->column_signs() : std::vector<float>{};
    if (int(signs.size()) != H) signs.clear();
    m.types_from_constraint = !signs.empty();
    m.violating_fraction = sign_violation_fraction(w->value, signs);
    const size_t n = size_t(l->last_steps()) * l->last_batch() * H;
    if (n > 0) {
      const float* r = l->outputs();
      m.negative_rate_fraction = double(std::count_if(r, r + n, [](float v) { return v < 0; })) / double(n);
    }
    out.push_back(m);
  }
  return out;
}

std::string describe(const ConstraintMetrics& m) {
  return fmt::format(
      "{}: {:.3f}% of W's synapses violate their sender's sign ({}), {:.1f}% of rates < 0", m.layer,
      100 * m.violating_fraction,
      m.types_from_constraint ? "sender types from the constraint" : "against each sender's majority sign",
      100 * m.negative_rate_fraction);
}

namespace {

// Why a layer has no square recurrent weight to diagnose, or "" when it has one.
std::string missing_w_reason(const Parameter* w, int hidden) {
  if (!w)
    return "its cell declares no recurrent weight (no parameter with the recurrent role; whole-sequence cells "
           "such as gru and lstm keep theirs inside)";
  if (w->value.rows() != hidden || w->value.cols() != hidden)
    return fmt::format("its recurrent weight {} is [{}, {}], not [H, H] = [{}, {}]", w->name, w->value.rows(),
                       w->value.cols(), hidden, hidden);
  return "";
}

void note_unavailable(LayerDiagnostics& d, const char* what, const std::string& why) {
  d.unavailable.push_back(fmt::format("diagnostic {} not available for layer {}: {}", what, d.layer, why));
}

// The reasons for every diagnostic `d` lacks (called once its has_* flags are set).
void explain_unavailable(LayerDiagnostics& d, const std::string& missing_w) {
  if (!d.has_w) {
    note_unavailable(d, "spectral radius, SVD entropy, eigenvalues and sign violations", missing_w);
    note_unavailable(d, "E/I input", missing_w);
  } else if (!d.has_ei) {
    note_unavailable(d, "E/I input", "W's constraint does not type its senders as E or I (dale, soft_dale do)");
  }
  if (!d.has_gates)
    note_unavailable(d, "gate z percentiles",
                     "the layer has no gate (z = 1 everywhere), its cell ignores z, or it keeps its gates inside "
                     "the cell");
}

}  // namespace

std::vector<LayerDiagnostics> diagnose(Model& model, const float* x, int steps, int batch) {
  model.forward(x, steps, batch);
  std::vector<LayerDiagnostics> out;
  for (const auto& l : model.layers()) {
    LayerDiagnostics d;
    d.layer = l->name();
    const int H = l->hidden();
    const auto* step_cell = dynamic_cast<const StepCell*>(&l->cell());
    const float* z = step_cell && step_cell->reads_gate() ? l->gates() : nullptr;  // a cell that ignores z
    const size_t n = z ? size_t(l->last_steps()) * l->last_batch() * H : 0;
    if (z && std::all_of(z, z + n, [](float q) { return q == 1.0f; })) z = nullptr;  // no gate: z = 1
    if (z) {
      std::vector<float> v(z, z + n);
      double sum = 0;
      for (float q : v) sum += q;
      d.has_gates = true;
      d.z_mean = sum / n;
      auto pct = [&](double p) {
        size_t k = std::min(n - 1, size_t(p * (n - 1)));
        std::nth_element(v.begin(), v.begin() + k, v.end());
        return double(v[k]);
      };
      d.z_p10 = pct(0.1);
      d.z_p50 = pct(0.5);
      d.z_p90 = pct(0.9);
    }
    const Parameter* w = l->parameters().find_role(ParameterRole::kRecurrent);
    if (w && w->value.rows() == H && w->value.cols() == H) {
      d.has_w = true;
      const Eigen::MatrixXd wd = w->value.cast<double>();
      Eigen::EigenSolver<Eigen::MatrixXd> es(wd, false);
      for (int i = 0; i < H; ++i) {
        const auto ev = es.eigenvalues()[i];
        d.eigen_real.push_back(ev.real());
        d.eigen_imag.push_back(ev.imag());
        d.spectral_radius = std::max(d.spectral_radius, std::abs(ev));
      }
      Eigen::BDCSVD<Eigen::MatrixXd> svd(wd);
      for (int i = 0; i < svd.singularValues().size(); ++i) d.singular_values.push_back(svd.singularValues()[i]);
      d.svd_entropy = svd_entropy(d.singular_values);
      const std::vector<float> signs = w->constraint ? w->constraint->column_signs() : std::vector<float>{};
      if (int(signs.size()) == H) {
        d.has_ei = true;
        // Mean rate of each sender over the batch and steps.
        std::vector<double> rbar(H, 0.0);
        const float* r = l->outputs();
        const size_t rows = size_t(l->last_steps()) * l->last_batch();
        for (size_t i = 0; i < rows; ++i)
          for (int j = 0; j < H; ++j) rbar[j] += r[i * H + j];
        for (double& v : rbar) v /= double(rows);
        double e_in = 0, i_in = 0;
        for (int i = 0; i < H; ++i)
          for (int j = 0; j < H; ++j) (signs[j] > 0 ? e_in : i_in) += w->value(i, j) * rbar[j];
        d.excitatory_input = e_in / H;
        d.inhibitory_input = i_in / H;
      }
    }
    explain_unavailable(d, missing_w_reason(w, H));
    out.push_back(d);
  }
  return out;
}

}  // namespace biornn
