"""Tasks and a NeuroGym-style environment written for the tests (NeuroGym is not packaged)."""
import numpy as np

import biornn


class Ramp(biornn.Task):
    """Hold the sign of a noisy cue given in the first 3 steps: continuous targets."""

    target = "value"
    condition_names = ("sign",)

    def __init__(self, steps=12, noise=0.1):
        self.steps, self.features, self.outputs, self.noise = steps, 2, 1, noise

    def trial(self, rng, index, split):
        sign = rng.choice([-1.0, 1.0])
        x = np.zeros((self.steps, 2), np.float32)
        x[:3, 0] = sign + self.noise * rng.standard_normal(3)
        x[:, 1] = 1.0
        targets = np.zeros((self.steps, 1), np.float32)
        targets[3:, 0] = sign
        mask = np.ones(self.steps, np.float32)
        return {"x": x, "targets": targets, "mask": mask, "conditions": [sign]}


class Raises(Ramp):
    """Fails on the 5th minibatch it writes (trial index 77 of the training split)."""

    def trial(self, rng, index, split):
        if split == "train" and index == 77:
            raise RuntimeError("trial 77 is broken")
        return super().trial(rng, index, split)


class WrongShape(Ramp):
    def trial(self, rng, index, split):
        t = super().trial(rng, index, split)
        t["x"] = t["x"][:, :1]
        return t


class TwoChoiceEnv:
    """A NeuroGym-style two-alternative task: fixate while evidence comes, then answer 1 or 2.
    new_trial() sets ob [t, 3] (fixation, evidence for 1, evidence for 2) and gt [t]."""

    class _Space:
        n = 3

    action_space = _Space()

    def __init__(self, stimulus=8, decision=3):
        self.stimulus, self.decision = stimulus, decision
        self.rng = np.random.RandomState(0)

    def seed(self, s):
        self.rng = np.random.RandomState(s)

    def new_trial(self):
        choice = self.rng.randint(1, 3)
        delay = self.rng.randint(0, 3)  # variable length, as NeuroGym trials are
        t = self.stimulus + delay + self.decision
        self.ob = np.zeros((t, 3), np.float32)
        self.ob[: t - self.decision, 0] = 1.0
        self.ob[: self.stimulus, choice] = 0.6 + 0.3 * self.rng.standard_normal(self.stimulus)
        self.gt = np.zeros(t, np.int64)
        self.gt[t - self.decision:] = choice
        return {"ground_truth": choice}
