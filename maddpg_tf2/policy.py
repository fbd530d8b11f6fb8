"""Acting for all agents and all parallel environments in one call.

A numpy mirror of the actors: a TensorFlow call costs more than the whole forward pass of these small
MLPs at the batch sizes acting uses (see `benchmark_act`), so the weights are copied out of the
learner after each update round and the forward pass and sampling run in numpy. Sampling follows the
same distributions as the learner (distributions.py `sample_np`), including the one-hot forward value
of one-hot gradient estimators.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from maddpg_tf2.distributions import ActionDistribution
from maddpg_tf2.networks import mlp_forward_np


class Policy:
    def __init__(self, dists: Sequence[ActionDistribution], weights_n: Sequence[List[np.ndarray]]):
        self.dists = list(dists)
        self.weights_n = [self._as_f32(w) for w in weights_n]

    @staticmethod
    def _as_f32(weights):
        return [np.ascontiguousarray(w, dtype=np.float32) for w in weights]

    @classmethod
    def from_learner(cls, learner) -> "Policy":
        return cls(learner.dists, learner.actor_weights())

    def refresh(self, learner) -> None:
        """Copy the learner's current actor weights."""
        self.weights_n = [self._as_f32(w) for w in learner.actor_weights()]

    def refresh_after_step(self, learner) -> None:
        """Copy the actor weights the learner's latest train step returned (no second TF call)."""
        self.weights_n = [[np.asarray(t, np.float32) for t in ts] for ts in learner.last_actor_weights]

    @property
    def n(self) -> int:
        return len(self.dists)

    # One policy per agent: nothing to draw when episodes start (ensembles.EnsemblePolicy draws).
    tags = None

    def new_episodes(self, ended: np.ndarray, rng: np.random.Generator) -> None:
        """Called with the worlds whose episode starts."""

    def logits(self, obs_n: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Each actor's raw output [E, param_size_i] (float32, as the TF graph computes it)."""
        return [mlp_forward_np(w, np.asarray(o, dtype=np.float32))
                for w, o in zip(self.weights_n, obs_n)]

    def act(self, obs_n: Sequence[np.ndarray], rng: np.random.Generator,
            deterministic: bool = False) -> List[np.ndarray]:
        """obs_n: list over agents of [E, d_i] -> act_n: list over agents of [E, k_i] float32."""
        params_n = self.logits(obs_n)
        if deterministic:
            return [d.mode_np(p) for d, p in zip(self.dists, params_n)]
        return [d.sample_np(p, rng) for d, p in zip(self.dists, params_n)]

    def random_actions(self, num_envs: int, rng: np.random.Generator) -> List[np.ndarray]:
        """Actions of an untrained-looking policy: each distribution sampled at zero parameters
        (uniform over categories for discrete parts)."""
        return [d.sample_np(np.zeros((num_envs, d.param_size), np.float32), rng) for d in self.dists]


def benchmark_act(learner, num_envs: int, repeats: int = 200, rng=None) -> dict:
    """Seconds per act call for all agents: numpy mirror vs a compiled TF function (same work)."""
    import time

    import tensorflow as tf

    rng = rng or np.random.default_rng(0)
    policy = Policy.from_learner(learner)
    obs_n = [rng.standard_normal((num_envs, d)).astype(np.float32) for d in learner.obs_dims]

    @tf.function
    def tf_act(obs):
        params = learner.actor_params(obs)
        return [d.sample(p) for d, p in zip(learner.dists, params)]

    def timed(fn):
        fn()
        t = time.perf_counter()
        for _ in range(repeats):
            fn()
        return (time.perf_counter() - t) / repeats

    t_np = timed(lambda: policy.act(obs_n, rng))
    t_tf = timed(lambda: [a.numpy() for a in tf_act(obs_n)])
    return {"num_envs": num_envs, "numpy_s": t_np, "tf_function_s": t_tf}
