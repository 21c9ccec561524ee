"""Optuna from Python: an objective that trains a graph with the trial's settings, reports the
validation metric after each epoch (trial.report) and stops the run when Optuna prunes it.

    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner())
    study.optimize(biornn.tuning.objective("graphs/tasks/flip_flop_gru.toml",
                   lambda t: {"optimizer.learning_rate": t.suggest_float("lr", 1e-4, 1e-2, log=True)}),
                   n_trials=20)

Each trial is a run directory of its own (runs_root/<graph name>/trial_<number>), resumable
and readable with biornn.Run; its path is the trial's user attribute "run_dir". With an
Optuna storage (SQLite, a journal file) several processes, e.g. Slurm array tasks, share a study.
"""
import pathlib

from ._native import WORKSPACE
from .graph import load_graph
from .training import train


def objective(graph, space, metric="validation_accuracy", runs_root=None, prune=True, on_epoch=None):
    """An Optuna objective. space(trial) -> overrides ({"train.epochs": 3, ...}); metric: a
    column of the epoch metrics (validation_accuracy, validation_loss, train_loss, ...), the
    value reported each epoch and returned at the end. A pruned run keeps its checkpoint."""
    import optuna

    root = pathlib.Path(runs_root) if runs_root else WORKSPACE / "runs"

    def run_trial(trial):
        g = load_graph(graph, space(trial))
        pruned = []

        def report(m):
            trial.report(m[metric], m["epoch"])
            if on_epoch is not None:
                on_epoch(trial, m)
            if prune and trial.should_prune():
                pruned.append(m["epoch"])
                return True
            return False

        run = train(g, run_dir=root / g.name / f"trial_{trial.number:04d}", on_epoch=report)
        trial.set_user_attr("run_dir", str(run.path))
        if pruned:
            raise optuna.TrialPruned(f"pruned after epoch {pruned[0]} ({metric} {run.outcome['epochs'][-1][metric]:.4f})")
        if run.status == "diverged":
            raise optuna.TrialPruned(f"diverged: {run.outcome['message']}")
        return run.outcome["epochs"][-1][metric]

    return run_trial
