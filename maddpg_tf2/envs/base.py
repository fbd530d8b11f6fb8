"""The batched multi-agent environment protocol used by the training loop.

A batched environment steps E independent worlds of one scenario together. Per-agent values are
lists over policy agents (`_n`), each an array with a leading env axis. Environments do not reset
themselves: the loop calls `reset(mask)` for the worlds whose episode ended, after it has stored
the terminal observation.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np


class BatchedEnv:
    """Interface; the vectorised particle engine and the object-env adapter implement it."""

    num_envs: int
    """E, the number of worlds stepped together."""
    n: int
    """Number of policy agents."""
    observation_space_n: Sequence[Any]
    """gymnasium Box per policy agent (shape [d_i])."""
    action_space_n: Sequence[Any]
    """gymnasium Discrete / Box / MultiBinary or multiagent MultiDiscrete per policy agent."""
    agent_names: Sequence[str]
    """Names of the policy agents, e.g. 'agent 0'."""
    adversary_n: Sequence[bool]
    """Whether each policy agent is an adversary (scenario's `adversary` attribute, False if absent)."""

    def reset(self, mask: Optional[np.ndarray] = None) -> List[np.ndarray]:
        """Start new episodes in the worlds where mask [E] is True (all when None).

        Returns obs_n: list over agents of [E, d_i] float64, the current observation of every world
        (fresh ones where reset, unchanged elsewhere).
        """
        raise NotImplementedError

    def step(self, act_n: Sequence[np.ndarray]):
        """Apply act_n (list over agents of [E, k_i], the policy's action vectors) to every world.

        Returns (obs_n, rew_n, done_n, info_n): obs_n list over agents of [E, d_i]; rew_n [E, N]
        float64 (already shared in collaborative scenarios); done_n [E, N] bool; info_n, when
        `benchmark` is on, a list over worlds of lists over agents of the scenario's benchmark_data
        values (the original's `info_n['n']`), else None.
        """
        raise NotImplementedError

    benchmark: bool = False
    """When True, `step` computes the scenario's benchmark_data."""
    has_benchmark_data: bool = True
    """False for envs without benchmark_data (other libraries' envs): benchmarks record episode
    returns and lengths instead."""
    truncated: Optional[np.ndarray] = None
    """After `step`: [E] bool, worlds whose episode the env itself ended without termination (a time
    limit of its own); None for envs that never do. `done` stays termination only."""

    def seed(self, seed: Optional[int]) -> None:
        """Seed the worlds' random draws (resets, noise)."""
        raise NotImplementedError

    def rng_state(self):
        """The worlds' random generator state as JSON-able data (checkpointed so that a resumed seeded
        run continues the stream); None when the environment cannot say."""
        return None

    def set_rng_state(self, state) -> None:
        """Continue the stream from `rng_state()`'s value."""

    def episode_state(self):
        """The worlds' current state as JSON-able data (checkpointed so that a resumed run continues
        the episodes in progress); None when the environment cannot snapshot its worlds."""
        return None

    def set_episode_state(self, state) -> None:
        """Put the worlds back into `episode_state()`'s state; ValueError when it does not fit."""
        raise ValueError("this environment cannot restore its worlds")

    def render(self, env_index: int = 0) -> np.ndarray:
        """An RGB frame [H, W, 3] uint8 of one world, drawn as the original draws it."""
        raise NotImplementedError

    def close(self) -> None:
        pass


def episode_over(env: BatchedEnv, done: np.ndarray, time_up: np.ndarray) -> np.ndarray:
    """[E] bool: worlds whose episode ended this step (every agent done, the env's own truncation,
    or the loop's time limit)."""
    ended = np.all(done, axis=1) | time_up
    if env.truncated is not None:
        ended = ended | env.truncated
    return ended


from maddpg_tf2.envs.spaces import MultiDiscrete  # noqa: E402,F401  (re-exported)
