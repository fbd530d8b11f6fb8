"""Teams for parameter sharing, and the one-hot agent index their members observe.

With `--parameter-sharing team` the agents that follow the same rule (maddpg or ddpg) and have the
same observation and action spaces form a team that shares one set of networks. So that the shared
actor can still tell its members apart, `AgentIndexEnv` appends to each member's observation a
one-hot of its index within the team (member k of M gets M columns, a 1 in column k), after the
environment's own columns. Teams of one agent get nothing appended.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np

from maddpg_tf2.envs import spaces
from maddpg_tf2.envs.base import BatchedEnv


def sharing_teams(policies: Sequence[str], obs_dims: Sequence[int], act_spaces: Sequence) -> List[List[int]]:
    """The agents grouped by (rule, observation size, action space), in order of each team's first
    agent; every agent is in exactly one team (teams of one included)."""
    teams = {}
    for i, (rule, d, space) in enumerate(zip(policies, obs_dims, act_spaces)):
        teams.setdefault((rule, int(d), repr(space)), []).append(i)
    return list(teams.values())


class AgentIndexEnv(BatchedEnv):
    """A batched env whose observations carry each team member's one-hot index (module docstring).

    Everything else (rewards, benchmark data, state, frames, seeding) is the wrapped env's."""

    def __init__(self, env: BatchedEnv, policies: Sequence[str]):
        self.env = env
        raw_dims = [int(s.shape[0]) for s in env.observation_space_n]
        self.teams = sharing_teams(policies, raw_dims, env.action_space_n)
        E = env.num_envs
        self._index = [None] * env.n  # [E, M] one-hot per member of a team of M >= 2
        for team in self.teams:
            if len(team) > 1:
                for k, i in enumerate(team):
                    self._index[i] = np.broadcast_to(np.eye(len(team))[k], (E, len(team)))
        self.observation_space_n = [
            s if self._index[i] is None else spaces.Box(low=-np.inf, high=np.inf, shape=(raw_dims[i] + len(
                self._index[i][0]),), dtype=np.float32) for i, s in enumerate(env.observation_space_n)]

    def __getattr__(self, name):
        # n, num_envs, action_space_n, agent_names, adversary_n, benchmark, truncated, scenario, ...
        if name == "env":
            raise AttributeError(name)
        return getattr(self.env, name)

    def _with_index(self, obs_n) -> List[np.ndarray]:
        out = []
        for o, index in zip(obs_n, self._index):
            if index is None:
                out.append(o)
            else:
                out.append(np.concatenate([o, index[:len(o)]], axis=1))
        return out

    def reset(self, mask=None):
        return self._with_index(self.env.reset(mask))

    def step(self, act_n):
        obs_n, rew, done, info = self.env.step(act_n)
        return self._with_index(obs_n), rew, done, info

    def observe(self):
        return self._with_index(self.env.observe())

    def seed(self, seed):
        self.env.seed(seed)

    def rng_state(self):
        return self.env.rng_state()

    def set_rng_state(self, state):
        self.env.set_rng_state(state)

    def episode_state(self):
        return self.env.episode_state()

    def set_episode_state(self, state):
        self.env.set_episode_state(state)

    def render(self, env_index: int = 0):
        return self.env.render(env_index)

    def close(self):
        self.env.close()
