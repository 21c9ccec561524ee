// RecurrentLayer: the engine that runs one cell + gate (+ scaling, constraints) over a sequence,
// forward and with full backpropagation through time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/sdk/cell.h"
#include "core/engine/compute_context.h"
#include "core/sdk/constraint.h"
#include "core/sdk/gate.h"
#include "core/sdk/recurrent_noise.h"
#include "core/sdk/scaling.h"

namespace biornn {

// Gradients at the two ends of a sequence's state, for callers that set the initial state
// themselves (the fixed-point finder, a layer continued from another sequence).
struct StateGradients {
  const float* d_final = nullptr;  // in [B, state_size]: dLoss/d s_T from outside the sequence
  float* d_initial = nullptr;      // out [B, state_size]: dLoss/d s_0 (through r_0 as well)
};

struct ConstrainedParameter {
  std::string parameter;  // "W", "P", ...
  std::unique_ptr<Constraint> constraint;
};

class RecurrentLayer {
 public:
  // Creates every parameter (cell's, then gate's, then scaling's) from `rng`, then lets
  // each constraint re-initialise the parameter it names. Errors name `name`.
  // A null gate means z = 1 at every step (rate cell: vanilla RNN); whole-sequence cells
  // (gru, lstm) take no gate.
  RecurrentLayer(std::string name, int hidden, int features, std::unique_ptr<Cell> cell, std::unique_ptr<Gate> gate,
                 std::unique_ptr<Scaling> scaling, std::vector<ConstrainedParameter> constraints, Rng& rng);

  const std::string& name() const { return name_; }
  int hidden() const { return hidden_; }
  int features() const { return features_; }
  // After prepare(): how many H-wide blocks (cell's then gate's) the per-step input and
  // recurrent GEMMs cover (0 for whole-sequence cells).
  int input_blocks() const { return hidden_ ? input_width_ / hidden_ : 0; }
  int recurrent_blocks() const { return hidden_ ? recurrent_width_ / hidden_ : 0; }
  // Floats per batch row of the state: k*H for a cell with k state variables per unit.
  int state_size() const { return state_size_; }

  // The context forward() and backward() compute with (threads, denormals, oneDNN state):
  // the model's, which must outlive the layer. A layer given none makes a default one of its
  // own (every core, no flush-to-zero) on first use.
  void set_context(ComputeContext& context);
  ComputeContext& context();

  // Effective parameters and concatenated weights from raw ones; clears gradients.
  // Call once per minibatch before forward().
  void prepare();
  // x: [T, B, F] (time-major rows). Keeps what backward() needs. The state starts from
  // `initial_state` ([B, state_size]) when given, else from the cell's initial(); r_0 is
  // the cell's rate() of it. Whole-sequence cells start from their own zero state only.
  void forward(const float* x, int steps, int batch, const float* initial_state = nullptr);
  // [T, B, H]: rates r_1..r_T of the last forward().
  const float* outputs() const;
  // [B, state_size]: the state s_T after the last forward() (per-step cells only).
  const float* final_state() const;
  // d_out: [T, B, H] = dLoss/d r_t; the steps before `d_out_from` are taken as zero and not
  // read (a readout of the last step fills only that one; d_out_from = T reads none and
  // d_out may be null). Adds dLoss/d x to d_x ([T, B, F]) when non-null. Leaves dLoss/d raw
  // in every parameter's raw_grad. `ends` adds dLoss/d s_T and returns dLoss/d s_0.
  void backward(const float* x, const float* d_out, float* d_x, int d_out_from = 0, const StateGradients& ends = {});
  // One step F(s, x) on a batch of states: s_prev [B, state_size], x [B, F] ->
  // s_next [B, state_size] (and r_next [B, H] when non-null). Call prepare() first.
  void step(const float* s_prev, const float* x, int batch, float* s_next, float* r_next = nullptr);
  // After step(s_prev, x, ...): d_s_prev = (dF/ds)^T d_s_next ([B, state_size]), through the
  // cell's and the gate's own backward (x is the same input). Also leaves that loss's
  // parameter gradients in raw_grad.
  void step_backward(const float* x, const float* d_s_next, float* d_s_prev);
  // Recurrent noise on the cell's drive (its last linear block: the input current of
  // multi-block cells). Active when noise.std > 0 and the model is training (set_training),
  // or always with noise.in_evaluation. Each forward() with noise active uses the next draw.
  void set_noise(const RecurrentNoise& noise) { noise_ = noise; }
  const RecurrentNoise& noise() const { return noise_; }
  void set_training(bool training) { training_ = training; }
  bool noise_active() const { return noise_.std > 0 && (training_ || noise_.in_evaluation) && !seq_; }
  // The draw counter (how many noisy forwards so far): saved and restored for an identical resume.
  uint64_t noise_draw() const { return noise_draw_; }
  void set_noise_draw(uint64_t draw) { noise_draw_ = draw; }
  // The constraints on this layer's parameters, in the order of the graph (checkpoints save
  // their state()).
  const std::vector<ConstrainedParameter>& constraints() const { return constraints_; }
  // After an optimizer step: constraints that project (e.g. Dale clip) act on raw values.
  void project();

  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }
  const Cell& cell() const { return *cell_; }
  const Gate& gate() const { return *gate_; }
  // The gate values z of the last forward, [T, B, H] (for diagnostics; null for
  // whole-sequence cells).
  const float* gates() const { return z_.empty() ? nullptr : z_.data(); }
  int last_steps() const { return steps_; }
  int last_batch() const { return batch_; }
  // The effective scaling A of the last prepare() ([H, H]), or null without a scaling.
  const Matrix* scaling_matrix() const { return scaling_ ? &scaling_a_ : nullptr; }

 private:
  std::string name_;
  int hidden_, features_;
  std::unique_ptr<Cell> cell_;
  StepCell* step_ = nullptr;     // cell_ when it is a per-step cell, else null
  SequenceCell* seq_ = nullptr;  // cell_ when it runs whole sequences, else null
  std::unique_ptr<Gate> gate_;
  std::unique_ptr<Scaling> scaling_;
  std::vector<ConstrainedParameter> constraints_;
  ParameterSet params_;

  int state_size_ = 0;                                 // k*H
  int cell_blocks_ = 0, gate_blocks_ = 0, width_ = 0;  // width_ = (cell+gate blocks) * H
  int recurrent_width_ = 0, input_width_ = 0;          // columns that have W / P terms
  std::vector<LinearBlock> blocks_;
  Matrix scaling_a_, scaling_grad_;
  Matrix w_cat_, p_cat_;                 // [width, H], [width, F]
  std::vector<Parameter*> unit_params_;  // the cell's unit_parameters(), each [1, H]
  Matrix unit_values_;                   // [n, H]: their effective values
  Vector b_cat_;                         // [width]

  // The batch rows one thread runs through the whole sequence, and its recurrent product.
  struct Chunk {
    int lo = 0, rows = 0;
    GemmShape shape;
    const float* packed = nullptr;  // W_cat packed for `shape` (may be another chunk's)
    GemmShape in_shape;             // forward: the input projection of one step
    const float* in_packed = nullptr;
  };
  // Splits `batch` into one chunk per compute thread (at least 8 rows each) and packs W_cat
  // for the forward or backward product (and P_cat for forward). Returns the number of chunks.
  int plan_chunks(int batch, bool backward);
  // The parts of forward() and backward(), each described where it is defined.
  void forward_whole_sequence(const float* x, const float* initial_state);
  void forward_chunk(const Chunk& ch, const float* x, const float* initial_state, bool noisy, uint64_t draw);
  void pre_activations(const Chunk& ch, const float* x, int t, float* pre);
  void add_drive_noise(const Chunk& ch, int t, uint64_t draw, float* pre) const;
  void backward_whole_sequence(const float* x, const float* d_out, float* d_x, const StateGradients& ends);
  void bptt_chunk(const Chunk& ch, const float* d_out, int d_out_from, Vector& d_b, Vector& d_unit);
  void add_recurrent_gradient(const Chunk& ch, size_t row, float* d_r);
  void initial_state_gradient(const Chunk& ch, float* d_initial);
  // After the BPTT loop of backward(): d_w_ and d_p_ over all rows (and dLoss/dx into d_x).
  void weight_gradients(const float* x, float* d_x, size_t rows);
  void hand_out_gradients(const Vector& d_b, const std::vector<Vector>& d_unit_part);
  void constraints_backward();
  std::vector<Chunk> chunks_;
  ComputeContext* context_ = nullptr;
  std::unique_ptr<ComputeContext> own_context_;  // when nobody set one
  std::vector<AlignedBuffer> packed_;

  int steps_ = 0, batch_ = 0;
  RecurrentNoise noise_;
  bool training_ = false;
  uint64_t noise_draw_ = 0;
  ScratchBuffer pre_, z_, s_, r_, d_pre_, d_r_, d_s_, d_z_, d_unit_;
  // bf16 precision: r_ and d_pre_ rounded to bf16 by each thread as it writes its rows (the
  // per-step and weight-gradient products read these), and x and P_cat for the backward.
  ScratchVector<uint16_t> r16_, d_pre16_, x16_, p16_;
  // The weight gradients of the last backward(), kept so no minibatch allocates (and page-faults
  // in) megabytes: dW_cat [recurrent width, H], dP_cat [input width, F] (via its transpose
  // [F, input width]) and their per-block copies handed to the cell and gate.
  Matrix d_w_, d_p_, d_pt_;
  std::vector<LinearBlock> grads_;
};

}  // namespace biornn
