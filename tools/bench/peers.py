#!/usr/bin/python3
"""PyTorch peers of runners/bench.cc: the same models, shapes, batch, loss and optimizer.

Each peer trains on synthetic data exactly like `bazel run //runners:bench`: inputs uniform
[0, 1), labels uniform in 10 classes, a few distinct minibatches cycled; softmax
cross-entropy on a linear readout of the last state; clip_grad_norm_(1.0); Adam(lr=1e-3).
Warm-up minibatches first (TorchScript profiles and optimises during them), then N timed.
--ftz flushes denormal floats to zero (torch.set_flush_denormal), like `bench --ftz`: long
sequences (T=784) produce denormal gradients in BPTT that slow every GEMM several-fold.

    /usr/bin/python3 tools/bench/peers.py --model simple_gru --hidden 128 --steps 28 \
        --features 28 --batch 128 --batches 30 --threads 1,2

prints, per peer and thread count (each thread count runs in a fresh process with
OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set too, since torch.set_num_threads does not
reach OpenBLAS's own pool):
    peer: name=simple_gru_loop threads=1 ... samples_per_second=...
and per peer the faster of its thread counts:
    peer-best: name=simple_gru_loop threads=2 ... samples_per_second=...

Peers (models as in runners/bench.cc):
  simple_gru:   simple_gru_loop    rate cell + learned update gate as a Python loop, the way a
                                   careful user writes it: input projection of all steps in one
                                   Linear, steps taken with unbind(1), one [B,H]x[H,2H] per step
                simple_gru_naive   the same, but x[:, t] slicing and the input projection
                                   computed inside the loop (a peer like the others: at
                                   H=128 it can be the fastest)
                simple_gru_script  simple_gru_loop under torch.jit.script
  varying_dale: varying_dale_loop  rate cell + varying-conductance gate + Dale's law, same style:
                                   W_eff = |W_raw| * sign_col, z = dt * sigmoid(G_b + (|W| A) r
                                   + |P_in| x), effective weights built once per minibatch
                varying_dale_script  the same under torch.jit.script
  gru:          nn_gru             torch.nn.GRU (standard GRU, reset gate) + Linear readout
"""
import argparse
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as fn

CLASSES = 10


# --- the models ------------------------------------------------------------------------------
class SimpleGRU(nn.Module):
    """h_t = (1 - z) h + z tanh(W r + P x + b), z = sigmoid(W_z r + P_z x + b_z), r = h."""

    def __init__(self, features: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        k = 1.0 / hidden**0.5
        # [P; P_z] with [b; b_z], and [W; W_z]: the same concatenation core/ does.
        self.inp = nn.Linear(features, 2 * hidden)
        self.rec = nn.Linear(hidden, 2 * hidden, bias=False)
        for p in (self.inp.weight, self.inp.bias, self.rec.weight):
            nn.init.uniform_(p, -k, k)
        self.out = nn.Linear(hidden, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [B, T, F]
        h = torch.zeros(x.shape[0], self.hidden, dtype=x.dtype)
        xp = self.inp(x)  # [B, T, 2H], one GEMM over all steps
        for xt in xp.unbind(1):
            pre = torch.addmm(xt, h, self.rec.weight.t())
            u, g = pre.chunk(2, 1)
            z = torch.sigmoid(g)
            h = h + z * (torch.tanh(u) - h)
        return self.out(h)


class SimpleGRUNaive(SimpleGRU):
    """The same cell written naively: x[:, t] slicing, input projection inside the loop."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], self.hidden, dtype=x.dtype)
        for t in range(x.shape[1]):
            pre = self.inp(x[:, t]) + self.rec(h)
            u, g = pre.chunk(2, 1)
            z = torch.sigmoid(g)
            h = (1 - z) * h + z * torch.tanh(u)
        return self.out(h)


class VaryingDale(nn.Module):
    """Rate cell + varying-conductance gate + Dale's law on W (abs parametrisation), with the
    defaults of plugins rate, conductance, constant and dale:
    W_eff = |W_raw| * sign_col (column j = sender j, the first round(0.8 H) excitatory),
    z = dt * sigmoid(G_b + (|W_eff| * A) r + |P_in| x), A = softplus(a_raw) one learned scalar,
    h = (1 - z) h + z tanh(W_eff r + P x + b). Initialisation as dale's: |N(0, 1)| magnitudes,
    each row's inhibitory part scaled to cancel its excitatory part, spectral radius 1;
    A = 1, G_b = -2, P_in ~ U(+-1/sqrt(F)), P and b ~ U(+-1/sqrt(H))."""

    def __init__(self, features: int, hidden: int, dt: float = 1.0, excitatory: float = 0.8):
        super().__init__()
        self.hidden = hidden
        self.dt = dt
        n_e = int(round(excitatory * hidden))
        sign = torch.ones(hidden)
        sign[n_e:] = -1.0
        m = torch.randn(hidden, hidden, dtype=torch.float64).abs()
        if 0 < n_e < hidden:
            m[:, n_e:] *= m[:, :n_e].sum(1, keepdim=True) / m[:, n_e:].sum(1, keepdim=True)
        w = m * sign.double()
        w /= torch.linalg.eigvals(w).abs().max()
        k = 1.0 / hidden**0.5
        self.w_raw = nn.Parameter(w.float())
        self.p = nn.Parameter(torch.empty(hidden, features).uniform_(-k, k))
        self.b = nn.Parameter(torch.empty(hidden).uniform_(-k, k))
        kf = 1.0 / features**0.5
        self.p_in = nn.Parameter(torch.empty(hidden, features).uniform_(-kf, kf))
        self.g_b = nn.Parameter(torch.full((hidden,), -2.0))
        self.a_raw = nn.Parameter(torch.tensor(math.log(math.expm1(1.0))))  # softplus(a_raw) = 1
        self.register_buffer("sign_col", sign)
        self.out = nn.Linear(hidden, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [B, T, F]
        # Effective weights once per minibatch, concatenated: one GEMM per step.
        w_abs = self.w_raw.abs()
        w_eff = w_abs * self.sign_col  # scales columns (senders)
        w_cat = torch.cat([w_eff, w_abs * fn.softplus(self.a_raw)], 0)  # [2H, H]
        p_cat = torch.cat([self.p, self.p_in.abs()], 0)  # [2H, F]
        b_cat = torch.cat([self.b, self.g_b], 0)
        xp = fn.linear(x, p_cat, b_cat)  # [B, T, 2H]
        h = torch.zeros(x.shape[0], self.hidden, dtype=x.dtype)
        w_t = w_cat.t()
        for xt in xp.unbind(1):
            pre = torch.addmm(xt, h, w_t)
            u, g = pre.chunk(2, 1)
            z = self.dt * torch.sigmoid(g)
            h = h + z * (torch.tanh(u) - h)
        return self.out(h)


class TorchGRU(nn.Module):
    def __init__(self, features: int, hidden: int):
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.out = nn.Linear(hidden, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x)
        return self.out(h[-1])


PEERS = {
    "simple_gru": {
        "simple_gru_loop": lambda f, h: SimpleGRU(f, h),
        "simple_gru_naive": lambda f, h: SimpleGRUNaive(f, h),
        "simple_gru_script": lambda f, h: torch.jit.script(SimpleGRU(f, h)),
        # The careful loop under torch.autocast("cpu", bfloat16): PyTorch's own bf16 mode
        # (matmuls in bf16, fp32 master weights), the peer of bench --precision bf16.
        "simple_gru_loop_bf16": lambda f, h: SimpleGRU(f, h),
    },
    "varying_dale": {
        "varying_dale_loop": lambda f, h: VaryingDale(f, h),
        "varying_dale_script": lambda f, h: torch.jit.script(VaryingDale(f, h)),
    },
    "gru": {
        "nn_gru": lambda f, h: TorchGRU(f, h),
    },
}


# --- timing ----------------------------------------------------------------------------------
def time_peer(name, make, a):
    torch.manual_seed(1)
    model = make(a.features, a.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    params = [p for p in model.parameters() if p.requires_grad]
    gen = torch.Generator().manual_seed(12345)
    batches = [(torch.rand(a.batch, a.steps, a.features, generator=gen),
                torch.randint(0, CLASSES, (a.batch,), generator=gen)) for _ in range(4)]

    autocast = name.endswith("_bf16")

    def step(i):
        x, y = batches[i % len(batches)]
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = fn.cross_entropy(model(x).float(), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.batches):
        loss = step(a.warmup + i)
    seconds = time.perf_counter() - t0
    return a.batch * a.batches / seconds, 1e3 * seconds / a.batches, float(loss)


def blas_in_use():
    """The BLAS/oneDNN libraries this process really mapped (torch.__config__ says 'generic')."""
    a = torch.randn(64, 64)
    (a @ a).sum()
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            base = os.path.basename(path)
            if any(k in base for k in ("blas", "dnnl", "mkl", "lapack")):
                libs.add(path)
    core = ""
    for path in libs:
        if "libopenblas" in os.path.basename(path):
            try:  # which kernels OpenBLAS's runtime dispatch chose (DYNAMIC_ARCH builds)
                import ctypes
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                core = " openblas_core=" + lib.openblas_get_corename().decode()
            except (OSError, AttributeError):
                pass
    return (",".join(sorted(libs)) or "none") + core


def mm_gflops(n=1024, reps=10):
    """torch.mm fp32 n^3 (what the peers' GEMMs run on), for context next to oneDNN's peak."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    for _ in range(3):
        torch.mm(a, b)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b)
        best = max(best, 2.0 * n**3 * reps / (time.perf_counter() - t0) / 1e9)
    return best


def child(a):
    torch.set_num_threads(a.threads_one)
    if a.ftz:
        torch.set_flush_denormal(True)
    if a.mm_peak:
        print(f"peer-mm: threads={a.threads_one} torch_mm_1024_gflops={mm_gflops():.1f}", flush=True)
    shape = f"model={a.model} hidden={a.hidden} T={a.steps} F={a.features} batch={a.batch} batches={a.batches}"
    for name, make in PEERS[a.model].items():
        if a.peers and name not in a.peers:
            continue
        sps, ms, loss = time_peer(name, make, a)
        print(f"peer: name={name} threads={a.threads_one} {shape} samples_per_second={sps:.1f} "
              f"step_ms={ms:.3f} loss={loss:.4f} ftz={int(a.ftz)}",
              flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="simple_gru", choices=sorted(PEERS))
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--steps", type=int, default=28)
    ap.add_argument("--features", type=int, default=28)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts, one process each")
    ap.add_argument("--peers", default="", help="comma-separated subset of peer names")
    ap.add_argument("--ftz", action="store_true",
                    help="torch.set_flush_denormal(True): denormal floats flushed to zero (as bench --ftz)")
    ap.add_argument("--mm-peak", action="store_true", help="also time torch.mm 1024^3 at each thread count")
    ap.add_argument("--threads-one", type=int, default=0, help=argparse.SUPPRESS)  # child mode
    a = ap.parse_args()
    a.peers = [p for p in a.peers.split(",") if p]
    if a.threads_one:
        child(a)
        return

    print(f"peer-info: torch={torch.__version__} blas={blas_in_use()} "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '')}", flush=True)
    results = []
    for t in [int(s) for s in a.threads.split(",") if s]:
        env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
        args = [sys.executable, os.path.abspath(__file__), "--threads-one", str(t)]
        for k in ("model", "hidden", "steps", "features", "batch", "batches", "warmup"):
            args += ["--" + k, str(getattr(a, k))]
        if a.peers:
            args += ["--peers", ",".join(a.peers)]
        if a.mm_peak:
            args += ["--mm-peak"]
        if a.ftz:
            args += ["--ftz"]
        out = subprocess.run(args, env=env, stdout=subprocess.PIPE, text=True)
        sys.stdout.write(out.stdout)
        sys.stdout.flush()
        if out.returncode != 0:
            sys.exit(f"peers.py: the run with {t} thread(s) failed (exit {out.returncode})")
        for line in out.stdout.splitlines():
            if line.startswith("peer: "):
                results.append(dict(kv.split("=", 1) for kv in line[6:].split()))
    best = {}
    for r in results:
        if r["name"] not in best or float(r["samples_per_second"]) > float(best[r["name"]]["samples_per_second"]):
            best[r["name"]] = r
    for r in best.values():
        print("peer-best: " + " ".join(f"{k}={v}" for k, v in r.items()), flush=True)


if __name__ == "__main__":
    main()
