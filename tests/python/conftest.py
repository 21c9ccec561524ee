"""Fixtures of the Python tests: a tiny flip-flop graph (seconds to train) and the CLI binaries.
Run with Debian's python3 after tools/python_setup.sh:  /usr/bin/python3 -m pytest tests/python"""
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))  # this checkout's package, whatever biornn.pth points at
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # tiny_tasks, for python_task graphs

TINY = """
description = "3-bit flip-flop, tiny: for tests"
[train]
epochs = 2
batch_size = 32
seed = 3
validation_size = 64
threads = 1
log_every = 1000
[optimizer]
plugin = "adam"
learning_rate = 1e-2
[nodes.data]
plugin = "flip_flop"
steps = 20
train_trials = 512
test_trials = 128
[nodes.rnn]
plugin = "rate"
input = "data"
hidden = 16
gate = { plugin = "learned" }
[nodes.readout]
plugin = "readout"
input = "rnn"
pooling = "all"
"""


@pytest.fixture
def tiny_toml():
    return TINY


@pytest.fixture
def tiny_graph(tiny_toml):
    import biornn

    return biornn.Graph.from_toml(tiny_toml, name="tiny_flip_flop")


def cli_binary(name):
    path = REPO / "bazel-bin" / "runners" / name
    if not path.exists():
        pytest.fail(f"{path} is not built: bz build //runners:{name}")
    return path
