"""`maddpg_tf2.load`: trained agents from a checkpoint folder of either format, for evaluation."""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.config import Config


class Agents:
    """Trained agents: actors and critics (with targets) of every agent, ready to evaluate.

    Policy ensembles: `members` is the sub-policy every agent acts with (the same for every row of
    obs_n); `new_episode()` draws them anew, one per agent uniformly, as training does at every
    episode start (a fixed `member` given to load is kept)."""

    def __init__(self, learner, seed: Optional[int] = None, member: Optional[int] = None):
        from maddpg_tf2.policy import Policy

        self.learner = learner
        self.rng = np.random.default_rng(seed)
        if learner.ensemble is not None:
            from maddpg_tf2.ensembles import EnsemblePolicy
            self.policy = EnsemblePolicy.from_learner(learner, member)
            self.new_episode()
        else:
            self.policy = Policy.from_learner(learner)

    @property
    def members(self) -> List[int]:
        """The sub-policy each agent acts with now (all 0 without an ensemble)."""
        return [0] * self.n if self.policy.tags is None else [int(k) for k in self.policy.tags[0]]

    def new_episode(self) -> None:
        """Draw every agent's sub-policy anew (ensembles; nothing to do otherwise)."""
        self.policy.new_episodes(np.ones(1, bool), self.rng)

    @property
    def n(self) -> int:
        return self.learner.n

    def logits(self, obs_n: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Each actor's output before sampling, [B, param_size_i]."""
        if self.learner.ensemble is not None:
            return self._rows(self.policy.logits, obs_n)
        return [p.numpy() for p in self.learner.actor_params(obs_n)]

    def act(self, obs_n: Sequence[np.ndarray], deterministic: bool = False) -> List[np.ndarray]:
        """Actions [B, k_i] as the environment receives them (deterministic: the distributions' mode)."""
        if self.learner.ensemble is not None:
            return self._rows(lambda o: self.policy.act(o, self.rng, deterministic=deterministic), obs_n)
        return self.policy.act(obs_n, self.rng, deterministic=deterministic)

    def _rows(self, fn, obs_n):
        """fn(obs_n) with the current members acting for every row of obs_n."""
        draw = self.policy.draw
        self.policy.draw = np.repeat(draw[:1], len(obs_n[0]), axis=0)
        try:
            return fn(obs_n)
        finally:
            self.policy.draw = draw

    def q_values(self, obs_n: Sequence[np.ndarray], act_n: Sequence[np.ndarray],
                 target: bool = False) -> List[np.ndarray]:
        """Each agent's critic (or target critic) on joint observations and actions, [B]."""
        return [q.numpy() for q in self.learner.q_values(obs_n, act_n, target=target)]


def load_with_spaces(path: str, obs_dims: Sequence[int], act_spaces: Sequence, config: Config,
                     scenario: Optional[str] = None, seed: Optional[int] = None) -> Agents:
    """Agents of known observation sizes and action spaces, restored from `path` (either format)."""
    from maddpg_tf2 import checkpoint
    from maddpg_tf2.learner import Learner

    learner = Learner(config, obs_dims, act_spaces, seed=seed)
    checkpoint.restore(path, learner, scenario=scenario)
    return Agents(learner, seed=seed, member=config.ensemble_member)


def saved_ensemble_size(path: str) -> int:
    """K of the checkpoint at `path` (meta.json; 1 for the original's format or older checkpoints)."""
    import json
    import os

    from maddpg_tf2.checkpoint import META_FILE
    try:
        with open(os.path.join(os.fspath(path), META_FILE)) as f:
            return int(json.load(f).get("ensemble_size", 1))
    except (OSError, ValueError):
        return 1


def load(path: str, scenario: str = "simple_spread", num_units: int = 64, num_adversaries: int = 0,
         good_policy: str = "maddpg", adv_policy: str = "maddpg", seed: Optional[int] = None,
         env_kwargs: Optional[dict] = None, continuous_actions: Optional[bool] = None,
         box_policy: Optional[str] = None, member: Optional[int] = None) -> Agents:
    """Load trained agents for `scenario` from a checkpoint folder written by maddpg_tf2 or by the
    original code (detected from the folder). The scenario (or env id such as
    'gymnasium:Pendulum-v1') gives observation sizes and action spaces; num_units and the policy
    flags must be those the checkpoint was trained with. env_kwargs, continuous_actions and
    box_policy default to what the checkpoint's meta.json recorded. An ensemble's size is read from
    the checkpoint; `member` fixes the sub-policy k every agent acts with (default: one drawn per
    agent, anew at every `Agents.new_episode()`)."""
    from maddpg_tf2.envs.make import make_env

    recorded = _recorded_env(path)
    env_kwargs = recorded.get("env_kwargs") if env_kwargs is None else env_kwargs
    continuous_actions = bool(recorded.get("continuous_actions", False)) if continuous_actions is None \
        else continuous_actions
    box_policy = box_policy or recorded.get("box_policy") or Config.box_policy
    env = make_env(scenario, num_envs=1, continuous_actions=continuous_actions, env_kwargs=env_kwargs)
    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    act_spaces = list(env.action_space_n)
    if hasattr(env, "close"):
        env.close()
    size = saved_ensemble_size(path)
    if member is not None and not 0 <= member < size:
        raise ValueError(f"member must lie in 0..{size - 1}: the checkpoint holds {size} sub-policies per agent")
    config = Config(scenario=scenario, num_units=num_units, num_adversaries=num_adversaries,
                    good_policy=good_policy, adv_policy=adv_policy, seed=seed, env_kwargs=env_kwargs,
                    continuous_actions=continuous_actions, box_policy=box_policy,
                    ensemble_size=size, ensemble_member=member)
    return load_with_spaces(path, obs_dims, act_spaces, config, scenario=scenario, seed=seed)


def _recorded_env(path: str) -> dict:
    """The env settings a native checkpoint's meta.json records ({} for the original's format)."""
    import json
    import os

    from maddpg_tf2.checkpoint import META_FILE

    try:
        with open(os.path.join(os.fspath(path), META_FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
