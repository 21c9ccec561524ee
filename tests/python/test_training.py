"""Training from Python: the CLI's run directory and result line, callbacks that stop, Ctrl-C,
exceptions from callbacks and Python tasks, resuming."""
import os
import re
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import biornn
from conftest import REPO, TINY, cli_binary


def without_timing(line):
    return re.sub(r" (samples_per_second|seconds|run_dir)=\S+", "", line)


def test_same_result_line_as_cli(tmp_path, tiny_graph):
    graph_file = tmp_path / "tiny_flip_flop.toml"
    graph_file.write_text(TINY)
    cli = subprocess.run([cli_binary("train"), str(graph_file), "--run-dir", str(tmp_path / "cli")],
                         capture_output=True, text=True, check=True)
    cli_line = [l for l in cli.stdout.splitlines() if l.startswith("result:")][0]
    run = biornn.train(graph_file, run_dir=tmp_path / "py")
    assert without_timing(run.result_line) == without_timing(cli_line)
    for name in ("metrics.csv", "graph.toml", "summary.json", "parameters.npz", "checkpoint.bin", "loss.png"):
        assert (run.path / name).exists(), name
    assert run.status == "completed"


def test_run_opened_from_directory(tmp_path, tiny_graph):
    trained = biornn.train(tiny_graph, run_dir=tmp_path / "r")
    run = biornn.Run(tmp_path / "r")
    assert run.summary["status"] == "completed" and run.graph.toml == trained.graph.toml
    m = run.metrics()
    np.testing.assert_array_equal(m["epoch"], [1, 2])
    assert np.all(np.isfinite(m["train_loss"])) and m["train_loss"][1] < m["train_loss"][0]
    frame = run.metrics_frame()
    assert list(frame.index) == [1, 2] and "validation_accuracy" in frame
    effective, raw = run.parameters(), run.parameters(raw=True)
    assert effective["rnn.W"].shape == (16, 16) and effective["rnn.W"].dtype == np.float32
    assert set(raw) <= set(effective)


def test_default_run_directory_is_under_runs_root(tmp_path, tiny_graph):
    run = biornn.train(tiny_graph, {"train.epochs": 1}, runs_root=tmp_path)
    assert run.path == tmp_path / "tiny_flip_flop" / "001"


def test_callbacks_hear_epochs_and_steps_and_stop(tmp_path, tiny_graph):
    epochs, steps = [], []
    run = biornn.train(tiny_graph, {"train.epochs": 5}, run_dir=tmp_path / "r",
                       on_epoch=lambda m: epochs.append(m) or m["epoch"] == 2,
                       on_step=steps.append, every=4)
    assert [m["epoch"] for m in epochs] == [1, 2]
    assert run.status == "interrupted" and run.outcome["stopped_by_callback"]
    assert len(run.outcome["epochs"]) == 2 and (run.path / "checkpoint.bin").exists()
    assert steps and all(s["minibatch"] % 4 == 0 for s in steps) and np.isfinite(steps[0]["loss"])
    resumed = biornn.resume(run.path)
    assert resumed.status == "completed" and len(resumed.outcome["epochs"]) == 5


def test_exception_in_callback_ends_run_with_it(tmp_path, tiny_graph):
    class Mine(Exception):
        pass

    def boom(step):
        if step["minibatch"] == 3:
            raise Mine("from the callback")

    with pytest.raises(Mine, match="from the callback") as e:
        biornn.train(tiny_graph, run_dir=tmp_path / "r", on_step=boom)
    assert any(f.name == "boom" for f in e.traceback)  # the callback's own frame
    assert (tmp_path / "r" / "checkpoint.bin").exists()


def test_exception_in_python_task_ends_run_with_it(tmp_path, tiny_graph):
    with pytest.raises(RuntimeError, match="trial 77 is broken") as e:
        biornn.train(_ramp_graph("Raises"), run_dir=tmp_path / "r", on_epoch=lambda m: None)
    assert any(f.name == "trial" for f in e.traceback)


def test_python_task_wrong_shape_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"WrongShape.trial\(index=\d+\): 'x' has shape \(12, 1\), expected \(12, 2\)"):
        biornn.train(_ramp_graph("WrongShape"), run_dir=tmp_path / "r")


def test_python_task_module_missing_names_graph_position():
    g = _ramp_graph("Ramp").to_dict()
    g["nodes"]["data"]["module"] = "no_such_module"
    with pytest.raises(biornn.Error, match=r"^<string>:\d+:\d+: python_task: cannot import module 'no_such_module'"):
        biornn.Model(g)


def _ramp_graph(cls, **train):
    return biornn.Graph.from_toml(textwrap.dedent(f"""
        [train]
        epochs = 2
        batch_size = 16
        validation_size = 32
        threads = 1
        [optimizer]
        plugin = "adam"
        learning_rate = 1e-2
        [nodes.data]
        plugin = "python_task"
        module = "tiny_tasks"
        class = "{cls}"
        train_trials = 256
        test_trials = 64
        [nodes.rnn]
        plugin = "rate"
        input = "data"
        hidden = 8
        gate = {{ plugin = "learned" }}
        [nodes.readout]
        plugin = "readout"
        input = "rnn"
        pooling = "all"
        """), {f"train.{k}": v for k, v in train.items()}, name="ramp")


SIGINT_SCRIPT = """
import signal
import sys
# Python's own Ctrl-C handler, also when the test runs where SIGINT is ignored (a shell's
# background job): Python then leaves SIGINT ignored and the test would hear nothing.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {python!r})
import biornn
graph = biornn.Graph.from_toml({toml!r}, {{"train.epochs": 1000}}, name="sigint")
def started(step):
    if step["step"] == 5:
        print("started", flush=True)
try:
    biornn.train(graph, run_dir={run_dir!r}, on_step=started)
    print("finished without interruption")
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    sys.exit(42)
"""


def test_sigint_saves_checkpoint_and_raises_keyboard_interrupt(tmp_path):
    run_dir = tmp_path / "r"
    script = SIGINT_SCRIPT.format(python=str(REPO / "python"), toml=TINY, run_dir=str(run_dir))
    p = subprocess.Popen(["/usr/bin/python3", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stdout:  # the engine's log lines come first
        if line.strip() == "started":
            break
    else:
        pytest.fail("the script ended before training: " + p.stderr.read())
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 42, (out, err)
    assert "KeyboardInterrupt" in out
    assert "stopping on request" in err or "stopping on request" in (run_dir / "train.log").read_text()
    assert (run_dir / "checkpoint.bin").exists()
    assert biornn.Run(run_dir).summary["status"] == "interrupted"
