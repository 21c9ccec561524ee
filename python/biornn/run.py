"""A run directory opened from Python: its graph, summary, metrics, parameters and model."""
import csv
import json
import pathlib

import numpy as np


class Run:
    """A directory written by `train` (CLI or Python). Nothing is read until asked for."""

    def __init__(self, path, outcome=None):
        self.path = pathlib.Path(path).resolve()
        if not (self.path / "graph.toml").exists():
            raise FileNotFoundError(f"{self.path}: not a run directory (it has no graph.toml)")
        self.outcome = outcome  # what train() returned, when this object came from it

    def __repr__(self):
        return f"<biornn.Run {str(self.path)!r} status={self.status!r}>"

    # --- from this process's training -----------------------------------------------------
    @property
    def result_line(self):
        """The CLI's "result: ..." line (only for a Run returned by biornn.train)."""
        if self.outcome is None:
            raise AttributeError("result_line: only a Run returned by biornn.train() has it; see .summary")
        return self.outcome["result_line"]

    # --- from the directory ----------------------------------------------------------------
    @property
    def graph(self):
        from .graph import Graph

        return Graph.from_file(self.path / "graph.toml")

    @property
    def summary(self):
        """summary.json as a dict (status, test_accuracy, ...)."""
        with open(self.path / "summary.json") as f:
            return json.load(f)

    @property
    def status(self):
        if self.outcome is not None:
            return self.outcome["status"]
        p = self.path / "summary.json"
        return self.summary.get("status") if p.exists() else "running or killed"

    def metrics(self):
        """metrics.csv as {column: float64 array} (NaN where a value was not measured)."""
        with open(self.path / "metrics.csv", newline="") as f:
            rows = list(csv.reader(f))
        header, rows = rows[0], rows[1:]
        return {c: np.array([float(r[i]) if i < len(r) and r[i] != "" else np.nan for r in rows])
                for i, c in enumerate(header)}

    def metrics_frame(self):
        """metrics.csv as a pandas DataFrame indexed by epoch (needs python3-pandas)."""
        import pandas

        return pandas.read_csv(self.path / "metrics.csv").set_index("epoch")

    def parameters(self, raw=False):
        """parameters.npz: effective values by "<node>.<name>" (raw=True: what the optimizer updated)."""
        with np.load(self.path / "parameters.npz") as z:
            if raw:
                return {k[:-4]: z[k] for k in z.files if k.endswith(".raw")}
            return {k: z[k] for k in z.files if not k.endswith(".raw")}

    def model(self, checkpoint="last"):
        """The trained model in memory, from checkpoint.bin ("last") or checkpoint_best.bin ("best")."""
        from .model import Model

        files = {"last": "checkpoint.bin", "best": "checkpoint_best.bin"}
        if checkpoint not in files:
            raise ValueError(f"checkpoint: 'last' or 'best', got {checkpoint!r}")
        m = Model(self.graph)
        m.epochs_done = m._m.load_checkpoint(str(self.path / files[checkpoint]))
        return m


def open_run(path):
    return Run(path)
