"""Where the training loop's transitions come from (the loop's collector seam, DESIGN.md).

A collector steps W worlds and hands the loop one `Step` of all of them per call; the loop stores it,
counts episodes and runs the updates, and does not care who stepped the worlds. Two collectors:
`EnvCollector`, the batched environment in this process acted by the learner's numpy policy (the
default), and `maddpg_tf2.distributed.explorers.ExplorerCollector`, Ray explorers (`--explorers K`).
The loop picks one (loop.make_collector); neither kind imports the picker.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional

import numpy as np

from maddpg_tf2.envs.base import episode_over


class Step(NamedTuple):
    """One step of every world: obs_n/next_obs_n lists over agents of [W, d_i], act_n of [W, k_i],
    rew [W, N], done [W, N] bool, ended [W] bool (episode over: all done or the time limit)."""

    obs_n: List[np.ndarray]
    act_n: List[np.ndarray]
    rew: np.ndarray
    next_obs_n: List[np.ndarray]
    done: np.ndarray
    ended: np.ndarray
    lost: Optional[np.ndarray] = None
    """[W] bool where the worlds were restarted before this step (a lost explorer): the episodes
    they had in progress are dropped, not counted. None: none were."""
    tags: Optional[np.ndarray] = None
    """[W, N] sub-policy of every agent that acted in this step (policy ensembles); None without."""


class EnvCollector:
    """The batched environment in this process, acting with the trainer's policy and generator."""

    def __init__(self, env, policy, rng: np.random.Generator, max_episode_len: int):
        self.env, self.policy, self.rng = env, policy, rng
        self.max_episode_len = max_episode_len
        self.num_worlds = env.num_envs

    def start(self) -> None:
        self.obs_n = self.env.reset()
        self.episode_step = np.zeros(self.num_worlds, np.int64)
        self.policy.new_episodes(np.ones(self.num_worlds, bool), self.rng)
        self.rng_before_reset = None

    def step(self, random: bool = False) -> Step:
        """Act (uniformly at random while `random`, e.g. warm-up), step, and reset the worlds whose
        episode ended (the returned next_obs_n keeps their terminal observation). Episodes end when
        every agent is done, the env truncates them, or after max_episode_len steps."""
        obs_n = self.obs_n
        if random:
            act_n = self.policy.random_actions(self.num_worlds, self.rng)
        else:
            act_n = self.policy.act(obs_n, self.rng)
        tags = None if self.policy.tags is None else np.array(self.policy.tags)  # before new draws
        next_obs_n, rew, done, _ = self.env.step(act_n)
        self.episode_step += 1
        ended = episode_over(self.env, done, self.episode_step >= self.max_episode_len)  # [E]
        self.obs_n = next_obs_n
        self.rng_before_reset = None
        if ended.any():
            # The environments' generator before these resets: what a checkpoint saved at this step
            # must hold, so that a resumed run redraws the same resets.
            self.rng_before_reset = self.env.rng_state() if hasattr(self.env, "rng_state") else None
            self.obs_n = self.env.reset(ended)
            self.policy.new_episodes(ended, self.rng)
            self.episode_step[ended] = 0
        return Step(obs_n, act_n, rew, next_obs_n, done, ended, tags=tags)

    def snapshot(self):
        """The worlds mid-episode (maddpg_tf2/episode_snapshot.py); None when the env cannot say."""
        from maddpg_tf2.episode_snapshot import pack

        env_state = self.env.episode_state()
        if env_state is None:
            return None
        draw = getattr(self.policy, "draw", None)
        return {"env": env_state, "obs_n": [pack(o) for o in self.obs_n],
                "episode_step": pack(self.episode_step), "draw": None if draw is None else pack(draw)}

    def resume(self, state) -> bool:
        """Continue from `snapshot()` instead of `start()`; False when it does not fit this run."""
        from maddpg_tf2.episode_snapshot import unpack, unpack_like

        episode_step = unpack_like(state["episode_step"], np.zeros(self.num_worlds, np.int64))
        obs_n = [unpack(o) for o in state["obs_n"]]
        if [o.shape for o in obs_n] != [(self.num_worlds, int(s.shape[0])) for s in self.env.observation_space_n]:
            return False
        has_draws = hasattr(self.policy, "draw")
        if has_draws != (state.get("draw") is not None):
            return False  # saved with another --ensemble-size
        if has_draws:
            self.policy.draw = unpack_like(state["draw"], np.zeros((self.num_worlds, self.policy.n), np.int64))
        self.env.set_episode_state(state["env"])
        self.obs_n, self.episode_step, self.rng_before_reset = obs_n, episode_step, None
        return True

    def close(self) -> None:
        pass

