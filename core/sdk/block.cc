#include "core/sdk/block.h"

#include "core/sdk/error.h"

namespace biornn {
namespace {

const char* role_name(ParameterRole role) {
  switch (role) {
    case ParameterRole::kRecurrent: return "recurrent";
    case ParameterRole::kInput: return "input";
    case ParameterRole::kBias: return "bias";
    case ParameterRole::kOther: break;
  }
  return "other";
}

// The parameter a present term reads.
const Parameter& term_parameter(const BlockTerm& t, const ParameterSet& params, const std::string& who) {
  if (!t.name.empty()) return params.get(t.name, who);
  const Parameter* p = params.find_role(t.role);
  if (!p)
    throw Error(who + ": no parameter with the " + role_name(t.role) +
                " role in this layer (parameters: " + params.names() + ")");
  return *p;
}

Parameter& term_parameter(const BlockTerm& t, ParameterSet& params, const std::string& who) {
  return const_cast<Parameter&>(term_parameter(t, static_cast<const ParameterSet&>(params), who));
}

// out = transform(w) (.) A when scaled.
void write_term(const BlockTerm& t, const Matrix& w, const Matrix* scaling, Matrix& out) {
  switch (t.transform) {
    case Transform::kCopy: out = w; break;
    case Transform::kAbs: out = w.cwiseAbs(); break;
    case Transform::kPositivePart: out = w.cwiseMax(0.0f); break;
    case Transform::kNegativePart: out = (-w).cwiseMax(0.0f); break;
  }
  if (t.times_scaling) out.array() *= scaling->array();
}

// grad += g (.) d transform / dw, elementwise.
void add_transform_gradient(Transform t, const Matrix& w, const Matrix& g, Matrix& grad) {
  switch (t) {
    case Transform::kCopy: grad += g; break;
    case Transform::kAbs: grad.array() += g.array() * w.array().sign(); break;
    case Transform::kPositivePart: grad.array() += g.array() * (w.array() > 0.0f).cast<float>(); break;
    case Transform::kNegativePart: grad.array() -= g.array() * (w.array() < 0.0f).cast<float>(); break;
  }
}

// A scaled term needs an A of its parameter's shape.
void check_scaling(const Matrix& w, const char* slot, const Matrix* scaling, const std::string& who) {
  if (std::string(slot) != "recurrent")
    throw Error(who + ": the " + slot + " term of a block cannot be scaled by A (only the recurrent term, [H, H])");
  if (!scaling)
    throw Error(who + ": a block term is scaled by A, but the layer has no scaling (add scaling = { plugin = ... })");
  if (scaling->rows() != w.rows() || scaling->cols() != w.cols())
    throw Error(who + ": the scaled term's parameter is [" + std::to_string(w.rows()) + ", " +
                std::to_string(w.cols()) + "] but A is [" + std::to_string(scaling->rows()) + ", " +
                std::to_string(scaling->cols()) + "] (accumulate without a prepare?)");
}

void prepare_term(const BlockTerm& t, const char* slot, const ParameterSet& params, const Matrix* scaling, Matrix& out,
                  const std::string& who) {
  if (!t.present()) return;
  const Matrix& w = term_parameter(t, params, who).value;
  if (t.times_scaling) check_scaling(w, slot, scaling, who);
  write_term(t, w, scaling, out);
}

// Adds the gradient of one term given g = dLoss/d(term's block matrix), shaped like the parameter.
void accumulate_term(const BlockTerm& t, const char* slot, const Matrix& g, ParameterSet& params, const Matrix* scaling,
                     Matrix* d_scaling, const std::string& who) {
  if (!t.present()) return;
  Parameter& p = term_parameter(t, params, who);
  if (!t.times_scaling) return add_transform_gradient(t.transform, p.value, g, p.grad);
  check_scaling(p.value, slot, scaling, who);
  const Matrix g_times_a = g.cwiseProduct(*scaling);
  add_transform_gradient(t.transform, p.value, g_times_a, p.grad);
  if (d_scaling) {
    BlockTerm unscaled = t;
    unscaled.times_scaling = false;
    Matrix transformed;
    write_term(unscaled, p.value, nullptr, transformed);
    d_scaling->array() += g.array() * transformed.array();
  }
}

std::string block_name(const char* who, size_t k) { return std::string(who) + " block " + std::to_string(k); }

}  // namespace

void prepare_blocks(const std::vector<BlockSpec>& specs, const ParameterSet& params, const Matrix* scaling,
                    LinearBlock* blocks, const char* who) {
  for (size_t k = 0; k < specs.size(); ++k) {
    const std::string name = block_name(who, k);
    const BlockSpec& s = specs[k];
    LinearBlock& b = blocks[k];
    prepare_term(s.recurrent, "recurrent", params, scaling, b.recurrent, name);
    prepare_term(s.input, "input", params, scaling, b.input, name);
    if (!s.bias.present()) continue;
    Matrix bias;
    prepare_term(s.bias, "bias", params, scaling, bias, name);
    if (bias.rows() != 1) throw Error(name + ": the bias term's parameter must be [1, H]");
    b.bias = bias.row(0);
  }
}

void accumulate_blocks(const std::vector<BlockSpec>& specs, const LinearBlock* grads, ParameterSet& params,
                       const Matrix* scaling, Matrix* d_scaling, const char* who) {
  for (size_t k = 0; k < specs.size(); ++k) {
    const std::string name = block_name(who, k);
    const BlockSpec& s = specs[k];
    const LinearBlock& g = grads[k];
    accumulate_term(s.recurrent, "recurrent", g.recurrent, params, scaling, d_scaling, name);
    accumulate_term(s.input, "input", g.input, params, scaling, d_scaling, name);
    if (s.bias.present()) accumulate_term(s.bias, "bias", Matrix(g.bias), params, scaling, d_scaling, name);
  }
}

const std::vector<BlockSpec>& checked_specs(const std::vector<BlockSpec>& specs, int num_blocks, const char* who) {
  if (specs.empty())
    throw Error(std::string("the ") + who +
                " neither describes its linear blocks (block_specs()) nor overrides prepare() and accumulate()");
  if (int(specs.size()) != num_blocks)
    throw Error(std::string("the ") + who + " describes " + std::to_string(specs.size()) +
                " blocks (block_specs()) but declares num_blocks() = " + std::to_string(num_blocks));
  return specs;
}

bool blocks_use_scaling(const std::vector<BlockSpec>& specs) {
  for (const BlockSpec& s : specs)
    if (s.recurrent.times_scaling || s.input.times_scaling || s.bias.times_scaling) return true;
  return false;
}

void PlainBlock::prepare(const ParameterSet& params, LinearBlock& block) const {
  prepare_blocks({spec()}, params, nullptr, &block, "plain block");
}

void PlainBlock::accumulate(const LinearBlock& grad, ParameterSet& params) const {
  accumulate_blocks({spec()}, &grad, params, nullptr, nullptr, "plain block");
}

}  // namespace biornn
