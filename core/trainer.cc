#include "core/trainer.h"

#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/cpu_load.h"
#include "core/error.h"
#include "core/gemm.h"

namespace biornn {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

std::unique_ptr<Experiment> build_experiment(const Graph& g, const Registry& registry) {
  auto e = std::make_unique<Experiment>();
  e->dataset = registry.create<Dataset>(g.dataset.name, g.dataset.options);
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
      throw Error(l.where, err.what());
    }
    features = l.hidden;
  }
  const Pooling pooling = g.readout.get_string("pooling") == "mean" ? Pooling::kMean : Pooling::kLast;
  e->model.set_readout(std::make_unique<Readout>(g.readout_node, features, e->dataset->classes(), pooling, rng));
  e->optimizer = registry.create<Optimizer>(g.optimizer.name, g.optimizer.options);
  return e;
}

SplitIndices make_splits(const Dataset& data, const Options& o) {
  const int64_t n_train_all = data.size(Split::kTrain);
  const int64_t n_val = o.get_int("validation_size");
  if (n_val >= n_train_all)
    throw Error(o.where("validation_size"), "validation_size " + std::to_string(n_val) +
                                                " leaves no training examples (the training split has " +
                                                std::to_string(n_train_all) + ")");
  std::vector<int64_t> all(n_train_all);
  std::iota(all.begin(), all.end(), 0);
  Rng split_rng(uint64_t(o.get_int("seed")) * 0x9E3779B97F4A7C15ull + 1);
  std::shuffle(all.begin(), all.end(), split_rng);
  SplitIndices s;
  s.validation.assign(all.begin(), all.begin() + n_val);
  s.train.assign(all.begin() + n_val, all.end());
  std::sort(s.validation.begin(), s.validation.end());
  std::sort(s.train.begin(), s.train.end());
  s.test.resize(data.size(Split::kTest));
  std::iota(s.test.begin(), s.test.end(), 0);
  return s;
}

std::pair<double, double> evaluate(Experiment& e, Split split, const std::vector<int64_t>& indices,
                                   int batch_size) {
  if (indices.empty()) return {-1, -1};
  const int T = e.dataset->steps(), F = e.dataset->features();
  AlignedBuffer x(size_t(T) * batch_size * F);
  std::vector<int32_t> y(batch_size);
  int64_t right = 0;
  double loss = 0;
  for (size_t start = 0; start < indices.size(); start += batch_size) {
    const int n = int(std::min<size_t>(batch_size, indices.size() - start));
    e.dataset->batch(split, indices.data() + start, n, x.data(), y.data());
    int correct = 0;
    loss += e.model.run(x.data(), T, n, y.data(), false, &correct);
    right += correct;
  }
  return {double(right) / indices.size(), loss / indices.size()};
}

namespace {
std::atomic<bool> g_stop{false};
std::atomic<int64_t> g_stop_at{0};
}  // namespace

void request_stop() { g_stop.store(true); }
bool stop_requested() { return g_stop.load(); }
void request_stop_at_step(int64_t step) { g_stop_at.store(step); }

TrainResult train(Experiment& e, const Graph& g) {
  TrainState state;
  return train(e, g, state);
}

TrainResult train(Experiment& e, const Graph& g, TrainState& st,
                  const std::function<void(const EpochMetrics&, const TrainState&)>& on_epoch) {
  const Options& o = g.train;
  set_compute_threads(int(o.get_int("threads")));
  set_flush_denormals(o.get_bool("flush_denormals"));
  const int epochs = int(o.get_int("epochs"));
  const int batch = int(o.get_int("batch_size"));
  const int eval_batch = int(o.get_int("eval_batch_size"));
  const int log_every = int(o.get_int("log_every"));
  const int64_t max_batches = o.get_int("max_batches");
  const double clip = o.get_float("clip_grad_norm");
  const uint64_t seed = uint64_t(o.get_int("seed"));

  Dataset& data = *e.dataset;
  const auto load_start = Clock::now();
  data.load();
  spdlog::info("data: {} (loaded in {:.1f} s)", data.describe(), since(load_start));

  SplitIndices splits = make_splits(data, o);
  const std::vector<int64_t>& val = splits.validation;
  const std::vector<int64_t>& tr = splits.train;
  const std::vector<int64_t>& test = splits.test;

  spdlog::info("model: {} parameters in {} layer(s); training on {} examples, validating on {}, testing on {}",
               e.model.parameter_count(), e.model.layers().size(), tr.size(), val.size(), test.size());
  spdlog::info("optimizer: {} (learning rate {}), batch {}, {} epochs, {} threads, seed {}", g.optimizer.name,
               e.optimizer->learning_rate(), batch, epochs, compute_threads(), seed);
  if (compute_threads() > 1)
    if (auto busy = busy_cpus_now()) {
      const std::string warning = contention_warning(*busy, compute_threads(), omp_get_num_procs());
      if (!warning.empty()) spdlog::warn("{}", warning);
    }

  const int T = data.steps(), F = data.features();
  AlignedBuffer x(size_t(T) * batch * F);
  std::vector<int32_t> y(batch);
  Rng shuffle_rng(seed * 0xBF58476D1CE4E5B9ull + 2);
  if (!st.shuffle_rng.empty()) {
    std::istringstream in(st.shuffle_rng);
    in >> shuffle_rng;
  }
  std::vector<Parameter*> params = e.model.parameters();
  TrainResult result;
  result.epochs = st.history;
  const auto run_start = Clock::now();

  const std::string schedule = o.get_string("lr_schedule");
  const double base_lr = e.optimizer->learning_rate(), gamma = o.get_float("lr_gamma");
  if (st.learning_rate < 0) st.learning_rate = base_lr;
  if (st.epochs_done > 0 || st.next_batch > 0)
    spdlog::info("resuming after epoch {} (minibatch {}, step {})", st.epochs_done, st.next_batch, st.global_step);

  for (int epoch = st.epochs_done + 1; epoch <= epochs; ++epoch) {
    // A non-empty order means this epoch was already shuffled (stopped inside it, possibly
    // before its first minibatch): keep that order and the generator's state.
    const bool mid_epoch = !st.order.empty();
    if (schedule == "step") {
      st.learning_rate = base_lr * std::pow(gamma, double((epoch - 1) / o.get_int("lr_step_epochs")));
    } else if (schedule == "cosine") {
      const double lr_min = o.get_float("lr_min");
      st.learning_rate = lr_min + 0.5 * (base_lr - lr_min) * (1 + std::cos(M_PI * (epoch - 1) / std::max(1, epochs)));
    }
    if (!mid_epoch) {
      st.order = tr;
      std::shuffle(st.order.begin(), st.order.end(), shuffle_rng);
      st.loss_sum = st.norm_sum = st.epoch_seconds = 0;
      st.seen = st.right = 0;
    }
    const std::vector<int64_t>& order = st.order;
    int64_t n_batches = int64_t((order.size() + batch - 1) / batch);
    if (max_batches > 0) n_batches = std::min(n_batches, max_batches);
    auto epoch_start = Clock::now();
    double window_loss = 0;
    int64_t window_seen = 0, window_right = 0;
    auto window_start = Clock::now();
    for (int64_t bi = st.next_batch; bi < n_batches; ++bi) {
      const int64_t stop_at = g_stop_at.load();
      if (stop_requested() || (stop_at > 0 && st.global_step >= stop_at)) {
        g_stop.store(false);
        g_stop_at.store(0);
        st.next_batch = bi;
        st.epoch_seconds += since(epoch_start);
        std::ostringstream rs;
        rs << shuffle_rng;
        st.shuffle_rng = rs.str();
        result.interrupted = true;
        result.seconds = since(run_start);
        spdlog::warn("stopping on request at epoch {}, minibatch {}/{}", epoch, bi, n_batches);
        return result;
      }
      const size_t start = size_t(bi) * batch;
      const int n = int(std::min<size_t>(batch, order.size() - start));
      data.batch(Split::kTrain, order.data() + start, n, x.data(), y.data());
      int correct = 0;
      const double loss = e.model.run(x.data(), T, n, y.data(), true, &correct);
      ++st.global_step;
      if (!std::isfinite(loss))
        throw TrainingDiverged("training diverged: the loss is " +
                               std::string(std::isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf") + " at epoch " +
                               std::to_string(epoch) +
                    ", minibatch " + std::to_string(bi + 1) + " (step " + std::to_string(st.global_step) +
                    "); lower the learning rate, set train.clip_grad_norm, or check the data for NaN");
      double sq = 0;
      for (Parameter* p : params) sq += double(p->raw_grad.squaredNorm());
      const double norm = std::sqrt(sq);
      if (!std::isfinite(norm))
        throw TrainingDiverged("training diverged: non-finite gradient at epoch " + std::to_string(epoch) +
                               ", minibatch " + std::to_string(bi + 1) + " (step " + std::to_string(st.global_step) +
                               "); lower the learning rate, set train.clip_grad_norm, or check the data for NaN");
      if (clip > 0 && norm > clip)
        for (Parameter* p : params) p->raw_grad *= float(clip / norm);
      e.optimizer->step(params, st.learning_rate);
      e.model.project();

      st.loss_sum += loss;
      st.norm_sum += norm;
      st.seen += n;
      st.right += correct;
      window_loss += loss;
      window_seen += n;
      window_right += correct;
      if ((bi + 1) % log_every == 0 || bi + 1 == n_batches) {
        spdlog::info("epoch {}/{} [{:>5}/{}] loss {:.4f} acc {:.2f}% {:.0f} samples/s", epoch, epochs, bi + 1,
                     n_batches, window_loss / window_seen, 100.0 * window_right / window_seen,
                     window_seen / since(window_start));
        window_loss = 0;
        window_seen = window_right = 0;
        window_start = Clock::now();
      }
    }
    st.next_batch = 0;
    st.order.clear();
    const double train_seconds = st.epoch_seconds + since(epoch_start);
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = st.loss_sum / std::max<int64_t>(1, st.seen);
    m.train_accuracy = double(st.right) / std::max<int64_t>(1, st.seen);
    m.gradient_norm = st.norm_sum / std::max<int64_t>(1, n_batches);
    m.learning_rate = st.learning_rate;
    m.samples_per_second = st.seen / train_seconds;
    const auto eval_start = Clock::now();
    std::tie(m.validation_accuracy, m.validation_loss) = evaluate(e, Split::kTrain, val, eval_batch);
    std::tie(m.test_accuracy, m.test_loss) = evaluate(e, Split::kTest, test, eval_batch);
    m.seconds = train_seconds + since(eval_start);
    spdlog::info("epoch {}/{}: train loss {:.4f} acc {:.2f}% | validation acc {} | test acc {:.2f}% | "
                 "{:.0f} samples/s | {:.1f} s",
                 epoch, epochs, m.train_loss, 100 * m.train_accuracy,
                 m.validation_accuracy < 0 ? std::string("n/a") : fmt::format("{:.2f}%", 100 * m.validation_accuracy),
                 100 * m.test_accuracy, m.samples_per_second, m.seconds);
    result.epochs.push_back(m);
    st.history.push_back(m);
    st.epochs_done = epoch;

    // Validation-driven decisions (plateau schedule, early stopping); the test split never steers.
    const double score = m.validation_accuracy >= 0 ? m.validation_accuracy : -m.train_loss;
    bool stop_early = false;
    if (score > st.best_score) {
      st.best_score = score;
      st.since_best = 0;
    } else {
      ++st.since_best;
      if (schedule == "plateau" && st.since_best % o.get_int("lr_patience") == 0) {
        st.learning_rate *= gamma;
        spdlog::info("validation accuracy has not improved for {} epochs: learning rate now {}", st.since_best,
                     st.learning_rate);
      }
      if (o.get_int("early_stopping") > 0 && st.since_best >= o.get_int("early_stopping")) {
        spdlog::info("early stopping: validation accuracy has not improved for {} epochs", st.since_best);
        stop_early = true;
      }
    }
    std::ostringstream rs;
    rs << shuffle_rng;
    st.shuffle_rng = rs.str();
    if (on_epoch) on_epoch(m, st);
    if (stop_early) {
      result.early_stopped = true;
      break;
    }
  }
  result.seconds = since(run_start);
  return result;
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
