"""What training, display and benchmark runs build alike from a config: the agents (learner and
acting policy) for an environment, and the run's file stem. Below loop.py and playback.py, which
both use it."""
from __future__ import annotations

import time

from maddpg_tf2.config import Config
from maddpg_tf2.errors import UserError


def exp_name_for(config: Config) -> str:
    if config.exp_name:
        return config.exp_name
    from maddpg_tf2.envs.make import env_stem
    stem = env_stem(config.scenario)
    return f"{stem}_{time.strftime('%Y%m%d-%H%M%S')}"


def check_adversaries(config: Config, n_agents: int) -> None:
    if config.num_adversaries > n_agents:
        raise UserError(
            f"--num-adversaries {config.num_adversaries} exceeds the {n_agents} agents of scenario "
            f"'{config.scenario}'; pass a value from 0 to {n_agents}")


def build_agents(config: Config, env):
    """The learner (networks, targets, optimizers) and the acting policy for an environment."""
    from maddpg_tf2.learner import Learner
    from maddpg_tf2.policy import Policy

    check_adversaries(config, env.n)
    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    learner = Learner(config, obs_dims, list(env.action_space_n),  # local critics from the config
                      teams=getattr(env, "teams", None))  # parameter sharing: the env's teams
    if learner.ensemble is not None:
        from maddpg_tf2.ensembles import EnsemblePolicy
        return learner, EnsemblePolicy.from_learner(learner, config.ensemble_member)
    return learner, Policy.from_learner(learner)
