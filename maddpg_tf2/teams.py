"""Two trained teams against each other (`--adversaries-from DIR` with --benchmark or --display).

The paper's ensemble experiment (Lowe et al. 2017, section 4.3) and its MADDPG-against-DDPG rows pit
policies trained in separate runs against each other: e.g. ensemble predators against the prey of a
single-policy run. The good agents act with the checkpoint in --load-dir (or --save-dir), the
scenario's adversaries (its `adversary` attribute) with the checkpoint in DIR. DIR's own settings
(network size, critic kinds, ensemble size, continuous mode) are read from its metadata, so only
the first checkpoint is described by the command line's flags.
"""
from __future__ import annotations

import dataclasses
import os
from typing import List, Sequence

import numpy as np

from maddpg_tf2.config import Config
from maddpg_tf2.errors import UserError


def team_config(config: Config, path: str) -> Config:
    """The config that rebuilds the agents saved in `path` (a maddpg_tf2 checkpoint)."""
    from maddpg_tf2 import checkpoint
    from maddpg_tf2.api import policies_from_critics

    path = os.fspath(path)
    meta = checkpoint.read_meta(path) if checkpoint.detect_format(path) == "native" else None
    if not meta or not meta.get("critics"):
        raise UserError(f"--adversaries-from {path}: no maddpg_tf2 checkpoint with its description (meta.json) "
                        f"there; pass the --save-dir of a training run of this project")
    k, adv, good = policies_from_critics(meta.get("rules") or meta["critics"])
    size = int(meta.get("ensemble_size", 1))
    member = config.ensemble_member if config.ensemble_member is not None and config.ensemble_member < size \
        else None
    return dataclasses.replace(
        config, load_dir=path, num_units=int(meta.get("num_units", config.num_units)), num_adversaries=k,
        adv_policy=adv, good_policy=good, ensemble_size=size, ensemble_member=member, infer_policies=False,
        adversaries_from=None,
        continuous_actions=bool(meta.get("continuous_actions", config.continuous_actions)),
        box_policy=meta.get("box_policy") or config.box_policy)


class TeamPolicy:
    """Good agents act with one policy, adversaries with another (each draws its own sub-policies)."""

    tags = None

    def __init__(self, good, adversaries, adversary_n: Sequence[bool]):
        self.good, self.adversaries = good, adversaries
        self.adversary_n = [bool(a) for a in adversary_n]
        self.dists = good.dists

    @property
    def n(self) -> int:
        return len(self.adversary_n)

    def new_episodes(self, ended: np.ndarray, rng: np.random.Generator) -> None:
        self.good.new_episodes(ended, rng)
        self.adversaries.new_episodes(ended, rng)

    def _merge(self, good_n: List[np.ndarray], adv_n: List[np.ndarray]) -> List[np.ndarray]:
        return [a if is_adv else g for g, a, is_adv in zip(good_n, adv_n, self.adversary_n)]

    def logits(self, obs_n):
        return self._merge(self.good.logits(obs_n), self.adversaries.logits(obs_n))

    def act(self, obs_n, rng: np.random.Generator, deterministic: bool = False):
        return self._merge(self.good.act(obs_n, rng, deterministic), self.adversaries.act(obs_n, rng, deterministic))


def two_teams(config: Config, adversary_n: Sequence[bool], flag: str) -> List[bool]:
    """The scenario's adversary flags; one line naming `flag` when it has not both adversaries and good agents."""
    adversary_n = [bool(a) for a in adversary_n]
    if not any(adversary_n) or all(adversary_n):
        raise UserError(f"{flag} needs a scenario with adversaries and good agents; '{config.scenario}' has "
                        f"{sum(adversary_n)} adversaries among {len(adversary_n)} agents")
    return adversary_n


def with_adversaries_from(config: Config, env, policy, load_agents):
    """`policy` with the env's adversaries acting from the checkpoint --adversaries-from names, and the
    learner of that checkpoint (`load_agents(config, env)` gives a checkpoint's learner and policy)."""
    adversary_n = two_teams(config, env.adversary_n, "--adversaries-from")
    learner, adversaries = load_agents(team_config(config, config.adversaries_from), env)
    return TeamPolicy(policy, adversaries, adversary_n), learner
