"""Models in memory: parameters bit for bit, bad arrays, forward, one step and its Jacobian,
the CLI's eval numbers, activity, fixed points, PCA."""
import re
import subprocess
import warnings

import numpy as np
import pytest

import biornn
from conftest import cli_binary


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import TINY

    return biornn.train(biornn.Graph.from_toml(TINY, name="tiny_flip_flop"),
                        run_dir=tmp_path_factory.mktemp("run") / "r")


def test_parameters_round_trip_bit_for_bit(trained):
    a = trained.model()
    b = biornn.Model(trained.graph, {"train.seed": 99})  # other initial values
    assert not np.array_equal(a.parameter("rnn.W", raw=True), b.parameter("rnn.W", raw=True))
    b.set_parameters(a.parameters(raw=True))
    for name in a.parameter_names():
        ra, rb = a.parameter(name, raw=True), b.parameter(name, raw=True)
        assert ra.tobytes() == rb.tobytes(), name
        assert a.parameter(name).tobytes() == b.parameter(name).tobytes(), name
    saved = trained.parameters()
    for name, value in saved.items():
        if name in a.parameter_names():
            assert value.tobytes() == a.parameter(name).tobytes(), name
    x = np.random.default_rng(0).standard_normal((20, 5, 3)).astype(np.float32)
    assert a.forward(x)["outputs"].tobytes() == b.forward(x)["outputs"].tobytes()


def test_model_gives_the_cli_eval_numbers(trained):
    for split in ("test", "validation"):
        out = subprocess.run([cli_binary("eval"), str(trained.path), "--split", split],
                             capture_output=True, text=True, check=True).stdout
        cli = dict(re.findall(r"(\w+)=(\S+)", out))
        accuracy, loss = trained.model().evaluate(split)
        assert f"{accuracy:.6g}" == f"{float(cli['accuracy']):.6g}"
        assert f"{loss:.6g}" == f"{float(cli['loss']):.6g}"


def test_bad_arrays_are_refused_with_clear_messages(trained):
    m = trained.model()
    w = m.parameter("rnn.W", raw=True)
    with pytest.raises(ValueError, match=r"rnn.W: expected shape \(16, 16\), got \(16, 15\)"):
        m.set_parameter("rnn.W", w[:, :15])
    with pytest.raises(TypeError, match=r"rnn.W: expected a float32 array, got dtype float64"):
        m.set_parameter("rnn.W", w.astype(np.float64))
    bad = w.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"rnn.W: holds NaN at flat index 35"):
        m.set_parameter("rnn.W", bad)
    with pytest.raises(KeyError, match=r"no parameter 'rnn.Q' \(the model has: rnn.W"):
        m.parameter("rnn.Q")
    assert m.parameter("rnn.W", raw=True).tobytes() == w.tobytes()  # nothing was changed
    with pytest.raises(ValueError, match=r"x: expected shape \(any, any, 3\), got \(20, 4, 2\)"):
        m.forward(np.zeros((20, 4, 2), np.float32))
    with pytest.raises(TypeError, match=r"x: expected a floating-point array, got dtype int64"):
        m.forward(np.zeros((20, 4, 3), np.int64))
    with pytest.raises(ValueError, match=r"x: holds inf"):
        m.forward(np.full((20, 4, 3), np.inf))


def test_constraints_are_reapplied(tmp_path):
    from conftest import TINY

    g = biornn.Graph.from_toml(TINY, {"nodes.rnn.constraints": [
        {"plugin": "dale", "parameter": "W", "mode": "clip", "excitatory_fraction": 0.5}]})
    m = biornn.Model(g)
    w = np.abs(m.parameter("rnn.W", raw=True))  # all positive: the 8 inhibitory senders' columns violate
    with pytest.warns(UserWarning, match=r"rnn.W: \d+ entries violated the layer's constraint and were projected"):
        changed = m.set_parameter("rnn.W", w)
    assert changed == np.count_nonzero(w[:, 8:])  # clip sets them to 0 (senders 8..15 are inhibitory)
    effective = m.parameter("rnn.W")
    assert np.all(effective[:, 8:] == 0) and np.array_equal(effective[:, :8], w[:, :8])


def test_forward_matches_step_by_step(trained):
    m = trained.model()
    x = np.random.default_rng(1).standard_normal((20, 4, 3))  # float64 is accepted for inputs
    out = m.forward(x)
    assert out["outputs"].shape == (20, 4, 3) and out["rates"].shape == (20, 4, 16)
    assert out["gates"].shape == (20, 4, 16) and out["states"].shape == (20, 4, 16)
    s = np.zeros((4, 16), np.float32)
    for t in range(20):
        s, r = m.step(s, x[t].astype(np.float32))
        np.testing.assert_allclose(r, out["rates"][t], atol=1e-5)
    np.testing.assert_allclose(s, out["states"][-1], atol=1e-5)


def test_jacobian_matches_finite_differences(trained):
    m = trained.model()
    rng = np.random.default_rng(2)
    s = (0.3 * rng.standard_normal(16)).astype(np.float32)
    x = rng.standard_normal(3).astype(np.float32)
    j = m.jacobian(s, x)
    eps = 1e-2
    for i in (0, 7, 15):
        plus, minus = s.copy(), s.copy()
        plus[i] += eps
        minus[i] -= eps
        column = (m.step(plus[None], x[None])[0][0] - m.step(minus[None], x[None])[0][0]) / (2 * eps)
        np.testing.assert_allclose(j[:, i], column, atol=2e-3)


def test_activity_fixed_points_and_pca(trained):
    m = trained.model()
    a = m.activity(trials=32)
    assert a["rates"].shape == (20, 32, 16) and a["targets"].shape == (20, 32, 3)
    assert set(a["conditions"]) == {"bit0", "bit1", "bit2"}
    p = biornn.pca(a["rates"], k=3)
    assert p["projected"].shape == (640, 3) and np.all(np.diff(p["variance"]) <= 0)
    assert 0 < p["explained"].sum() <= 1 + 1e-9
    found = m.fixed_points(biornn.sample_starts(a["states"], 64), iterations=500)
    assert len(found["final_q"]) == 64
    k = len(found["q"])
    assert found["states"].shape == (k, 16) and found["eigenvalues"].shape == (k, 16)
    if k:
        s_next, _ = m.step(found["states"][:1], np.zeros((1, 3), np.float32))
        assert np.sum((s_next - found["states"][:1]) ** 2) / 2 < 1e-4
