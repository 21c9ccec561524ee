#!/usr/bin/python3
"""Optuna search over one sweep's arms: the driver of `sweep FILE --search`.

    /usr/bin/python3 tools/search/search.py runs/<sweep>/search/spec.json

spec.json is written by the sweep runner from the sweep file's [sweep.search] table (checked
there, with line:column errors). For each arm, one Optuna study named "<sweep>/<arm>" in the
spec's storage: Optuna's TPE sampler asks for the next settings (log-uniform where the space
says so), the train runner trains them into <arm>/trial_<n>/, each epoch's validation accuracy
is reported to the trial as it appears in metrics.csv, and Optuna's median pruner stops a
hopeless trial (SIGINT: the run checkpoints and stops). The trial's value is its best
validation accuracy; the test split never steers. Then <arm>/trials.csv lists every trial and
<arm>/best.toml is the best trial's resolved graph: it trains on its own; <arm>/best.json holds
its settings as --set overrides, which `sweep FILE --tuned` applies to that arm's final runs.

Storage: "sqlite:///file.db" on one machine (Optuna's RDB storage); "journal:file" when several
processes share the study, e.g. Slurm array tasks (Optuna's JournalFileStorage: appends under a
file lock, needs no database server, and works on a shared file system where SQLite's locking
does not). Run this script again with the same spec to resume: finished trials are kept, and
a trial this host left running (a killed worker) is marked failed and asked again.
"""
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib

import optuna

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def storage_of(url):
    if url.startswith("journal:"):
        return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(url[len("journal:"):]))
    return url


def make_study(spec, arm, worker):
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=spec["startup_trials"],
                                          n_warmup_steps=spec["warmup_epochs"])
              if spec["pruning"] else optuna.pruners.NopPruner())
    study = optuna.create_study(study_name=spec["sweep"] + "/" + arm["name"], storage=storage_of(spec["storage"]),
                                direction="maximize", pruner=pruner, load_if_exists=True)
    # Each worker, and each resumption, samples from its own stream (a resumed search does not
    # ask again for the settings it started with); the study they share holds every trial.
    study.sampler = optuna.samplers.TPESampler(seed=spec["seed"] * 100003 + worker * 1009 + len(study.trials))
    return study


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def fail_abandoned(study):
    """Trials this host left running in a process that is gone: failed, so they are asked again."""
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if t.user_attrs.get("host") == socket.gethostname() and not alive(t.user_attrs.get("pid", 0)):
            print(f"trial {t.number}: its process {t.user_attrs.get('pid')} is gone; marked failed", flush=True)
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)


def overrides(base_graph, params):
    """--set arguments for the trial's settings; a key inside an array (constraints[0].x) sets the whole array."""
    with open(base_graph, "rb") as f:
        graph = tomllib.load(f)
    sets, arrays = [], {}
    for key, value in params.items():
        if "[" not in key:
            sets.append(f"{key}={toml_value(value)}")
            continue
        head, rest = key.split("[", 1)
        index, field = rest.split("].", 1)
        node = graph
        for part in head.split("."):
            node = node[part]
        arrays.setdefault(head, node)[int(index)][field] = value
    sets += [f"{head}={toml_value(array)}" for head, array in arrays.items()]
    return [a for s in sets for a in ("--set", s)]


def reported_epochs(metrics_csv):
    try:
        with open(metrics_csv, newline="") as f:
            return [(int(float(r["epoch"])), float(r["validation_accuracy"])) for r in csv.DictReader(f)]
    except (OSError, KeyError, ValueError):
        return []


def stop(process):
    process.send_signal(signal.SIGINT)  # the train runner checkpoints and stops
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_trial(spec, arm, study, trial):
    """Trains the trial's settings, reporting each epoch; returns (state, value)."""
    params = {d["key"]: trial.suggest_float(d["key"], d["low"], d["high"], log=d["log"]) for d in spec["space"]}
    run_dir = os.path.join(arm["dir"], f"trial_{trial.number}")
    trial.set_user_attr("run_dir", run_dir)
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
    os.makedirs(run_dir, exist_ok=True)
    command = [spec["train"], arm["base_graph"], "--run-dir", run_dir] + overrides(arm["base_graph"], params)
    with open(os.path.join(run_dir, "train.out"), "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        seen, best = 0, None
        try:
            while True:
                done = process.poll() is not None
                for epoch, value in reported_epochs(os.path.join(run_dir, "metrics.csv"))[seen:]:
                    trial.report(value, epoch)
                    seen, best = seen + 1, value if best is None else max(best, value)
                    if trial.should_prune():
                        stop(process)
                        return optuna.trial.TrialState.PRUNED, None
                if done:
                    break
                time.sleep(0.5)
        except BaseException:
            stop(process)
            raise
    if process.returncode == 130:  # the run was stopped by Ctrl-C or SIGTERM (it saved a checkpoint)
        raise KeyboardInterrupt
    if process.returncode != 0 or best is None:
        trial.set_user_attr("error", f"train exited with {process.returncode}; see {run_dir}/train.out")
        return optuna.trial.TrialState.FAIL, None
    return optuna.trial.TrialState.COMPLETE, best


def search_arm(spec, arm, worker):
    study = make_study(spec, arm, worker)
    fail_abandoned(study)
    while True:
        trials = study.get_trials(deepcopy=False)
        taken = sum(t.state in FINISHED or t.state == optuna.trial.TrialState.RUNNING for t in trials)
        if taken >= spec["trials"]:
            break
        trial = study.ask()
        try:
            state, value = run_trial(spec, arm, study, trial)
        except KeyboardInterrupt:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            print(f"interrupted: trial {trial.number} marked failed; run the same command to resume", flush=True)
            raise
        study.tell(trial, value, state=state) if state == optuna.trial.TrialState.COMPLETE else study.tell(
            trial, state=state)
        print(f"{arm['name']}: trial {trial.number} {state.name.lower()}"
              + (f" validation_accuracy={value:.4f}" if value is not None else "") + f" {trial.params}", flush=True)
    return study


def write_results(study, arm):
    trials = study.get_trials(deepcopy=False)
    keys = sorted({k for t in trials for k in t.params})
    with open(os.path.join(arm["dir"], "trials.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["number", "state", "validation_accuracy", "epochs_reported"] + keys + ["run_dir"])
        for t in trials:
            w.writerow([t.number, t.state.name, "" if t.value is None else t.value, len(t.intermediate_values)]
                       + [t.params.get(k, "") for k in keys] + [t.user_attrs.get("run_dir", "")])
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    counts = {s.name.lower(): sum(t.state == s for t in trials) for s in optuna.trial.TrialState}
    print(f"{arm['name']}: {len(trials)} trials " + ", ".join(f"{n} {k}" for k, n in counts.items() if n), flush=True)
    if not complete:
        return
    best = study.best_trial
    with open(os.path.join(best.user_attrs["run_dir"], "graph.toml")) as f:
        graph = f.read()
    with open(os.path.join(arm["dir"], "best.toml"), "w") as f:
        f.write(f"# Best settings of Optuna study '{study.study_name}': trial {best.number}, validation accuracy "
                f"{best.value:.4f}\n# {best.params}\n{graph}")
    with open(os.path.join(arm["dir"], "best.json"), "w") as f:  # what `sweep --tuned` applies
        sets = overrides(arm["base_graph"], best.params)[1::2]
        json.dump({"study": study.study_name, "trial": best.number, "validation_accuracy": best.value,
                   "params": best.params, "set": sets}, f, indent=2)
    print(f"{arm['name']}: best trial {best.number} validation_accuracy={best.value:.4f} {best.params}; "
          f"written {os.path.join(arm['dir'], 'best.toml')}", flush=True)


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    # Ctrl-C, and SIGTERM (what Slurm sends a task it preempts), stop the search even when the
    # shell started it with SIGINT ignored: the running trial is marked failed and asked again.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    if len(sys.argv) != 2:
        sys.exit("usage: search.py runs/<sweep>/search/spec.json")
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    worker = int(os.environ.get("SLURM_ARRAY_TASK_ID", "0"))
    try:
        for arm in spec["arms"]:
            write_results(search_arm(spec, arm, worker), arm)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
