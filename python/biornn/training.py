"""Training from Python into the run directory the CLI writes (graph.toml, train.log,
metrics.csv, plots, checkpoints, parameters.npz, summary.json).

Callbacks: on_epoch(metrics) after each epoch (metrics.csv and the epoch's checkpoint are on
disk by then) and on_step(info) every `every` minibatches. A callback that returns True stops
the run at the next minibatch, which saves a checkpoint (status "interrupted", resumable).
Ctrl-C (or Jupyter's "interrupt kernel") stops the same way, then raises KeyboardInterrupt.
An exception raised in a callback ends the run with that exception, after the checkpoint.
"""
import pathlib

from ._native import WORKSPACE, native
from .graph import Graph, load_graph
from .run import Run


def train(graph, overrides=None, run_dir=None, runs_root=None, on_epoch=None, on_step=None, every=1):
    """Trains `graph` (a Graph, a path, TOML text or a dict) and returns its Run.

    run_dir: where to write (created if absent); default runs_root/<graph name>/<NNN>/ with
    runs_root defaulting to <workspace>/runs, as for `bazel run //runners:train`.
    """
    g = load_graph(graph, overrides)
    if run_dir is None:
        root = pathlib.Path(runs_root) if runs_root else WORKSPACE / "runs"
        run_dir = native.new_run_directory(str(root.resolve()), g.name)
    return _execute(g, pathlib.Path(run_dir).resolve(), False, on_epoch, on_step, every)


def resume(run_dir, on_epoch=None, on_step=None, every=1):
    """Continues an interrupted run from its checkpoint.bin, to the numbers of a run never stopped."""
    run_dir = pathlib.Path(run_dir).resolve()
    g = Graph.from_file(run_dir / "graph.toml")
    return _execute(g, run_dir, True, on_epoch, on_step, every)


def _execute(g, run_dir, resume_run, on_epoch, on_step, every):
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every: a number of minibatches >= 1, got {every!r}")
    for name, f in (("on_epoch", on_epoch), ("on_step", on_step)):
        if f is not None and not callable(f):
            raise TypeError(f"{name}: expected a callable, got {type(f).__name__}")
    outcome = native.train(g._g, str(run_dir), resume_run, on_step, every, on_epoch)
    return Run(outcome["run_dir"], outcome=outcome)
