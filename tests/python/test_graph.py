"""Graphs from files, TOML text and dicts; overrides; the CLI's errors as exceptions."""
import pytest

import biornn
from conftest import REPO


def test_file_with_overrides():
    g = biornn.Graph.from_file(REPO / "graphs/tasks/flip_flop_gru.toml", {"train.epochs": 3, "nodes.rnn.hidden": 8})
    assert g.name == "flip_flop_gru"
    assert g.train["epochs"] == 3 and g.layers[0]["hidden"] == 8
    assert g.layers[0]["gate"]["plugin"] == "learned"
    assert "epochs = 3" in g.toml


def test_dict_equals_toml(tiny_graph):
    d = tiny_graph.to_dict()
    g = biornn.Graph.from_dict(d)
    assert g.toml == tiny_graph.toml


def test_list_overrides_like_the_cli(tiny_toml):
    g = biornn.Graph.from_toml(tiny_toml, ["train.seed=9", "nodes.rnn.gate.plugin=fixed"])
    assert g.train["seed"] == 9 and g.layers[0]["gate"]["plugin"] == "fixed"


def test_error_carries_position(tiny_toml):
    bad = tiny_toml.replace('plugin = "rate"', 'plugin = "rat"')
    with pytest.raises(biornn.Error) as e:
        biornn.Graph.from_toml(bad)
    message = str(e.value)
    line = bad.splitlines().index('plugin = "rat"') + 1
    assert message.startswith(f"<string>:{line}:"), message
    assert "rat" in message and "rate" in message  # names the known cells
    assert "\n" not in message


def test_file_error_names_file(tmp_path, tiny_toml):
    p = tmp_path / "bad.toml"
    p.write_text(tiny_toml.replace("hidden = 16", "hidden = -4"))
    with pytest.raises(ValueError) as e:  # biornn.Error is a ValueError
        biornn.Graph.from_file(p)
    assert str(e.value).startswith(f"{p}:"), str(e.value)


def test_override_error_names_the_override(tiny_toml):
    with pytest.raises(biornn.Error, match=r"--set train\.epochs=-1"):
        biornn.Graph.from_toml(tiny_toml, {"train.epochs": -1})


def test_python_task_from_dict():
    from tiny_tasks import Ramp

    g = biornn.Graph.from_dict({
        "train": {"epochs": 1},
        "optimizer": {"plugin": "adam"},
        "nodes": {
            "data": {"task": Ramp, "arguments": {"steps": 10}},
            "rnn": {"plugin": "rate", "input": "data", "hidden": 8},
            "readout": {"plugin": "readout", "input": "rnn", "pooling": "all"},
        },
    }, name="ramp")
    assert g.dataset["plugin"] == "python_task"
    assert g.dataset["options"]["module"] == "tiny_tasks" and g.dataset["options"]["class"] == "Ramp"


def test_plugins_as_data():
    cells = {p["name"]: p for p in biornn.plugins("cell")}
    assert {"rate", "gru", "lstm", "conductance"} <= set(cells)
    rate_options = {o["name"]: o for o in cells["rate"]["options"]}
    assert rate_options["phi"]["type"] == "string" and rate_options["phi"]["choices"]
    datasets = {p["name"] for p in biornn.plugins("dataset")}
    assert {"flip_flop", "mnist", "python_task"} <= datasets
    epochs = {o["name"]: o for o in biornn.train_options()}["epochs"]
    assert epochs["type"] == "integer" and epochs["min"] is not None
    table = biornn.plugin_table()
    assert len(table) > 50 and set(table["kind"]) >= {"cell", "gate", "scaling", "constraint", "dataset"}
