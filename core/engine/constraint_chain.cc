#include "core/engine/constraint_chain.h"

#include "core/sdk/error.h"
#include "core/engine/recurrent_layer.h"

namespace biornn {

ConstraintChain::ConstraintChain(std::vector<std::unique_ptr<Constraint>> links) : links_(std::move(links)) {
  if (links_.empty()) throw Error("a constraint chain needs at least one constraint");
}

void ConstraintChain::initialize(Parameter& p, Rng& rng) {
  for (auto& c : links_) c->initialize(p, rng);
}

Matrix ConstraintChain::forward(const Matrix& raw, std::vector<Matrix>* inputs) const {
  Matrix current = raw, next;
  for (const auto& c : links_) {
    c->apply(current, next);
    if (inputs) inputs->push_back(std::move(current));
    current = std::move(next);
  }
  return current;
}

void ConstraintChain::apply(const Matrix& raw, Matrix& value) const { value = forward(raw, nullptr); }

void ConstraintChain::backward(const Matrix& raw, const Matrix& value, const Matrix& grad, Matrix& raw_grad) const {
  std::vector<Matrix> inputs;
  forward(raw, &inputs);
  Matrix g = grad, previous;
  for (size_t k = links_.size(); k-- > 0;) {
    const Matrix& output = k + 1 < links_.size() ? inputs[k + 1] : value;
    links_[k]->backward(inputs[k], output, g, previous);
    g = std::move(previous);
  }
  raw_grad = std::move(g);
}

void ConstraintChain::project(Matrix& raw) const {
  for (const auto& c : links_) c->project(raw);
}

double ConstraintChain::penalty(const Matrix& raw) const {
  std::vector<Matrix> inputs;
  forward(raw, &inputs);
  double sum = 0;
  for (size_t k = 0; k < links_.size(); ++k) sum += links_[k]->penalty(inputs[k]);
  return sum;
}

// Link k's penalty reads its own input: its gradient there goes back through links k-1..0.
void ConstraintChain::add_penalty_gradient(const Matrix& raw, Matrix& raw_grad) const {
  std::vector<Matrix> inputs;
  const Matrix value = forward(raw, &inputs);
  for (size_t k = 0; k < links_.size(); ++k) {
    Matrix g = Matrix::Zero(raw.rows(), raw.cols()), previous;
    links_[k]->add_penalty_gradient(inputs[k], g);
    if (g.isZero(0)) continue;
    for (size_t j = k; j-- > 0;) {
      links_[j]->backward(inputs[j], inputs[j + 1], g, previous);
      g = std::move(previous);
    }
    raw_grad += g;
  }
}

std::vector<float> ConstraintChain::column_signs() const {
  for (const auto& c : links_) {
    auto s = c->column_signs();
    if (!s.empty()) return s;
  }
  return {};
}

std::vector<float> ConstraintChain::state() const {
  std::vector<float> all;
  for (const auto& l : links_) {
    const std::vector<float> s = l->state();
    all.push_back(float(s.size()));
    all.insert(all.end(), s.begin(), s.end());
  }
  return all;
}

void ConstraintChain::restore(const std::vector<float>& state) {
  size_t at = 0;
  for (const auto& l : links_) {
    if (at >= state.size()) throw Error("a chain of constraints: the checkpoint holds the state of fewer links");
    const size_t n = size_t(state[at++]);
    if (at + n > state.size()) throw Error("a chain of constraints: the checkpoint's state is truncated");
    l->restore(std::vector<float>(state.begin() + ptrdiff_t(at), state.begin() + ptrdiff_t(at + n)));
    at += n;
  }
  if (at != state.size()) throw Error("a chain of constraints: the checkpoint holds the state of more links");
}

std::vector<ConstrainedParameter> chain_constraints(std::vector<ConstrainedParameter> constraints) {
  std::vector<ConstrainedParameter> out;
  std::vector<std::vector<std::unique_ptr<Constraint>>> links;
  for (auto& c : constraints) {
    size_t k = 0;
    while (k < out.size() && out[k].parameter != c.parameter) ++k;
    if (k == out.size()) {
      out.push_back({c.parameter, nullptr});
      links.emplace_back();
    }
    links[k].push_back(std::move(c.constraint));
  }
  for (size_t k = 0; k < out.size(); ++k)
    out[k].constraint =
        links[k].size() == 1 ? std::move(links[k][0]) : std::make_unique<ConstraintChain>(std::move(links[k]));
  return out;
}

}  // namespace biornn
