#include "core/engine/gradient_check.h"

#include <toml++/toml.h>

#include <cmath>
#include <map>
#include <sstream>

#include "core/sdk/cell.h"
#include "core/engine/loss_terms.h"
#include "core/engine/recurrent_layer.h"

namespace biornn {

std::string LayerCombination::str() const {
  auto named = [&](const char* kind, const std::string& name) {
    if (options.empty() || tuned_kind != kind || tuned_name != name) return name;
    std::string s = name + "{";
    for (size_t i = 0; i < options.size(); ++i)
      s += (i ? ", " : "") + options[i].name + "=" + option_value_str(options[i].value);
    return s + "}";
  };
  std::string s = "cell=" + named("cell", cell) + " gate=" + (gate.empty() ? "(none)" : named("gate", gate));
  if (!scaling.empty()) s += " scaling=" + named("scaling", scaling);
  for (auto& [p, c] : constraints) s += " constraint " + p + ":" + named("constraint", c);
  return s;
}

Options options_with(const PluginInfo& info, const OptionSet& set) {
  Options o(info.schema);
  for (const auto& s : set) o.set(info.schema, s.name, s.value, s.where, info.kind + " '" + info.name + "'");
  return o;
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <class T>
std::unique_ptr<T> make(const Registry& r, const std::string& name, const LayerCombination* tuned = nullptr) {
  const PluginInfo& info = r.get(T::kKind, name);
  const bool is_tuned = tuned && tuned->tuned_kind == T::kKind && tuned->tuned_name == name;
  return r.create<T>(name, is_tuned ? options_with(info, tuned->options) : Options(info.schema));
}

double relative(double a, double b, double floor) {
  return std::abs(a - b) / std::max(std::abs(a) + std::abs(b), floor);
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
    for (auto& [p, c] : comb.constraints) cons.push_back({p, make<Constraint>(registry, c, &comb)});
    layer = std::make_unique<RecurrentLayer>(
        "gradcheck", s.hidden, s.features, make<Cell>(registry, comb.cell, &comb),
        comb.gate.empty() ? nullptr : make<Gate>(registry, comb.gate, &comb),
        comb.scaling.empty() ? nullptr : make<Scaling>(registry, comb.scaling, &comb), std::move(cons), rng);
  } catch (const Incompatible& e) {  // documented by the plugin that refuses
    res.skipped = true;
    res.skip_reason = e.what();
    return res;
  } catch (const Error& e) {
    res.build_failed = true;
    res.build_error = e.what();
    return res;
  }
  // Raw values away from 0 (kinks of |.|, relu) so central differences are smooth.
  Rng rng(s.seed + 1);
  for (Parameter* p : layer->parameters().all()) {
    for (Eigen::Index i = 0; i < p->raw.size(); ++i) {
      const float old = p->raw.data()[i];
      const float v = float(rng.uniform(0.1, 0.9));
      // Keep each entry's sign where the constraint cares about it (frozen signs, clip).
      const bool negative = old != 0 ? old < 0 : rng.bernoulli(0.5);
      p->raw.data()[i] = negative ? -v : v;
    }
    if (p->constraint) p->constraint->project(p->raw);
  }
  const int T = s.steps, B = s.batch, H = s.hidden, F = s.features;
  Matrix x(T * B, F), c(T * B, H);
  fill_uniform(x, 1.0f, rng);
  fill_uniform(c, 1.0f, rng);

  const double at = loss_of(*layer, x, c, T, B);
  Matrix d_out = c;
  layer->backward(x.data(), d_out.data(), nullptr);
  add_constraint_penalties(layer->parameters().all());  // as the training step does
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
      double numeric = (up - down) / (2 * s.epsilon);
      const double a = analytic[pi].data()[i];
      double rel = relative(a, numeric, s.floor);
      const char* how = "";
      // A kink of the loss within +-epsilon (relu's at 0) spoils the central difference. Then
      // the one-sided differences disagree, and the analytic gradient must match the one on
      // the side without the kink. (A wrong gradient of a smooth loss never gets this pass:
      // its one-sided differences agree.)
      const double forward = (up - at) / s.epsilon, backward = (at - down) / s.epsilon;
      if (rel >= s.tolerance && relative(forward, backward, s.floor) >= s.tolerance) {
        const double one_sided = std::abs(a - forward) < std::abs(a - backward) ? forward : backward;
        if (relative(a, one_sided, s.floor) < rel) {
          numeric = one_sided;
          rel = relative(a, one_sided, s.floor);
          how = " (one-sided: a kink within epsilon)";
          ++res.entries_at_kinks;
        }
      }
      ++res.entries_checked;
      if (rel > res.worst_relative_error || !std::isfinite(rel)) {
        res.worst_relative_error = std::isfinite(rel) ? rel : 1e300;
        std::ostringstream w;
        w << p->name << "[" << i / p->raw.cols() << "," << i % p->raw.cols() << "]: analytic " << a << " numeric "
          << numeric << how;
        res.worst_entry = w.str();
      }
    }
    ++pi;
  }
  return res;
}

namespace {

// Keeps the worst relative error seen (a non-finite one is the worst of all).
void note(double rel, const std::string& where, double& worst, std::string& worst_entry) {
  if (rel > worst || !std::isfinite(rel)) {
    worst = std::isfinite(rel) ? rel : 1e300;
    worst_entry = where;
  }
}

// Random flat inputs of a unit's step (UnitShape's order), in the ranges check_unit_step names.
std::vector<double> random_unit_inputs(const UnitShape& shape, Rng& rng) {
  auto u = [&rng] { return rng.uniform(-1, 1); };
  std::vector<double> in(shape.inputs());
  int k = 0;
  for (; k < shape.blocks; ++k) in[k] = 2 * u();
  if (shape.reads_gate) in[k++] = 0.5 + 0.45 * u();
  for (; k < shape.inputs(); ++k) in[k] = u();
  return in;
}

// The derived Jacobian at `in` against central differences of unit_step, entry by entry.
void compare_jacobian(const UnitStepCell& cell, std::vector<double> in, const UnitStepCheckSettings& s,
                      UnitStepCheckResult& res) {
  const int n = cell.unit_shape().inputs(), m = cell.unit_shape().outputs();
  std::vector<double> at(m), up(m), down(m), jacobian(size_t(m) * n);
  cell.unit_jacobian(in.data(), at.data(), jacobian.data());
  for (int k = 0; k < n; ++k) {
    const double old = in[k];
    in[k] = old + s.epsilon;
    cell.unit_step(in.data(), up.data());
    in[k] = old - s.epsilon;
    cell.unit_step(in.data(), down.data());
    in[k] = old;
    for (int o = 0; o < m; ++o) {
      const double numeric = (up[o] - down[o]) / (2 * s.epsilon);
      // A kink within epsilon (relu at 0): the one-sided differences disagree; leave it out.
      if (relative((up[o] - at[o]) / s.epsilon, (at[o] - down[o]) / s.epsilon, s.floor) > 1e-3) {
        ++res.entries_at_kinks;
        continue;
      }
      const double derived = jacobian[size_t(o) * n + k];
      std::ostringstream w;
      w << "d out[" << o << "] / d in[" << k << "]: derived " << derived << " numeric " << numeric;
      note(relative(derived, numeric, s.floor), w.str(), res.worst_relative_error, res.worst_entry);
      ++res.entries_checked;
    }
  }
}

// One step's views for the float comparison: inputs random, outputs written by the cell.
struct StepBuffers {
  Matrix pre, z, s_prev, unit, s, r, d_r, d_s, d_pre, d_z, d_unit;
  MatrixMap out(Matrix& m) { return view(m.data(), int(m.rows()), int(m.cols()), int(m.cols())); }
  static ConstMatrixMap in(const Matrix& m) { return view(m.data(), int(m.rows()), int(m.cols()), int(m.cols())); }
  CellForward forward() { return {in(pre), in(z), in(s_prev), out(s), out(r), in(unit)}; }
  CellBackward backward() {
    return {in(pre), in(z), in(s_prev), in(s), in(r), in(d_r), out(d_s), out(d_pre), out(d_z), in(unit), out(d_unit)};
  }
};

StepBuffers random_step(const UnitStepCell& cell, const UnitStepCheckSettings& s, Rng& rng) {
  const UnitShape shape = cell.unit_shape();
  const int b = s.batch, h = s.hidden;
  auto random = [&](int rows, int cols, float lo, float hi) {
    Matrix m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = float(rng.uniform(lo, hi));
    return m;
  };
  StepBuffers v;
  v.pre = random(b, shape.blocks * h, -2, 2);
  v.z = random(b, h, 0.05f, 0.95f);
  v.s_prev = random(b, shape.state_variables * h, -1, 1);
  v.unit = random(shape.unit_parameters, h, -1, 1);
  v.s.resize(b, shape.state_variables * h);
  v.r.resize(b, h);
  v.d_r = random(b, h, -1, 1);
  v.d_s = random(b, shape.state_variables * h, -1, 1);
  v.d_pre.setZero(b, shape.blocks * h);
  v.d_z.setZero(b, shape.reads_gate ? h : 0);
  v.d_unit.setZero(b, shape.unit_parameters * h);
  return v;
}

void compare_outputs(const char* name, const Matrix& cell, const Matrix& derived, const UnitStepCheckSettings& s,
                     UnitStepCheckResult& res) {
  for (Eigen::Index i = 0; i < cell.size(); ++i) {
    std::ostringstream w;
    w << name << "[" << i / cell.cols() << "," << i % cell.cols() << "]: cell " << cell.data()[i] << " derived "
      << derived.data()[i];
    note(relative(cell.data()[i], derived.data()[i], s.floor), w.str(), res.twin_worst_relative_error,
         res.twin_worst_entry);
  }
}

// The cell's own forward()/backward() against the derived ones on the same random step.
void compare_twins(const UnitStepCell& cell, const UnitStepCheckSettings& s, Rng& rng, UnitStepCheckResult& res) {
  StepBuffers own = random_step(cell, s, rng);
  CellForward f = own.forward();
  cell.forward(f);
  StepBuffers derived = own;
  CellForward df = derived.forward();
  cell.derived_forward(df);
  compare_outputs("s", own.s, derived.s, s, res);
  compare_outputs("r", own.r, derived.r, s, res);
  own.s = derived.s;
  own.r = derived.r;
  derived = own;
  CellBackward b = own.backward(), db = derived.backward();
  cell.backward(b);
  cell.derived_backward(db);
  compare_outputs("d_s", own.d_s, derived.d_s, s, res);
  compare_outputs("d_pre", own.d_pre, derived.d_pre, s, res);
  compare_outputs("d_z", own.d_z, derived.d_z, s, res);
  compare_outputs("d_unit", own.d_unit, derived.d_unit, s, res);
}

}  // namespace

UnitStepCheckResult check_unit_step(const UnitStepCell& cell, const UnitStepCheckSettings& s) {
  UnitStepCheckResult res;
  Rng rng(s.seed);
  for (int k = 0; k < s.samples; ++k) compare_jacobian(cell, random_unit_inputs(cell.unit_shape(), rng), s, res);
  compare_twins(cell, s, rng, res);
  return res;
}

namespace {

bool reads_gate(const Registry& r, const std::string& cell) {
  auto c = make<Cell>(r, cell);
  auto* step = dynamic_cast<const StepCell*>(c.get());
  return step && step->reads_gate();
}

// The name of the parameter of `role` that `cell` creates. Without one of that role: for
// kRecurrent the first parameter that reads the hidden units ([*, H], e.g. gru's W_hh), for
// kInput the first that reads the features ([*, F]); "" when there is none.
std::string parameter_of(const Registry& r, const std::string& cell, ParameterRole role) {
  constexpr int kHidden = 5, kFeatures = 3;
  auto c = make<Cell>(r, cell);
  ParameterSet ps;
  Rng rng(1);
  c->create_parameters(ps, kHidden, kFeatures, rng);
  if (const Parameter* p = ps.find_role(role)) return p->name;
  const int reads = role == ParameterRole::kRecurrent ? kHidden : kFeatures;
  for (const Parameter* p : ps.all())
    if (p->raw.cols() == reads && p->raw.rows() > 1) return p->name;
  return "";
}

// Whether the layer of `k` builds (a scaling that needs sender types does not, alone).
bool builds(const Registry& r, const LayerCombination& k) {
  try {
    Rng rng(1);
    std::vector<ConstrainedParameter> cons;
    for (auto& [p, c] : k.constraints) cons.push_back({p, make<Constraint>(r, c)});
    RecurrentLayer layer("plan", 5, 3, make<Cell>(r, k.cell), k.gate.empty() ? nullptr : make<Gate>(r, k.gate),
                         k.scaling.empty() ? nullptr : make<Scaling>(r, k.scaling), std::move(cons), rng);
    return true;
  } catch (const Error&) { return false; }
}

}  // namespace

std::vector<LayerCombination> combinations_to_check(const Registry& r, const std::string& origin) {
  auto cells = r.list("cell"), gates = r.list("gate"), scalings = r.list("scaling"), constraints = r.list("constraint");
  auto mine = [&](const std::string& kind, const std::string& name) {
    const PluginInfo* p = name.empty() ? nullptr : r.find(kind, name);
    return origin.empty() || (p && ends_with(p->origin, origin));
  };
  std::vector<LayerCombination> out;
  auto add = [&](const LayerCombination& k) {
    bool involved = mine("cell", k.cell) || (!k.gate.empty() && mine("gate", k.gate)) ||
                    (!k.scaling.empty() && mine("scaling", k.scaling));
    for (const auto& [p, c] : k.constraints) involved = involved || mine("constraint", c);
    if (involved) out.push_back(k);
  };
  if (cells.empty()) return out;
  std::map<std::string, bool> uses_scaling;
  for (auto* g : gates) uses_scaling[g->name] = make<Gate>(r, g->name)->uses_scaling();
  std::string plain_gate;  // the first gate that needs no scaling
  for (auto* g : gates)
    if (plain_gate.empty() && !uses_scaling[g->name]) plain_gate = g->name;
  std::vector<std::string> gated_cells;
  for (auto* c : cells)
    if (reads_gate(r, c->name)) gated_cells.push_back(c->name);
  const std::string base_cell = gated_cells.empty() ? cells.front()->name : gated_cells.front();
  // The first scaling a layer of `cell` and `gate` builds with ("" when none does alone).
  auto scaling_for = [&](const std::string& cell, const std::string& gate) {
    for (auto* s : scalings)
      if (builds(r, {cell, gate, s->name, {}})) return s->name;
    return scalings.empty() ? std::string() : scalings.front()->name;
  };

  for (auto* c : cells) add({c->name, "", "", {}});  // no gate: z = 1, or the cell's own gates
  for (const std::string& c : gated_cells)
    for (auto* g : gates) add({c, g->name, uses_scaling[g->name] ? scaling_for(c, g->name) : "", {}});
  for (auto* s : scalings)
    for (auto* g : gates) {
      if (!uses_scaling[g->name]) continue;
      add({base_cell, g->name, s->name, {}});
      const std::string w = parameter_of(r, base_cell, ParameterRole::kRecurrent);
      for (auto* k : constraints) add({base_cell, g->name, s->name, {{w, k->name}}});
    }
  for (auto* c : cells) {
    const std::string w = parameter_of(r, c->name, ParameterRole::kRecurrent);
    const std::string gate = reads_gate(r, c->name) ? plain_gate : "";
    if (w.empty()) continue;
    for (auto* k : constraints) add({c->name, gate, "", {{w, k->name}}});
  }
  const std::string p = parameter_of(r, base_cell, ParameterRole::kInput);
  if (!p.empty())
    for (auto* k : constraints) add({base_cell, reads_gate(r, base_cell) ? plain_gate : "", "", {{p, k->name}}});
  return out;
}

namespace {

SourcePosition position(const toml::source_region& r, const std::string& path = "") {
  return {r.path ? *r.path : path, int(r.begin.line), int(r.begin.column)};
}
SourcePosition position(const toml::node& n) { return position(n.source()); }

// `key = 6` or `key = [5, 6]`: positive integers.
template <class Int>
std::vector<Int> positive_integers(const toml::node& n, const std::string& key) {
  std::vector<Int> out;
  auto add = [&](const toml::node& v) {
    auto i = v.as_integer();
    if (!i || i->get() < 1)
      throw Error(position(v),
                  "'" + key + "' must be a positive integer or an array of them, as in " + key + " = [5, 6]");
    out.push_back(Int(i->get()));
  };
  if (auto a = n.as_array()) {
    for (const auto& v : *a) add(v);
    if (out.empty()) throw Error(position(n), "'" + key + "' is empty: give at least one value or leave it out");
  } else {
    add(n);
  }
  return out;
}

// A central-difference step: a number in (0, 0.1].
double step(const toml::node& v) {
  const auto e = v.value<double>();
  if (!e || !(*e > 0 && *e <= 0.1)) throw Error(position(v), "'epsilon' must be a number in (0, 0.1]");
  return *e;
}

// The plugin options of one [[options]] table (its `epsilon`, the check's step, left out).
OptionSet option_set(const toml::node& n) {
  auto t = n.as_table();
  if (!t) throw Error(position(n), "each [[options]] must be a table of the plugin's options, as in phi = \"relu\"");
  OptionSet set;
  for (auto&& [k, v] : *t) {
    if (k.str() == "epsilon") continue;
    OptionSetting s{std::string(k.str()), {}, position(v)};
    if (auto i = v.as_integer())
      s.value = int64_t(i->get());
    else if (auto f = v.as_floating_point())
      s.value = double(f->get());
    else if (auto b = v.as_boolean())
      s.value = bool(b->get());
    else if (auto str = v.as_string())
      s.value = std::string(str->get());
    else
      throw Error(position(v), "option '" + s.name + "' must be a number, boolean or string");
    set.push_back(std::move(s));
  }
  return set;
}

}  // namespace

PluginCheckPlan read_check_plan(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) { throw Error(position(e.source(), path), std::string(e.description())); }
  PluginCheckPlan plan;
  for (auto&& [k, v] : root) {
    const std::string key(k.str());
    if (key == "hidden") {
      plan.hidden = positive_integers<int>(v, key);
    } else if (key == "seeds") {
      plan.seeds = positive_integers<uint64_t>(v, key);
    } else if (key == "epsilon") {
      plan.epsilon = step(v);
    } else if (key == "options") {
      auto a = v.as_array();
      if (!a) throw Error(position(v), "'options' must be an array of tables: write each set as [[options]]");
      for (const auto& set : *a) {
        plan.option_sets.push_back(option_set(set));
        const auto* t = set.as_table();
        plan.set_epsilons.push_back(t && t->contains("epsilon") ? step(*t->get("epsilon")) : 0.0);
      }
    } else {
      throw Error(position(k.source(), path),
                  "unknown key '" + key + "' in a gradient-check file (known keys: hidden, seeds, epsilon, options)");
    }
  }
  return plan;
}

}  // namespace biornn
