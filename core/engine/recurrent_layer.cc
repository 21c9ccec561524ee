#include "core/engine/recurrent_layer.h"

#include <algorithm>

#include "core/engine/constraint_chain.h"
#include "core/sdk/derived_cell.h"
#include "core/sdk/error.h"

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

RecurrentLayer::RecurrentLayer(std::string name, int hidden, int features, std::unique_ptr<Cell> cell,
                               std::unique_ptr<Gate> gate, std::unique_ptr<Scaling> scaling,
                               std::vector<ConstrainedParameter> constraints, Rng& rng)
    : name_(std::move(name)),
      hidden_(hidden),
      features_(features),
      cell_(std::move(cell)),
      step_(dynamic_cast<StepCell*>(cell_.get())),
      seq_(dynamic_cast<SequenceCell*>(cell_.get())),
      gate_(std::move(gate)),
      scaling_(std::move(scaling)),
      constraints_(std::move(constraints)) {
  if (!step_ && !seq_)
    throw Error("layer '" + name_ + "': its cell is neither a StepCell nor a SequenceCell (core/sdk/cell.h)");
  if (seq_ && gate_)
    throw Error("layer '" + name_ + "': this cell runs its own gates; remove the layer's gate (gate = \"none\")");
  if (gate_ && !step_->reads_gate())
    throw Error("layer '" + name_ +
                "': its cell does not read a gate's z, so the gate's parameters would "
                "never learn; remove the layer's gate (gate = \"none\")");
  if (!gate_) gate_ = std::make_unique<ConstantGate>();
  {
    ParameterSet::Scope scope(params_, "cell");
    cell_->create_parameters(params_, hidden, features, rng);
  }
  for (const std::string& u : step_ ? step_->unit_parameters() : std::vector<std::string>{}) {
    ParameterSet::Scope scope(params_, "cell");
    Parameter& p = params_.get(u, "layer '" + name_ + "' cell's unit_parameters()");
    if (p.raw.rows() != 1 || p.raw.cols() != hidden)
      throw Error("layer '" + name_ + "': per-unit parameter '" + u + "' is [" + std::to_string(p.raw.rows()) + ", " +
                  std::to_string(p.raw.cols()) + "], expected [1, " + std::to_string(hidden) + "]");
    unit_params_.push_back(&p);
  }
  {
    ParameterSet::Scope scope(params_, "gate");
    gate_->create_parameters(params_, hidden, features, rng);
  }
  constraints_ = chain_constraints(std::move(constraints_));  // several on one parameter: applied in order
  for (auto& c : constraints_) {
    Parameter& p = params_.get(c.parameter, "layer '" + name_ + "' constraint");
    p.constraint = c.constraint.get();
    c.constraint->initialize(p, rng);
  }
  if (gate_->uses_scaling() && !scaling_)
    throw Error("layer '" + name_ + "': its gate needs a scaling A (add scaling = { plugin = ... })");
  if (!gate_->uses_scaling() && scaling_)
    throw Error("layer '" + name_ +
                "': a scaling A is given but its gate does not use one "
                "(only the conductance gate scales |W| by A)");
  if (scaling_) {
    std::vector<float> signs;
    if (Parameter* w = params_.find_role(ParameterRole::kRecurrent))
      if (w->constraint) signs = w->constraint->column_signs();
    ParameterSet::Scope scope(params_, "scaling");
    scaling_->create_parameters(params_, hidden, signs, rng);
  }
  const bool whole = seq_ != nullptr;
  state_size_ = whole ? hidden_ : step_->state_variables() * hidden_;
  if (state_size_ <= 0)
    throw Error("layer '" + name_ + "': its cell declares " + std::to_string(step_->state_variables()) +
                " state variables per unit (need at least 1)");
  if (auto* derived = dynamic_cast<const UnitStepCell*>(step_)) {
    try {
      derived->check_unit_shape();
    } catch (const Error& e) { throw Error("layer '" + name_ + "': " + e.what()); }
  }
  cell_blocks_ = whole ? 0 : step_->num_blocks();
  gate_blocks_ = whole ? 0 : gate_->num_blocks();
  width_ = (cell_blocks_ + gate_blocks_) * hidden_;
  blocks_.resize(cell_blocks_ + gate_blocks_);
}

void RecurrentLayer::set_context(ComputeContext& context) {
  context_ = &context;
  own_context_.reset();
}

ComputeContext& RecurrentLayer::context() {
  if (!context_) {
    own_context_ = std::make_unique<ComputeContext>();
    context_ = own_context_.get();
  }
  return *context_;
}

void RecurrentLayer::prepare() {
  for (Parameter* p : params_.all()) {
    if (p->constraint)
      p->constraint->apply(p->raw, p->value);
    else
      p->value = p->raw;
    p->grad.setZero();
  }
  if (scaling_) {
    scaling_a_.resize(hidden_, hidden_);
    ParameterSet::Scope scope(params_, "scaling");
    scaling_->compute(params_, scaling_a_);
  }
  if (seq_) return;
  unit_values_.resize(int(unit_params_.size()), hidden_);
  for (size_t v = 0; v < unit_params_.size(); ++v) unit_values_.row(int(v)) = unit_params_[v]->value.row(0);
  // blocks_ keep their storage from the last minibatch (no allocation or page fault per step):
  // a cell and a gate write the same terms every time, and a term they never write stays empty.
  {
    ParameterSet::Scope scope(params_, "cell");
    step_->prepare(params_, blocks_.data());
  }
  {
    ParameterSet::Scope scope(params_, "gate");
    gate_->prepare(params_, scaling_ ? &scaling_a_ : nullptr, blocks_.data() + cell_blocks_);
  }

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

void RecurrentLayer::forward(const float* x, int steps, int batch, const float* initial_state) {
  const ComputeContext::Scope compute(context());
  steps_ = steps;
  batch_ = batch;
  if (seq_) {
    forward_whole_sequence(x, initial_state);
    return;
  }
  const size_t rows = size_t(steps) * batch;
  pre_.resize(rows * width_);
  z_.resize(rows * hidden_);
  s_.resize((rows + batch) * state_size_);
  r_.resize((rows + batch) * hidden_);
  if (context().precision() == Precision::kBf16) r16_.resize((rows + batch) * hidden_);
  // The recurrence. Batch rows are independent, so each thread runs the whole sequence on its
  // own chunk of rows: no fork/join or barrier per step, and the step's pre-activations never
  // leave the thread's cache.
  const bool noisy = noise_active() && cell_blocks_ > 0;
  const uint64_t draw = noisy ? noise_draw_++ : 0;
  const int chunks = plan_chunks(batch, false);
  context().for_each_chunk(chunks, [&](int c) { forward_chunk(chunks_[c], x, initial_state, noisy, draw); });
}

void RecurrentLayer::forward_whole_sequence(const float* x, const float* initial_state) {
  if (initial_state)
    throw Error("layer '" + name_ +
                "': its cell runs the whole sequence itself and always starts "
                "from its own zero state; a given initial state needs a per-step cell");
  const size_t first = size_t(batch_) * hidden_;
  r_.resize(size_t(steps_) * first + first);
  std::fill(r_.begin(), r_.begin() + first, 0.0f);
  ParameterSet::Scope scope(params_, "cell");
  seq_->forward_sequence(params_, x, steps_, batch_, r_.data() + first);
}

// One thread's rows through every step: pre-activations, gate, cell (and r in bf16 for the
// next step's product).
void RecurrentLayer::forward_chunk(const Chunk& ch, const float* x, const float* initial_state, bool noisy,
                                   uint64_t draw) {
  const int H = hidden_, S = state_size_, B = batch_, b = ch.rows;
  const size_t h0 = size_t(ch.lo) * H, s0 = size_t(ch.lo) * S;
  const bool bf16 = context().precision() == Precision::kBf16;
  if (initial_state)
    std::copy(initial_state + s0, initial_state + s0 + size_t(b) * S, s_.data() + s0);
  else
    step_->initial(view(s_.data() + s0, b, S, S));
  step_->rate(view(static_cast<const float*>(s_.data()) + s0, b, S, S), view(r_.data() + h0, b, H, H));
  if (bf16) to_bf16(r_.data() + h0, size_t(b) * H, r16_.data() + h0);
  const int cw = cell_blocks_ * H, gw = gate_blocks_ * H;
  const ConstMatrixMap unit = view(static_cast<const float*>(unit_values_.data()), int(unit_values_.rows()), H, H);
  for (int t = 0; t < steps_; ++t) {
    const size_t off = size_t(t) * B;
    float* pre = pre_.data() + (off + ch.lo) * width_;
    pre_activations(ch, x, t, pre);
    if (noisy) add_drive_noise(ch, t, draw, pre);
    float* z = z_.data() + off * H + h0;
    const float* s_prev = s_.data() + off * S + s0;
    float* s = s_.data() + (off + B) * S + s0;
    float* r = r_.data() + (off + B) * H + h0;
    const float* cpre = pre;
    GateForward g{view(cpre + cw, b, gw, width_), view(z, b, H, H)};
    gate_->forward(g);
    CellForward cf{view(cpre, b, cw, width_), view(static_cast<const float*>(z), b, H, H),
                   view(s_prev, b, S, S),     view(s, b, S, S),
                   view(r, b, H, H),          unit};
    step_->forward(cf);
    if (bf16) to_bf16(r, size_t(b) * H, r16_.data() + (off + B) * H + h0);
  }
}

// pre = x_t P_cat^T + b_cat + r_{t-1} W_cat^T for the chunk's rows (gemm_serial on P_cat and
// W_cat packed once).
void RecurrentLayer::pre_activations(const Chunk& ch, const float* x, int t, float* pre) {
  const size_t off = size_t(t) * batch_;
  const int tail = width_ - input_width_;
  ComputeContext& ctx = context();
  if (input_width_ > 0) ctx.gemm_serial(ch.in_shape, x + (off + ch.lo) * features_, ch.in_packed, pre);
  for (int i = 0; i < ch.rows; ++i) {  // a row at a time: Eigen vectorises this, not rowwise() on a strided map
    Eigen::Map<Vector> row(pre + size_t(i) * width_, width_);
    if (tail > 0) row.tail(tail).setZero();
    row += b_cat_;
  }
  if (recurrent_width_ == 0) return;
  const size_t r_prev = (off + ch.lo) * hidden_;
  if (ctx.precision() == Precision::kBf16)
    ctx.gemm_serial(ch.shape, r16_.data() + r_prev, ch.packed, pre);
  else
    ctx.gemm_serial(ch.shape, r_.data() + r_prev, ch.packed, pre);
}

// Recurrent noise on the cell's drive (its last block), drawn by (seed, draw, step, row, unit).
void RecurrentLayer::add_drive_noise(const Chunk& ch, int t, uint64_t draw, float* pre) const {
  const float scale = float(noise_.drive_std());
  const int col = (cell_blocks_ - 1) * hidden_;
  for (int i = 0; i < ch.rows; ++i) {
    float* drive = pre + size_t(i) * width_ + col;
    for (int j = 0; j < hidden_; ++j) drive[j] += scale * noise_normal(noise_.seed, draw, t, ch.lo + i, j);
  }
}

int RecurrentLayer::plan_chunks(int batch, bool backward) {
  const int H = hidden_, F = features_, Wd = width_;
  const int n = std::max(1, std::min(context().threads(), batch / 8));
  chunks_.resize(n);
  packed_.resize(2 * n);
  // B of `shape` packed from `source`, shared with an earlier chunk whose layout matches.
  auto pack = [&](int c, GemmShape Chunk::*shape, const float* Chunk::*packed, const float* source,
                  AlignedBuffer& buffer) {
    Chunk& ch = chunks_[c];
    ch.*packed = nullptr;
    for (int o = 0; o < c && !(ch.*packed); ++o)
      if (context().same_packed_b(chunks_[o].*shape, ch.*shape)) ch.*packed = chunks_[o].*packed;
    if (!(ch.*packed)) {
      buffer.resize((context().packed_b_bytes(ch.*shape) + sizeof(float) - 1) / sizeof(float));
      context().pack_b(ch.*shape, source, buffer.data());
      ch.*packed = buffer.data();
    }
  };
  for (int c = 0; c < n; ++c) {
    Chunk& ch = chunks_[c];
    ch.lo = batch * c / n;
    ch.rows = batch * (c + 1) / n - ch.lo;
    // Forward: pre[b, width] += r_prev[b, H] W_cat^T; backward: d_r[b, H] += d_pre[b, width] W_cat.
    ch.shape = backward ? GemmShape{false, false, ch.rows, H, recurrent_width_, Wd, H, H, true, true}
                        : GemmShape{false, true, ch.rows, recurrent_width_, H, H, H, Wd, true, true};
    // Forward only: pre[b, input width] = x_t[b, F] P_cat^T.
    ch.in_shape = GemmShape{false, true, ch.rows, input_width_, F, F, F, Wd, false, true};
    if (recurrent_width_ > 0) pack(c, &Chunk::shape, &Chunk::packed, w_cat_.data(), packed_[2 * c]);
    if (!backward && input_width_ > 0) pack(c, &Chunk::in_shape, &Chunk::in_packed, p_cat_.data(), packed_[2 * c + 1]);
  }
  return n;
}

const float* RecurrentLayer::outputs() const { return r_.data() + size_t(batch_) * hidden_; }

const float* RecurrentLayer::final_state() const {
  if (seq_) throw Error("layer '" + name_ + "': its cell runs the whole sequence and keeps its state to itself");
  return s_.data() + size_t(steps_) * batch_ * state_size_;
}

void RecurrentLayer::step(const float* s_prev, const float* x, int batch, float* s_next, float* r_next) {
  forward(x, 1, batch, s_prev);
  const float* s = final_state();
  std::copy(s, s + size_t(batch) * state_size_, s_next);
  if (r_next) std::copy(outputs(), outputs() + size_t(batch) * hidden_, r_next);
}

void RecurrentLayer::step_backward(const float* x, const float* d_s_next, float* d_s_prev) {
  if (steps_ != 1) throw Error("layer '" + name_ + "': step_backward() without a step() before it");
  backward(x, nullptr, nullptr, 1, StateGradients{d_s_next, d_s_prev});
}

void RecurrentLayer::backward(const float* x, const float* d_out, float* d_x, int d_out_from,
                              const StateGradients& ends) {
  const ComputeContext::Scope compute(context());
  if (seq_) {
    backward_whole_sequence(x, d_out, d_x, ends);
    return;
  }
  const int H = hidden_, Wd = width_, B = batch_, S = state_size_, U = int(unit_params_.size()) * H;
  const size_t rows = size_t(steps_) * B;
  d_pre_.resize(rows * Wd);
  if (context().precision() == Precision::kBf16) d_pre16_.resize(rows * Wd);
  d_r_.resize(size_t(B) * H);
  if (ends.d_final)
    d_s_.assign(ends.d_final, ends.d_final + size_t(B) * S);
  else
    d_s_.assign(size_t(B) * S, 0.0f);
  d_z_.resize(size_t(B) * H);
  d_unit_.resize(size_t(B) * U);
  // BPTT, each thread on its own chunk of batch rows over all steps (as in forward), summing
  // its part of the bias and per-unit gradients while the rows are in its cache.
  const int chunks = plan_chunks(B, true);
  std::vector<Vector> d_b_part(chunks, Vector::Zero(Wd)), d_unit_part(chunks, Vector::Zero(U));
  context().for_each_chunk(chunks, [&](int c) {
    bptt_chunk(chunks_[c], d_out, d_out_from, d_b_part[c], d_unit_part[c]);
    if (ends.d_initial) initial_state_gradient(chunks_[c], ends.d_initial);
  });
  weight_gradients(x, d_x, rows);
  Vector d_b = Vector::Zero(Wd);
  for (auto& p : d_b_part) d_b += p;
  hand_out_gradients(d_b, d_unit_part);
  constraints_backward();
}

void RecurrentLayer::backward_whole_sequence(const float* x, const float* d_out, float* d_x,
                                             const StateGradients& ends) {
  if (ends.d_final || ends.d_initial)
    throw Error("layer '" + name_ +
                "': its cell runs the whole sequence itself; gradients at the "
                "ends of the state need a per-step cell");
  {
    ParameterSet::Scope scope(params_, "cell");
    seq_->backward_sequence(params_, x, d_out, d_x);
  }
  constraints_backward();
}

// One thread's rows back through every step: dLoss/dr_t (from the readout and from step t+1),
// the cell's and gate's backward into d_pre (and its bf16 copy), and the chunk's share of the
// bias and per-unit gradients.
void RecurrentLayer::bptt_chunk(const Chunk& ch, const float* d_out, int d_out_from, Vector& d_b, Vector& d_unit) {
  const int H = hidden_, Wd = width_, B = batch_, S = state_size_, b = ch.rows, lo = ch.lo;
  const int cw = cell_blocks_ * H, gw = gate_blocks_ * H, U = int(unit_params_.size()) * H;
  const int z_cols = step_->reads_gate() ? H : 0;  // a cell that reads no gate gets no d_z to write
  const size_t h0 = size_t(lo) * H, s0 = size_t(lo) * S;
  const ConstMatrixMap unit = view(static_cast<const float*>(unit_values_.data()), int(unit_values_.rows()), H, H);
  const bool bf16 = context().precision() == Precision::kBf16;
  float* d_r = d_r_.data() + h0;
  for (int t = steps_ - 1; t >= 0; --t) {
    const size_t off = size_t(t) * B;
    if (t >= d_out_from)
      std::copy(d_out + off * H + h0, d_out + off * H + h0 + size_t(b) * H, d_r);
    else
      std::fill(d_r, d_r + size_t(b) * H, 0.0f);
    if (t + 1 < steps_) add_recurrent_gradient(ch, off + B + lo, d_r);
    const float* pre = pre_.data() + (off + lo) * Wd;
    float* d_pre = d_pre_.data() + (off + lo) * Wd;
    const float* z = z_.data() + off * H + h0;
    CellBackward cb{view(pre, b, cw, Wd),
                    view(z, b, H, H),
                    view(static_cast<const float*>(s_.data()) + off * S + s0, b, S, S),
                    view(static_cast<const float*>(s_.data()) + (off + B) * S + s0, b, S, S),
                    view(static_cast<const float*>(r_.data()) + (off + B) * H + h0, b, H, H),
                    view(static_cast<const float*>(d_r), b, H, H),
                    view(d_s_.data() + s0, b, S, S),
                    view(d_pre, b, cw, Wd),
                    view(d_z_.data() + h0, b, z_cols, H),
                    unit,
                    view(d_unit_.data() + size_t(lo) * U, b, U, U)};
    step_->backward(cb);
    if (U > 0)
      for (int i = 0; i < b; ++i) d_unit += Eigen::Map<const Vector>(d_unit_.data() + size_t(lo + i) * U, U);
    if (gw > 0) {
      GateBackward g{view(pre + cw, b, gw, Wd), view(z, b, H, H),
                     view(static_cast<const float*>(d_z_.data()) + h0, b, H, H), view(d_pre + cw, b, gw, Wd)};
      gate_->backward(g);
    }
    for (int i = 0; i < b; ++i) d_b += Eigen::Map<const Vector>(d_pre + size_t(i) * Wd, Wd);
    if (bf16) to_bf16(d_pre, size_t(b) * Wd, d_pre16_.data() + (off + lo) * Wd);
  }
}

// d_r += d_pre[row .. row + chunk rows) W_cat: what the next step's pre-activations send back.
void RecurrentLayer::add_recurrent_gradient(const Chunk& ch, size_t row, float* d_r) {
  if (recurrent_width_ == 0) return;
  ComputeContext& ctx = context();
  if (ctx.precision() == Precision::kBf16)
    ctx.gemm_serial(ch.shape, d_pre16_.data() + row * width_, ch.packed, d_r);
  else
    ctx.gemm_serial(ch.shape, d_pre_.data() + row * width_, ch.packed, d_r);
}

// dLoss/d s_0 for the chunk's rows = what reached s_0 directly + rate()'s derivative of dLoss/d r_0.
void RecurrentLayer::initial_state_gradient(const Chunk& ch, float* d_initial) {
  const int H = hidden_, S = state_size_, b = ch.rows;
  const size_t h0 = size_t(ch.lo) * H, s0 = size_t(ch.lo) * S;
  float* d_r = d_r_.data() + h0;
  std::fill(d_r, d_r + size_t(b) * H, 0.0f);
  add_recurrent_gradient(ch, size_t(ch.lo), d_r);
  float* d_init = d_initial + s0;
  std::copy(d_s_.data() + s0, d_s_.data() + s0 + size_t(b) * S, d_init);
  step_->rate_backward(view(static_cast<const float*>(s_.data()) + s0, b, S, S),
                       view(static_cast<const float*>(r_.data()) + h0, b, H, H),
                       view(static_cast<const float*>(d_r), b, H, H), view(d_init, b, S, S));
}

// The concatenated gradients (d_w_, d_p_, d_b and the per-unit sums) handed to the cell, the
// gate and the scaling, which add them into their parameters' grad.
void RecurrentLayer::hand_out_gradients(const Vector& d_b, const std::vector<Vector>& d_unit_part) {
  const int H = hidden_;
  grads_.resize(blocks_.size());  // kept between minibatches: no allocation (or page fault) per step
  for (int k = 0; k < int(blocks_.size()); ++k) {
    const LinearBlock& b = blocks_[k];
    if (b.recurrent.size()) grads_[k].recurrent = d_w_.middleRows(k * H, H);
    if (b.input.size()) grads_[k].input = d_p_.middleRows(k * H, H);
    if (b.bias.size()) grads_[k].bias = d_b.segment(k * H, H);
  }
  {
    ParameterSet::Scope scope(params_, "cell");
    step_->accumulate(grads_.data(), params_);
  }
  for (size_t v = 0; v < unit_params_.size(); ++v)
    for (auto& part : d_unit_part) unit_params_[v]->grad.row(0) += part.segment(int(v) * H, H);
  if (scaling_) scaling_grad_.setZero(H, H);
  {
    ParameterSet::Scope scope(params_, "gate");
    gate_->accumulate(grads_.data() + cell_blocks_, params_, scaling_ ? &scaling_grad_ : nullptr);
  }
  if (scaling_) {
    ParameterSet::Scope scope(params_, "scaling");
    scaling_->accumulate(scaling_grad_, params_);
  }
}

// grad (of the effective values) -> raw_grad (of what the optimizer updates), through each
// parameter's constraint.
void RecurrentLayer::constraints_backward() {
  for (Parameter* p : params_.all()) {
    if (p->constraint)
      p->constraint->backward(p->raw, p->value, p->grad, p->raw_grad);
    else
      p->raw_grad = p->grad;
  }
}

// dW_cat and dP_cat, one GEMM each over all T*B rows (all threads), into buffers kept between
// minibatches; in bf16 from the bf16 copies of r and d_pre the backward wrote (no second
// rounding pass). Adds dLoss/dx to d_x when non-null.
void RecurrentLayer::weight_gradients(const float* x, float* d_x, size_t rows) {
  const int H = hidden_, F = features_, Wd = width_;
  ComputeContext& ctx = context();
  const bool bf16 = ctx.precision() == Precision::kBf16;
  if (recurrent_width_ > 0) {
    d_w_.resize(recurrent_width_, H);
    if (bf16)
      ctx.gemm_bf16(true, false, recurrent_width_, H, int(rows), d_pre16_.data(), Wd, r16_.data(), H, d_w_.data(), H,
                    false);
    else
      ctx.gemm(true, false, recurrent_width_, H, int(rows), d_pre_.data(), Wd, r_.data(), H, d_w_.data(), H, false);
  }
  if (input_width_ == 0) return;
  // As dP^T = x^T d_pre: oneDNN then transposes the narrow x, not d_pre (~1.4x faster here).
  d_pt_.resize(F, input_width_);
  if (bf16) {
    x16_.resize(rows * F);
    const int parts = ctx.threads();
    ctx.for_each_chunk(parts, [&](int c) {
      const size_t lo = rows * F * c / parts, hi = rows * F * (c + 1) / parts;
      to_bf16(x + lo, hi - lo, x16_.data() + lo);
    });
    ctx.gemm_bf16(true, false, F, input_width_, int(rows), x16_.data(), F, d_pre16_.data(), Wd, d_pt_.data(),
                  input_width_, false);
  } else {
    ctx.gemm(true, false, F, input_width_, int(rows), x, F, d_pre_.data(), Wd, d_pt_.data(), input_width_, false);
  }
  d_p_ = d_pt_.transpose();
  if (!d_x) return;
  if (bf16) {
    p16_.resize(p_cat_.size());
    to_bf16(p_cat_.data(), p16_.size(), p16_.data());
    ctx.gemm_bf16(false, false, int(rows), F, input_width_, d_pre16_.data(), Wd, p16_.data(), F, d_x, F, true);
  } else {
    ctx.gemm(false, false, int(rows), F, input_width_, d_pre_.data(), Wd, p_cat_.data(), F, d_x, F, true);
  }
}

void RecurrentLayer::project() {
  for (Parameter* p : params_.all())
    if (p->constraint) p->constraint->project(p->raw);
}

}  // namespace biornn
