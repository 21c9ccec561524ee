"""Tasks written in Python: seeded by trial index (same trials in any batch and at 1 or 2
threads), trained and analysed; the NeuroGym-style adapter with a small environment."""
import json

import numpy as np

import biornn
from test_training import _ramp_graph


def test_same_seed_same_trials_in_any_batch_and_thread_count():
    one = biornn.Model(_ramp_graph("Ramp", threads=1))
    two = biornn.Model(_ramp_graph("Ramp", threads=2))
    a = one.trials([5, 6, 7, 8])
    b = two.trials([8, 7, 6, 5])  # another order and batch
    c = two.trials([7])
    for key in ("x", "targets", "mask"):
        assert a[key].tobytes() == b[key][:, ::-1].tobytes(), key
        np.testing.assert_array_equal(a[key][:, 2], c[key][:, 0])
    other_seed = biornn.Model(_ramp_graph("Ramp").with_overrides({"nodes.data.seed": 2}))
    assert not np.array_equal(other_seed.trials([5, 6, 7, 8])["x"], a["x"])
    assert not np.array_equal(one.trials([5], "test")["x"], one.trials([5], "train")["x"])


def test_python_task_trains_and_is_analysed(tmp_path):
    run = biornn.train(_ramp_graph("Ramp", epochs=6), run_dir=tmp_path / "r")
    curve = run.metrics()["validation_accuracy"]
    assert curve[-1] > curve[0] + 0.4, curve  # steps within 0.1 of the target (the default score)
    a = run.model().activity(trials=64)
    assert a["rates"].shape == (12, 64, 8) and set(a["conditions"]) == {"sign"}
    sign = a["conditions"]["sign"]
    late = a["outputs"][-1, :, 0]
    assert np.mean(np.sign(late) == sign) > 0.9


def test_neurogym_style_environment(tmp_path):
    from tiny_tasks import TwoChoiceEnv

    task = biornn.NeuroGymTask(TwoChoiceEnv)
    assert (task.steps, task.features, task.outputs) == (13, 3, 3)
    t = task.trial(biornn.Task.rng(1, "train", 0), 0, "train")
    assert t["x"].shape == (13, 3) and t["mask"].sum() in (11, 12, 13)
    again = task.trial(biornn.Task.rng(1, "train", 0), 0, "train")
    assert all(np.array_equal(t[k], again[k]) for k in t)
    g = _ramp_graph("Ramp", epochs=20).to_dict()  # 8 epochs left the choice at chance for some seeds' streams
    g["nodes"]["data"].update({"module": "biornn.tasks", "class": "NeuroGymTask",
                               "arguments": json.dumps({"env": "tiny_tasks:TwoChoiceEnv"})})
    run = biornn.train(g, run_dir=tmp_path / "r")
    assert run.metrics()["validation_accuracy"][-1] > 0.8
    a = run.model().activity(trials=64)
    assert a["decisions"].shape == (64,) and np.mean(a["decisions"] == a["labels"].max(axis=0)) > 0.8


def test_activity_carries_periods_and_condition_kinds():
    g = biornn.Graph.from_toml("""
[train]
batch_size = 8
[optimizer]
plugin = "adam"
[nodes.data]
plugin = "perceptual_decision"
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 6
[nodes.readout]
plugin = "readout"
input = "rnn"
pooling = "all"
""", name="periods")
    a = biornn.Model(g).activity(trials=8)
    assert a["condition_kinds"] == {"coherence": "signed evidence"}
    assert a["period_names"] == ["fixation", "stimulus", "response"]
    periods = a["periods"]
    assert periods.shape == a["mask"].shape and periods[0].max() == 0 and periods[-1].min() == 2
    assert (np.diff(periods, axis=0) >= 0).all()
