"""make_env: a batched environment from a scenario name or a scenario file."""
from __future__ import annotations

import os
from typing import Optional

from maddpg_tf2.envs.adapter import ObjectEnvBatch
from maddpg_tf2.errors import ScenarioCodeError, UnknownScenarioError  # noqa: F401  (re-exported)
from maddpg_tf2.envs.base import BatchedEnv
from maddpg_tf2.envs.particle import ParticleEnv
from maddpg_tf2.envs.scenarios import BUILTIN_NAMES


def _guarded(path: str, name: str, fn):
    """fn, with its exceptions turned into ScenarioCodeError naming `path` and `name`."""
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ScenarioCodeError:
            raise  # already names the scenario function that failed
        except Exception as exc:
            raise ScenarioCodeError(_describe(path, name, exc)) from exc
    return call


def _describe(path: str, name: str, exc: BaseException) -> str:
    import traceback

    target = os.path.abspath(path)
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == target]
    where = f" at line {lines[-1]}" if lines else ""
    text = " ".join(str(exc).split()) or "(no message)"
    return (f"scenario file {path}: {name} raised {type(exc).__name__}{where}: {text}; fix the scenario "
            f"(pass --debug for the full traceback)")


def make_env(scenario, num_envs: int = 1, seed: Optional[int] = None, benchmark: bool = False,
             continuous_actions: bool = False, env_kwargs: Optional[dict] = None,
             render: bool = False) -> BatchedEnv:
    """E worlds of `scenario`.

    A built-in name ('simple_spread' or 'simple_spread.py') gives the vectorised ParticleEnv; the
    path of an existing scenario file (as for the original: a module defining `Scenario` with
    make_world, reset_world, reward, observation and, for benchmarking, benchmark_data) gives an
    ObjectEnvBatch of `multiagent` environments built the way the original train.py builds them.
    A built-in name wins unless a file of that name exists, as in `multiagent.scenarios.load`.
    continuous_actions: the original's continuous mode (discrete_action_space=False).
    `pettingzoo:MODULE` and `gymnasium:ID` give the adapters of envs/external.py, built with
    env_kwargs; a built-in scenario takes its entity counts there (mpe2's keywords: simple_spread `N`,
    simple_adversary `N`, simple_tag and simple_world_comm `num_good`, `num_adversaries`, ...); render: they are built to draw frames (render_mode='rgb_array').
    """
    name = os.fspath(scenario)
    if is_external(name):
        from maddpg_tf2.envs.external import make_external

        if continuous_actions:
            raise UnknownScenarioError("--continuous-actions applies to the particle scenarios; for %s "
                                       "pass the env's own option in --env-kwargs (e.g. "
                                       "'{\"continuous_actions\": true}' for mpe2)" % name)
        return make_external(name, num_envs=num_envs, seed=seed, env_kwargs=env_kwargs, render=render)
    stem = name[:-3] if name.endswith(".py") else name
    if env_kwargs and (os.path.isfile(name) or stem not in BUILTIN_NAMES):
        raise UnknownScenarioError("--env-kwargs applies to the built-in scenarios' counts and to pettingzoo: "
                                   "and gymnasium: envs; scenario file %r takes none" % name)
    if os.path.isfile(name):
        return _ScenarioFileEnvBatch(name, _ObjectEnvFactory(name, benchmark, continuous_actions), num_envs,
                                     seed, benchmark)
    if stem in BUILTIN_NAMES:
        return ParticleEnv(stem, num_envs=num_envs, seed=seed, benchmark=benchmark,
                           continuous_actions=continuous_actions, env_kwargs=env_kwargs)
    raise UnknownScenarioError(
        "unknown scenario %r: not a built-in scenario (%s) and no such file; a path to a scenario "
        ".py file (defining class Scenario, as for the original MPE) is accepted too"
        % (name, ", ".join(BUILTIN_NAMES)))


EXTERNAL_PREFIXES = ("pettingzoo:", "gymnasium:")


def is_external(name) -> bool:
    """`pettingzoo:MODULE` or `gymnasium:ID`: an env of another library, not a scenario."""
    return str(name).startswith(EXTERNAL_PREFIXES)


def env_stem(name) -> str:
    """A short name for files and logs: the scenario's file stem, or the env's own name
    ('pettingzoo:mpe2.simple_spread_v3' -> 'simple_spread_v3', 'gymnasium:Pendulum-v1' -> 'Pendulum-v1')."""
    name = str(name)
    if is_external(name):
        ident = name.split(":", 1)[1]
        return ident.rsplit(".", 1)[-1] if name.startswith("pettingzoo:") else ident.replace("/", "_")
    return os.path.splitext(os.path.basename(name.rstrip("/")))[0]


class _ScenarioFileEnvBatch(ObjectEnvBatch):
    """ObjectEnvBatch of a user's scenario file: what goes wrong inside reset/step (its functions,
    or values of the wrong shape they return) is reported against the file."""

    def __init__(self, path, make_env_fn, num_envs, seed, benchmark):
        self.path = path
        super().__init__(make_env_fn, num_envs, seed, benchmark)

    def reset(self, mask=None):
        return _guarded(self.path, "resetting the environment (reset_world, observation)", super().reset)(mask)

    def step(self, act_n):
        return _guarded(self.path, "stepping the environment (do reward and observation return the same "
                                   "shapes every step?)", super().step)(act_n)


# What the environment calls on a scenario, with the signatures the original's scenarios define.
SCENARIO_METHODS = {"make_world": "make_world()", "reset_world": "reset_world(world)",
                    "reward": "reward(agent, world)", "observation": "observation(agent, world)"}


def missing_scenario_methods(cls, benchmark: bool = False) -> list:
    """The methods of SCENARIO_METHODS (and benchmark_data when benchmarking) that a Scenario class
    lacks; one it inherits unimplemented from multiagent's BaseScenario counts as missing."""
    names = list(SCENARIO_METHODS) + (["benchmark_data"] if benchmark else [])
    missing = []
    for name in names:
        method = getattr(cls, name, None)
        inherited = getattr(method, "__qualname__", "") == f"BaseScenario.{name}" and \
            getattr(method, "__module__", "") == "multiagent.scenario"
        if not callable(method) or inherited:
            missing.append(name)
    return missing


def check_scenario_class(path: str, cls, benchmark: bool = False) -> None:
    """One ScenarioCodeError naming every method the scenario file's class lacks, before it is used."""
    missing = missing_scenario_methods(cls, benchmark)
    if not missing:
        return
    if missing == ["benchmark_data"]:
        raise ScenarioCodeError("scenario file %s defines no Scenario.benchmark_data, which --benchmark "
                                "needs; add it to the scenario, or train/display without --benchmark" % path)
    wanted = ", ".join(SCENARIO_METHODS.values()) + (" and benchmark_data(agent, world)" if benchmark else "")
    raise ScenarioCodeError(
        "scenario file %s: class Scenario has no %s; a scenario defines %s (derive it from "
        "multiagent.scenario.BaseScenario, as the original's scenarios do, and write each of them)"
        % (path, missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1], wanted))


class _ObjectEnvFactory:
    """Builds one MultiAgentEnv per call from a scenario file, loaded once, as train.py's make_env."""

    def __init__(self, path: str, benchmark: bool, continuous_actions: bool = False):
        from multiagent import scenarios  # the compat package; only needed for scenario files

        self.module = scenarios.load(path)
        self.path, self.benchmark = path, benchmark
        self.discrete = not continuous_actions
        check_scenario_class(path, self.module.Scenario, benchmark)

    def __call__(self):
        from multiagent.environment import MultiAgentEnv

        g = lambda name, fn: _guarded(self.path, name, fn)
        scenario = g("Scenario()", self.module.Scenario)()
        world = g("Scenario.make_world", scenario.make_world)()
        callbacks = [g(f"Scenario.{name}", getattr(scenario, name))
                     for name in ("reset_world", "reward", "observation")]
        callbacks.append(g("Scenario.benchmark_data", scenario.benchmark_data) if self.benchmark else None)
        # Building observes every agent once: a world make_world left incomplete fails in our frames.
        build = lambda *args: MultiAgentEnv(*args, discrete_action_space=self.discrete)
        return g("building the environment from make_world's world (does every agent's state and "
                 "observation exist before reset?)", build)(world, *callbacks)


def make_env_for(config, num_envs: int = 1, seed: Optional[int] = None, benchmark: bool = False,
                 render: bool = False) -> BatchedEnv:
    """make_env with the config's environment settings (scenario or env id, env kwargs, continuous mode,
    and with --parameter-sharing team the one-hot team index in the members' observations)."""
    env = make_env(config.scenario, num_envs=num_envs, seed=seed, benchmark=benchmark,
                   continuous_actions=config.continuous_actions, env_kwargs=config.env_kwargs, render=render)
    if getattr(config, "parameter_sharing", "none") == "team":
        from maddpg_tf2.envs.agent_index import AgentIndexEnv

        env = AgentIndexEnv(env, config.agent_policies(env.n))  # team members observe their one-hot index
    return env
