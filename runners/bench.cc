// bench: training speed of one model on synthetic data, next to oneDNN's fp32 (and bf16) matmul peak.
//   bazel run //runners:bench -- --model simple_gru --hidden 128 --steps 28 --features 28
//       --batch 128 --batches 30 --threads 2        (one command line)
// prints one line scripts can read (tools/bench/run.sh does):
//   bench: model=simple_gru hidden=128 T=28 F=28 batch=128 ... samples_per_second=...
//          step_gflops=... matmul_peak_gflops=... peak_fraction=... peak_rss_mb=...
//   bazel run //runners:bench -- --model adaptive_rate --twin         (derived vs hand-written)
// runs the model's cell with backward = "hand_written" and "derived", alternating, twice each,
// and prints a "twin:" line with the best samples/s of each and their ratio.
//   bazel run //runners:bench -- --model simple_gru --memory        (BPTT memory vs T)
// runs itself once per T in {28, 56, 112} (a fresh process each, so each peak RSS is its own)
// and prints one "memory:" line per T and the fitted MB per step.
//
// What is timed is core's TrainingStep::run, the trainer's own step: model.run(train=true)
// (prepare, forward, readout, BPTT), the global-norm gradient clip, optimizer->step and
// model.project(). Inputs are uniform [0, 1) floats and labels uniform in the classes, made
// up front (a few distinct batches, cycled), so no dataset file is read: the graph names a
// dataset only for its shapes (features, classes); its load() is never called.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/engine/builtins.h"
#include "core/sdk/data_paths.h"
#include "core/sdk/error.h"
#include "core/engine/compute_context.h"
#include "core/experiment/graph.h"
#include "core/experiment/plugin_loader.h"
#include "core/platform/cpu_features.h"
#include "core/platform/process.h"
#include "core/experiment/trainer.h"
#include "core/engine/training_step.h"
#include "runners/common.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The models compared with PyTorch (tools/bench/peers.py writes the same ones by hand).
const std::map<std::string, std::string>& model_layers() {
  static const std::map<std::string, std::string> m = {
      // The note's "simple GRU": rate cell, learned update gate (2 blocks: cell + gate).
      {"simple_gru", "plugin = \"rate\"\nphi = \"tanh\"\ngate = { plugin = \"learned\" }\n"},
      // The note's "varying conductance" with Dale's law on W.
      {"varying_dale",
       "plugin = \"rate\"\nphi = \"tanh\"\ngate = { plugin = \"conductance\" }\n"
       "scaling = { plugin = \"constant\" }\n"
       "constraints = [ { parameter = \"W\", plugin = \"dale\" } ]\n"},
      // The standard GRU (reset gate), oneDNN's GRU primitive; no gate of ours.
      {"gru", "plugin = \"gru\"\n"},
      // The cells written forward-only with a hand-written twin (option backward): --twin.
      {"leaky", "plugin = \"leaky\"\n"},
      {"adaptive_rate", "plugin = \"adaptive_rate\"\ngate = { plugin = \"learned\" }\n"},
  };
  return m;
}

// The dataset node that gives these features per step (its steps() do not matter: the
// model runs any T).
std::string dataset_node(int features) {
  switch (features) {
    case 28: return "plugin = \"mnist\"\nsequence = \"rows\"\n";
    case 1: return "plugin = \"mnist\"\nsequence = \"pixels\"\n";
    case 96: return "plugin = \"cifar10\"\nsequence = \"rows\"\n";
    case 3: return "plugin = \"cifar10\"\nsequence = \"pixels\"\n";
  }
  throw biornn::Error("--features " + std::to_string(features) +
                      " matches no dataset sequence mode: use 28 (MNIST rows), 1 (MNIST pixels), "
                      "96 (CIFAR-10 rows) or 3 (CIFAR-10 pixels)");
}

std::string graph_text(const std::string& model, int hidden, int features, int batch, int threads) {
  auto it = model_layers().find(model);
  if (it == model_layers().end()) {
    std::string known;
    for (const auto& [k, v] : model_layers()) known += (known.empty() ? "" : ", ") + k;
    throw biornn::Error("unknown --model '" + model + "' (known: " + known + ")");
  }
  std::ostringstream g;
  g << "description = \"bench " << model << "\"\n"
    << "[train]\nbatch_size = " << batch << "\nseed = 1\nclip_grad_norm = 1.0\nthreads = " << threads << "\n"
    << "[optimizer]\nplugin = \"adam\"\nlearning_rate = 1e-3\n"
    << "[nodes.data]\n"
    << dataset_node(features) << "[nodes.rnn]\ninput = \"data\"\nhidden = " << hidden << "\n"
    << it->second << "[nodes.readout]\nplugin = \"readout\"\ninput = \"rnn\"\n";
  return g.str();
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

// oneDNN's matmul peak through the same biornn::gemm the engine uses: C = A B, 1024^3,
// repeated; the best of `windows` windows of `reps` products (2 n^3 FLOP each). fp32 in an
// fp32 context of ctx's threads and FTZ; bf16 through gemm_bf16 on operands rounded once
// beforehand (the product alone, as the engine's packed per-step products run).
double matmul_peak_gflops(biornn::ComputeContext& ctx, biornn::Precision precision, int n = 1024, int reps = 12,
                          int windows = 3) {
  std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  biornn::Rng rng(7);
  for (auto& v : a) v = float(rng.uniform(-1, 1));
  for (auto& v : b) v = float(rng.uniform(-1, 1));
  std::vector<uint16_t> a16(a.size()), b16(b.size());
  biornn::to_bf16(a.data(), a.size(), a16.data());
  biornn::to_bf16(b.data(), b.size(), b16.data());
  biornn::ComputeContext fp32(biornn::ComputeOptions{ctx.threads(), ctx.flush_denormals(), biornn::Precision::kFp32});
  auto product = [&] {
    if (precision == biornn::Precision::kBf16)
      ctx.gemm_bf16(false, false, n, n, n, a16.data(), n, b16.data(), n, c.data(), n, false);
    else
      fp32.gemm(false, false, n, n, n, a.data(), n, b.data(), n, c.data(), n, false);
  };
  for (int i = 0; i < 3; ++i) product();
  double best = 0;
  for (int w = 0; w < windows; ++w) {
    const auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i) product();
    best = std::max(best, 2.0 * n * n * n * reps / since(t0) / 1e9);
  }
  return best;
}

// FLOPs of the GEMMs of one training step (forward + backward), for this model.
//
// Per-step cells (rate + gate, run by core/engine/recurrent_layer.cc): with B the batch, T the steps,
// F the layer's input features, H the hidden units, and k_in*H / k_rec*H the widths of the
// concatenated input / recurrent weights (P_cat [k_in*H, F], W_cat [k_rec*H, H]; blocks
// without an input or recurrent term after the last one that has it are not multiplied):
//   forward   2*T*B*F*k_in*H              input projection of all steps, [T*B,F] x [F,k_in*H]
//           + 2*T*B*H*k_rec*H             per step [B,H] x [H,k_rec*H], T steps
//   backward  2*(T-1)*B*k_rec*H*H         d r_{t-1} = d pre_t W_cat, T-1 steps
//           + 2*T*B*k_rec*H*H             dW_cat = d pre^T r, one GEMM over all steps
//           + 2*T*B*k_in*H*F              dP_cat = d pre^T x
//           (+ 2*T*B*k_in*H*F             d x, only for a layer above another layer)
//   so backward ~ 2 x forward. simple_gru and varying_dale have k_in = k_rec = 2 (cell + gate).
// Whole-sequence cells (gru, lstm on oneDNN's RNN primitives): with N the number of weight
// elements (the layer's parameters of more than one row and column, e.g. 3H*(F+H) for a GRU),
//   forward 2*T*B*N, backward 4*T*B*N (weight gradients + data gradients, which oneDNN
//   always computes, including d x).
// Readout (last state, C classes): forward 2*B*H*C, backward 4*B*H*C.
// Elementwise work (activations, gates, Adam, clip) is not counted: it is not GEMM work.
struct FlopCount {
  double forward = 0, backward = 0;
  int k_in = 0, k_rec = 0;  // per-step cells only
  double total() const { return forward + backward; }
};

FlopCount count_flops(biornn::Model& model, int T, int B) {
  FlopCount f;
  bool first = true;
  for (const auto& layer : model.layers()) {
    const double H = layer->hidden(), F = layer->features();
    if (layer->cell().runs_whole_sequence()) {
      double n = 0;
      for (const biornn::Parameter* p : layer->parameters().all())
        if (p->raw.rows() > 1 && p->raw.cols() > 1) n += double(p->size());
      f.forward += 2.0 * T * B * n;
      f.backward += 4.0 * T * B * n;
    } else {
      // The H-wide blocks with input / recurrent terms, as the layer's prepare() sees them.
      layer->prepare();
      const double kin = layer->input_blocks(), krec = layer->recurrent_blocks();
      f.k_in = int(kin);
      f.k_rec = int(krec);
      f.forward += 2.0 * T * B * F * kin * H + 2.0 * T * B * H * krec * H;
      f.backward += 2.0 * (T - 1) * B * krec * H * H + 2.0 * T * B * krec * H * H + 2.0 * T * B * kin * H * F;
      if (!first) f.backward += 2.0 * T * B * kin * H * F;
    }
    first = false;
  }
  const double H = model.layers().back()->hidden(), C = model.readout().classes();
  f.forward += 2.0 * B * H * C;
  f.backward += 4.0 * B * H * C;
  return f;
}

// Sums the seconds of each phase of core's training step over the timed minibatches.
class PhaseTotals : public biornn::PhaseTimer {
 public:
  void add(biornn::Phase phase, double seconds) override { seconds_[int(phase)] += seconds; }
  void print(double total, int batches) const {
    std::printf("breakdown: step_ms=%.3f", 1e3 * total / batches);
    for (int p = 0; p < biornn::kPhaseCount; ++p)
      std::printf(" %s_ms=%.3f", biornn::phase_name(biornn::Phase(p)), 1e3 * seconds_[p] / batches);
    std::printf("\n");
  }

 private:
  double seconds_[biornn::kPhaseCount] = {};
};

// GFLOP/s of one call shape, repeated for about `seconds`. In bf16 the operands are rounded once
// beforehand and the product runs as gemm_bf16, as core calls its whole-sequence products.
double probe(biornn::ComputeContext& ctx, bool ta, bool tb, int m, int n, int k, bool acc = false,
             double seconds = 0.15) {
  const int lda = ta ? m : k, ldb = tb ? k : n;
  std::vector<float> a(size_t(m) * k, 0.5f), b(size_t(k) * n, 0.25f), c(size_t(m) * n, 0.0f);
  std::vector<uint16_t> a16, b16;
  const bool bf16 = ctx.precision() == biornn::Precision::kBf16;
  if (bf16) {
    a16.resize(a.size());
    b16.resize(b.size());
    biornn::to_bf16(a.data(), a.size(), a16.data());
    biornn::to_bf16(b.data(), b.size(), b16.data());
  }
  auto call = [&] {
    if (bf16)
      ctx.gemm_bf16(ta, tb, m, n, k, a16.data(), lda, b16.data(), ldb, c.data(), n, acc);
    else
      ctx.gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, c.data(), n, acc);
  };
  for (int i = 0; i < 3; ++i) call();
  int reps = 0;
  const auto t0 = Clock::now();
  while (since(t0) < seconds) {
    for (int i = 0; i < 10; ++i) call();
    reps += 10;
  }
  return 2.0 * m * n * k * reps / since(t0) / 1e9;
}

// GFLOP/s (all threads together) of the per-step product as the engine runs it: every compute
// thread calls gemm_serial on its own chunk of the batch rows at once, B packed by pack_b.
double probe_serial(biornn::ComputeContext& ctx, bool tb, int rows, int n, int k, double seconds = 0.15) {
  const int threads = std::max(1, std::min(ctx.threads(), rows / 8));
  std::vector<biornn::GemmShape> shapes;
  std::vector<std::vector<float>> as, cs, packed;
  const std::vector<float> b(size_t(k) * n, 0.25f);
  for (int c = 0; c < threads; ++c) {
    const int m = rows * (c + 1) / threads - rows * c / threads;
    shapes.push_back(biornn::GemmShape{false, tb, m, n, k, k, tb ? k : n, n, true, true});
    as.emplace_back(size_t(m) * k, 0.5f);
    cs.emplace_back(size_t(m) * n, 0.0f);
    packed.emplace_back(ctx.packed_b_bytes(shapes.back()) / sizeof(float) + 16);
    ctx.pack_b(shapes.back(), b.data(), packed.back().data());
  }
  std::vector<int> reps(threads, 0);
  std::vector<double> secs(threads, 0);
  ctx.for_each_chunk(threads, [&](int c) {
    for (int i = 0; i < 3; ++i) ctx.gemm_serial(shapes[c], as[c].data(), packed[c].data(), cs[c].data());
    const auto t0 = Clock::now();
    while (since(t0) < seconds) {
      for (int i = 0; i < 10; ++i) ctx.gemm_serial(shapes[c], as[c].data(), packed[c].data(), cs[c].data());
      reps[c] += 10;
    }
    secs[c] = since(t0);
  });
  double flops_per_s = 0;
  for (int c = 0; c < threads; ++c) flops_per_s += 2.0 * shapes[c].m * n * k * reps[c] / secs[c];
  return flops_per_s / 1e9;
}

// The GEMMs of a per-step layer (see count_flops), each alone: how core calls it, and
// alternatives (the transposed operand stored plainly, the whole batch in one threaded call).
void gemm_probe(biornn::ComputeContext& ctx, int T, int B, int F, int H, int k) {
  const int W = k * H, R = T * B;
  struct Row {
    const char* what;
    bool ta, tb;
    int m, n, kk, calls;
    bool acc;
  };
  const Row rows[] = {
      {"input projection  [T*B,F]x[F,kH]   (core: P_cat as B^T)", false, true, R, W, F, 1, false},
      {"                  same, plain B", false, false, R, W, F, 0, false},
      {"forward per step  [B,H]x[H,kH]     (one threaded call, W_cat as B^T)", false, true, B, W, H, 0, true},
      {"                  same, plain B", false, false, B, W, H, 0, true},
      {"backward per step [B,kH]x[kH,H]    (one threaded call)", false, false, B, H, W, 0, true},
      {"dW_cat            [kH,T*B]x[T*B,H] (core: d_pre as A^T)", true, false, W, H, R, 1, false},
      {"                  same, plain A", false, false, W, H, R, 0, false},
      {"dP_cat            [kH,T*B]x[T*B,F] (d_pre as A^T)", true, false, W, F, R, 0, false},
      {"                  same, plain A", false, false, W, F, R, 0, false},
      {"dW_cat^T          [H,T*B]x[T*B,kH] (r as A^T)", true, false, H, W, R, 0, false},
      {"dP_cat^T          [F,T*B]x[T*B,kH] (core: x as A^T)", true, false, F, W, R, 1, false},
  };
  std::printf(
      "gemm-probe: T=%d B=%d F=%d H=%d k=%d threads=%d (GFLOP/s of each call shape alone; "
      "calls = per training step in core)\n",
      T, B, F, H, k, ctx.threads());
  for (const Row& r : rows) {
    const double g = probe(ctx, r.ta, r.tb, r.m, r.n, r.kk, r.acc);
    const double flop = 2.0 * r.m * r.n * r.kk;
    std::printf("gemm-probe: %-58s m=%-6d n=%-5d k=%-6d %8.1f GFLOP/s %9.4f ms/call", r.what, r.m, r.n, r.kk, g,
                1e3 * flop / g / 1e9);
    if (r.calls) std::printf(" x%-4d = %8.3f ms/step", r.calls, 1e3 * flop * r.calls / g / 1e9);
    std::printf("\n");
  }
  // What core does per step: each thread its rows, W_cat packed once per minibatch.
  const struct {
    const char* what;
    bool tb;
    int n, kk, calls;
  } serial[] = {{"forward per step  (core: a chunk of rows per thread, packed W_cat)", true, W, H, T},
                {"backward per step (core: a chunk of rows per thread, packed W_cat)", false, H, W, T - 1}};
  for (const auto& r : serial) {
    const double g = probe_serial(ctx, r.tb, B, r.n, r.kk);
    const double flop = 2.0 * B * r.n * r.kk;
    std::printf("gemm-probe: %-58s m=%-6d n=%-5d k=%-6d %8.1f GFLOP/s %9.4f ms/call x%-4d = %8.3f ms/step\n", r.what, B,
                r.n, r.kk, g, 1e3 * flop / g / 1e9, r.calls, 1e3 * flop * r.calls / g / 1e9);
  }
  // Fixed cost of one call (tiny shape): the std::map lookup, three dnnl::memory objects and
  // stream.wait() per call, which the per-step GEMMs pay T times forward and T-1 times backward.
  const double tiny = probe(ctx, false, false, 8, 8, 8);
  std::printf("gemm-probe: call overhead (8x8x8) %.2f us/call\n", 1e6 * 2.0 * 512 / tiny / 1e9);
}

struct Args {
  std::string model = "simple_gru";
  int hidden = 128, steps = 28, features = 28, batch = 128, batches = 30, warmup = 3, threads = 2;
  bool memory = false, no_peak = false, breakdown = false, gemm_probe = false, twin = false;
  int ftz = -1;  // --ftz 1, --no-ftz 0, else the graph's train.flush_denormals (as the trainer)
  std::vector<int> memory_steps = {28, 56, 112};
  std::vector<std::string> plugin_dirs;
  std::vector<std::string> overrides;  // --set, as for train (e.g. nodes.rnn.gate.G_b=0)
};

// One timed run; prints the "bench:" line and returns its samples/s.
double run_bench(const Args& a, const std::string& argv0) {
  biornn::Registry registry;
  biornn::register_builtins(registry);
  biornn::PluginLoader loader(registry);
  std::vector<std::string> dirs = biornn::default_plugin_directories(argv0);
  for (auto& d : a.plugin_dirs) dirs.push_back(biornn::resolve_user_path(d));
  for (const auto& d : dirs)
    for (const auto& err : loader.load_directory(d)) std::cerr << "warning: " << err << "\n";

  const std::string text = graph_text(a.model, a.hidden, a.features, a.batch, a.threads);
  // Denormals: as the trainer does (train.flush_denormals, on by default), unless forced.
  std::vector<std::string> overrides = a.overrides;
  if (a.ftz >= 0) overrides.push_back(std::string("train.flush_denormals=") + (a.ftz == 1 ? "true" : "false"));
  biornn::Graph graph = biornn::parse_graph_text(text, "bench", overrides, registry);
  auto e = biornn::build_experiment(graph, registry);
  biornn::ComputeContext& ctx = *e->compute;
  const biornn::ComputeContext::Scope compute(ctx);  // the whole bench, as the trainer's whole run
  const bool ftz = ctx.flush_denormals();
  const int T = a.steps, B = a.batch, F = e->dataset->features(), C = e->dataset->classes();
  if (F != a.features) throw biornn::Error("internal: dataset features " + std::to_string(F));
  if (a.gemm_probe) {
    const int k = count_flops(e->model, T, B).k_rec;
    if (k == 0)
      throw biornn::Error("--gemm-probe: this model's cell runs the whole sequence itself (no per-step GEMMs)");
    gemm_probe(ctx, T, B, F, a.hidden, k);
    return 0;
  }

  // A few distinct synthetic minibatches, cycled.
  const int distinct = 4;
  std::vector<std::vector<float>> xs(distinct, std::vector<float>(size_t(T) * B * F));
  std::vector<std::vector<int32_t>> ys(distinct, std::vector<int32_t>(B));
  biornn::Rng rng(12345);
  for (int i = 0; i < distinct; ++i) {
    for (auto& v : xs[i]) v = float(rng.uniform());
    for (auto& v : ys[i]) v = int32_t(rng.below(uint64_t(C)));
  }

  // Exactly the trainer's step (core/engine/training_step.h): forward, BPTT, norm, clip, optimizer, projection.
  biornn::Collective one_process;
  biornn::TrainingStep training_step(e->model, *e->optimizer, one_process, biornn::StepOptions::from(graph.train));
  const double lr = e->optimizer->learning_rate();
  double last_loss = 0;
  auto step = [&](int i, biornn::PhaseTimer* timer = nullptr) {
    biornn::Minibatch b;
    b.data.x = xs[i % distinct].data();
    b.data.labels = ys[i % distinct].data();
    b.steps = T;
    b.rows = B;
    const biornn::StepResult r = training_step.run(b, B, lr, nullptr, timer);
    if (!r.finite) throw biornn::Error("bench: " + r.what + " at minibatch " + std::to_string(i));
    last_loss = r.loss.loss;
  };
  for (int i = 0; i < a.warmup; ++i) step(i);
  const int primitives_before = ctx.primitives_created();
  const long faults_before = minor_faults();
  std::vector<double> times;
  const auto t0 = Clock::now();
  for (int i = 0; i < a.batches; ++i) {
    const auto s0 = Clock::now();
    step(a.warmup + i);
    times.push_back(since(s0));
  }
  const double seconds = since(t0);
  const int primitives_timed = ctx.primitives_created() - primitives_before;
  const long faults_timed = minor_faults() - faults_before;  // pages first touched (or re-mapped) while timed
  if (a.breakdown) {
    PhaseTotals totals;
    const auto b0 = Clock::now();
    for (int i = 0; i < a.batches; ++i) step(a.warmup + a.batches + i, &totals);
    totals.print(since(b0), a.batches);
  }
  // Both peaks where the CPU has bf16 instructions (the fraction is of the run's own precision's),
  // each the better of two measurements, all after the timed steps: measured first, their 12 MB
  // buffers raised glibc's mmap and trim thresholds and hid per-step allocations (and page
  // faults) that the trainer, which measures no peak, paid for.
  const bool bf16_cpu = biornn::host_cpu_features().bf16();
  const bool bf16 = ctx.precision() == biornn::Precision::kBf16;
  auto best_peak = [&](biornn::Precision p) {
    return std::max(matmul_peak_gflops(ctx, p), matmul_peak_gflops(ctx, p));
  };
  const double peak32 = a.no_peak ? 0 : best_peak(biornn::Precision::kFp32);
  const double peak16 = a.no_peak || !bf16_cpu ? 0 : best_peak(biornn::Precision::kBf16);
  const double peak = bf16 ? peak16 : peak32;

  std::sort(times.begin(), times.end());
  const double median = times.empty() ? 0 : times[times.size() / 2];
  const FlopCount flops = count_flops(e->model, T, B);
  const double sps = double(B) * a.batches / seconds;
  const double gflops = flops.total() * a.batches / seconds / 1e9;

  std::printf(
      "bench: model=%s hidden=%d T=%d F=%d batch=%d batches=%d threads=%d parameters=%lld "
      "samples_per_second=%.1f step_ms=%.3f step_ms_median=%.3f step_gflop=%.4f step_gflops=%.2f "
      "matmul_peak_gflops=%.1f matmul_peak_bf16_gflops=%.1f precision=%s peak_fraction=%.4f peak_rss_mb=%.1f "
      "gemm_primitives=%d new_primitives_while_timed=%d page_faults_per_step=%.0f ftz=%d loss=%.4f\n",
      a.model.c_str(), a.hidden, T, F, B, a.batches, a.threads, (long long)e->model.parameter_count(), sps,
      1e3 * seconds / std::max(1, a.batches), 1e3 * median, flops.total() / 1e9, gflops, peak32, peak16,
      biornn::precision_name(ctx.precision()), peak > 0 ? gflops / peak : 0.0, peak_rss_mb(), ctx.primitives_created(),
      primitives_timed, double(faults_timed) / std::max(1, a.batches), int(ftz), last_loss / B);
  std::fflush(stdout);
  return sps;
}

// The cell with its hand-written backward and with the one derived from its step (the option
// backward, core/sdk/derived_cell.h), alternating in this process so both see the same machine.
int run_twin(const Args& a, const std::string& argv0) {
  const char* backward[2] = {"hand_written", "derived"};
  double best[2] = {0, 0};
  for (int round = 0; round < 2; ++round)
    for (int k = 0; k < 2; ++k) {
      Args one = a;
      one.no_peak = true;
      one.overrides.push_back(std::string("nodes.rnn.backward=") + backward[k]);
      std::printf("twin: round %d, backward=%s:\n", round + 1, backward[k]);
      best[k] = std::max(best[k], run_bench(one, argv0));
    }
  std::printf(
      "twin: model=%s hidden=%d batch=%d threads=%d hand_written_samples_per_second=%.1f "
      "derived_samples_per_second=%.1f derived_over_hand_written=%.3f\n",
      a.model.c_str(), a.hidden, a.batch, a.threads, best[0], best[1], best[1] / best[0]);
  return 0;
}

double field(const std::string& line, const std::string& key) {
  const auto at = line.find(" " + key + "=");
  if (at == std::string::npos) return NAN;
  return std::atof(line.c_str() + at + key.size() + 2);
}

// BPTT keeps every step's activations: peak RSS should grow linearly in T.
int run_memory(const Args& a, const std::string& argv0) {
  std::vector<double> ts, mbs;
  for (int T : a.memory_steps) {
    std::vector<std::string> args = {"--model",    a.model,
                                     "--hidden",   std::to_string(a.hidden),
                                     "--steps",    std::to_string(T),
                                     "--features", std::to_string(a.features),
                                     "--batch",    std::to_string(a.batch),
                                     "--batches",  "2",
                                     "--warmup",   "1",
                                     "--threads",  std::to_string(a.threads),
                                     "--no-peak"};
    for (auto& d : a.plugin_dirs) args.insert(args.end(), {"--plugin-dir", d});
    for (auto& o : a.overrides) args.insert(args.end(), {"--set", o});
    if (a.ftz >= 0) args.push_back(a.ftz ? "--ftz" : "--no-ftz");
    // This binary again (same argv[0], so plugins are found the same way), a fresh process
    // per T so that each peak RSS is its own.
    args.insert(args.begin(), argv0);
    const biornn::ProcessResult run = biornn::run_process(args, "/proc/self/exe");
    const std::string& out = run.out;
    const auto at = out.find("bench: ");
    if (run.exit_code != 0 || at == std::string::npos)
      throw biornn::Error("bench --memory: the run at T=" + std::to_string(T) + " failed: " + run.failure + "\n" + out +
                          run.err);
    const std::string line = out.substr(at, out.find('\n', at) - at);
    const double mb = field(line, "peak_rss_mb"), sps = field(line, "samples_per_second");
    std::printf("memory: model=%s hidden=%d batch=%d T=%d peak_rss_mb=%.1f samples_per_second=%.1f\n", a.model.c_str(),
                a.hidden, a.batch, T, mb, sps);
    std::fflush(stdout);
    ts.push_back(T);
    mbs.push_back(mb);
  }
  // Least-squares line peak_rss = base + slope * T, and how well it fits.
  const double n = double(ts.size());
  double st = 0, sm = 0, stt = 0, stm = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    st += ts[i];
    sm += mbs[i];
    stt += ts[i] * ts[i];
    stm += ts[i] * mbs[i];
  }
  const double slope = (n * stm - st * sm) / (n * stt - st * st), base = (sm - slope * st) / n;
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    ss_res += std::pow(mbs[i] - (base + slope * ts[i]), 2);
    ss_tot += std::pow(mbs[i] - sm / n, 2);
  }
  std::printf("memory: model=%s fit peak_rss_mb = %.1f + %.3f * T (r2=%.4f)\n", a.model.c_str(), base, slope,
              ss_tot > 0 ? 1 - ss_res / ss_tot : 1.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Training speed of a model on synthetic data, and oneDNN's fp32 matmul peak."};
  Args a;
  app.add_option("--model", a.model, "simple_gru | varying_dale | gru | leaky | adaptive_rate")->capture_default_str();
  app.add_option("--hidden", a.hidden, "hidden units H")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--steps", a.steps, "sequence length T")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--features", a.features, "features per step F: 28, 1 (MNIST rows, pixels), 96, 3 (CIFAR-10)")
      ->capture_default_str();
  app.add_option("--batch", a.batch, "minibatch size B")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batches", a.batches, "timed minibatches")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--warmup", a.warmup, "untimed minibatches first")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--threads", a.threads, "compute threads (0 = all cores)")->capture_default_str();
  app.add_flag("--twin", a.twin,
               "the cell with backward = hand_written and = derived (leaky, adaptive_rate), alternating "
               "twice, then a \"twin:\" line with the ratio of their samples/s");
  app.add_flag("--memory", a.memory, "peak RSS at each of --memory-steps (a fresh process each), then a linear fit");
  app.add_option("--memory-steps", a.memory_steps, "the T values of --memory (e.g. 28,56,112)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_flag("--no-peak", a.no_peak, "skip the 1024^3 matmul peak measurements");
  std::string precision;
  app.add_option("--precision", precision,
                 "fp32 | bf16: the graph's train.precision (bf16 products where the CPU has bf16 instructions)");
  bool force_ftz = false, force_no_ftz = false;
  app.add_flag("--ftz", force_ftz,
               "flush denormal floats to zero (MXCSR FTZ+DAZ, every compute thread); default: the graph's "
               "train.flush_denormals, on unless set otherwise, as in training");
  app.add_flag("--no-ftz", force_no_ftz, "keep IEEE denormals (to see what they cost: BPTT over long T)")
      ->excludes("--ftz");
  app.add_flag("--gemm-probe", a.gemm_probe,
               "time each GEMM shape of a training step alone through biornn::gemm, as core calls it "
               "(with its transposes) and with the transposed operand laid out plainly, then exit");
  app.add_flag("--breakdown", a.breakdown,
               "also time the phases of a step (prepare, forward, readout, backward, clip, optimizer, "
               "project) in a second timed loop, and print a \"breakdown:\" line");
  app.add_option("--set", a.overrides, "override an option of the generated graph: --set nodes.rnn.gate.dt=0.5");
  app.add_option("--plugin-dir", a.plugin_dirs, "also load *_plugin.so from this directory (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (force_ftz) a.ftz = 1;
  if (force_no_ftz) a.ftz = 0;
  if (!precision.empty()) a.overrides.push_back("train.precision=" + precision);
  return biornn::run_main([&](biornn::ProcessBoundary&) {
    if (a.twin) return run_twin(a, argv[0]);
    if (a.memory) return run_memory(a, argv[0]);
    run_bench(a, argv[0]);  // its samples/s is for the memory probe, not an exit code
    return 0;
  });
}
