"""Batched environments over other libraries: `pettingzoo:MODULE` (any PettingZoo ParallelEnv, MODULE's
`parallel_env(**kwargs)`) and `gymnasium:ID` (one agent: DDPG, through Gymnasium's vector API).

What the trainer sees is the BatchedEnv protocol (base.py), with two additions:
- `done` is termination only (what the replay stores: no bootstrap past it); `truncated` [E] says
  which worlds' episodes the env ended otherwise (time limits: the loop ends the episode and the
  stored transition still bootstraps).
- Agents that finish early (PettingZoo agents leave `env.agents`): every later step of that episode
  stores them with their last observation, reward 0 and done = True, an absorbing state worth 0,
  so every replay row keeps all N agents (the centralised critics need the joint row) and no
  value is bootstrapped through an agent that has left. Their policy's actions are not sent.
Observations of any space are flattened to float vectors (gymnasium.spaces.flatten); action
vectors go back as the space wants them: argmax for Discrete and MultiDiscrete parts (a sample of
the policy's soft categorical), clipped to the bounds for Box, thresholded for MultiBinary.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import List, Optional, Sequence

import numpy as np

from maddpg_tf2.envs.base import BatchedEnv
from maddpg_tf2.errors import MissingExtraError, UnknownScenarioError, UserError

_EXTRAS = {"pettingzoo": "pettingzoo", "mpe2": "pettingzoo", "gymnasium": "gymnasium", "pygame": "gymnasium"}


def require(module: str, extra: str):
    """Import `module` or raise one line naming the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(f"{module} is not installed; install the extra: pip install -e \".[{extra}]\"") from None


def _installed(package: str) -> bool:
    if package in sys.modules:
        return sys.modules[package] is not None
    return importlib.util.find_spec(package) is not None


def make_external(name: str, num_envs: int = 1, seed: Optional[int] = None, env_kwargs: Optional[dict] = None,
                  render: bool = False) -> BatchedEnv:
    kind, ident = name.split(":", 1)
    kwargs = dict(env_kwargs or {})
    if render:
        kwargs.setdefault("render_mode", "rgb_array")
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame-drawn frames need no screen
    if kind == "pettingzoo":
        return PettingZooBatch(ident, num_envs, seed, kwargs)
    return GymnasiumBatch(ident, num_envs, seed, kwargs)


# ----------------------------------------------------------------------------- space conversions

def _flat_dim(space) -> int:
    from gymnasium import spaces

    return int(spaces.flatdim(space))


def _flatten(space, obs) -> np.ndarray:
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return np.asarray(obs, dtype=np.float64).reshape(-1)
    return np.asarray(spaces.flatten(space, obs), dtype=np.float64)


def _check_action_space(space, who: str):
    from gymnasium import spaces

    if isinstance(space, spaces.Box) and len(space.shape) != 1:
        raise UserError(f"{who}: Box action space of shape {space.shape}; only 1-D Box actions are supported")
    if not isinstance(space, (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        raise UserError(f"{who}: action space {space} is not supported; use Discrete, MultiDiscrete, "
                        f"Box or MultiBinary")
    return space


def to_env_action(space, vec: np.ndarray):
    """The policy's action vector [k] as `space` wants it."""
    from gymnasium import spaces

    if isinstance(space, spaces.Discrete):
        return int(space.start + np.argmax(vec))
    if isinstance(space, spaces.MultiDiscrete):
        nvec = np.asarray(space.nvec).reshape(-1)
        parts = np.split(np.asarray(vec), np.cumsum(nvec)[:-1])
        return np.array([np.argmax(p) for p in parts], dtype=space.dtype) + np.asarray(space.start).reshape(-1)
    if isinstance(space, spaces.MultiBinary):
        return (np.asarray(vec) > 0.5).astype(space.dtype).reshape(space.shape)
    return np.clip(np.asarray(vec, dtype=np.float64), space.low, space.high).astype(space.dtype)


def to_env_actions(space, vecs: np.ndarray):
    """[E, k] action vectors -> a batch for a gymnasium vector env."""
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return np.clip(np.asarray(vecs, np.float64), space.low, space.high).astype(space.dtype)
    return np.stack([to_env_action(space, v) for v in vecs])


def _bad_kwargs(who: str, e: Exception) -> UserError:
    return UserError(f"{who} does not take these --env-kwargs ({e}); pass the keyword arguments it accepts")


# ----------------------------------------------------------------------------- PettingZoo

class PettingZooBatch(BatchedEnv):
    """E copies of MODULE.parallel_env(**kwargs), stepped one after another."""

    has_benchmark_data = False

    def __init__(self, module: str, num_envs: int = 1, seed: Optional[int] = None, kwargs: Optional[dict] = None):
        require("pettingzoo", "pettingzoo")
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            missing = (getattr(e, "name", None) or "").split(".")[0]
            if missing in _EXTRAS and not _installed(missing):  # the package is absent, not a module in it
                raise MissingExtraError(f"{missing} is not installed; install the extra: "
                                        f"pip install -e \".[{_EXTRAS[missing]}]\"") from None
            raise UnknownScenarioError(f"unknown PettingZoo env module {module!r} ({e}); pass "
                                       f"pettingzoo:MODULE with MODULE importable and defining parallel_env, "
                                       f"e.g. pettingzoo:mpe2.simple_spread_v3") from None
        if not callable(getattr(mod, "parallel_env", None)):
            raise UnknownScenarioError(f"PettingZoo module {module!r} defines no parallel_env(**kwargs); "
                                       f"pass a module that does, e.g. pettingzoo:mpe2.simple_spread_v3")
        self.name = module
        self.kwargs = dict(kwargs or {})
        try:
            self.envs = [mod.parallel_env(**self.kwargs) for _ in range(int(num_envs))]
        except TypeError as e:
            raise _bad_kwargs(f"{module}.parallel_env", e) from None
        first = self.envs[0]
        self.num_envs = len(self.envs)
        self.possible_agents = list(first.possible_agents)
        self.n = len(self.possible_agents)
        self.agent_names = [str(a) for a in self.possible_agents]
        self.adversary_n = [str(a).startswith("adversary") for a in self.possible_agents]
        self._obs_spaces = [first.observation_space(a) for a in self.possible_agents]
        self.observation_space_n = [_box(_flat_dim(s)) for s in self._obs_spaces]
        self.action_space_n = [_check_action_space(first.action_space(a), f"{module} agent {a}")
                               for a in self.possible_agents]
        self.episode_limit = getattr(getattr(first, "unwrapped", first), "max_cycles", None)
        self.truncated = np.zeros(self.num_envs, bool)
        self._seed = seed
        self._seeded = [False] * self.num_envs
        self._obs_n = None
        self._dead = np.zeros((self.num_envs, self.n), bool)  # finished this episode

    def seed(self, seed: Optional[int]) -> None:
        self._seed = seed
        self._seeded = [False] * self.num_envs

    def reset(self, mask: Optional[np.ndarray] = None) -> List[np.ndarray]:
        first = self._obs_n is None
        idx = range(self.num_envs) if mask is None or first else np.flatnonzero(mask)
        obs_n = [np.zeros((self.num_envs, s.shape[0])) for s in self.observation_space_n] if first \
            else [o.copy() for o in self._obs_n]  # arrays returned earlier keep their values
        for e in idx:
            seed = None
            if self._seed is not None and not self._seeded[e]:
                seed, self._seeded[e] = int(self._seed) * 1000 + int(e), True  # later resets continue the stream
            obs, _ = self.envs[e].reset(seed=seed)
            for i, a in enumerate(self.possible_agents):
                if a in obs:
                    obs_n[i][e] = _flatten(self._obs_spaces[i], obs[a])
            self._dead[e] = False
            self.truncated[e] = False
        self._obs_n = obs_n
        return list(obs_n)

    def step(self, act_n: Sequence[np.ndarray]):
        if self._obs_n is None:
            raise RuntimeError("reset() before step()")
        E, n = self.num_envs, self.n
        obs_n = [o.copy() for o in self._obs_n]  # finished agents keep their last observation
        rew = np.zeros((E, n))
        truncated = np.zeros(E, bool)
        for e, env in enumerate(self.envs):
            live = set(env.agents)
            actions = {a: to_env_action(self.action_space_n[i], act_n[i][e])
                       for i, a in enumerate(self.possible_agents) if a in live}
            obs, r, term, trunc, _ = env.step(actions)
            for i, a in enumerate(self.possible_agents):
                if a not in live:
                    continue  # left earlier: absorbing, reward 0, still done
                if a in obs:
                    obs_n[i][e] = _flatten(self._obs_spaces[i], obs[a])
                rew[e, i] = float(r.get(a, 0.0))
                if term.get(a, False):
                    self._dead[e, i] = True
                elif trunc.get(a, False) and env.agents:
                    self._dead[e, i] = True  # cut off alone while others go on: absorbing from now on
            truncated[e] = not env.agents and not self._dead[e].all()
        done = self._dead.copy()
        self.truncated = truncated
        self._obs_n = obs_n
        return list(obs_n), rew, done, None

    def render(self, env_index: int = 0) -> np.ndarray:
        frame = self.envs[env_index].render()
        if frame is None:
            raise UserError(f"{self.name} returned no frame; it needs render_mode='rgb_array' support")
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _box(dim: int):
    from gymnasium import spaces

    return spaces.Box(-np.inf, np.inf, shape=(dim,), dtype=np.float32)


# ----------------------------------------------------------------------------- Gymnasium

class GymnasiumBatch(BatchedEnv):
    """E copies of gymnasium.make(ID, **kwargs) in a SyncVectorEnv without autoreset (the loop
    resets worlds itself, after it has stored the final observation). One agent."""

    has_benchmark_data = False

    def __init__(self, env_id: str, num_envs: int = 1, seed: Optional[int] = None, kwargs: Optional[dict] = None):
        gym = require("gymnasium", "gymnasium")
        from gymnasium.vector import AutoresetMode, SyncVectorEnv

        self.name = env_id
        self.kwargs = dict(kwargs or {})
        try:
            probe = gym.make(env_id, **self.kwargs)
        except gym.error.DependencyNotInstalled as e:
            raise MissingExtraError(f"{env_id} needs a package that is not installed ({str(e).splitlines()[0]}); "
                                    f"install the extra: pip install -e \".[gymnasium]\" (and the env's own)") from None
        except gym.error.Error as e:
            raise UnknownScenarioError(f"unknown Gymnasium env id {env_id!r} ({e}); pass gymnasium:ID with a "
                                       f"registered id, e.g. gymnasium:Pendulum-v1") from None
        except TypeError as e:
            raise _bad_kwargs(f"gymnasium.make({env_id!r})", e) from None
        self.episode_limit = probe.spec.max_episode_steps if probe.spec is not None else None
        probe.close()
        self.vec = SyncVectorEnv([lambda: gym.make(env_id, **self.kwargs)] * int(num_envs),
                                 autoreset_mode=AutoresetMode.DISABLED)
        self.num_envs = self.vec.num_envs
        self.n = 1
        self.agent_names = [env_id]
        self.adversary_n = [False]
        self._obs_space = self.vec.single_observation_space
        self.observation_space_n = [_box(_flat_dim(self._obs_space))]
        self.action_space_n = [_check_action_space(self.vec.single_action_space, env_id)]
        self.truncated = np.zeros(self.num_envs, bool)
        self._seed, self._seeded = seed, False
        self._obs = None

    def seed(self, seed: Optional[int]) -> None:
        self._seed, self._seeded = seed, False  # the next reset reseeds every world

    def _flat(self, obs) -> np.ndarray:
        from gymnasium import spaces

        if isinstance(self._obs_space, spaces.Box):
            return np.asarray(obs, np.float64).reshape(self.num_envs, -1)
        return np.stack([_flatten(self._obs_space, o) for o in obs])

    def reset(self, mask: Optional[np.ndarray] = None) -> List[np.ndarray]:
        if self._obs is None or mask is None:
            seed, self._seeded = (None if self._seeded else self._seed), True  # later resets continue the stream
            obs, _ = self.vec.reset(seed=seed)  # world e gets seed + e
            self._obs = self._flat(obs)
        else:
            mask = np.asarray(mask, bool)
            if mask.any():
                obs, _ = self.vec.reset(options={"reset_mask": mask})
                fresh = self._obs.copy()
                fresh[mask] = self._flat(obs)[mask]
                self._obs = fresh
            self.truncated = self.truncated & ~mask
        return [self._obs]

    def step(self, act_n: Sequence[np.ndarray]):
        if self._obs is None:
            raise RuntimeError("reset() before step()")
        obs, rew, term, trunc, _ = self.vec.step(to_env_actions(self.action_space_n[0], act_n[0]))
        self._obs = self._flat(obs)
        term = np.asarray(term, bool)
        self.truncated = np.asarray(trunc, bool) & ~term
        return [self._obs], np.asarray(rew, np.float64).reshape(-1, 1), term.reshape(-1, 1), None

    def render(self, env_index: int = 0) -> np.ndarray:
        frame = self.vec.envs[env_index].render()
        if frame is None:
            raise UserError(f"{self.name} returned no frame; it needs render_mode='rgb_array' support")
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        self.vec.close()
