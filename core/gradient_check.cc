#include "core/gradient_check.h"

#include <cmath>
#include <sstream>

#include "core/cell.h"
#include "core/recurrent_layer.h"

namespace biornn {

std::string LayerCombination::str() const {
  std::string s = "cell=" + cell + " gate=" + (gate.empty() ? "(none)" : gate);
  if (!scaling.empty()) s += " scaling=" + scaling;
  for (auto& [p, c] : constraints) s += " constraint " + p + ":" + c;
  return s;
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <class T>
std::unique_ptr<T> make(const Registry& r, const std::string& name) {
  const PluginInfo& info = r.get(T::kKind, name);
  return r.create<T>(name, Options(info.schema));
}

double loss_of(RecurrentLayer& layer, const Matrix& x, const Matrix& c, int steps, int batch) {
  layer.prepare();
  layer.forward(x.data(), steps, batch);
  const float* r = layer.outputs();
  double l = 0;
  for (Eigen::Index i = 0; i < c.size(); ++i) l += double(c.data()[i]) * r[i];
  for (const Parameter* p : layer.parameters().all())  // soft constraints' loss terms
    if (p->constraint) l += p->constraint->penalty(p->raw);
  return l;
}

}  // namespace

GradientCheckResult check_layer(const Registry& registry, const LayerCombination& comb,
                                const GradientCheckSettings& s) {
  GradientCheckResult res;
  res.combination = comb;
  std::unique_ptr<RecurrentLayer> layer;
  try {
    Rng rng(s.seed);
    std::vector<ConstrainedParameter> cons;
    for (auto& [p, c] : comb.constraints) cons.push_back({p, make<Constraint>(registry, c)});
    layer = std::make_unique<RecurrentLayer>("gradcheck", s.hidden, s.features, make<Cell>(registry, comb.cell),
                                             comb.gate.empty() ? nullptr : make<Gate>(registry, comb.gate),
                                             comb.scaling.empty() ? nullptr : make<Scaling>(registry, comb.scaling),
                                             std::move(cons), rng);
  } catch (const Error& e) {
    res.skipped = true;
    res.skip_reason = e.what();
    return res;
  }
  // Raw values away from 0 (kinks of |.|, relu) so central differences are smooth.
  Rng rng(s.seed + 1);
  std::uniform_real_distribution<float> mag(0.1f, 0.9f);
  std::bernoulli_distribution sign(0.5);
  for (Parameter* p : layer->parameters().all()) {
    for (Eigen::Index i = 0; i < p->raw.size(); ++i) {
      const float old = p->raw.data()[i];
      float v = mag(rng);
      // Keep each entry's sign where the constraint cares about it (frozen signs, clip).
      bool negative = old != 0 ? old < 0 : sign(rng);
      p->raw.data()[i] = negative ? -v : v;
    }
    if (p->constraint) p->constraint->project(p->raw);
  }
  const int T = s.steps, B = s.batch, H = s.hidden, F = s.features;
  Matrix x(T * B, F), c(T * B, H);
  fill_uniform(x, 1.0f, rng);
  fill_uniform(c, 1.0f, rng);

  loss_of(*layer, x, c, T, B);
  Matrix d_out = c;
  layer->backward(x.data(), d_out.data(), nullptr);
  std::vector<Matrix> analytic;
  for (Parameter* p : layer->parameters().all()) analytic.push_back(p->raw_grad);

  size_t pi = 0;
  for (Parameter* p : layer->parameters().all()) {
    for (Eigen::Index i = 0; i < p->raw.size(); ++i) {
      const float old = p->raw.data()[i];
      p->raw.data()[i] = float(old + s.epsilon);
      const double up = loss_of(*layer, x, c, T, B);
      p->raw.data()[i] = float(old - s.epsilon);
      const double down = loss_of(*layer, x, c, T, B);
      p->raw.data()[i] = old;
      const double numeric = (up - down) / (2 * s.epsilon);
      const double a = analytic[pi].data()[i];
      const double rel = std::abs(a - numeric) / std::max(std::abs(a) + std::abs(numeric), s.floor);
      ++res.entries_checked;
      if (rel > res.worst_relative_error || !std::isfinite(rel)) {
        res.worst_relative_error = std::isfinite(rel) ? rel : 1e300;
        std::ostringstream w;
        w << p->name << "[" << i / p->raw.cols() << "," << i % p->raw.cols() << "]: analytic " << a << " numeric "
          << numeric;
        res.worst_entry = w.str();
      }
    }
    ++pi;
  }
  return res;
}

std::vector<LayerCombination> combinations_to_check(const Registry& r, const std::string& origin) {
  auto cells = r.list("cell"), gates = r.list("gate"), scalings = r.list("scaling"), constraints = r.list("constraint");
  auto mine = [&](const PluginInfo* p) { return origin.empty() || ends_with(p->origin, origin); };
  std::vector<LayerCombination> out;
  if (cells.empty()) return out;
  // A plain gate to pair cells and constraints with: prefer one that needs no scaling.
  const PluginInfo* plain_gate = gates.empty() ? nullptr : gates.front();
  for (auto* g : gates)
    if (g->name == "learned") plain_gate = g;
  auto plain_gate_name = [&]() { return plain_gate ? plain_gate->name : std::string(); };
  const PluginInfo* base_cell = cells.front();
  for (auto* c : cells)
    if (c->name == "rate") base_cell = c;
  std::string dale;
  for (auto* c : constraints)
    if (c->name == "dale") dale = c->name;

  for (auto* c : cells) {
    if (mine(c)) out.push_back({c->name, "", "", {}});  // no gate: z = 1, or the cell's own gates
    auto cell = make<Cell>(r, c->name);
    auto* step = dynamic_cast<const StepCell*>(cell.get());
    if (!step || !step->reads_gate()) continue;  // no gate for it: only the combination above
    for (auto* g : gates) {
      LayerCombination k{c->name, g->name, "", {}};
      bool uses_scaling = make<Gate>(r, g->name)->uses_scaling();
      if (uses_scaling) {
        if (scalings.empty()) continue;
        k.scaling = scalings.front()->name;
        for (auto* s : scalings)
          if (s->name == "constant") k.scaling = s->name;
      }
      bool involved = mine(c) || mine(g) || (uses_scaling && mine(r.find("scaling", k.scaling)));
      if (involved) out.push_back(k);
    }
  }
  for (auto* s : scalings)
    for (auto* g : gates) {
      if (!make<Gate>(r, g->name)->uses_scaling()) continue;
      if (!(mine(s) || mine(g) || mine(base_cell))) continue;
      LayerCombination k{base_cell->name, g->name, s->name, {}};
      out.push_back(k);
      if (!dale.empty()) out.push_back({base_cell->name, g->name, s->name, {{"W", dale}}});
    }
  for (auto* c : constraints) {
    if (!(mine(c) || mine(base_cell) || (plain_gate && mine(plain_gate)))) continue;
    out.push_back({base_cell->name, plain_gate_name(), "", {{"W", c->name}}});
    out.push_back({base_cell->name, plain_gate_name(), "", {{"P", c->name}}});
  }
  return out;
}

}  // namespace biornn
