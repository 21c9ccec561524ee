#include "core/experiment/trainer.h"

#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/platform/cpu_features.h"
#include "core/platform/cpu_load.h"
#include "core/sdk/error.h"

namespace biornn {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The readout a dataset's targets call for, from the readout node's options.
std::unique_ptr<Readout> make_readout(const Graph& g, const Dataset& data, const Model& model, Rng& rng) {
  const std::string pooling_name = g.readout.get_string("pooling");
  const bool per_step = data.target_kind() != TargetKind::kSequenceClass;
  const SourcePosition at = g.readout.where("pooling");
  if (per_step && pooling_name != "all")
    throw Error(
        at, "the dataset '" + g.dataset.name + "' has a target at every step: set pooling = \"all\" on the readout");
  if (!per_step && pooling_name == "all")
    throw Error(at, "pooling = \"all\" needs a dataset with per-step targets ('" + g.dataset.name +
                        "' has one label per sequence): use \"last\" or \"mean\"");
  const Pooling pooling = pooling_name == "all"    ? Pooling::kAll
                          : pooling_name == "mean" ? Pooling::kMean
                                                   : Pooling::kLast;
  const Loss loss = data.target_kind() == TargetKind::kStepValue ? Loss::kSquaredError : Loss::kCrossEntropy;
  const RecurrentLayer& top = *model.layers().back();
  auto readout = std::make_unique<Readout>(g.readout_node, top.hidden(), data.classes(), pooling, loss, rng);
  if (g.readout.get_string("read_from") == "excitatory") {
    const Parameter* w = top.parameters().find_role(ParameterRole::kRecurrent);
    const std::vector<float> signs = w && w->constraint ? w->constraint->column_signs() : std::vector<float>{};
    if (signs.empty())
      throw Error(g.readout.where("read_from"), "read_from = \"excitatory\" needs Dale's law on the layer '" +
                                                    top.name() + "' (a dale constraint on W types its units)");
    std::vector<float> mask(signs.size());
    for (size_t j = 0; j < signs.size(); ++j) mask[j] = signs[j] > 0 ? 1.0f : 0.0f;
    readout->set_input_mask(mask);
  }
  return readout;
}

// Where an error raised while building layer `l` belongs: at a string option of its plugins
// whose value the message quotes (a mask file given by --set or a sweep file is then named
// there, not at the base graph's node), else at the node.
SourcePosition error_position(const LayerSpec& l, const std::string& message) {
  std::vector<const PluginRef*> refs = {&l.cell, &l.gate};
  if (l.scaling) refs.push_back(&*l.scaling);
  for (const auto& c : l.constraints) refs.push_back(&c.second);
  for (const PluginRef* r : refs)
    for (const auto& [name, value] : r->options.values()) {
      const std::string* text = std::get_if<std::string>(&value);
      if (text && !text->empty() && message.find(*text) != std::string::npos && !r->options.where(name).path.empty())
        return r->options.where(name);
    }
  return l.where;
}

}  // namespace

std::unique_ptr<Experiment> build_experiment(const Graph& g, const Registry& registry, const CpuFeatures* cpu) {
  auto e = std::make_unique<Experiment>();
  e->dataset = registry.create<Dataset>(g.dataset.name, g.dataset.options);
  std::string note;
  const Precision precision =
      choose_precision(g.train.get_string("precision"), cpu ? *cpu : host_cpu_features(), &note);
  if (!note.empty()) spdlog::info("{}", note);
  e->compute = std::make_unique<ComputeContext>(
      ComputeOptions{int(g.train.get_int("threads")), g.train.get_bool("flush_denormals"), precision});
  e->model.set_context(*e->compute);
  Rng rng(uint64_t(g.train.get_int("seed")));
  int features = e->dataset->features();
  for (const LayerSpec& l : g.layers) {
    auto cell = registry.create<Cell>(l.cell.name, l.cell.options);
    std::unique_ptr<Gate> gate;
    if (!l.gate.name.empty()) gate = registry.create<Gate>(l.gate.name, l.gate.options);
    std::unique_ptr<Scaling> scaling;
    if (l.scaling) scaling = registry.create<Scaling>(l.scaling->name, l.scaling->options);
    std::vector<ConstrainedParameter> constraints;
    for (const auto& [param, c] : l.constraints)
      constraints.push_back({param, registry.create<Constraint>(c.name, c.options)});
    try {
      auto layer = std::make_unique<RecurrentLayer>(l.node, l.hidden, features, std::move(cell), std::move(gate),
                                                    std::move(scaling), std::move(constraints), rng);
      layer->set_noise(l.noise);
      e->model.add_layer(std::move(layer));
    } catch (const Error& err) {
      if (!err.where().path.empty()) throw;
      throw Error(error_position(l, err.what()), err.what());
    }
    features = l.hidden;
  }
  e->model.set_readout(make_readout(g, *e->dataset, e->model, rng));
  e->model.set_rate_l2(g.train.get_float("rate_l2"));
  e->optimizer = registry.create<Optimizer>(g.optimizer.name, g.optimizer.options);
  return e;
}

BatchBuffers::BatchBuffers(const Dataset& data, int max_rows)
    : kind_(data.target_kind()), steps_(data.steps()), features_(data.features()), outputs_(data.classes()) {
  const size_t T = size_t(steps_), n = size_t(max_rows);
  x_.resize(T * n * features_);
  labels_.resize(kind_ == TargetKind::kSequenceClass ? n : kind_ == TargetKind::kStepClass ? T * n : 0);
  if (kind_ == TargetKind::kStepValue) targets_.resize(T * n * outputs_);
  if (kind_ != TargetKind::kSequenceClass) mask_.resize(T * n);
}

Minibatch BatchBuffers::fill(const Dataset& data, Split split, const int64_t* indices, int n) {
  Minibatch b;
  b.steps = steps_;
  b.rows = n;
  b.data.x = x_.data();
  b.data.labels = labels_.empty() ? nullptr : labels_.data();
  b.data.targets = targets_.empty() ? nullptr : targets_.data();
  b.data.mask = mask_.empty() ? nullptr : mask_.data();
  data.fill(split, indices, n, b.data);
  return b;
}

namespace {
// This rank's share [lo, hi) of n rows.
std::pair<int64_t, int64_t> share(int64_t n, const Collective& c) { return rank_share(n, c.rank(), c.size()); }
Collective& one_process() {
  static Collective single;  // stateless: every call is a no-op
  return single;
}
}  // namespace

std::pair<double, double> evaluate(Experiment& e, Split split, const std::vector<int64_t>& indices, int batch_size,
                                   Collective* collective) {
  if (indices.empty()) return {-1, -1};
  Collective& c = collective ? *collective : one_process();
  const Dataset& data = *e.dataset;
  BatchBuffers buffers(data, batch_size);
  const bool per_step = data.target_kind() != TargetKind::kSequenceClass;
  const auto [lo, hi] = share(int64_t(indices.size()), c);
  double sums[4] = {0, 0, 0, 0};  // loss, counted, right, scored
  for (int64_t start = lo; start < hi; start += batch_size) {
    const int n = int(std::min<int64_t>(batch_size, hi - start));
    const Minibatch b = buffers.fill(data, split, indices.data() + start, n);
    const LossSum s = e.model.run(b, false);
    const Score score = per_step ? data.score(e.model.readout().outputs().data(), b.steps, n, b.data)
                                 : Score{double(s.correct), double(n)};
    sums[0] += s.loss;
    sums[1] += s.counted;
    sums[2] += score.correct;
    sums[3] += score.counted;
  }
  c.sum(sums, 4);
  return {sums[2] / std::max(1.0, sums[3]), sums[0] / std::max(1e-12, sums[1])};
}

LearningRateSchedule::LearningRateSchedule(const Options& o, double base_rate)
    : kind_(o.get_string("lr_schedule")),
      base_(base_rate),
      gamma_(o.get_float("lr_gamma")),
      min_(o.get_float("lr_min")),
      step_epochs_(int(o.get_int("lr_step_epochs"))),
      patience_(int(o.get_int("lr_patience"))),
      epochs_(int(o.get_int("epochs"))) {}

double LearningRateSchedule::at_epoch_start(int epoch, double current) const {
  if (kind_ == "step") return base_ * std::pow(gamma_, double((epoch - 1) / step_epochs_));
  if (kind_ == "cosine") return min_ + 0.5 * (base_ - min_) * (1 + std::cos(M_PI * (epoch - 1) / std::max(1, epochs_)));
  return current;
}

double LearningRateSchedule::after_epoch(int since_best, double current) const {
  if (kind_ == "plateau" && since_best > 0 && since_best % patience_ == 0) return current * gamma_;
  return current;
}

namespace {

// Progress lines on the console every log_every minibatches (rank 0 only).
class ProgressLog : public TrainingObserver {
 public:
  ProgressLog(int epochs, int log_every, bool quiet) : epochs_(epochs), log_every_(log_every), quiet_(quiet) {}
  void on_step(const StepEvent& ev) override {
    const StepResult& r = *ev.result;
    loss_ += r.loss.loss;
    counted_ += r.loss.counted;
    penalty_ += r.penalty;
    ++steps_;
    right_ += r.score.counted > 0 ? r.score.correct : double(r.loss.correct);
    scored_ += r.score.counted > 0 ? r.score.counted : r.loss.counted;
    if (ev.minibatch % log_every_ != 0 && ev.minibatch != ev.minibatches) return;
    if (!quiet_)
      spdlog::info("epoch {}/{} [{:>5}/{}] loss {:.4f}{} acc {:.2f}% {:.0f} samples/s", ev.epoch, epochs_, ev.minibatch,
                   ev.minibatches, loss_ / std::max(1e-12, counted_),
                   penalty_text(penalty_ / double(std::max<int64_t>(1, steps_))),
                   100.0 * right_ / std::max(1.0, scored_), rows_since(ev) / since(start_));
    loss_ = counted_ = right_ = scored_ = penalty_ = 0;
    steps_ = 0;
    start_ = Clock::now();
    seen_at_log_ = ev.state->seen;
  }
  void on_epoch(const EpochMetrics& m, const TrainState&) override {
    seen_at_log_ = 0;
    start_ = Clock::now();
    if (quiet_) return;
    spdlog::info(
        "epoch {}/{}: train loss {:.4f}{} acc {:.2f}% | validation acc {} | test acc {:.2f}% | "
        "{:.0f} samples/s | {:.1f} s",
        m.epoch, epochs_, m.train_loss, penalty_text(m.train_penalty), 100 * m.train_accuracy,
        m.validation_accuracy < 0 ? std::string("n/a") : fmt::format("{:.2f}%", 100 * m.validation_accuracy),
        100 * m.test_accuracy, m.samples_per_second, m.seconds);
  }
  void on_start(const TrainState& st) override {
    seen_at_log_ = st.seen;
    start_ = Clock::now();
  }

 private:
  double rows_since(const StepEvent& ev) const { return double(ev.state->seen - seen_at_log_); }
  int epochs_, log_every_;
  bool quiet_;
  // Beside the loss when the graph has loss terms (", penalty 0.0123"), else nothing.
  static std::string penalty_text(double penalty) {
    return penalty != 0 ? fmt::format(" penalty {:.4g}", penalty) : std::string();
  }
  double loss_ = 0, counted_ = 0, right_ = 0, scored_ = 0, penalty_ = 0;
  int64_t steps_ = 0;
  int64_t seen_at_log_ = 0;
  Clock::time_point start_ = Clock::now();
};

std::string diverged_message(const std::string& what, int epoch, int64_t minibatch, int64_t step) {
  return "training diverged: " + what + " at epoch " + std::to_string(epoch) + ", minibatch " +
         std::to_string(minibatch) + " (step " + std::to_string(step) +
         "); lower the learning rate, set train.clip_grad_norm, or check the data for NaN";
}

// One run of train(): the loop over epochs and minibatches, with its fixed settings.
class Loop {
 public:
  Loop(Experiment& e, const Graph& g, TrainState& st, const TrainContext& ctx, const DataShards& shards)
      : e_(e),
        o_(g.train),
        st_(st),
        ctx_(ctx),
        c_(ctx.collective ? *ctx.collective : one_process()),
        step_(e.model, *e.optimizer, c_, StepOptions::from(g.train)),
        shards_(shards),
        schedule_(g.train, e.optimizer->learning_rate()),
        epochs_(int(o_.get_int("epochs"))),
        batch_(int(o_.get_int("batch_size"))),
        eval_batch_(g.eval_batch_size()),
        target_every_(o_.get_int("target_every")),
        progress_(epochs_, int(o_.get_int("log_every")), !c_.is_root()),
        buffers_(*e.dataset, batch_),
        augment_stream_(mix64(uint64_t(o_.get_int("seed")) * 0x94D049BB133111EBull + 3)) {
    observers_.push_back(&progress_);
    observers_.insert(observers_.end(), ctx.observers.begin(), ctx.observers.end());
    if (target_every_ > 0 && o_.get_float("target") <= 0)
      throw Error("train.target_every = " + std::to_string(target_every_) +
                  " checks train.target inside each epoch, but train.target is 0: set train.target (e.g. "
                  "0.99) or leave target_every at 0");
  }

  TrainResult run(const SplitIndices& splits) {
    splits_ = &splits;
    TrainResult result;
    result.epochs = st_.history;
    const auto start = Clock::now();
    std::vector<Rng> shuffle_rngs = shards_.generators(uint64_t(o_.get_int("seed")));
    if (!st_.shuffle_rng.empty() && !shards_.from_text(st_.shuffle_rng, &shuffle_rngs))
      throw Error("the checkpoint's shuffling state '" + st_.shuffle_rng.substr(0, 40) + "' is not " +
                  std::to_string(shards_.count()) +
                  " state(s) of the project generator, one per data shard (a checkpoint written before biornn's "
                  "own Rng, or with another train.data_shards, cannot resume inside its run; start a new run)");
    if (st_.learning_rate < 0) st_.learning_rate = e_.optimizer->learning_rate();
    for (TrainingObserver* ob : observers_) ob->on_start(st_);
    for (int epoch = st_.epochs_done + 1; epoch <= epochs_; ++epoch) {
      start_epoch(epoch, shuffle_rngs);
      if (!run_minibatches(epoch)) {
        result.interrupted = true;
        break;
      }
      const EpochMetrics m = finish_epoch(epoch);
      result.epochs.push_back(m);
      if (early_stop()) {
        result.early_stopped = true;
        break;
      }
      if (reached_target(m, since(start), result)) break;
    }
    result.seconds = since(start);
    return result;
  }

 private:
  // A non-empty order means this epoch was already shuffled (stopped inside it, possibly
  // before its first minibatch): keep that order and the generator's state.
  void start_epoch(int epoch, std::vector<Rng>& shuffle_rngs) {
    st_.learning_rate = schedule_.at_epoch_start(epoch, st_.learning_rate);
    if (st_.order.empty()) {
      st_.order = shards_.epoch_order(splits_->train, shuffle_rngs);
      st_.shuffle_rng = DataShards::text(shuffle_rngs);  // not used again this epoch: a checkpoint can hold it
      st_.loss_sum = st_.norm_sum = st_.epoch_seconds = st_.counted = st_.score_counted = st_.penalty_sum = 0;
      st_.seen = st_.right = 0;
    }
  }

  int64_t minibatches() const {
    const int64_t n = int64_t((st_.order.size() + batch_ - 1) / batch_), max = o_.get_int("max_batches");
    return max > 0 ? std::min(n, max) : n;
  }

  // Returns false when stopped from outside (the state then points at the next minibatch).
  bool run_minibatches(int epoch) {
    const int64_t n_batches = minibatches();
    const auto epoch_start = Clock::now();
    const double seconds_before = st_.epoch_seconds;
    for (int64_t bi = st_.next_batch; bi < n_batches; ++bi) {
      if (ctx_.stop && ctx_.stop->should_stop(st_.global_step)) {
        ctx_.stop->reset();
        st_.epoch_seconds = seconds_before + since(epoch_start);
        spdlog::warn("stopping on request at epoch {}, minibatch {}/{}", epoch, bi, n_batches);
        return false;
      }
      const StepResult r = one_step(epoch, bi);
      st_.next_batch = bi + 1;
      st_.epoch_seconds = seconds_before + since(epoch_start);
      StepEvent ev{epoch, bi + 1, n_batches, &r, &st_};
      for (TrainingObserver* ob : observers_) ob->on_step(ev);
      if (target_reached_inside_epoch()) break;  // finish_epoch records this epoch and run() stops
    }
    return true;
  }

  // train.target_every: every that many optimizer steps the validation split is scored (kept
  // in validated_ for finish_epoch when the epoch ends at this step).
  bool target_reached_inside_epoch() {
    if (target_every_ <= 0 || st_.global_step % target_every_ != 0) return false;
    const auto start = Clock::now();
    validated_ = evaluate(e_, Split::kTrain, splits_->validation, eval_batch_, &c_);
    validated_step_ = st_.global_step;
    check_seconds_ += since(start);
    return validated_.first >= o_.get_float("target");
  }

  StepResult one_step(int epoch, int64_t bi) {
    const size_t start = size_t(bi) * batch_;
    const int64_t global = int64_t(std::min<size_t>(batch_, st_.order.size() - start));
    const auto [lo, hi] = share(global, c_);
    const int64_t* indices = st_.order.data() + start + lo;
    const Minibatch b = buffers_.fill(*e_.dataset, Split::kTrain, indices, int(hi - lo));
    e_.dataset->augment(indices, int(hi - lo), augment_stream_ ^ mix64(uint64_t(st_.global_step)), b.data);
    const StepResult r = step_.run(b, global, st_.learning_rate, e_.dataset.get());
    ++st_.global_step;
    if (!r.finite) throw TrainingDiverged(diverged_message(r.what, epoch, bi + 1, st_.global_step));
    st_.loss_sum += r.loss.loss;
    st_.counted += r.loss.counted;
    st_.norm_sum += r.gradient_norm;
    st_.penalty_sum += r.penalty;
    st_.seen += global;
    const bool scored = r.score.counted > 0;
    st_.right += int64_t(scored ? r.score.correct : double(r.loss.correct));
    st_.score_counted += scored ? r.score.counted : double(global);
    return r;
  }

  EpochMetrics finish_epoch(int epoch) {
    st_.next_batch = 0;
    st_.order.clear();
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = st_.loss_sum / std::max(1e-12, st_.counted);
    m.train_accuracy = double(st_.right) / std::max(1.0, st_.score_counted);
    m.gradient_norm = st_.norm_sum / double(std::max<int64_t>(1, minibatches_done()));
    m.train_penalty = st_.penalty_sum / double(std::max<int64_t>(1, minibatches_done()));
    m.learning_rate = st_.learning_rate;
    m.samples_per_second = st_.seen / std::max(1e-9, st_.epoch_seconds);
    const auto eval_start = Clock::now();
    std::tie(m.validation_accuracy, m.validation_loss) =
        validated_step_ == st_.global_step ? validated_
                                           : evaluate(e_, Split::kTrain, splits_->validation, eval_batch_, &c_);
    std::tie(m.test_accuracy, m.test_loss) = evaluate(e_, Split::kTest, splits_->test, eval_batch_, &c_);
    m.seconds = st_.epoch_seconds + check_seconds_ + since(eval_start);
    check_seconds_ = 0;
    st_.history.push_back(m);
    st_.epochs_done = epoch;
    update_best(m);
    for (TrainingObserver* ob : observers_) ob->on_epoch(m, st_);
    return m;
  }

  int64_t minibatches_done() const { return (st_.seen + batch_ - 1) / batch_; }

  // Validation-driven decisions (plateau schedule, early stopping); the test split never steers.
  void update_best(const EpochMetrics& m) {
    const double score = m.validation_accuracy >= 0 ? m.validation_accuracy : -m.train_loss;
    if (score > st_.best_score) {
      st_.best_score = score;
      st_.since_best = 0;
      return;
    }
    ++st_.since_best;
    const double lr = schedule_.after_epoch(st_.since_best, st_.learning_rate);
    if (lr != st_.learning_rate)
      spdlog::info("validation accuracy has not improved for {} epochs: learning rate now {}", st_.since_best, lr);
    st_.learning_rate = lr;
  }

  // train.target: the first epoch whose validation accuracy reaches it ends training (with
  // train.target_every, that epoch ended at the step whose validation reached it).
  bool reached_target(const EpochMetrics& m, double wall_seconds, TrainResult& result) const {
    const double target = o_.get_float("target");
    if (target <= 0 || m.validation_accuracy < target) return false;
    result.reached_target = true;
    result.seconds_to_target = 0;
    for (const auto& e : st_.history) result.seconds_to_target += e.seconds;
    result.steps_to_target = st_.global_step;
    result.wall_seconds_to_target = wall_seconds;
    spdlog::info(
        "target reached: validation accuracy {:.4f} >= {} after {:.1f} s ({:.1f} s with the bookkeeping), {} steps",
        m.validation_accuracy, target, result.seconds_to_target, wall_seconds, result.steps_to_target);
    return true;
  }

  bool early_stop() const {
    const int64_t patience = o_.get_int("early_stopping");
    if (patience <= 0 || st_.since_best < patience) return false;
    spdlog::info("early stopping: validation accuracy has not improved for {} epochs", st_.since_best);
    return true;
  }

  Experiment& e_;
  const Options& o_;
  TrainState& st_;
  const TrainContext& ctx_;
  Collective& c_;
  TrainingStep step_;
  const DataShards& shards_;
  LearningRateSchedule schedule_;
  int epochs_, batch_, eval_batch_;
  int64_t target_every_;  // train.target_every, read once (checked after every step)
  ProgressLog progress_;
  BatchBuffers buffers_;
  uint64_t augment_stream_;  // the dataset's augmentation: this, mixed with the optimizer step
  std::vector<TrainingObserver*> observers_;
  const SplitIndices* splits_ = nullptr;
  // The last validation inside an epoch (train.target_every): (accuracy, loss) after step
  // validated_step_, and the seconds this epoch's such checks took.
  std::pair<double, double> validated_;
  int64_t validated_step_ = -1;
  double check_seconds_ = 0;
};

void log_start(const Experiment& e, const Graph& g, const SplitIndices& s, const TrainState& st,
               const DataShards& shards) {
  const Options& o = g.train;
  spdlog::info("model: {} parameters in {} layer(s); training on {} examples, validating on {}, testing on {}",
               e.model.parameter_count(), e.model.layers().size(), s.train.size(), s.validation.size(), s.test.size());
  spdlog::info("optimizer: {} (learning rate {}), batch {}, {} epochs, {} threads, seed {}, {} products",
               g.optimizer.name, e.optimizer->learning_rate(), o.get_int("batch_size"), o.get_int("epochs"),
               e.compute->threads(), o.get_int("seed"), precision_name(e.compute->precision()));
  if (shards.count() > 1)
    spdlog::info("data shards: {} of {} training examples each ({}); a minibatch takes {} from each shard{}",
                 s.train.size() / size_t(shards.count()), s.train.size(),
                 shards.ranks_keep_own_shard() ? "each rank keeps only its own" : "all held by this process",
                 o.get_int("batch_size") / shards.count(),
                 shards.left_out(int64_t(s.train.size())) > 0
                     ? fmt::format("; {} example(s) left out (the training split does not divide by {})",
                                   shards.left_out(int64_t(s.train.size())), shards.count())
                     : std::string());
  if (e.compute->threads() > 1)
    if (auto busy = busy_cpus_now()) {
      const std::string warning = contention_warning(*busy, e.compute->threads(), omp_get_num_procs());
      if (!warning.empty()) spdlog::warn("{}", warning);
    }
  if (st.epochs_done > 0 || st.next_batch > 0)
    spdlog::info("resuming after epoch {} (minibatch {}, step {})", st.epochs_done, st.next_batch, st.global_step);
}

}  // namespace

TrainResult train(Experiment& e, const Graph& g) {
  TrainState state;
  return train(e, g, state);
}

TrainResult train(Experiment& e, const Graph& g, TrainState& st, const TrainContext& ctx) {
  const Options& o = g.train;
  const ComputeContext::Scope compute(e.model.context());  // the whole run, as [train] says
  const Collective& c = ctx.collective ? *ctx.collective : one_process();
  const DataShards shards(o, c);  // checks data_shards and batch_size before the data loads
  Dataset& data = *e.dataset;
  data.keep_only(shards.rows_of_this_rank(o));
  const auto load_start = Clock::now();
  data.load();
  spdlog::info("data: {} (loaded in {:.1f} s)", data.describe(), since(load_start));
  const SplitIndices splits = make_splits(data, o);
  if (c.is_root()) log_start(e, g, splits, st, shards);
  Loop loop(e, g, st, ctx, shards);
  return loop.run(splits);
}

std::string result_line(const TrainResult& r) {
  if (r.epochs.empty()) return "result: epochs=0";
  const EpochMetrics& m = r.epochs.back();
  double sps = 0;
  for (const auto& e : r.epochs) sps += e.samples_per_second;
  sps /= r.epochs.size();
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(4);
  s << "result: test_accuracy=" << m.test_accuracy << " validation_accuracy=" << m.validation_accuracy
    << " train_loss=" << m.train_loss << " test_loss=" << m.test_loss << " epochs=" << r.epochs.size();
  s.precision(1);
  s << " samples_per_second=" << sps << " seconds=" << r.seconds;
  return s.str();
}

}  // namespace biornn
