"""make_env: a batched environment from a scenario name or a scenario file."""
from __future__ import annotations

import os
from typing import Optional

from maddpg_tf2.envs.adapter import ObjectEnvBatch
from maddpg_tf2.envs.base import BatchedEnv
from maddpg_tf2.envs.particle import ParticleEnv
from maddpg_tf2.envs.scenarios import BUILTIN_NAMES


class UnknownScenarioError(ValueError):
    """The scenario is neither a built-in name nor an existing scenario file."""


def make_env(scenario, num_envs: int = 1, seed: Optional[int] = None, benchmark: bool = False) -> BatchedEnv:
    """E worlds of `scenario`.

    A built-in name ('simple_spread' or 'simple_spread.py') gives the vectorised ParticleEnv; the
    path of an existing scenario file (as for the original: a module defining `Scenario` with
    make_world, reset_world, reward, observation and, for benchmarking, benchmark_data) gives an
    ObjectEnvBatch of `multiagent` environments built the way the original train.py builds them.
    A built-in name wins unless a file of that name exists, as in `multiagent.scenarios.load`.
    """
    name = os.fspath(scenario)
    stem = name[:-3] if name.endswith(".py") else name
    if os.path.isfile(name):
        return ObjectEnvBatch(_ObjectEnvFactory(name, benchmark), num_envs, seed, benchmark)
    if stem in BUILTIN_NAMES:
        return ParticleEnv(stem, num_envs=num_envs, seed=seed, benchmark=benchmark)
    raise UnknownScenarioError(
        "unknown scenario %r: not a built-in scenario (%s) and no such file; a path to a scenario "
        ".py file (defining class Scenario, as for the original MPE) is accepted too"
        % (name, ", ".join(BUILTIN_NAMES)))


class _ObjectEnvFactory:
    """Builds one MultiAgentEnv per call from a scenario file, loaded once, as train.py's make_env."""

    def __init__(self, path: str, benchmark: bool):
        from multiagent import scenarios  # the compat package; only needed for scenario files

        self.module = scenarios.load(path)
        self.path, self.benchmark = path, benchmark
        if benchmark and not hasattr(self.module.Scenario, "benchmark_data"):
            raise ValueError("scenario file %s defines no benchmark_data, which benchmarking needs" % path)

    def __call__(self):
        from multiagent.environment import MultiAgentEnv

        scenario = self.module.Scenario()
        world = scenario.make_world()
        if self.benchmark:
            return MultiAgentEnv(world, scenario.reset_world, scenario.reward, scenario.observation,
                                 scenario.benchmark_data)
        return MultiAgentEnv(world, scenario.reset_world, scenario.reward, scenario.observation)
