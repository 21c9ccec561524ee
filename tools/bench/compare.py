#!/usr/bin/env python3
"""Alternates runners/bench (ours) and tools/bench/peers.py (PyTorch) and writes a Markdown table.

Called by tools/bench/run.sh after it has built //runners:bench; needs no torch itself (the
peers run under PEER_PYTHON, Debian's /usr/bin/python3 by default). For every shape and model:
    round 1: ours, peers;  round 2: ours, peers;  ...
and each side keeps its better round (machine noise only ever slows a run down). The peers
run at their best OpenBLAS setting: by default (--peer-coretype best) torch.mm is timed with
OPENBLAS_CORETYPE unset (OpenBLAS detects the CPU) and with each kernel set in CORETYPE_CANDIDATES,
and the peers run under the fastest. (Debian's OpenBLAS 0.3.21 does not know recent Xeons and
falls back to SSE3 `Prescott` kernels, ~15x slower than its AVX-512 ones.)
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# name, T, F, hidden, batch, our timed minibatches, peer timed minibatches, peer warm-up,
# floating-point modes (FTZ only where denormals matter: at T=28 both sides run the same with
# and without it, within noise; --fp-all-shapes runs both everywhere)
SHAPES = [
    ("rows", 28, 28, 128, 128, 40, 30, 5, ("ieee",)),
    ("rows", 28, 28, 512, 128, 20, 10, 3, ("ieee",)),
    ("pixels", 784, 1, 128, 128, 6, 3, 2, ("ieee", "ftz")),
]
# Pixel-wise MNIST without FTZ: BPTT over 784 steps drives gradients into denormal floats and a
# PyTorch step takes ~15 s (ours ~5 s): there the peers run 1 warm-up + 1 timed minibatch and
# only the plain loops and nn.GRU (TorchScript needs 2 warm-up runs to optimise; its FTZ row
# shows it). Keyed by (shape name, T).
DEFAULT_FP_PEERS = {("pixels", 784): (1, 1, "simple_gru_loop,varying_dale_loop,nn_gru")}
MODELS = ["simple_gru", "varying_dale", "gru"]
# --bf16: ours in fp32 and in bf16 (train.precision) next to the fastest PyTorch peer (the
# careful loop, TorchScript, or the loop under torch.autocast bf16), simple GRU, FTZ on both
# sides (our trainer's default). Few minibatches: a short run.
BF16_SHAPES = [
    ("rows", 28, 28, 128, 128, 20, 10, 2),
    ("rows", 28, 28, 256, 128, 12, 6, 2),
    ("rows", 28, 28, 512, 128, 6, 3, 1),
    ("rows", 28, 28, 1024, 128, 4, 2, 1),
    ("pixels", 784, 1, 128, 128, 3, 2, 1),
]
BF16_PEERS = "simple_gru_loop,simple_gru_script,simple_gru_loop_bf16"
CORETYPE_CANDIDATES = ["", "SkylakeX", "Haswell"]  # "" = unset


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        name = re.search(r"model name\s*:\s*(.*)", info).group(1).strip()
        model = re.search(r"^model\s*:\s*(\d+)", info, re.M).group(1)
        family = re.search(r"^cpu family\s*:\s*(\d+)", info, re.M).group(1)
        return "%s (family %s model %s)" % (name, family, model)
    except (OSError, AttributeError):
        return platform.machine()


def cpu_idle(seconds=2.0):
    """Fraction of all cores idle over the next `seconds` (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    i0, t0 = snap()
    time.sleep(seconds)
    i1, t1 = snap()
    return (i1 - i0) / max(1, t1 - t0)


def wait_idle(a):
    """With --wait-idle F: wait (up to --max-wait s) until at least F of the CPU is idle; returns the idle seen."""
    if a.wait_idle <= 0:
        return cpu_idle(0.5)
    deadline = time.time() + a.max_wait
    idle = cpu_idle()
    while idle < a.wait_idle and time.time() < deadline:
        time.sleep(5)
        idle = cpu_idle()
    return idle


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(v) for v in f.read().split()[:3]]


def fields(line, prefix):
    return dict(kv.split("=", 1) for kv in line[len(prefix):].split() if "=" in kv)


def run(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


def run_ours(a, model, T, F, H, B, batches, ftz, precision="fp32"):
    """Ours at each of --threads; returns the fastest run's fields (like the peers' best)."""
    best, msg = None, None
    for t in [int(x) for x in str(a.threads).split(",") if x]:
        cmd = [a.bench, "--model", model, "--hidden", str(H), "--steps", str(T), "--features", str(F), "--batch",
               str(B), "--batches", str(batches), "--threads", str(t), "--precision", precision,
               "--warmup", "2" if a.bf16 else "3"] + (["--ftz"] if ftz else ["--no-ftz"])
        rc, out, err = run(cmd)
        line = next((l for l in out.splitlines() if l.startswith("bench: ")), None)
        if line is None:
            msg = (err.strip().splitlines() or ["exit %d" % rc])[-1]
            continue
        r = fields(line, "bench: ")
        if best is None or sps(r) > sps(best):
            best = r
    return best, (None if best else msg)


PEER_CORETYPE = ""  # --peer-coretype


def peer_env():
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if PEER_CORETYPE:
        env["OPENBLAS_CORETYPE"] = PEER_CORETYPE
    return env


# glibc keeps PyTorch's per-step tensors in its heap instead of mapping and unmapping them (and
# page-faulting them in) every step: up to 1.7x faster peers at H=512, none at H=128 (measured
# 2026-12-05). Each peer runs with glibc's defaults and with these, and its faster run counts
# (its name then ends in "+heap").
HEAP_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "1073741824", "MALLOC_TRIM_THRESHOLD_": "1073741824"}


def run_peers(a, model, T, F, H, B, batches, warmup, ftz, subset=""):
    cmd = [a.peer_python, os.path.join(HERE, "peers.py"), "--model", model, "--hidden", str(H), "--steps", str(T),
           "--features", str(F), "--batch", str(B), "--batches", str(batches), "--warmup", str(warmup),
           "--threads", a.peer_threads] + (["--ftz"] if ftz else []) + (["--peers", subset] if subset else [])
    results, error = [], None
    for heap in ([False, True] if a.peer_malloc == "both" else [a.peer_malloc == "heap"]):
        env = peer_env()
        if heap:
            env.update(HEAP_MALLOC)
        rc, out, err = run(cmd, env=env)
        best = [fields(l, "peer-best: ") for l in out.splitlines() if l.startswith("peer-best: ")]
        if rc != 0 or not best:
            error = (err.strip().splitlines() or ["exit %d" % rc])[-1]
        for r in best:
            r["name"] += "+heap" if heap else ""
        results += best
    return (results or None), (None if results else error)


def sps(r):
    return float(r["samples_per_second"])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bench", default=os.path.join(ROOT, "bazel-bin/runners/bench"))
    ap.add_argument("--peer-python", default=os.environ.get("PEER_PYTHON", "/usr/bin/python3"))
    ap.add_argument("--peer-malloc", choices=["both", "default", "heap"], default="both",
                    help="glibc malloc for the peers: its defaults, the heap-keeping thresholds (HEAP_MALLOC), or "
                         "both with the faster counting (default)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", default="1,2",
                    help="our compute threads, comma-separated: each is run and the faster kept (as for the peers)")
    ap.add_argument("--peer-threads", default="1,2", help="the peers run at each; the faster is kept")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--shapes", default="", help="subset of shape indices, e.g. 0,2 (default: all)")
    ap.add_argument("--fp", default="ieee,ftz",
                    help="floating-point modes to run, each for both sides: ieee (denormals kept: bench --no-ftz, "
                         "PyTorch's default) and/or ftz (flushed to zero: bench --ftz, torch.set_flush_denormal; "
                         "what our trainer does by default)")
    ap.add_argument("--peer-coretype", default="best",
                    help="OPENBLAS_CORETYPE for the peers: 'best' (default: the setting, unset or one of %s, "
                         "under which torch.mm is fastest here), 'unset', or a kernel name such as SkylakeX"
                         % ",".join(c for c in CORETYPE_CANDIDATES if c))
    ap.add_argument("--wait-idle", type=float, default=0.9,
                    help="before each run wait until this fraction of the CPU is idle (others' work); 0: never wait")
    ap.add_argument("--max-wait", type=float, default=600, help="longest wait for --wait-idle, seconds")
    ap.add_argument("--fp-all-shapes", action="store_true", help="run every --fp mode at every shape")
    ap.add_argument("--quick", action="store_true", help="few minibatches (a smoke test, not a measurement)")
    ap.add_argument("--memory", action="store_true", help="also run bench --memory for each model")
    ap.add_argument("--bf16", action="store_true",
                    help="the bf16 table instead: simple GRU at H = 128..1024 row-wise and pixel-wise T=784, "
                         "ours in fp32 and bf16 next to the fastest PyTorch peer (torch.autocast bf16 included), "
                         "with each precision's share of its own matmul peak")
    ap.add_argument("--out", default=os.path.join(HERE, "last_results.md"))
    a = ap.parse_args()
    if a.bf16 and a.out == os.path.join(HERE, "last_results.md"):
        a.out = os.path.join(HERE, "last_results_bf16.md")
    global PEER_CORETYPE
    models = [m for m in a.models.split(",") if m]
    shapes = [SHAPES[int(i)] for i in a.shapes.split(",") if i] if a.shapes else SHAPES

    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    load_start = loadavg()
    load_seen, idle_seen = [], []
    # Context for the peers: torch version, the BLAS it really loads, torch.mm peak, for each
    # OpenBLAS setting tried; the peers then run under the fastest.
    def probe(coretype):
        global PEER_CORETYPE
        PEER_CORETYPE = coretype
        rc, out, err = run([a.peer_python, "-c", "import torch, re; c = torch.__config__.show(); print(torch.__version__, "
                            "'BLAS_INFO=' + (re.findall(r'BLAS_INFO=([^,]*)', c) or ['?'])[0], "
                            "'oneDNN=' + (re.findall(r'MKL-DNN v([0-9.]+)', c) or ['?'])[0])"], env=peer_env())
        info = ("torch " + out.strip()) if rc == 0 else "torch not importable by %s: run tools/bench/setup.sh" % a.peer_python
        rc, out, err = run([a.peer_python, os.path.join(HERE, "peers.py"), "--model", "simple_gru", "--batches", "1",
                            "--warmup", "0", "--steps", "2", "--peers", "simple_gru_loop", "--mm-peak",
                            "--threads", a.peer_threads], env=peer_env())
        pinfo = next((l[len("peer-info: "):] for l in out.splitlines() if l.startswith("peer-info: ")), "")
        mm = {fields(l, "peer-mm: ")["threads"]: fields(l, "peer-mm: ")["torch_mm_1024_gflops"]
              for l in out.splitlines() if l.startswith("peer-mm: ")}
        return info, pinfo, mm

    if a.peer_coretype == "best":
        tried = {c: probe(c) for c in CORETYPE_CANDIDATES}
        best_mm = lambda c: max([float(v) for v in tried[c][2].values()] or [0.0])
        chosen = max(CORETYPE_CANDIDATES, key=best_mm)
        coretype_note = "the fastest torch.mm of %s: %s" % (
            ", ".join("%s %.1f GFLOP/s" % (c or "unset", best_mm(c)) for c in CORETYPE_CANDIDATES),
            chosen or "unset (OpenBLAS detects the CPU itself)")
    else:
        chosen = "" if a.peer_coretype == "unset" else a.peer_coretype
        tried = {chosen: probe(chosen)}
        coretype_note = chosen or "unset (OpenBLAS detects the CPU itself)"
    torch_info, peer_info, torch_mm = tried[chosen]
    PEER_CORETYPE = chosen
    print("peers: OPENBLAS_CORETYPE %s" % coretype_note, file=sys.stderr, flush=True)

    if a.bf16:
        return bf16_table(a, started, load_start, coretype_note, torch_info, peer_info, torch_mm)

    rows, all_peers = [], []
    fps = ["ieee" if m == "default" else m for m in a.fp.split(",") if m]
    jobs = []
    for (seq, T, F, H, B, ours_n, peers_n, peers_w, shape_fps) in shapes:
        if a.quick:
            ours_n, peers_n, peers_w = max(2, ours_n // 10), max(1, peers_n // 10), 1
        for fp in fps:
            if fp not in shape_fps and not a.fp_all_shapes:
                continue
            n, w, subset = peers_n, peers_w, ""
            if fp == "ieee" and (seq, T) in DEFAULT_FP_PEERS:
                n, w, subset = DEFAULT_FP_PEERS[(seq, T)]
            for model in models:
                jobs.append((seq, T, F, H, B, ours_n, n, w, fp == "ftz", model, subset))
    for (seq, T, F, H, B, ours_n, peers_n, peers_w, ftz, model, subset) in jobs:
        shape = "%s T=%d F=%d H=%d B=%d%s" % (seq, T, F, H, B, ", FTZ" if ftz else "")
        ours, peers, errors = [], [], []
        for rnd in range(a.rounds):
            load_seen.append(loadavg()[0])
            idle_seen.append(wait_idle(a))
            o, e = run_ours(a, model, T, F, H, B, ours_n, ftz)
            if o: ours.append(o)
            elif e: errors.append("ours: " + e)
            load_seen.append(loadavg()[0])
            idle_seen.append(wait_idle(a))
            p, e = run_peers(a, model, T, F, H, B, peers_n, peers_w, ftz, subset)
            if p: peers.append(p)
            elif e: errors.append("peers: " + e)
            print("[%s] %s %s round %d: ours %s | peers %s" % (
                time.strftime("%H:%M:%S"), model, shape, rnd + 1,
                "%.0f/s" % sps(o) if o else "failed",
                ", ".join("%s@%s %.0f/s" % (r["name"], r["threads"], sps(r)) for r in p) if p else "failed"),
                file=sys.stderr, flush=True)
            if not o and not p:
                break  # both sides failed: a second round would too
        best_ours = max(ours, key=sps) if ours else None
        best_by_peer = {}
        for rnd in peers:
            for r in rnd:
                if r["name"] not in best_by_peer or sps(r) > sps(best_by_peer[r["name"]]):
                    best_by_peer[r["name"]] = r
        # This table is fp32 against fp32: the autocast peers (_bf16) belong to the --bf16 table.
        baseline = [r for r in best_by_peer.values() if not r["name"].split("+")[0].endswith("_bf16")]
        best_peer = max(baseline, key=sps) if baseline else None
        rows.append((model, shape, best_ours, best_peer, ours, errors))
        for r in best_by_peer.values():
            all_peers.append((model, shape, r, best_ours))

    load_end = loadavg()
    md = []
    md.append("## Training speed: biornn vs PyTorch (%s)" % started)
    md.append("")
    md.append("Synthetic data, one training step = forward + BPTT + clip_grad_norm(1.0) + Adam(1e-3); "
              "%d alternating rounds (ours, peers, ...), better round of each side kept. "
              "Ours at %s threads, PyTorch peers at %s threads; each side keeps its faster setting." %
              (a.rounds, a.threads, a.peer_threads))
    md.append("Machine: %s, %d cores; load average %s at start, %s at end, 1-min load seen before runs: max %.2f, "
              "median %.2f%s." % (
                  cpu_name(), os.cpu_count(),
                  "/".join("%.2f" % v for v in load_start), "/".join("%.2f" % v for v in load_end),
                  max(load_seen) if load_seen else 0, sorted(load_seen)[len(load_seen) // 2] if load_seen else 0,
                  " (QUICK smoke run: not a measurement)" if a.quick else ""))
    md.append("CPU idle measured just before each run (2 s sample; --wait-idle %.2f): min %.0f%%, median %.0f%%." % (
        a.wait_idle, 100 * min(idle_seen or [0]), 100 * (sorted(idle_seen)[len(idle_seen) // 2] if idle_seen else 0)))
    md.append("Peers' OPENBLAS_CORETYPE: %s." % coretype_note)
    md.append("PyTorch: %s; %s; torch.mm 1024^3 GFLOP/s: %s." % (
        torch_info, peer_info or "peers not run",
        ", ".join("%s thr %s" % (k, v) for k, v in sorted(torch_mm.items())) or "n/a"))
    md.append("Shapes marked FTZ ran both sides with denormal floats flushed to zero (bench --ftz, "
              "torch.set_flush_denormal(True); our trainer's default, train.flush_denormals); the others "
              "both with IEEE denormals (bench --no-ftz; PyTorch's default).")
    md.append("")
    md.append("| model | shape | ours samples/s (threads) | best PyTorch peer (threads) | peer samples/s | ours / peer | "
              "our step GFLOP/s | % of matmul peak (peak GFLOP/s) |")
    md.append("|---|---|---:|---|---:|---:|---:|---:|")
    for model, shape, o, p, ours, errors in rows:
        if o is None and p is None:
            md.append("| %s | %s | n/a | n/a | | | | | <!-- %s -->" % (model, shape, "; ".join(errors)))
            continue
        ours_s = "%.0f (%s)" % (sps(o), o["threads"]) if o else "n/a (%s)" % (errors[0] if errors else "failed")
        peer_s = "%s (%s)" % (p["name"], p["threads"]) if p else "n/a"
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            model, shape, ours_s, peer_s, "%.0f" % sps(p) if p else "",
            "%.2fx" % (sps(o) / sps(p)) if o and p else "",
            "%.1f" % float(o["step_gflops"]) if o else "",
            "%.1f%% (%.0f)" % (100 * float(o["peak_fraction"]), float(o["matmul_peak_gflops"])) if o else ""))
    # Where a shape ran in both modes: each side as it ships (ours flushes denormals by default,
    # train.flush_denormals; PyTorch keeps them unless told torch.set_flush_denormal(True)).
    by_key = {(m, sh): (o, p) for m, sh, o, p, _, _ in rows}
    defaults = []
    for m, sh, o, p, _, _ in rows:
        if not sh.endswith(", FTZ"):
            continue
        ours_ftz = o
        peer_ieee = by_key.get((m, sh[:-len(", FTZ")]), (None, None))[1]
        if ours_ftz and peer_ieee:
            defaults.append("| %s | %s | %.0f | %s (%s) | %.0f | %.2fx |" % (
                m, sh[:-len(", FTZ")], sps(ours_ftz), peer_ieee["name"], peer_ieee["threads"], sps(peer_ieee),
                sps(ours_ftz) / sps(peer_ieee)))
    if defaults:
        md.append("")
        md.append("Each side at its default floating-point mode (ours flushes denormals, `train.flush_denormals = true`; "
                  "PyTorch keeps IEEE denormals unless a user calls `torch.set_flush_denormal(True)`). The table "
                  "above, both sides in the same mode, is the fair comparison; this one is what users get "
                  "out of the box:")
        md.append("")
        md.append("| model | shape | ours, FTZ (default) | PyTorch peer, IEEE (default) | peer samples/s | ours / peer |")
        md.append("|---|---|---:|---|---:|---:|")
        md.extend(defaults)
    md.append("")
    md.append("Every PyTorch peer (its better thread count):")
    md.append("")
    md.append("| model | shape | peer | threads | samples/s | ours / peer |")
    md.append("|---|---|---|---:|---:|---:|")
    for model, shape, r, o in all_peers:
        md.append("| %s | %s | %s | %s | %.0f | %s |" % (model, shape, r["name"], r["threads"], sps(r),
                                                      "%.2fx" % (sps(o) / sps(r)) if o else ""))
    md.append("")
    md.append("Our runs (every round): " + "; ".join(
        "%s %s: %s" % (m, s, ", ".join("%.0f/s@%s %s GFLOP/s rss %s MB" % (sps(x), x["threads"], x["step_gflops"],
                                                                          x["peak_rss_mb"])
                                     for x in ours) or "-") for m, s, _, _, ours, _ in rows))
    if a.memory:
        md.append("")
        md.append("BPTT memory vs T (`bench --memory`, a fresh process per T, row-wise F=28, H=128, B=128):")
        md.append("")
        md.append("```")
        for model in models:
            rc, out, err = run([a.bench, "--model", model, "--memory", "--threads", "1"])
            md.extend(l for l in out.splitlines() if l.startswith("memory: "))
            if rc != 0:
                md.append("memory: model=%s failed: %s" % (model, (err.strip().splitlines() or ["?"])[-1]))
        md.append("```")
    text = "\n".join(md) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print(text)


def bf16_table(a, started, load_start, coretype_note, torch_info, peer_info, torch_mm):
    shapes = [BF16_SHAPES[int(i)] for i in a.shapes.split(",") if i] if a.shapes else BF16_SHAPES
    model = "simple_gru"
    rows, load_seen, idle_seen = [], [], []
    for (seq, T, F, H, B, ours_n, peers_n, peers_w) in shapes:
        if a.quick:
            ours_n, peers_n, peers_w = 2, 1, 1
        shape = "%s T=%d H=%d" % (seq, T, H)
        best = {"fp32": None, "bf16": None}
        peer_best = {}
        for rnd in range(a.rounds):
            for prec in ("fp32", "bf16"):
                load_seen.append(loadavg()[0])
                idle_seen.append(wait_idle(a))
                o, e = run_ours(a, model, T, F, H, B, ours_n, True, prec)
                if o and (best[prec] is None or sps(o) > sps(best[prec])):
                    best[prec] = o
                if e:
                    print("ours %s failed: %s" % (prec, e), file=sys.stderr, flush=True)
            load_seen.append(loadavg()[0])
            idle_seen.append(wait_idle(a))
            p, e = run_peers(a, model, T, F, H, B, peers_n, peers_w, True, BF16_PEERS)
            for r in p or []:
                if r["name"] not in peer_best or sps(r) > sps(peer_best[r["name"]]):
                    peer_best[r["name"]] = r
            if e:
                print("peers failed: %s" % e, file=sys.stderr, flush=True)
            print("[%s] %s round %d: fp32 %s, bf16 %s | peers %s" % (
                time.strftime("%H:%M:%S"), shape, rnd + 1,
                "%.0f/s" % sps(best["fp32"]) if best["fp32"] else "-", "%.0f/s" % sps(best["bf16"]) if best["bf16"] else "-",
                ", ".join("%s@%s %.0f/s" % (r["name"], r["threads"], sps(r)) for r in (p or []))), file=sys.stderr, flush=True)
        fastest = max(peer_best.values(), key=sps) if peer_best else None
        rows.append((shape, best["fp32"], best["bf16"], fastest, peer_best))
    md = ["## bf16 vs fp32 vs PyTorch, simple GRU, B=128, FTZ (%s)" % started, ""]
    md.append("Machine: %s, %d cores; load average %s at start, %s at end; 1-min load before runs: max %.2f. "
              "CPU idle before runs: min %.0f%%, median %.0f%%%s." % (
                  cpu_name(), os.cpu_count(), "/".join("%.2f" % v for v in load_start),
                  "/".join("%.2f" % v for v in loadavg()), max(load_seen or [0]), 100 * min(idle_seen or [0]),
                  100 * (sorted(idle_seen)[len(idle_seen) // 2] if idle_seen else 0),
                  " (QUICK smoke run: not a measurement)" if a.quick else ""))
    md.append("%d round(s), each side's best kept; ours at %s threads, peers at %s. Peers: %s (the fastest counts; "
              "`_bf16` = the loop under torch.autocast(\"cpu\", bfloat16)). Peers' OPENBLAS_CORETYPE: %s. "
              "PyTorch: %s; torch.mm 1024^3 GFLOP/s: %s." % (
                  a.rounds, a.threads, a.peer_threads, BF16_PEERS, coretype_note, torch_info,
                  ", ".join("%s thr %s" % (k, v) for k, v in sorted(torch_mm.items())) or "n/a"))
    md.append("Matmul peaks: oneDNN 1024^3 in the same bench process, fp32 and bf16 (operands already bf16).")
    md.append("")
    md.append("| shape | biornn fp32 | biornn bf16 | bf16 / fp32 | fastest PyTorch peer | peer samples/s | "
              "bf16 / peer | fp32 / peer | fp32: % of fp32 peak (GFLOP/s) | bf16: % of bf16 peak (GFLOP/s) |")
    md.append("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for shape, f, b, p, _ in rows:
        def r(x, y):
            return "%.2fx" % (sps(x) / sps(y)) if x and y else ""
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            shape, "%.0f (%s)" % (sps(f), f["threads"]) if f else "n/a", "%.0f (%s)" % (sps(b), b["threads"]) if b else "n/a",
            r(b, f), "%s (%s)" % (p["name"], p["threads"]) if p else "n/a", "%.0f" % sps(p) if p else "",
            r(b, p), r(f, p),
            "%.0f%% (%.0f)" % (100 * float(f["peak_fraction"]), float(f["matmul_peak_gflops"])) if f else "",
            "%.0f%% (%.0f)" % (100 * float(b["peak_fraction"]), float(b["matmul_peak_bf16_gflops"])) if b else ""))
    md.append("")
    md.append("Every peer: " + "; ".join("%s: %s" % (shape, ", ".join("%s@%s %.0f/s" % (n, r["threads"], sps(r))
                                                                   for n, r in sorted(pb.items())))
                                      for shape, _, _, _, pb in rows))
    text = "\n".join(md) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
