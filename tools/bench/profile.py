#!/usr/bin/env python3
"""Where a training step's time goes: `perf record` of runners/bench, grouped.

    tools/bench/profile.py -- --model simple_gru --hidden 128 --batches 60 --threads 1
    tools/bench/profile.py --perf-data /tmp/p.data -- --model simple_gru --steps 784 --features 1 --batches 4

Runs bazel-bin/runners/bench (build it first) under `perf record` with DNNL_JIT_PROFILE=2 so
oneDNN's JIT kernels get names (/tmp/perf-<pid>.map), then sorts samples into groups:
  GEMM         oneDNN: its JIT kernels (jit_brgemm_kernel, copy/transposition routines) and libdnnl
               (for oneDNN's RNN cells, also its RNN driver code)
  elementwise  the plugins' per-step work (cells, gates: tanh, sigmoid, products), scalar libm calls,
               oneDNN's RNN "postgemm" kernels, and core's own loops (bias add, bias-gradient
               reduction, RecurrentLayer::forward/backward bodies)
  OpenMP       libgomp: fork/join and barrier waits of the parallel regions (2 per step and more)
  memory       memset/memcpy/allocation, page faults (buffers re-zeroed or grown per minibatch)
  optimizer    Adam and the gradient clip
  setup        plugin loading, graph parsing, primitive creation, synthetic data, everything else
and prints the top functions. Valgrind/callgrind cannot run this build: it is compiled with
-march=native and valgrind 3.19 stops at the first AVX-512 (EVEX) instruction.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def group(dso, sym):
    if dso.startswith("[JIT]") and "postgemm" in sym:
        return "elementwise"  # oneDNN's fused per-step elementwise part of its RNN cells
    if dso.startswith("[JIT]") or "libdnnl" in dso:
        return "GEMM"
    if "libm.so" in dso or "libmvec" in dso:
        return "elementwise"  # scalar expf/tanhf: a loop Eigen did not vectorise
    if "libgomp" in dso:
        return "OpenMP"
    if dso.endswith("_plugin.so"):
        if any(k in sym for k in ("Adam", "Sgd", "optimizer")):
            return "optimizer"
        return "elementwise"
    if "libbiornn_core" in dso:
        if re.search(r"Adam|Sgd|Optimizer|squaredNorm", sym):
            return "optimizer"
        if re.search(r"_M_fill|memset|memcpy|aligned_allocator.*(assign|fill)|resize", sym):
            return "memory"
        if re.search(r"RecurrentLayer::(forward|backward)|Readout|dense_assignment|redux|Eigen", sym):
            return "elementwise"
        return "setup"
    if "libc" in dso and re.search(r"mem(set|move|cpy)|malloc|free|_int_", sym):
        return "memory"
    if dso.startswith("[kernel"):
        if re.search(r"page|fault|pte|memcg|clear_page|zap|lru|folio|mmap|brk", sym):
            return "memory"
        if re.search(r"futex|sched|schedule|switch|wake|tick|hrtimer|irq", sym):
            return "OpenMP"
        return "kernel"
    return "setup"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(ROOT, "bazel-bin/runners/bench"))
    ap.add_argument("--perf-data", default="/tmp/biornn_bench_perf.data")
    ap.add_argument("--frequency", default="4000")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("bench_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = [x for x in a.bench_args if x != "--"]
    if "--no-peak" not in args:
        args.append("--no-peak")  # the 1024^3 peak would dominate the profile
    env = dict(os.environ, DNNL_JIT_PROFILE="2")
    rec = subprocess.run(["perf", "record", "-F", a.frequency, "-o", a.perf_data, a.bench] + args, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stdout.write("".join(l + "\n" for l in rec.stdout.splitlines() if l.startswith(("bench:", "breakdown:"))))
    if rec.returncode != 0:
        sys.exit("perf record failed:\n" + rec.stderr)
    rep = subprocess.run(["perf", "report", "-i", a.perf_data, "--no-children", "--sort", "dso,sym", "--stdio"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line_re = re.compile(r"^\s*([0-9.]+)%\s+(\S+(?: tid \d+)?)\s+\[[.k]\]\s+(.*)$")
    rows, groups = [], {}
    for line in rep.stdout.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3).strip()
        if dso.startswith("[JIT]"):
            dso = "[JIT]"
        g = group(dso, sym)
        groups[g] = groups.get(g, 0.0) + pct
        rows.append((pct, g, dso, sym))
    n = re.search(r"# Samples: (\S+ of event '[^']*')", rep.stdout)
    print("profile: samples=%s bench %s" % (n.group(1) if n else "?", " ".join(args)))
    for g, pct in sorted(groups.items(), key=lambda kv: -kv[1]):
        print("profile: group %-12s %5.1f%%" % (g, pct))
    # Merge same-named functions (JIT kernels appear once per generated instance).
    merged = {}
    for pct, g, dso, sym in rows:
        short = re.sub(r"<.*", "<...>", sym) if len(sym) > 90 else sym
        key = (g, dso, short)
        merged[key] = merged.get(key, 0.0) + pct
    for (g, dso, sym), pct in sorted(merged.items(), key=lambda kv: -kv[1])[: a.top]:
        print("profile: %5.1f%%  %-11s %-20s %s" % (pct, g, dso[:20], sym[:110]))


if __name__ == "__main__":
    main()
