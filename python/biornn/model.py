"""A model in memory: parameters as NumPy arrays, forward passes, one step F(s, x) and its
Jacobian, and the analysis `bazel run //runners:analyze` runs (activity, fixed points, PCA)."""
import warnings

import numpy as np

from ._native import native
from .graph import load_graph


class Model:
    """Built from a graph exactly as training builds it (same seed, same initial parameters).

    Parameters are named "<node>.<name>" as in parameters.npz, and keep the engine's 2-d shapes
    ([H, H] for W, [1, H] for a bias). Arrays given to the model are checked: float32 for
    parameters (bit-exact), any floating dtype for inputs; the shape; no NaN or inf.
    """

    def __init__(self, graph, overrides=None):
        self.graph = load_graph(graph, overrides)
        self._m = native.Model(self.graph._g)
        self.epochs_done = 0

    def __repr__(self):
        layers = ", ".join(f"{l['name']} ({l['hidden']} units)" for l in self.layers)
        return f"<biornn.Model {self.graph.name!r}: {layers}; {self.parameter_count} parameters>"

    layers = property(lambda self: self._m.layers, doc="each layer's name, hidden, features, state_size")
    dataset = property(lambda self: self._m.dataset, doc="steps, features, outputs, target, condition_names")
    parameter_count = property(lambda self: self._m.parameter_count)

    # --- parameters ---------------------------------------------------------------------------
    def parameter_names(self):
        return self._m.parameter_names()

    def parameter(self, name, raw=False):
        """A copy of one parameter: its effective value (constraints applied), or raw."""
        return self._m.get_parameter(name, raw)

    def parameters(self, raw=False):
        return {n: self.parameter(n, raw) for n in self.parameter_names()}

    def set_parameter(self, name, value):
        """Sets a raw parameter (float32, its exact shape, finite), then re-applies the layer's
        constraints. Entries a projecting constraint (e.g. Dale's law, mode "clip") changed are
        reported with a warning; an `abs` parametrisation keeps raw and maps it to the effective value."""
        changed = self._m.set_parameter(name, value)
        if changed:
            warnings.warn(f"{name}: {changed} entries violated the layer's constraint and were projected "
                          f"(read the result with model.parameter({name!r}, raw=True))", stacklevel=2)
        return changed

    def set_parameters(self, values):
        for name, value in values.items():
            self.set_parameter(name, value)

    # --- running ------------------------------------------------------------------------------
    def forward(self, x, states=True):
        """x [T, n, F] -> dict: outputs [T', n, O] (T' = 1 for last/mean pooling), and the last
        layer's rates [T, n, H], gates [T, n, H] (None for gru/lstm) and states [T, n, S]
        (per-step cells, when states=True); "layers" holds the same per layer. Noise off."""
        return self._m.forward(x, states)

    def step(self, s, x, layer=-1):
        """One step F(s, x) of a per-step layer: s [n, S], x [n, F] -> (s_next [n, S], r_next [n, H])."""
        return self._m.step(s, x, layer)

    def jacobian(self, s, x, layer=-1):
        """dF/ds at state s [S] with input x [F]: [S, S] (float64), row i = dF_i/ds."""
        return self._m.jacobian(s, x, layer)

    # --- the model's dataset ------------------------------------------------------------------
    def trials(self, indices, split="test"):
        """Trials of the graph's dataset as training sees them: x [T, n, F], targets or labels, mask."""
        return self._m.trials(split, np.asarray(indices, dtype=np.int64))

    def evaluate(self, split="test"):
        """(accuracy, loss) on a split, as `bazel run //runners:eval` computes them."""
        return self._m.evaluate(split)

    def activity(self, trials=256, split="test"):
        """The activity `analyze` records on the first `trials` trials of a split: inputs, rates,
        gates, states, outputs, mask, targets or labels/decisions, correct, conditions, and
        condition_kinds ({name: "signed evidence" | "category" | "circular" | "magnitude"}); for
        timed tasks also periods [T, n] (index into period_names: fixation, stimulus, ...)."""
        n = min(trials, self._m.dataset_size(split))
        return self._m.activity(split, np.arange(n, dtype=np.int64))

    def fixed_points(self, starts, input=None, layer=-1, iterations=4000, learning_rate=0.01, tolerance=1e-7,
                     merge_distance=0.1, unit_tolerance=1e-3):
        """The fixed points of F(., x*) that `analyze` searches for, from starts [n, S] (e.g. states
        sampled on trajectories, plus noise). input: x* [F] (default zeros). Returns states, rates,
        q, unstable_modes, starts, eigenvalues (complex, by decreasing modulus), final_q, converged."""
        info = self.layers[layer]
        x = np.zeros(info["features"], np.float32) if input is None else input
        o = native.FixedPointOptions()
        o.iterations, o.learning_rate, o.tolerance = iterations, learning_rate, tolerance
        o.merge_distance, o.unit_tolerance = merge_distance, unit_tolerance
        return self._m.fixed_points(starts, x, layer, o)


def pca(x, k=3):
    """Principal components of rows x [N, D] (core/analysis/pca): mean, components [k, D],
    variance, explained (fraction of the total), projected [N, k]. Accepts [T, n, D] too."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x.reshape(-1, x.shape[-1])
    return native.pca(x, k)


def sample_starts(states, n, noise=0.1, seed=1):
    """n starting states for the fixed-point search: states visited on trajectories
    ([T, trials, S], e.g. activity()["states"]) picked at random, plus Gaussian noise."""
    states = np.asarray(states, dtype=np.float32)
    flat = states.reshape(-1, states.shape[-1])
    rng = np.random.default_rng(seed)
    picked = flat[rng.integers(0, len(flat), size=n)]
    return (picked + rng.normal(0.0, noise, size=picked.shape)).astype(np.float32)
