"""`maddpg_tf2.load`: trained agents from a checkpoint folder of either format, for evaluation."""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from maddpg_tf2.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()  # as the command line: no TensorFlow start-up notes on the terminal

from maddpg_tf2.config import Config  # noqa: E402
from maddpg_tf2.errors import UserError  # noqa: E402


class Agents:
    """Trained agents: actors and critics (with targets) of every agent, ready to evaluate.

    Every method takes obs_n (and act_n) as a list over agents of arrays [B, d_i] (a batch) or [d_i]
    (one observation per agent, e.g. straight from `MultiAgentEnv.reset()`); results follow the input:
    [B, ...] for a batch, unbatched for a single observation. Agents trained with
    `--parameter-sharing team` expect each team member's one-hot index after its observation
    (`learner.obs_dims`; maddpg_tf2.envs.agent_index.AgentIndexEnv appends it).

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

    def _batch(self, xs_n, dims, what):
        """(list over agents of [B, d_i] float32, whether the input was a single unbatched step)."""
        expected = (f"{what} must be a list of {self.n} arrays (one per agent) of shapes "
                    f"{[(d,) for d in dims]} or, for a batch, {[('B', d) for d in dims]}")
        if isinstance(xs_n, np.ndarray) or len(xs_n) != self.n:
            raise ValueError(f"{expected}; got {_shapes(xs_n)}")
        xs_n = [np.asarray(x, dtype=np.float32) for x in xs_n]
        single = all(x.ndim == 1 for x in xs_n)
        if single:
            xs_n = [x[None] for x in xs_n]
        if not all(x.ndim == 2 and x.shape[1] == d and x.shape[0] == xs_n[0].shape[0] for x, d in zip(xs_n, dims)):
            raise ValueError(f"{expected} (the same B for every agent); got {_shapes(xs_n)}")
        return xs_n, single

    def logits(self, obs_n: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Each actor's output before sampling, [B, param_size_i]."""
        obs_n, single = self._batch(obs_n, self.learner.obs_dims, "obs_n")
        if self.learner.ensemble is not None:
            out = self._rows(self.policy.logits, obs_n)
        else:
            out = [p.numpy() for p in self.learner.actor_params(obs_n)]
        return [o[0] for o in out] if single else out

    def act(self, obs_n: Sequence[np.ndarray], deterministic: bool = False) -> List[np.ndarray]:
        """Actions [B, k_i] as the environment receives them (deterministic: the distributions' mode)."""
        obs_n, single = self._batch(obs_n, self.learner.obs_dims, "obs_n")
        act = lambda o: self.policy.act(o, self.rng, deterministic=deterministic)
        out = self._rows(act, obs_n) if self.learner.ensemble is not None else act(obs_n)
        return [o[0] for o in out] if single else out

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
        """Each agent's critic (or target critic) on joint observations and actions, [B] (a float for
        a single step)."""
        obs_n, single = self._batch(obs_n, self.learner.obs_dims, "obs_n")
        act_n, single_act = self._batch(act_n, self.learner.act_dims, "act_n")
        if single != single_act:
            raise ValueError("obs_n and act_n must both be single steps or both batches")
        out = [q.numpy() for q in self.learner.q_values(obs_n, act_n, target=target)]
        return [float(q[0]) for q in out] if single else out


def _shapes(xs) -> str:
    if isinstance(xs, np.ndarray):
        return f"one array of shape {xs.shape}"
    return str([np.shape(x) for x in xs])


def load_with_spaces(path: str, obs_dims: Sequence[int], act_spaces: Sequence, config: Config,
                     scenario: Optional[str] = None, seed: Optional[int] = None, teams=None) -> Agents:
    """Agents of known observation sizes and action spaces, restored from `path` (either format);
    teams: with parameter sharing, the env's (None derives them from the sizes and spaces)."""
    from maddpg_tf2 import checkpoint
    from maddpg_tf2.learner import Learner

    learner = Learner(config, obs_dims, act_spaces, seed=seed, teams=teams)
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


def policies_from_critics(critics: Sequence[str]):
    """(num_adversaries, adv_policy, good_policy) that give these per-agent critic kinds."""
    critics = list(critics)
    k = next((i for i, c in enumerate(critics) if c != critics[0]), len(critics))
    if k == len(critics):
        return 0, critics[0], critics[0]
    if any(c != critics[k] for c in critics[k:]):
        raise UserError(f"per-agent critics {critics} cannot come from --num-adversaries/--adv-policy/--good-policy")
    return k, critics[0], critics[k]


def load(path: str, scenario: Optional[str] = None, num_units: Optional[int] = None,
         num_adversaries: Optional[int] = None, good_policy: Optional[str] = None,
         adv_policy: Optional[str] = None, seed: Optional[int] = None,
         env_kwargs: Optional[dict] = None, continuous_actions: Optional[bool] = None,
         box_policy: Optional[str] = None, member: Optional[int] = None) -> Agents:
    """Load trained agents from a checkpoint folder written by maddpg_tf2 or by the original code
    (detected from the folder). Arguments left out are read from a maddpg_tf2 checkpoint's metadata
    (scenario or env id such as 'gymnasium:Pendulum-v1', num_units, maddpg/ddpg per agent, env
    kwargs, continuous mode, Box policy, ensemble size); the original's checkpoints carry none, so
    give them (defaults: num_units 64, every agent maddpg). A scenario given as a file path is
    needed for checkpoints trained on a user's scenario file. `member` fixes the sub-policy k every
    agent of an ensemble acts with (default: one drawn per agent, anew at every
    `Agents.new_episode()`)."""
    from maddpg_tf2 import checkpoint
    from maddpg_tf2.envs.make import is_external, make_env
    from maddpg_tf2.envs.scenarios import BUILTIN_NAMES

    kind = checkpoint.detect_format(path)
    if kind is None:
        raise checkpoint.no_checkpoint(path)
    meta = checkpoint.read_meta(path) if kind == "native" else None
    if scenario is None:
        scenario = (meta or {}).get("scenario")
        if scenario is None:
            raise UserError(f"the checkpoint in {path} does not name its scenario (written by the original "
                            f"code?); pass scenario=")
        if scenario not in BUILTIN_NAMES and not is_external(scenario):
            raise UserError(f"the checkpoint in {path} was trained on a scenario file {scenario!r}; pass "
                            f"scenario='path/to/{scenario}.py'")
    if num_units is None:
        num_units = int((meta or {}).get("num_units", 64))
    if meta and meta.get("critics") and None in (num_adversaries, good_policy, adv_policy):
        k, adv, good = policies_from_critics(meta.get("rules") or meta["critics"])
        num_adversaries = k if num_adversaries is None else num_adversaries
        adv_policy, good_policy = adv_policy or adv, good_policy or good
    recorded = meta or {}
    env_kwargs = recorded.get("env_kwargs") if env_kwargs is None else env_kwargs
    continuous_actions = bool(recorded.get("continuous_actions", False)) if continuous_actions is None \
        else continuous_actions
    box_policy = box_policy or recorded.get("box_policy") or Config.box_policy
    sharing = recorded.get("parameter_sharing", "none")
    env = make_env(scenario, num_envs=1, continuous_actions=continuous_actions, env_kwargs=env_kwargs)
    if sharing == "team":  # the members observe their one-hot team index (envs/agent_index.py)
        from maddpg_tf2.envs.agent_index import AgentIndexEnv
        policies = Config(num_adversaries=num_adversaries or 0, good_policy=good_policy or "maddpg",
                          adv_policy=adv_policy or "maddpg").agent_policies(env.n)
        env = AgentIndexEnv(env, policies)
    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    act_spaces, teams = list(env.action_space_n), getattr(env, "teams", None)
    if hasattr(env, "close"):
        env.close()
    size = saved_ensemble_size(path)
    if member is not None and not 0 <= member < size:
        raise ValueError(f"member must lie in 0..{size - 1}: the checkpoint holds {size} sub-policies per agent")
    config = Config(scenario=scenario, num_units=num_units, num_adversaries=num_adversaries or 0,
                    good_policy=good_policy or "maddpg", adv_policy=adv_policy or "maddpg", seed=seed,
                    env_kwargs=env_kwargs, continuous_actions=continuous_actions, box_policy=box_policy,
                    ensemble_size=size, ensemble_member=member, parameter_sharing=sharing)
    return load_with_spaces(path, obs_dims, act_spaces, config, scenario=scenario, seed=seed, teams=teams)

