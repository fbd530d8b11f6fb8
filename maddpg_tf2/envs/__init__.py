"""Batched multi-agent environments: the vectorised particle engine for the built-in scenarios and
an adapter over object-style `multiagent` environments for scenario files."""
from maddpg_tf2.envs.base import BatchedEnv, MultiDiscrete
from maddpg_tf2.envs.make import UnknownScenarioError, make_env
from maddpg_tf2.envs.scenarios import BUILTIN_NAMES

__all__ = ["BUILTIN_NAMES", "BatchedEnv", "MultiDiscrete", "UnknownScenarioError", "make_env"]
