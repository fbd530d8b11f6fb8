"""Coded learners: each holds a copy of every agent's networks and, per round, computes the
simultaneous update of the agents in its code row from the broadcast pre-round state, and answers the
coded combination sum_i c_i x_i of their updated state vectors (float64).

`CodedLearner` is a plain class (usable in-process, e.g. as the tests' reference); `LearnerPool` runs
N of them as Ray actors (restarted by Ray when they die).
"""
from __future__ import annotations

import os
import threading
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

BATCH_KEYS = ("obs", "act", "next_obs", "rew", "done")


def agent_seed(base: int, round_: int, agent: int) -> np.ndarray:
    """The stateless seed pair of agent `agent`'s update in round `round_`: whichever learner computes
    it draws the same noise. Kept below 2**30 so the per-draw offsets never overflow int32."""
    words = np.random.SeedSequence([int(base) % 2**63, int(round_), int(agent)]).generate_state(2)
    return (words % 2**30).astype(np.int32)


def agent_batch(batch: dict, i: int) -> Dict[str, np.ndarray]:
    """Agent i's own batch out of a replay batch (leading agent axis): joint [B, sum of dims] arrays,
    its rewards and dones [B]."""
    def joint(key, parts):
        if key in batch:
            return np.asarray(batch[key][i], np.float32)
        return np.concatenate([np.asarray(x[i], np.float32) for x in batch[parts]], axis=-1)

    return {"obs": joint("obs", "obs_n"), "act": joint("act", "act_n"), "next_obs": joint("next_obs", "next_obs_n"),
            "rew": np.asarray(batch["rew"][i][:, i], np.float32), "done": np.asarray(batch["done"][i][:, i], np.float32)}


class CodedLearner:
    """One learner: a Learner built from the same Config and spaces as the driver's."""

    def __init__(self, config, obs_dims: Sequence[int], act_spaces: Sequence, local_q_n: Sequence[bool],
                 configure_threads: bool = True):
        from maddpg_tf2.quiet_import import import_tensorflow_quietly
        import_tensorflow_quietly()  # the CUDA probe's notes would repeat once per learner
        if configure_threads:  # an actor process of its own: one thread per op, as the driver
            from maddpg_tf2.tf_threads import configure_tf_threads
            configure_tf_threads(1, 1)
        from maddpg_tf2.distributed.coded.state import StateLayout
        from maddpg_tf2.learner import Learner

        self.learner = Learner(config, obs_dims, act_spaces, local_q_n, seed=0)  # weights come by broadcast
        self.layout = StateLayout(self.learner)
        self._steps = [self._make_step(i) for i in range(self.learner.n)]
        self._warm_up()
        self._latest = -1  # newest round ticket seen: a straggler of an older round gives up
        self._cond = threading.Condition()
        self._compute_lock = threading.Lock()  # the actor runs tasks in threads; TF state is one copy

    def _warm_up(self) -> None:
        """Run every agent's step once on zeros: the first run of a graph optimises it (seconds on a
        busy machine), which would otherwise count against round 0's timeout. The state it leaves
        is overwritten by every round's broadcast."""
        import tensorflow as tf

        L = self.learner
        zeros = {"obs": tf.zeros([2, sum(L.obs_dims)]), "act": tf.zeros([2, sum(L.act_dims)]),
                 "next_obs": tf.zeros([2, sum(L.obs_dims)]), "rew": tf.zeros([2]), "done": tf.zeros([2])}
        for step in self._steps:
            step(zeros, tf.constant([1, 2], tf.int32))

    def ping(self) -> int:
        return os.getpid()

    def finish(self, ticket: int) -> None:
        """The controller decoded the round of `ticket` without this learner: a straggler still
        waiting gives up."""
        with self._cond:
            self._latest = max(self._latest, int(ticket) + 1)
            self._cond.notify_all()

    def _make_step(self, i: int):
        import tensorflow as tf

        from maddpg_tf2.kernel import METRIC_NAMES, agent_batch_from_joint
        from maddpg_tf2.sequential import update_agent

        L = self.learner

        def step(joint, seed):
            draws = [0]

            def next_seed():  # distinct stateless seeds per draw, fixed at trace time
                draws[0] += 1
                return seed + tf.constant([0, draws[0]], tf.int32)

            batch_i = agent_batch_from_joint(joint["obs"], joint["act"], joint["next_obs"], joint["rew"],
                                             joint["done"], L.obs_dims, L.act_dims)
            metrics = update_agent(i, L.agents, batch_i, L.settings, next_seed, L.temperature())
            values = tf.stack([tf.cast(metrics[f"{name}_{i}"], tf.float32) for name in METRIC_NAMES])
            return tf.concat([self.layout.flat(i), values], axis=0)

        D, K = sum(L.obs_dims), sum(L.act_dims)
        spec = {"obs": tf.TensorSpec([None, D], tf.float32), "act": tf.TensorSpec([None, K], tf.float32),
                "next_obs": tf.TensorSpec([None, D], tf.float32), "rew": tf.TensorSpec([None], tf.float32),
                "done": tf.TensorSpec([None], tf.float32)}
        return tf.function(step, jit_compile=bool(L.config.jit_compile), autograph=False) \
            .get_concrete_function(spec, tf.TensorSpec([2], tf.int32))

    def update_agents(self, round_: int, state: Sequence[np.ndarray], batches: Dict[int, dict],
                      seeds: Dict[int, np.ndarray]) -> Dict[int, np.ndarray]:
        """The simultaneous update of the given agents from `state` (every agent's pre-round vector):
        agent -> its updated state vector with its six metrics appended (float32)."""
        import tensorflow as tf

        self.layout.assign(state)
        self.learner.update_rounds.assign(int(round_))  # the estimators' temperature schedule
        out = {}
        for i in sorted(batches):
            joint = {k: tf.convert_to_tensor(np.asarray(batches[i][k], np.float32)) for k in BATCH_KEYS}
            out[i] = self._steps[i](joint, tf.convert_to_tensor(np.asarray(seeds[i], np.int32))).numpy()
            self.layout.assign_agent(i, state[i])  # the next agent must see agent i as it was
        return out

    def compute(self, ticket: int, round_: int, state, batches: Dict[int, object], coeffs: Dict[int, float],
                seeds: Dict[int, np.ndarray], delay: float = 0.0, fail: bool = False):
        """This learner's coded answer [width] float64 for one round, or None when it was a straggler
        whose round is over. ticket: increases from round to round (the driver's clock); batches:
        agent -> its batch (or an ObjectRef of it)."""
        with self._cond:
            self._latest = max(self._latest, int(ticket))
            self._cond.notify_all()
        if fail or delay > 0:
            # A simulated straggler: sleeps (or, failing, never answers) but gives up once a newer
            # round reaches this learner, so it does not hold up the next round.
            end = np.inf if fail else time.monotonic() + float(delay)
            with self._cond:
                while self._latest == ticket and time.monotonic() < end:
                    self._cond.wait(timeout=min(0.5, max(1e-3, end - time.monotonic())))
                if self._latest != ticket or fail:
                    return None
        if self._latest > ticket:
            return None  # finished or superseded while queued
        refs = {i: b for i, b in batches.items() if not isinstance(b, dict)}
        if refs:
            from maddpg_tf2.distributed.runtime import require_ray
            batches = {**batches, **dict(zip(refs, require_ray().get(list(refs.values()))))}
        with self._compute_lock:
            x = self.update_agents(round_, state, batches, seeds)
        y = np.zeros(self.layout.width, np.float64)
        for i, vec in x.items():
            self.layout.to_answer(i, vec, coeffs[i], out=y)
        return y


def learner_bytes(config, obs_dims, act_spaces) -> int:
    """What a coded learner's copy of every agent's networks, optimizer state and one update's
    activations take (safety.estimate_memory without the replay, which stays in the driver)."""
    from maddpg_tf2.distributions import make_distribution
    from maddpg_tf2.safety import estimate_memory

    dists = [make_distribution(s, box=config.box_policy) for s in act_spaces]
    parts = estimate_memory(config, list(obs_dims), [d.action_size for d in dists], [d.param_size for d in dists], 0)
    return int(sum(parts.values()))


class LearnerPool:
    """N CodedLearner actors on Ray (restarted when they die); shared by any number of coded updaters
    of the same Config and spaces."""

    def __init__(self, config, obs_dims, act_spaces, local_q_n, n_learners: int):
        from maddpg_tf2.distributed.runtime import WORKER_BYTES, connect_with_room, wait_ready
        from maddpg_tf2.notes import notice

        # Before any learner starts: room for N processes of TensorFlow and a copy of every agent's networks.
        ray = connect_with_room(config.ray_address, int(n_learners), "--learners", int(n_learners),
                                WORKER_BYTES + learner_bytes(config, obs_dims, act_spaces), flag="--coded-scheme",
                                ray_output=config.debug)
        self.ray = ray
        # Fractional CPUs of what is free: N learners fit on a small machine or beside another run's
        # learners (each is idle most of a round); nothing free leaves placement unconstrained.
        free = float(ray.available_resources().get("CPU", 0.0))
        cpus = np.floor(100 * min(1.0, free / max(1, n_learners))) / 100
        remote = ray.remote(num_cpus=float(cpus), max_restarts=-1,
                            max_concurrency=4)(CodedLearner)
        self.actors = [remote.remote(config, list(obs_dims), list(act_spaces), list(local_q_n))
                       for _ in range(int(n_learners))]
        try:  # until built and traced: a slow start is waited for (bounded), not taken for a loss
            self.pids = wait_ready(ray, lambda k: self.actors[k].ping.remote(), len(self.actors),
                                   "--coded-scheme: the coded learners",
                                   "check the Ray logs (/tmp/ray/session_latest/logs), the memory free on every "
                                   "Ray host, and that every host has this package; or pass fewer --learners",
                                   note=notice)
        except BaseException:  # a one-line error or Ctrl-C: no learner left behind
            self.close()
            raise

    def __len__(self) -> int:
        return len(self.actors)

    def subset(self, n: int) -> "LearnerPool":
        """A view of the first n learners (closing the view closes nothing)."""
        view = object.__new__(LearnerPool)
        view.ray, view.actors, view.pids = self.ray, self.actors[:n], self.pids[:n]
        view.close = lambda: None
        return view

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a, no_restart=True)
            except Exception:  # already gone
                pass
        self.actors = []
