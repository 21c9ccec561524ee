#!/usr/bin/env python3
"""Time to a target on a cognitive task: biornn's trainer vs a PyTorch peer of the same
equations, 1 thread each, each side with several input-weight initialisations.

    tools/bench/time_to_target.py [--task flip_flop|perceptual_decision] [--seeds 1,2,3] [--target T]

The model is the simple GRU of graphs/tasks/<task>_gru.toml (rate cell + learned update gate,
H=64: h = (1 - z) h + z tanh(W h + P x + b), z = sigmoid(W_z h + P_z x + b_z), h_0 = 0, a
linear readout at every step), Adam 3e-3, clip 1.0 (global norm), batch 64, with a constant
learning rate on both sides and validation on 512 trials every 10 minibatches: ours with
train.target_every=10 (its epochs are passes over the 7,680 training trials, 120 steps), the
peer the same. Steps and seconds are counted to the first validation at or above the target,
on each side's wall clock: the peer's loop, and our trainer's loop with its per-epoch
bookkeeping (log, diagnostics, metrics.csv, checkpoints: summary.json's
wall_seconds_to_target). Until 2026-12-06 ours ran 10-step "epochs" (train.max_batches=10),
which did that bookkeeping every 10 steps. Neither scores a test split: ours gets
nodes.data.test_trials=1 unless --score-test. Each run is a process of its own on both sides,
the peer's with OMP/OpenBLAS/MKL at 1 thread and glibc's heap-keeping malloc thresholds (its
best; see --peer-malloc). Both draw their trials before their clock starts: the peer from the
same distribution with numpy (not the same trials), ours in the dataset's load(); each side
cycles through 7,680 training trials. The ratios come with a 95% Welch interval on log seconds.

Tasks:
  flip_flop            3 bits, T=100, pulse probability 0.05, a pulse on every bit at step 0;
                       squared error at every step; accuracy: the fraction of (step, bit)
                       outputs with the target's sign. Default target 0.99.
  perceptual_decision  the plugin's defaults (plugins/datasets/perceptual_decision): dt 20 ms,
                       fixation 5 steps, stimulus 30, response 15 (T=50); inputs fixation (1
                       until the response), evidence (1 -+ c)/2 + N(0, 0.3^2) on the two
                       channels during the stimulus, c in {0, .032, .064, .128, .256, .512}
                       and the side uniform; class targets 0 (fixate) until the response,
                       then the choice (1 or 2); mask 1, except 0 on the response's first 5
                       steps (grace 100 ms); loss: cross-entropy summed over steps times mask
                       over the mask's sum; accuracy: the trials whose decision (the class
                       with the largest summed logit over the masked response steps) is the
                       choice. Default target 0.75: the ideal observer of the 30 noisy steps
                       scores 81.8% (50% at c = 0, 66% at 0.032, 80% at 0.064, 95% at 0.128,
                       ~100% above), and the GRU, trained 1,500 steps, holds 79-83% on its 512
                       validation trials (sampling error ~1.8 points; single validations dip to
                       0.73). Before that it sits on a plateau (it fixates, then answers one side:
                       48-52%, transients up to 0.66) for 50-700 steps, then learns the choice
                       within a few validations; 0.75 is above the plateau and below the noise of
                       the converged level, so it times the escape from the plateau.

Initialisations (input weights P and P_z; W, W_z, b ~ U(+-1/sqrt(H)), b_z = 0, readout
U(+-1/sqrt(H)) on both sides unless said):
  uniform_h      P, P_z ~ U(+-1/sqrt(H))   the rate cell's and learned gate's own default
                                           (input_init = "uniform_h"; as nn.GRU)
  normal_fan_in  P, P_z ~ N(0, 1/F)        input_init = "normal_fan_in" on both sides: what
                                           graphs/tasks/<task>_gru.toml sets (biornn's default
                                           on these tasks)
  torch_default  the peer's nn.Linear defaults: P ~ U(+-1/sqrt(F)) with its bias, W ~
                 U(+-1/sqrt(H)), readout nn.Linear (PyTorch only: what a PyTorch user gets)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
H, BATCH, VAL, LR, EVERY, POOL = 64, 64, 512, 3e-3, 10, 120


class FlipFlop:
    name, F, O, T, target, max_steps = "flip_flop", 3, 3, 100, 0.99, 3000

    @staticmethod
    def trials(rng, n):
        import numpy as np
        pulse = rng.random((n, FlipFlop.T, FlipFlop.F)) < 0.05
        pulse[:, 0, :] = True
        sign = np.where(rng.random(pulse.shape) < 0.5, 1.0, -1.0)
        x = np.where(pulse, sign, 0.0)
        y = np.zeros_like(x)
        held = np.zeros((n, FlipFlop.F))
        for t in range(FlipFlop.T):
            held = np.where(pulse[:, t], x[:, t], held)
            y[:, t] = held
        return tensors(x, y)

    @staticmethod
    def loss(out, batch):
        import torch.nn.functional as fn
        return fn.mse_loss(out, batch[1])

    @staticmethod
    def accuracy(out, batch):
        y = batch[1]
        m = y != 0
        return float(((out > 0) == (y > 0))[m].float().mean())


class PerceptualDecision:
    name, F, O, T, target, max_steps = "perceptual_decision", 3, 3, 50, 0.75, 3000
    COHERENCES = (0.0, 0.032, 0.064, 0.128, 0.256, 0.512)
    NOISE, STIMULUS, RESPONSE, GRACE = 0.3, (5, 35), 35, 5  # 20-ms steps: stimulus 100-700 ms, response from 700 ms, its first 100 ms unscored

    @staticmethod
    def trials(rng, n):
        import numpy as np
        P = PerceptualDecision
        c = rng.choice(P.COHERENCES, n)
        choice = np.where(rng.random(n) < 0.5, 2, 1)
        signed = np.where(choice == 2, c, -c)
        x = np.zeros((n, P.T, P.F))
        x[:, :P.RESPONSE, 0] = 1.0
        s0, s1 = P.STIMULUS
        x[:, s0:s1, 1] = ((1 - signed) / 2)[:, None] + P.NOISE * rng.standard_normal((n, s1 - s0))
        x[:, s0:s1, 2] = ((1 + signed) / 2)[:, None] + P.NOISE * rng.standard_normal((n, s1 - s0))
        labels = np.zeros((n, P.T), dtype=np.int64)
        labels[:, P.RESPONSE:] = choice[:, None]
        mask = np.ones((n, P.T))
        mask[:, P.RESPONSE:P.RESPONSE + P.GRACE] = 0.0
        return tensors(x, labels, mask)

    @staticmethod
    def loss(out, batch):
        import torch.nn.functional as fn
        _, labels, mask = batch
        ce = fn.cross_entropy(out.reshape(-1, out.shape[-1]), labels.reshape(-1), reduction="none")
        return (ce * mask.reshape(-1)).sum() / mask.sum()

    @staticmethod
    def accuracy(out, batch):
        _, labels, mask = batch
        asks = ((labels > 0) & (mask > 0)).unsqueeze(-1)  # the steps that ask for a choice
        decision = (out * asks).sum(1).argmax(1)
        return float((decision == labels[:, -1]).float().mean())


TASKS = {t.name: t for t in (FlipFlop, PerceptualDecision)}


def tensors(*arrays):
    import torch
    return tuple(torch.tensor(a, dtype=torch.int64 if a.dtype.kind == "i" else torch.float32) for a in arrays)


def ours(a, seed, init):
    with tempfile.TemporaryDirectory() as d:
        cmd = [a.train, os.path.join(ROOT, "graphs/tasks/%s_gru.toml" % a.task.name), "--run-dir",
               os.path.join(d, "run"), "--set", "train.threads=1", "--set", "train.target=%g" % a.target,
               "--set", "train.target_every=%d" % EVERY, "--set", "train.lr_schedule=none",
               "--set", "train.epochs=%d" % -(-a.max_steps // POOL), "--set", "train.seed=%d" % seed,
               "--set", "train.checkpoint_every=0",
               "--set", "nodes.rnn.input_init=" + init, "--set", "nodes.rnn.gate.input_init=" + init]
        if not a.score_test:  # the peer scores no test split during the race; neither does ours
            cmd += ["--set", "nodes.data.test_trials=1"]
        cmd += [arg for kv in a.set for arg in ("--set", kv)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        if p.returncode != 0:
            sys.exit("ours failed:\n" + p.stdout[-2000:])
        with open(os.path.join(d, "run", "summary.json")) as f:
            s = json.load(f)
    # The wall clock of the training loop, its per-epoch bookkeeping (log, diagnostics,
    # metrics.csv, checkpoints, the first epoch's figures) included: what a user waits for.
    steps, secs = s.get("steps_to_target"), s.get("wall_seconds_to_target")
    reached = steps is not None and steps == steps  # NaN when not reached
    return (int(steps) if reached else None), (float(secs) if reached else None)


def simple_gru(task, init):
    import torch
    import torch.nn as nn

    class SimpleGRU(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(task.F, 2 * H)
            self.rec = nn.Linear(H, 2 * H, bias=False)
            self.out = nn.Linear(H, task.O)
            k = 1.0 / H**0.5
            if init != "torch_default":
                for p in (self.rec.weight, self.out.weight, self.out.bias):
                    nn.init.uniform_(p, -k, k)
                with torch.no_grad():
                    nn.init.uniform_(self.inp.bias[:H], -k, k)
                    self.inp.bias[H:].zero_()  # b_z = 0 (gate learned's bias_init)
                if init == "uniform_h":
                    nn.init.uniform_(self.inp.weight, -k, k)
                else:
                    nn.init.normal_(self.inp.weight, 0.0, 1.0 / task.F**0.5)

        def forward(self, x):  # [B, T, F] -> [B, T, O]
            h = torch.zeros(x.shape[0], H)
            xp = self.inp(x)
            hs = []
            for xt in xp.unbind(1):
                u, g = torch.addmm(xt, h, self.rec.weight.t()).chunk(2, 1)
                z = torch.sigmoid(g)
                h = h + z * (torch.tanh(u) - h)
                hs.append(h)
            return self.out(torch.stack(hs, 1))

    return SimpleGRU()


def peer_validations(a, seed, init):
    """Yields (step, validation accuracy, seconds since the start) every EVERY minibatches."""
    import numpy as np
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    task = a.task
    model = simple_gru(task, init)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    val = task.trials(rng, VAL)
    # Drawn before the clock starts, as our trainer's dataset is: 120 minibatches (7,680
    # trials, as many as ours cycles through), cycled.
    pool = [task.trials(rng, BATCH) for _ in range(POOL)]
    t0 = time.perf_counter()
    for step in range(1, a.max_steps + 1):
        batch = pool[(step - 1) % POOL]
        opt.zero_grad(set_to_none=True)
        task.loss(model(batch[0]), batch).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % EVERY == 0:
            with torch.no_grad():
                acc = task.accuracy(model(val[0]), val)
            yield step, acc, time.perf_counter() - t0


def peer_to_target(a, seed, init):
    for step, acc, secs in peer_validations(a, seed, init):
        if acc >= a.target:
            return step, secs
    return None, None


def peer(a, seed, init):
    """peer_to_target in a fresh process, as ours runs: the first run in a process and the later
    ones differ in glibc's malloc thresholds (1.6-2x per step here), and OpenBLAS reads its
    thread count only from the environment (torch.set_num_threads does not reach it)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--task", a.task.name, "--target", repr(a.target),
           "--max-steps", str(a.max_steps), "--peer-run", "%d:%s" % (seed, init)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if a.peer_malloc == "heap":  # its best setting: PyTorch's per-step tensors stay in glibc's heap (~40% faster)
        env.update(MALLOC_MMAP_THRESHOLD_="1073741824", MALLOC_TRIM_THRESHOLD_="1073741824")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if p.returncode != 0:
        sys.exit("peer failed:\n" + p.stdout[-2000:])
    return tuple(json.loads(p.stdout.splitlines()[-1]))


def mean(values):
    return sum(values) / len(values) if values else None


def table_row(a, side, init, res):
    ok = [r for r in res if r[0] is not None]
    m_steps, m_secs = mean([r[0] for r in ok]), mean([r[1] for r in ok])
    return "| %s | %s | %s | %s | %s | %s |" % (
        "biornn" if side == "ours" else "PyTorch", init,
        ", ".join(str(r[0]) if r[0] else ">%d" % a.max_steps for r in res),
        "%.0f" % m_steps if ok else "n/a",
        ", ".join("%.2f" % r[1] if r[1] else "-" for r in res),
        "%.2f" % m_secs if ok else "n/a")


def seconds(rows, side, init):
    """The per-seed seconds of one row, or None when a seed did not reach the target."""
    for s, i, res in rows:
        if s == side and i == init and all(r[0] is not None for r in res):
            return [r[1] for r in res]
    return None


def ratio_interval(peer_secs, our_secs):
    """PyTorch's geometric-mean seconds over ours and its 95% Welch interval, on log seconds.
    The two sides' seeds are independent draws (seed k seeds a different generator on each
    side), so the samples are compared as two groups, not seed k against seed k; no interval
    with fewer than two seeds a side."""
    import math
    from scipy import stats
    lp, lo = [math.log(x) for x in peer_secs], [math.log(x) for x in our_secs]
    d = mean(lp) - mean(lo)
    if min(len(lp), len(lo)) < 2:
        return math.exp(d), None, None
    vp, vo = (sum((x - mean(v)) ** 2 for x in v) / (len(v) - 1) / len(v) for v in (lp, lo))
    if vp + vo == 0:
        return math.exp(d), math.exp(d), math.exp(d)
    df = (vp + vo) ** 2 / (vp**2 / (len(lp) - 1) + vo**2 / (len(lo) - 1))
    h = stats.t.ppf(0.975, df) * (vp + vo) ** 0.5
    return math.exp(d), math.exp(d - h), math.exp(d + h)


def print_ratios(rows):
    """How many times faster biornn reaches the target: the same init on both sides, then each
    side's defaults (biornn: normal_fan_in, what the task graphs set; PyTorch: its nn.Linear)."""
    pairs = [("same init, " + i, i, i) for i in ("uniform_h", "normal_fan_in")]
    pairs.append(("each side's defaults (normal_fan_in vs torch_default)", "normal_fan_in", "torch_default"))
    for label, ours_init, peer_init in pairs:
        o, p = seconds(rows, "ours", ours_init), seconds(rows, "peer", peer_init)
        if not (o and p):
            continue
        g, lo, hi = ratio_interval(p, o)
        print("time-to-target: %s: PyTorch %.2f s / biornn %.2f s = %.2fx (geometric means: %.2fx%s)" % (
            label, mean(p), mean(o), mean(p) / mean(o), g, ", 95%% Welch CI [%.2f, %.2f]" % (lo, hi) if lo else ""))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=sorted(TASKS), default="flip_flop")
    ap.add_argument("--train", default=os.path.join(ROOT, "bazel-bin/runners/train"))
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--target", type=float, help="validation accuracy to reach (default: the task's)")
    ap.add_argument("--max-steps", type=int, help="give up after this many steps (default: the task's)")
    ap.add_argument("--side", default="ours,peer")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="one more override of our graph (repeatable), e.g. nodes.data.test_trials=1")
    ap.add_argument("--inits", default="uniform_h,normal_fan_in,torch_default")
    ap.add_argument("--peer-malloc", choices=["heap", "default"], default="heap",
                    help="glibc malloc for the peer: heap-keeping thresholds (its best; default) or glibc's defaults")
    ap.add_argument("--score-test", action="store_true",
                    help="let our trainer score its whole test split after every 10-step epoch (the peer never does)")
    ap.add_argument("--peer-run", help=argparse.SUPPRESS)  # SEED:INIT, one peer run (see peer())
    a = ap.parse_args()
    a.task = TASKS[a.task]
    a.target = a.task.target if a.target is None else a.target
    a.max_steps = a.task.max_steps if a.max_steps is None else a.max_steps
    return a


def main():
    a = parse_args()
    if a.peer_run:
        seed, init = a.peer_run.split(":")
        print(json.dumps(peer_to_target(a, int(seed), init)))
        return
    seeds = [int(s) for s in a.seeds.split(",") if s]
    rows = []
    for init in a.inits.split(","):
        for side in a.side.split(","):
            if side == "ours" and init == "torch_default":
                continue
            res = []
            for seed in seeds:
                steps, secs = (ours if side == "ours" else peer)(a, seed, init)
                res.append((steps, secs))
                print("time-to-target: side=%s init=%s seed=%d steps=%s seconds=%s" % (
                    side, init, seed, steps, "%.2f" % secs if secs else None), flush=True)
            rows.append((side, init, res))
    print()
    print("| side | input init | steps to %g%% (per seed) | mean steps | seconds (per seed) | mean seconds |" % (100 * a.target))
    print("|---|---|---|---:|---|---:|")
    for side, init, res in rows:
        print(table_row(a, side, init, res))
    print()
    print_ratios(rows)


if __name__ == "__main__":
    main()
