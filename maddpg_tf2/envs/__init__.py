"""Batched multi-agent environments: the vectorised particle engine for the built-in scenarios, an
adapter over object-style `multiagent` environments for scenario files, adapters over PettingZoo
and Gymnasium envs (external.py), and our scenarios exported as PettingZoo envs."""
from maddpg_tf2.envs.base import BatchedEnv, MultiDiscrete
from maddpg_tf2.envs.make import UnknownScenarioError, make_env
from maddpg_tf2.envs.scenarios import BUILTIN_NAMES


def pettingzoo_env(scenario: str = "simple", **kwargs):
    """A built-in scenario or a scenario file as a PettingZoo ParallelEnv with the original's dynamics
    (kwargs: max_cycles=25, continuous_actions=False, render_mode=None); needs the pettingzoo extra."""
    from maddpg_tf2.envs.pettingzoo_export import pettingzoo_env as build

    return build(scenario, **kwargs)


def pettingzoo_aec_env(scenario: str = "simple", **kwargs):
    """The AEC version of `pettingzoo_env`, through PettingZoo's own parallel_to_aec."""
    from maddpg_tf2.envs.pettingzoo_export import pettingzoo_aec_env as build

    return build(scenario, **kwargs)


__all__ = ["BUILTIN_NAMES", "BatchedEnv", "MultiDiscrete", "UnknownScenarioError", "make_env",
           "pettingzoo_aec_env", "pettingzoo_env"]
