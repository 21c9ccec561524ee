#include "core/recurrent_layer.h"

#include <omp.h>

#include <algorithm>

#include "core/error.h"
#include "core/gemm.h"

namespace biornn {

namespace {
// The gate of a layer declared without one: z = 1 at every step.
class ConstantGate : public Gate {
 public:
  void create_parameters(ParameterSet&, int, int, Rng&) override {}
  int num_blocks() const override { return 0; }
  void prepare(const ParameterSet&, const Matrix*, LinearBlock*) const override {}
  void accumulate(const LinearBlock*, ParameterSet&, Matrix*) const override {}
  void forward(GateForward& s) const override { s.z.setOnes(); }
  void backward(GateBackward&) const override {}
};
}  // namespace

RecurrentLayer::RecurrentLayer(std::string name, int hidden, int features,
                               std::unique_ptr<Cell> cell, std::unique_ptr<Gate> gate,
                               std::unique_ptr<Scaling> scaling,
                               std::vector<ConstrainedParameter> constraints, Rng& rng)
    : name_(std::move(name)),
      hidden_(hidden),
      features_(features),
      cell_(std::move(cell)),
      gate_(std::move(gate)),
      scaling_(std::move(scaling)),
      constraints_(std::move(constraints)) {
  if (cell_->runs_whole_sequence() && gate_)
    throw Error("layer '" + name_ + "': this cell runs its own gates; remove the layer's gate");
  if (!gate_) gate_ = std::make_unique<ConstantGate>();
  cell_->create_parameters(params_, hidden, features, rng);
  gate_->create_parameters(params_, hidden, features, rng);
  for (auto& c : constraints_) {
    Parameter& p = params_.get(c.parameter, "layer '" + name_ + "' constraint");
    if (p.constraint)
      throw Error("layer '" + name_ + "': two constraints on parameter '" + c.parameter + "'");
    p.constraint = c.constraint.get();
    c.constraint->initialize(p, rng);
  }
  if (gate_->uses_scaling() && !scaling_)
    throw Error("layer '" + name_ + "': its gate needs a scaling A (add scaling = { plugin = ... })");
  if (!gate_->uses_scaling() && scaling_)
    throw Error("layer '" + name_ + "': a scaling A is given but its gate does not use one "
                "(only the conductance gate scales |W| by A)");
  if (scaling_) {
    std::vector<float> signs;
    if (Parameter* w = params_.find("W"))
      if (w->constraint) signs = w->constraint->column_signs();
    scaling_->create_parameters(params_, hidden, signs, rng);
  }
  const bool whole = cell_->runs_whole_sequence();
  cell_blocks_ = whole ? 0 : cell_->num_blocks();
  gate_blocks_ = whole ? 0 : gate_->num_blocks();
  width_ = (cell_blocks_ + gate_blocks_) * hidden_;
  blocks_.resize(cell_blocks_ + gate_blocks_);
}

void RecurrentLayer::prepare() {
  for (Parameter* p : params_.all()) {
    if (p->constraint) p->constraint->apply(p->raw, p->value);
    else p->value = p->raw;
    p->grad.setZero();
  }
  if (scaling_) {
    scaling_a_.resize(hidden_, hidden_);
    scaling_->compute(params_, scaling_a_);
  }
  if (cell_->runs_whole_sequence()) return;
  for (auto& b : blocks_) b = LinearBlock{};
  cell_->prepare(params_, blocks_.data());
  gate_->prepare(params_, scaling_ ? &scaling_a_ : nullptr, blocks_.data() + cell_blocks_);

  const int H = hidden_, F = features_;
  int last_rec = -1, last_in = -1;
  for (int k = 0; k < int(blocks_.size()); ++k) {
    const LinearBlock& b = blocks_[k];
    if (b.recurrent.size()) {
      if (b.recurrent.rows() != H || b.recurrent.cols() != H)
        throw Error("layer '" + name_ + "': block " + std::to_string(k) + " recurrent weight is not [H, H]");
      last_rec = k;
    }
    if (b.input.size()) {
      if (b.input.rows() != H || b.input.cols() != F)
        throw Error("layer '" + name_ + "': block " + std::to_string(k) + " input weight is not [H, F]");
      last_in = k;
    }
  }
  recurrent_width_ = (last_rec + 1) * H;
  input_width_ = (last_in + 1) * H;
  w_cat_.setZero(recurrent_width_, H);
  p_cat_.setZero(input_width_, F);
  b_cat_.setZero(width_);
  for (int k = 0; k < int(blocks_.size()); ++k) {
    const LinearBlock& b = blocks_[k];
    if (b.recurrent.size()) w_cat_.middleRows(k * H, H) = b.recurrent;
    if (b.input.size()) p_cat_.middleRows(k * H, H) = b.input;
    if (b.bias.size()) b_cat_.segment(k * H, H) = b.bias;
  }
}

void RecurrentLayer::forward(const float* x, int steps, int batch) {
  const int H = hidden_, F = features_, Wd = width_;
  steps_ = steps;
  batch_ = batch;
  const size_t rows = size_t(steps) * batch;
  if (cell_->runs_whole_sequence()) {
    r_.resize((rows + batch) * H);
    std::fill(r_.begin(), r_.begin() + size_t(batch) * H, 0.0f);
    cell_->forward_sequence(params_, x, steps, batch, r_.data() + size_t(batch) * H);
    return;
  }
  pre_.resize(rows * Wd);
  z_.resize(rows * H);
  s_.resize((rows + batch) * H);
  r_.resize((rows + batch) * H);

  // Input projections of every step in one GEMM, then the bias.
  if (input_width_ > 0)
    gemm(false, true, int(rows), input_width_, F, x, F, p_cat_.data(), F, pre_.data(), Wd, false);
  const int tail = Wd - input_width_;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < long(rows); ++i) {
    float* row = pre_.data() + i * Wd;
    if (tail > 0) std::fill(row + input_width_, row + Wd, 0.0f);
    for (int j = 0; j < Wd; ++j) row[j] += b_cat_[j];
  }
  cell_->initial(view(s_.data(), batch, H, H), view(r_.data(), batch, H, H));

  const int cw = cell_blocks_ * H, gw = gate_blocks_ * H;
  const int threads = std::max(1, std::min(compute_threads(), batch / 8));
  for (int t = 0; t < steps; ++t) {
    float* pre = pre_.data() + size_t(t) * batch * Wd;
    const float* r_prev = r_.data() + size_t(t) * batch * H;
    if (recurrent_width_ > 0)
      gemm(false, true, batch, recurrent_width_, H, r_prev, H, w_cat_.data(), H, pre, Wd, true);
    float* z = z_.data() + size_t(t) * batch * H;
    const float* s_prev = s_.data() + size_t(t) * batch * H;
    float* s = s_.data() + size_t(t + 1) * batch * H;
    float* r = r_.data() + size_t(t + 1) * batch * H;
#pragma omp parallel num_threads(threads)
    {
      const int n = omp_get_num_threads(), id = omp_get_thread_num();
      const int lo = batch * id / n, hi = batch * (id + 1) / n, b = hi - lo;
      if (b > 0) {
        const float* cpre = pre;
        GateForward g{view(cpre + size_t(lo) * Wd + cw, b, gw, Wd), view(z + size_t(lo) * H, b, H, H)};
        gate_->forward(g);
        CellForward c{view(cpre + size_t(lo) * Wd, b, cw, Wd),
                      view(static_cast<const float*>(z) + size_t(lo) * H, b, H, H),
                      view(s_prev + size_t(lo) * H, b, H, H), view(s + size_t(lo) * H, b, H, H),
                      view(r + size_t(lo) * H, b, H, H)};
        cell_->forward(c);
      }
    }
  }
}

const float* RecurrentLayer::outputs() const { return r_.data() + size_t(batch_) * hidden_; }

void RecurrentLayer::backward(const float* x, const float* d_out, float* d_x) {
  const int H = hidden_, F = features_, Wd = width_, B = batch_, T = steps_;
  const size_t rows = size_t(T) * B;
  if (cell_->runs_whole_sequence()) {
    cell_->backward_sequence(params_, x, d_out, d_x);
    for (Parameter* p : params_.all()) {
      if (p->constraint) p->constraint->backward(p->raw, p->value, p->grad, p->raw_grad);
      else p->raw_grad = p->grad;
    }
    return;
  }
  d_pre_.resize(rows * Wd);
  d_r_.resize(size_t(B) * H);
  d_s_.assign(size_t(B) * H, 0.0f);
  d_z_.resize(size_t(B) * H);
  const int cw = cell_blocks_ * H, gw = gate_blocks_ * H;
  const int threads = std::max(1, std::min(compute_threads(), B / 8));

  for (int t = T - 1; t >= 0; --t) {
    const size_t off = size_t(t) * B;
    std::copy(d_out + off * H, d_out + (off + B) * H, d_r_.begin());
    if (t + 1 < T && recurrent_width_ > 0)
      gemm(false, false, B, H, recurrent_width_, d_pre_.data() + (off + B) * Wd, Wd, w_cat_.data(),
           H, d_r_.data(), H, true);
    const float* pre = pre_.data() + off * Wd;
    float* d_pre = d_pre_.data() + off * Wd;
    const float* z = z_.data() + off * H;
    const float* s_prev = s_.data() + off * H;
    const float* s = s_.data() + (off + B) * H;
    const float* r = r_.data() + (off + B) * H;
#pragma omp parallel num_threads(threads)
    {
      const int n = omp_get_num_threads(), id = omp_get_thread_num();
      const int lo = B * id / n, hi = B * (id + 1) / n, b = hi - lo;
      if (b > 0) {
        const size_t h0 = size_t(lo) * H;
        CellBackward c{view(pre + size_t(lo) * Wd, b, cw, Wd), view(z + h0, b, H, H),
                       view(s_prev + h0, b, H, H),           view(s + h0, b, H, H),
                       view(r + h0, b, H, H),                view(static_cast<const float*>(d_r_.data()) + h0, b, H, H),
                       view(d_s_.data() + h0, b, H, H),      view(d_pre + size_t(lo) * Wd, b, cw, Wd),
                       view(d_z_.data() + h0, b, H, H)};
        cell_->backward(c);
        if (gw > 0) {
          GateBackward g{view(pre + size_t(lo) * Wd + cw, b, gw, Wd), view(z + h0, b, H, H),
                         view(static_cast<const float*>(d_z_.data()) + h0, b, H, H),
                         view(d_pre + size_t(lo) * Wd + cw, b, gw, Wd)};
          gate_->backward(g);
        }
      }
    }
  }

  // Weight gradients: one GEMM each over all steps.
  Matrix d_w, d_p;
  if (recurrent_width_ > 0) {
    d_w.resize(recurrent_width_, H);
    gemm(true, false, recurrent_width_, H, int(rows), d_pre_.data(), Wd, r_.data(), H, d_w.data(),
         H, false);
  }
  if (input_width_ > 0) {
    d_p.resize(input_width_, F);
    gemm(true, false, input_width_, F, int(rows), d_pre_.data(), Wd, x, F, d_p.data(), F, false);
    if (d_x) gemm(false, false, int(rows), F, input_width_, d_pre_.data(), Wd, p_cat_.data(), F, d_x, F, true);
  }
  Vector d_b = Vector::Zero(Wd);
  {
    const int n = compute_threads();
    std::vector<Vector> partial(n, Vector::Zero(Wd));
#pragma omp parallel num_threads(n)
    {
      Vector& acc = partial[omp_get_thread_num()];
#pragma omp for schedule(static)
      for (long i = 0; i < long(rows); ++i)
        acc += Eigen::Map<const Vector>(d_pre_.data() + i * Wd, Wd);
    }
    for (auto& p : partial) d_b += p;
  }

  std::vector<LinearBlock> grads(blocks_.size());
  for (int k = 0; k < int(blocks_.size()); ++k) {
    const LinearBlock& b = blocks_[k];
    if (b.recurrent.size()) grads[k].recurrent = d_w.middleRows(k * H, H);
    if (b.input.size()) grads[k].input = d_p.middleRows(k * H, H);
    if (b.bias.size()) grads[k].bias = d_b.segment(k * H, H);
  }
  cell_->accumulate(grads.data(), params_);
  if (scaling_) scaling_grad_.setZero(H, H);
  gate_->accumulate(grads.data() + cell_blocks_, params_, scaling_ ? &scaling_grad_ : nullptr);
  if (scaling_) scaling_->accumulate(scaling_grad_, params_);
  for (Parameter* p : params_.all()) {
    if (p->constraint) p->constraint->backward(p->raw, p->value, p->grad, p->raw_grad);
    else p->raw_grad = p->grad;
  }
}

void RecurrentLayer::project() {
  for (Parameter* p : params_.all())
    if (p->constraint) p->constraint->project(p->raw);
}

}  // namespace biornn
