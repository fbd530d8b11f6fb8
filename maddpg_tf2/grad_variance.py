"""Variance of each actor's gradient across independent draws of the discrete gradient estimator.

On one batch, with the networks held fixed, the actor loss of agent i is differentiated R times, each
time with a fresh estimator sample of agent i's own action (everything else in the loss is fixed:
observations, the other agents' replayed actions, the critic). The spread of those R gradients is the
estimator's own noise, the quantity the estimators differ in (Tilbury et al. 2023). The gradients are
taken before clipping, so the clip does not hide differences between estimators.

The probe draws its seeds from its own generator, so turning the measurement on does not change the
random stream of training.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np
import tensorflow as tf

from maddpg_tf2.seeding import tf_generator

from maddpg_tf2.estimators import gradient_variance
from maddpg_tf2.kernel import actor_loss, batch_for_agent, critic_input, net_vars, q_value

_SEED_OFFSET = 7919  # keeps the probe's stream apart from the learner's one for the same run seed


class GradVarianceProbe:
    """`probe(batch) -> {"grad_var/elementwise_i": float, "grad_var/norm_i": float, ...}`."""

    def __init__(self, learner, draws: int = 16, seed: Optional[int] = None):
        if int(draws) < 2:
            raise ValueError(f"grad_variance_draws must be at least 2, got {draws}")
        self.learner = learner
        self.draws = int(draws)
        self.rng = tf_generator(None if seed is None else int(seed) + _SEED_OFFSET)
        self._compiled = tf.function(self._measure)

    def _agent_draws(self, i: int, batch_i: dict, temperature) -> List[list]:
        me = self.learner.agents[i]
        obs_n, act_n = batch_i["obs_n"], batch_i["act_n"]
        actor_vars = net_vars(me.actor)
        grads_list = []
        for _ in range(self.draws):  # unrolled: R is small and fixed per run
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(actor_vars)
                params = me.actor(obs_n[i])
                acts = list(act_n)
                acts[i] = me.dist.sample(params, self.rng.uniform_full_int([2], dtype=tf.int32),
                                         temperature)
                q_pi = q_value(me.critic, critic_input(i, obs_n, acts, me.local_q))
                loss = actor_loss(q_pi, params, self.learner.settings.policy_regulariser)
            grads_list.append(tape.gradient(loss, actor_vars))
        return grads_list

    def _measure(self, batch):
        temperature = self.learner.temperature()  # the TAGS value of the current round
        out = {}
        for i in range(self.learner.n):
            stats = gradient_variance(self._agent_draws(i, batch_for_agent(batch, i), temperature))
            out[f"grad_var/elementwise_{i}"] = stats["elementwise_variance"]
            out[f"grad_var/norm_{i}"] = stats["norm_variance"]
        return out

    def __call__(self, batch: dict) -> Dict[str, float]:
        f32 = lambda x: np.asarray(x, dtype=np.float32)  # one dtype: traced once
        batch = {k: ([f32(x) for x in batch[k]] if k.endswith("_n") else f32(batch[k]))
                 for k in ("obs_n", "act_n", "next_obs_n", "rew", "done")}
        return {k: float(v) for k, v in self._compiled(batch).items()}


def log_grad_variance(trainer, batch: dict) -> Dict[str, float]:
    """Measure on `batch` and log through the trainer's logger (TensorBoard + metrics CSV)."""
    probe = getattr(trainer, "_grad_variance_probe", None)
    if probe is None:
        c = trainer.config
        probe = trainer._grad_variance_probe = GradVarianceProbe(
            trainer.learner, c.grad_variance_draws, c.seed)
    values = probe(batch)
    trainer.logger.scalars(values, trainer.progress.train_step)
    return values
