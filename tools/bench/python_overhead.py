#!/usr/bin/env python3
"""The same graph trained from Python and from the CLI: result lines (compared without their
timing fields) and samples/s; then the cost of a task written in Python per minibatch.

    nice /usr/bin/python3 tools/bench/python_overhead.py [--graph graphs/tasks/flip_flop_gru.toml] [--repeats 3]

Needs bazel-bin/runners/train and the extension (tools/python_setup.sh). A benchmark, not a
test: run it on a quiet machine; runs alternate CLI / Python so drift hits both alike.
"""
import argparse
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
import numpy as np  # noqa: E402

import biornn  # noqa: E402


def without_timing(line):
    return re.sub(r" (samples_per_second|seconds|run_dir)=\S+", "", line)


def samples_per_second(line):
    return float(re.search(r"samples_per_second=(\S+)", line).group(1))


def cli_run(graph, overrides, run_dir):
    args = [str(REPO / "bazel-bin/runners/train"), str(graph), "--run-dir", str(run_dir)]
    for o in overrides:
        args += ["--set", o]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines() if l.startswith("result:")][0]


def compare(graph, overrides, repeats, root):
    cli, py = [], []
    for r in range(repeats):
        cli.append(cli_run(graph, overrides, root / f"cli{r}"))
        py.append(biornn.train(graph, overrides, run_dir=root / f"py{r}").result_line)
    same = {without_timing(l) for l in cli + py}
    print("result lines identical (timing fields aside):", len(same) == 1)
    print("  ", without_timing(cli[0]))
    c = statistics.median(samples_per_second(l) for l in cli)
    p = statistics.median(samples_per_second(l) for l in py)
    print(f"samples/s, median of {repeats}: CLI {c:.0f}, Python {p:.0f}, Python/CLI = {p / c:.3f}")


class Pulses(biornn.Task):
    """The flip-flop written in Python (a task of the same size as the C++ one)."""

    target = "value"

    def __init__(self, steps=100, bits=3, probability=0.05):
        self.steps, self.features, self.outputs, self.p = steps, bits, bits, probability

    def trial(self, rng, index, split):
        pulses = rng.random((self.steps, self.features)) < self.p
        pulses[0] = True
        signs = np.where(rng.random((self.steps, self.features)) < 0.5, -1.0, 1.0)
        x = np.where(pulses, signs, 0.0).astype(np.float32)
        last = np.maximum.accumulate(np.where(pulses, np.arange(self.steps)[:, None], 0), axis=0)
        targets = np.take_along_axis(x, last, axis=0)
        return {"x": x, "targets": targets}


def task_overhead(batch_size, batches=50):
    task = Pulses()
    indices = np.arange(batch_size)
    start = time.perf_counter()
    for b in range(batches):
        task.batch(indices + b * batch_size, "train", 1)
    python = (time.perf_counter() - start) / batches
    model = biornn.Model(REPO / "graphs/tasks/flip_flop_gru.toml")
    start = time.perf_counter()
    for b in range(batches):
        model.trials(indices + b * batch_size, "train")
    cpp = (time.perf_counter() - start) / batches
    print(f"one minibatch of {batch_size} trials (100 steps, 3 bits): Python task {1e3 * python:.2f} ms, "
          f"C++ flip_flop {1e3 * cpp:.2f} ms (through the same Python call)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default=str(REPO / "graphs/tasks/flip_flop_gru.toml"))
    parser.add_argument("--set", action="append", default=["train.epochs=3", "train.log_every=100000"])
    parser.add_argument("--repeats", type=int, default=3)
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        compare(pathlib.Path(a.graph).resolve(), a.set, a.repeats, pathlib.Path(root))
        task_overhead(64)
        start = time.perf_counter()
        run = biornn.train({
            "train": {"epochs": 1, "batch_size": 64, "validation_size": 512, "threads": 1, "seed": 1},
            "optimizer": {"plugin": "adam", "learning_rate": 3e-3},
            "nodes": {"data": {"task": Pulses, "train_trials": 8192, "test_trials": 2048},
                      "rnn": {"plugin": "rate", "input": "data", "hidden": 64, "gate": {"plugin": "learned"}},
                      "readout": {"plugin": "readout", "input": "rnn", "pooling": "all"}}},
            {"train.log_every": 100000}, run_dir=pathlib.Path(root) / "pulses")
        print("the Python flip-flop trained one epoch:", run.result_line.split(" run_dir")[0],
              f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
