"""Tasks written in Python, trained by the engine through the python_task dataset plugin.

Subclass Task and write one trial in trial(rng, index, split); the rng is a NumPy Generator
seeded from (seed, split, index) alone, so trial i is the same in any batch, any order and at
any number of threads, as with the C++ tasks. A graph names the class:

    [nodes.data]
    plugin = "python_task"
    module = "mytasks"            # "__main__" for a class defined in a notebook or script
    class = "Ramp"
    arguments = '{"steps": 50}'   # keyword arguments of the class, as JSON

or, from Python, graph_from_dict({... "nodes": {"data": {"task": Ramp, "arguments": {...}}}}).
"""
import importlib

import numpy as np

SPLITS = {"train": 0, "test": 1}


class Task:
    """Set steps (T), features (F), outputs (O: classes, or the width of continuous targets),
    target ("value": targets [T, O] and mean squared error; "class": a label per step and
    cross-entropy; "sequence_class": one label per trial), and condition_names (per-trial values
    for analysis). trial() returns a dict: x [T, F]; targets [T, O], or labels [T] (an int for
    "sequence_class"); mask [T] (optional, default ones: each step's weight in the loss);
    conditions [C] (when condition_names is not empty)."""

    steps = None
    features = None
    outputs = None
    target = "value"
    condition_names = ()

    def trial(self, rng, index, split):
        raise NotImplementedError(f"{type(self).__name__}: write trial(self, rng, index, split)")

    @staticmethod
    def rng(seed, split, index):
        return np.random.default_rng([int(seed), SPLITS[split], int(index)])

    def batch(self, indices, split, seed):
        """Trials `indices` of `split` stacked time-major: x [T, n, F], targets [T, n, O] or
        labels [T, n] ([n]), mask [T, n], conditions [n, C]. What python_task calls."""
        trials = [self._checked(self.trial(self.rng(seed, split, i), int(i), split), int(i)) for i in indices]
        out = {"x": np.stack([t["x"] for t in trials], axis=1)}
        if self.target == "sequence_class":
            out["labels"] = np.array([t["labels"] for t in trials], dtype=np.int64)
        else:
            key = "targets" if self.target == "value" else "labels"
            out[key] = np.stack([t[key] for t in trials], axis=1)
            out["mask"] = np.stack([t.get("mask", np.ones(self.steps, np.float32)) for t in trials], axis=1)
        if self.condition_names:
            out["conditions"] = np.stack([np.asarray(t["conditions"], np.float32) for t in trials])
        return out

    def _checked(self, t, index):
        name = f"{type(self).__name__}.trial(index={index})"
        if not isinstance(t, dict):
            raise TypeError(f"{name} returned {type(t).__name__}, not a dict")
        expected = {"x": (self.steps, self.features)}
        if self.target == "value":
            expected["targets"] = (self.steps, self.outputs)
        elif self.target == "class":
            expected["labels"] = (self.steps,)
        if "mask" in t:
            expected["mask"] = (self.steps,)
        if self.condition_names:
            expected["conditions"] = (len(self.condition_names),)
        for key, shape in expected.items():
            if key not in t:
                raise KeyError(f"{name} returned no {key!r} (expected shape {shape})")
            if np.shape(t[key]) != shape:
                raise ValueError(f"{name}: {key!r} has shape {np.shape(t[key])}, expected {shape}")
        return t


class NeuroGymTask(Task):
    """A NeuroGym-style environment as a task: an object whose new_trial() sets `ob` [t, F]
    (observations) and `gt` [t] (the right action at each step, 0 = fixate), reseeded per trial
    by seed(s) (NeuroGym's TrialEnv) or, without seed(), through its `rng` attribute.

    env: the environment, its class, or "module:Class" (from a graph's JSON arguments), made
    with env_arguments. Trials shorter than `steps` are padded with mask 0; steps and outputs
    default to the longest of 32 probe trials and action_space.n (else the largest gt + 1)."""

    target = "class"

    def __init__(self, env, steps=None, outputs=None, env_arguments=None):
        self.env = _make_env(env, env_arguments or {})
        probes = [self._new_trial(seed) for seed in range(32)]
        self.features = int(np.shape(probes[0][0])[1])
        self.steps = int(steps or max(len(ob) for ob, _ in probes))
        space = getattr(self.env, "action_space", None)
        self.outputs = int(outputs or getattr(space, "n", 0) or max(int(np.max(gt)) for _, gt in probes) + 1)

    def _new_trial(self, seed):
        if hasattr(self.env, "seed"):
            self.env.seed(seed)
        else:
            self.env.rng = np.random.RandomState(seed)
        self.env.new_trial()
        return np.asarray(self.env.ob, np.float32), np.asarray(self.env.gt)

    def trial(self, rng, index, split):
        ob, gt = self._new_trial(int(rng.integers(2**31)))
        t = len(ob)
        if t > self.steps:
            raise ValueError(f"NeuroGymTask: trial {index} of {split} has {t} steps, more than steps={self.steps}")
        x = np.zeros((self.steps, self.features), np.float32)
        labels = np.zeros(self.steps, np.int64)
        mask = np.zeros(self.steps, np.float32)
        x[:t], labels[:t], mask[:t] = ob, gt, 1.0
        return {"x": x, "labels": labels, "mask": mask}


def _make_env(env, arguments):
    if isinstance(env, str):
        module, _, name = env.partition(":")
        if not name:
            raise ValueError(f"env: write 'module:Class', got {env!r}")
        env = getattr(importlib.import_module(module), name)
    return env(**arguments) if isinstance(env, type) else env
