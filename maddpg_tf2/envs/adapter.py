"""BatchedEnv over E object-style environments (`multiagent.environment.MultiAgentEnv`), for
scenario files written for the original MPE. Slow (Python per world and agent) but general."""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence

import numpy as np

from maddpg_tf2.envs.base import BatchedEnv


class ObjectEnvBatch(BatchedEnv):
    """E object-style environments stepped one after another.

    make_env_fn() builds one environment with the original MultiAgentEnv API: `n`, `agents`,
    `observation_space`, `action_space`, reset() -> obs list, step(act list) ->
    (obs list, reward list, done list, {'n': infos}), render(mode='rgb_array') -> frames.
    Such environments draw from the global np.random, as the original: `seed` seeds it once,
    before the environments are built (building one already resets its world).
    """

    def __init__(self, make_env_fn: Callable[[], object], num_envs: int = 1, seed: Optional[int] = None,
                 benchmark: bool = False):
        self.seed(seed)
        self.envs = [make_env_fn() for _ in range(int(num_envs))]
        first = self.envs[0]
        self.num_envs = len(self.envs)
        self.n = int(first.n)
        self.benchmark = bool(benchmark)
        self.observation_space_n = list(first.observation_space)
        self.action_space_n = [_flat_box(s) for s in first.action_space]
        agents = list(first.agents)
        self.agent_names = [getattr(a, "name", "agent %d" % i) for i, a in enumerate(agents)]
        self.adversary_n = [bool(getattr(a, "adversary", False)) for a in agents]
        self._obs_n = None  # list over agents of [E, d_i]

    def seed(self, seed: Optional[int]) -> None:
        if seed is not None:
            np.random.seed(seed)

    def rng_state(self):
        # these environments draw from the global np.random (MT19937), as the original
        name, key, pos, has_gauss, gauss = np.random.get_state()
        return {"bit_generator": name, "key": key.tolist(), "pos": int(pos), "has_gauss": int(has_gauss),
                "cached_gaussian": float(gauss)}

    def set_rng_state(self, state) -> None:
        if isinstance(state, dict) and state.get("bit_generator") == "MT19937":
            np.random.set_state(("MT19937", np.asarray(state["key"], np.uint32), state["pos"],
                                 state["has_gauss"], state["cached_gaussian"]))

    def episode_state(self):
        from maddpg_tf2.envs.object_state import world_state

        if self._obs_n is None or not all(hasattr(env, "world") for env in self.envs):
            return None
        return {"kind": "objects", "worlds": [world_state(env) for env in self.envs]}

    def set_episode_state(self, state) -> None:
        from maddpg_tf2.envs.object_state import set_world_state

        if state.get("kind") != "objects" or len(state["worlds"]) != self.num_envs:
            raise ValueError("saved worlds do not fit these environments")
        for env, saved in zip(self.envs, state["worlds"]):
            set_world_state(env, saved)
        if self._obs_n is None:  # worlds built but never reset: they count as observed from here on
            self._obs_n = [np.zeros((self.num_envs, int(s.shape[0]))) for s in self.observation_space_n]

    def reset(self, mask: Optional[np.ndarray] = None) -> List[np.ndarray]:
        # worlds never observed yet are all reset, whatever the mask
        first = self._obs_n is None
        idx = range(self.num_envs) if mask is None or first else np.flatnonzero(mask)
        fresh = {int(e): self.envs[e].reset() for e in idx}
        if first:
            self._obs_n = [np.stack([np.asarray(fresh[e][i], dtype=np.float64) for e in range(self.num_envs)])
                           for i in range(self.n)]
        else:
            obs_n = [o.copy() for o in self._obs_n]  # arrays returned earlier keep their values
            for e, obs in fresh.items():
                for i in range(self.n):
                    obs_n[i][e] = obs[i]
            self._obs_n = obs_n
        return list(self._obs_n)

    def step(self, act_n: Sequence[np.ndarray]):
        if self._obs_n is None:
            raise RuntimeError("reset() before step()")
        E, n = self.num_envs, self.n
        obs_n = [np.empty_like(o) for o in self._obs_n]
        rew = np.zeros((E, n), dtype=np.float64)
        done = np.zeros((E, n), dtype=bool)
        info_n = [] if self.benchmark else None
        for e, env in enumerate(self.envs):
            obs, r, d, info = env.step([np.asarray(act_n[i][e]) for i in range(n)])
            for i in range(n):
                obs_n[i][e] = obs[i]
            rew[e] = r
            done[e] = d
            if info_n is not None:
                info_n.append(list(info["n"]))
        self._obs_n = obs_n
        return list(obs_n), rew, done, info_n

    def render(self, env_index: int = 0) -> np.ndarray:
        return self.envs[env_index].render(mode="rgb_array")[0]

    def close(self) -> None:
        for env in self.envs:
            close = getattr(env, "close", None)
            if close is not None:
                close()


def _flat_box(space):
    """A Tuple of Boxes (the original's continuous mode for an agent that moves and speaks) as one
    flat Box: the learner acts with one vector, which MultiAgentEnv splits again."""
    from gymnasium import spaces

    if isinstance(space, spaces.Tuple) and all(isinstance(s, spaces.Box) for s in space.spaces):
        low = np.concatenate([np.ravel(s.low) for s in space.spaces]).astype(np.float32)
        high = np.concatenate([np.ravel(s.high) for s in space.spaces]).astype(np.float32)
        return spaces.Box(low, high, dtype=np.float32)
    return space
