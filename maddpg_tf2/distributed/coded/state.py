"""One agent's whole training state as one flat float32 vector, the unit that codes combine.

Order per agent: actor, critic, target actor, target critic (each [W0, b0, W1, b1, W2, b2]), the actor
optimizer's m then v, the critic optimizer's m then v, then the four Adam beta powers (actor beta1,
beta2, critic beta1, beta2). Reads and writes are single compiled calls (one per round, not one
eager op per variable).
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.kernel import METRIC_NAMES, net_vars


def agent_state_vars(agent) -> List[tf.Variable]:
    a, c = agent.actor_opt, agent.critic_opt
    return (net_vars(agent.actor) + net_vars(agent.critic) + net_vars(agent.target_actor)
            + net_vars(agent.target_critic) + list(a.m) + list(a.v) + list(c.m) + list(c.v)
            + [a.beta1_power, a.beta2_power, c.beta1_power, c.beta2_power])


class StateLayout:
    """Flatten and assign every agent's state of a Learner, and place it in coded answers of `width`
    entries (every agent's state and metrics fit)."""

    def __init__(self, learner):
        self.learner = learner
        self.vars_n = [agent_state_vars(a) for a in learner.agents]
        self.shapes_n = [[tuple(v.shape) for v in vs] for vs in self.vars_n]
        self.sizes_n = [[int(np.prod(s)) for s in shapes] for shapes in self.shapes_n]
        self.lengths = [sum(sizes) for sizes in self.sizes_n]  # state only, without metrics
        self.actor_counts = [len(net_vars(a.actor)) for a in learner.agents]
        self._place_in_answers(len(METRIC_NAMES))
        # Adam's second moments: decoding can leave -1e-16 where a v is 0, and sqrt(v) would be NaN.
        self.nonnegative_n = []
        for a, sizes in zip(learner.agents, self.sizes_n):
            second = {id(v) for v in list(a.actor_opt.v) + list(a.critic_opt.v)}
            self.nonnegative_n.append(np.concatenate(
                [np.full(n, id(v) in second) for v, n in zip(self.vars_n[len(self.nonnegative_n)], sizes)]))
        self._read = tf.function(lambda: [self.flat(i) for i in range(len(self.vars_n))],
                                 autograph=False).get_concrete_function()
        specs = [tf.TensorSpec([n], tf.float32) for n in self.lengths]
        self._assign_all = tf.function(lambda xs: self._assign_vectors(xs), autograph=False).get_concrete_function(specs)
        self._assign_one = [tf.function(lambda x, i=i: self._assign_vectors([x], [i]), autograph=False)
                            .get_concrete_function(specs[i]) for i in range(len(specs))]

    def _place_in_answers(self, n_metrics: int) -> None:
        """Where each entry of agent i's vector (state, then metrics) sits in a coded answer [width].

        Variables of the same kind share positions across agents (all actor W0 at one offset, all
        critic second moments at another, ...), so a coded sum mixes numbers of like magnitude and
        decoding keeps small entries (Adam's v) accurate relative to their own size."""
        counts = {len(sizes) for sizes in self.sizes_n}
        if len(counts) == 1:
            slots = np.max(np.array(self.sizes_n), axis=0)
            offsets = np.concatenate([[0], np.cumsum(slots)])
            self.positions_n = [np.concatenate([offsets[k] + np.arange(n) for k, n in enumerate(sizes)]
                                               + [offsets[-1] + np.arange(n_metrics)])
                                for sizes in self.sizes_n]
            self.width = int(offsets[-1]) + n_metrics
        else:  # networks of different depth: plain concatenation
            self.width = max(self.lengths) + n_metrics
            self.positions_n = [np.arange(n + n_metrics) for n in self.lengths]

    def to_answer(self, i: int, vector: np.ndarray, coeff: float = 1.0, out=None) -> np.ndarray:
        """Add coeff * agent i's vector (state and metrics) into a coded answer [width] (float64)."""
        out = np.zeros(self.width, np.float64) if out is None else out
        out[self.positions_n[i]] += float(coeff) * np.asarray(vector, np.float64)
        return out

    def from_answer(self, i: int, decoded: np.ndarray) -> np.ndarray:
        """Agent i's vector (state and metrics, float64) out of its decoded row [width]."""
        return np.asarray(decoded, np.float64)[self.positions_n[i]]

    def flat(self, i: int) -> tf.Tensor:
        """Agent i's state as one vector (inside a tf.function: read after the writes before it)."""
        return tf.concat([tf.reshape(v, [-1]) for v in self.vars_n[i]], axis=0)

    def _assign_vectors(self, vectors, agents=None):
        agents = range(len(self.vars_n)) if agents is None else agents
        for i, x in zip(agents, vectors):
            for v, part, shape in zip(self.vars_n[i], tf.split(x, self.sizes_n[i]), self.shapes_n[i]):
                v.assign(tf.reshape(part, shape))
        return tf.constant(0)

    def clean(self, i: int, vector: np.ndarray) -> np.ndarray:
        """A decoded state vector as float32, its second moments clipped at 0 (they are >= 0 exactly;
        decoding errors of about 1e-16 must not make them negative)."""
        x = np.asarray(vector, np.float64)[:self.lengths[i]]
        x = np.where(self.nonnegative_n[i], np.maximum(x, 0.0), x)
        return x.astype(np.float32)

    def read(self) -> List[np.ndarray]:
        """Every agent's state vector (float32 numpy)."""
        return [t.numpy() for t in self._read()]

    def assign(self, vectors: Sequence[np.ndarray]) -> None:
        self._assign_all([tf.convert_to_tensor(np.asarray(x, np.float32)) for x in vectors])

    def assign_agent(self, i: int, vector) -> None:
        self._assign_one[i](tf.convert_to_tensor(np.asarray(vector, np.float32)))

    def actor_weights(self, i: int, vector: np.ndarray) -> List[np.ndarray]:
        """Agent i's actor [W0, b0, ...] out of its state vector (the first variables)."""
        out, at = [], 0
        for size, shape in zip(self.sizes_n[i][:self.actor_counts[i]], self.shapes_n[i]):
            out.append(np.asarray(vector[at:at + size], np.float32).reshape(shape))
            at += size
        return out
