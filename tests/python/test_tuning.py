"""Optuna from Python: the objective reports each epoch and Optuna prunes."""
import optuna

import biornn
from conftest import TINY


def test_optuna_study_prunes(tmp_path):
    graph = biornn.Graph.from_toml(TINY, {"train.epochs": 3}, name="tune")
    reported = []

    def space(trial):
        return {"optimizer.learning_rate": trial.suggest_float("lr", 1e-4, 3e-2, log=True)}

    objective = biornn.tuning.objective(graph, space, metric="validation_accuracy", runs_root=tmp_path,
                                        on_epoch=lambda trial, m: reported.append((trial.number, m["epoch"])))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=1),
                                pruner=optuna.pruners.ThresholdPruner(lower=0.62, n_warmup_steps=0))
    for lr in (1e-2, 1e-4):
        study.enqueue_trial({"lr": lr})
    study.optimize(objective, n_trials=2)
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED], [
        (t.params, t.intermediate_values) for t in study.trials]
    assert study.best_trial.number == 0 and study.best_value > 0.62
    pruned = study.trials[1]
    assert max(pruned.intermediate_values) < 3  # stopped before the last epoch
    assert (tmp_path / "tune" / "trial_0001" / "checkpoint.bin").exists()
    assert [e for n, e in reported if n == 0] == [1, 2, 3]
