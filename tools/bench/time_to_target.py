#!/usr/bin/env python3
"""Time to a target on the 3-bit flip-flop: biornn's trainer vs a PyTorch peer of the same
equations, 1 thread each, each side with several input-weight initialisations.

    tools/bench/time_to_target.py [--seeds 1,2,3] [--target 0.99]

The model is graphs/tasks/flip_flop_gru.toml (the simple GRU: rate cell + learned update gate,
H=64, per-step linear readout, squared error, Adam 3e-3, clip 1.0, batch 64, T=100, 3 bits,
pulse probability 0.05, a pulse on every bit at step 0), with a constant learning rate on both
sides and validation (512 trials, the fraction of (step, bit) outputs with the target's sign)
every 10 minibatches: ours with train.max_batches=10 (an "epoch" of 10 steps), the peer the
same. Steps and seconds are counted to the first validation at or above the target (both sides'
seconds include their validations). The peer draws its trials from the same distribution with
numpy (not the same trials).

Initialisations (input weights P and P_z; W, W_z, b ~ U(+-1/sqrt(H)), b_z = 0, readout
U(+-1/sqrt(H)) on both sides unless said):
  uniform_h      P, P_z ~ U(+-1/sqrt(H))   biornn's default (input_init = "uniform_h"; as nn.GRU)
  normal_fan_in  P, P_z ~ N(0, 1/F)        input_init = "normal_fan_in" on both sides
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
H, F, T, BATCH, VAL, LR, EVERY = 64, 3, 100, 64, 512, 3e-3, 10


def ours(a, seed, init):
    with tempfile.TemporaryDirectory() as d:
        cmd = [a.train, os.path.join(ROOT, "graphs/tasks/flip_flop_gru.toml"), "--run-dir", os.path.join(d, "run"),
               "--set", "train.threads=1", "--set", "train.target=%g" % a.target, "--set", "train.max_batches=%d" % EVERY,
               "--set", "train.lr_schedule=none", "--set", "train.epochs=%d" % (a.max_steps // EVERY),
               "--set", "train.seed=%d" % seed, "--set", "train.checkpoint_every=0",
               "--set", "nodes.rnn.input_init=" + init, "--set", "nodes.rnn.gate.input_init=" + init]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit("ours failed:\n" + p.stdout[-2000:])
        with open(os.path.join(d, "run", "summary.json")) as f:
            s = json.load(f)
    steps, secs = s.get("steps_to_target"), s.get("seconds_to_target")
    reached = steps is not None and steps == steps  # NaN when not reached
    return (int(steps) if reached else None), (float(secs) if reached else None), wall


def peer(a, seed, init):
    import numpy as np
    import torch
    import torch.nn as nn
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    def trials(n):
        pulse = rng.random((n, T, F)) < 0.05
        pulse[:, 0, :] = True
        sign = np.where(rng.random((n, T, F)) < 0.5, 1.0, -1.0)
        x = np.where(pulse, sign, 0.0)
        y = np.zeros_like(x)
        held = np.zeros((n, F))
        for t in range(T):
            held = np.where(pulse[:, t], x[:, t], held)
            y[:, t] = held
        return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)

    class SimpleGRU(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(F, 2 * H)
            self.rec = nn.Linear(H, 2 * H, bias=False)
            self.out = nn.Linear(H, F)
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
                    nn.init.normal_(self.inp.weight, 0.0, 1.0 / F**0.5)

        def forward(self, x):  # [B, T, F] -> [B, T, F]
            h = torch.zeros(x.shape[0], H)
            xp = self.inp(x)
            hs = []
            for xt in xp.unbind(1):
                u, g = torch.addmm(xt, h, self.rec.weight.t()).chunk(2, 1)
                z = torch.sigmoid(g)
                h = h + z * (torch.tanh(u) - h)
                hs.append(h)
            return self.out(torch.stack(hs, 1))

    model = SimpleGRU()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xv, yv = trials(VAL)
    t0 = time.perf_counter()
    for step in range(1, a.max_steps + 1):
        x, y = trials(BATCH)
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % EVERY == 0:
            with torch.no_grad():
                out = model(xv)
            m = yv != 0
            acc = float(((out > 0) == (yv > 0))[m].float().mean())
            if acc >= a.target:
                return step, time.perf_counter() - t0
    return None, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=os.path.join(ROOT, "bazel-bin/runners/train"))
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--max-steps", type=int, default=3000)
    ap.add_argument("--side", default="ours,peer")
    ap.add_argument("--inits", default="uniform_h,normal_fan_in,torch_default")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",") if s]
    rows = []
    for init in a.inits.split(","):
        for side in a.side.split(","):
            if side == "ours" and init == "torch_default":
                continue
            res = []
            for seed in seeds:
                if side == "ours":
                    steps, secs, _ = ours(a, seed, init)
                else:
                    steps, secs = peer(a, seed, init)
                res.append((steps, secs))
                print("time-to-target: side=%s init=%s seed=%d steps=%s seconds=%s" % (
                    side, init, seed, steps, "%.2f" % secs if secs else None), flush=True)
            rows.append((side, init, res))
    print()
    print("| side | input init | steps to %g%% (per seed) | mean steps | seconds (per seed) | mean seconds |" % (100 * a.target))
    print("|---|---|---|---:|---|---:|")
    for side, init, res in rows:
        ok = [r for r in res if r[0] is not None]
        print("| %s | %s | %s | %s | %s | %s |" % (
            "biornn" if side == "ours" else "PyTorch", init,
            ", ".join(str(r[0]) if r[0] else ">%d" % a.max_steps for r in res),
            "%.0f" % (sum(r[0] for r in ok) / len(ok)) if ok else "n/a",
            ", ".join("%.1f" % r[1] if r[1] else "-" for r in res),
            "%.1f" % (sum(r[1] for r in ok) / len(ok)) if ok else "n/a"))


if __name__ == "__main__":
    main()
