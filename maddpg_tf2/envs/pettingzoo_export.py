"""Our scenarios as PettingZoo environments: `pettingzoo_env(scenario)` is a ParallelEnv with the
original MPE's dynamics, so libraries built on PettingZoo can train on them; `pettingzoo_aec_env`
is the AEC version through PettingZoo's own `parallel_to_aec`.

Actions follow PettingZoo's MPE conventions. Discrete mode (the default): an integer per agent
(Discrete), or one integer per part for agents that move and speak (MultiDiscrete [5, dim_c]);
movement indices mean [no-op, -x, +x, -y, +y], the original's `discrete_action_input` layout
(note: not the order of the one-hot vectors the trainer uses, [no-op, +x, -x, +y, -y]).
Continuous mode (`continuous_actions=True`, the original's discrete_action_space=False): one flat
Box per agent, movement in [-1, 1]^2 then message in [0, 1]^dim_c.
Episodes end by truncation after `max_cycles` steps; a user scenario whose done callback ends an
agent terminates that agent (it leaves `agents`; the others go on).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from maddpg_tf2.envs.external import require

require("pettingzoo", "pettingzoo")
from gymnasium import spaces  # noqa: E402
from pettingzoo import ParallelEnv  # noqa: E402

from maddpg_tf2.envs.make import env_stem, make_env  # noqa: E402
from maddpg_tf2.envs.spaces import MultiDiscrete  # noqa: E402

# discrete_action_input index -> position in the one-hot movement vector [noop, +x, -x, +y, -y]
_MOVE_INDEX_TO_ONE_HOT = np.array([0, 2, 1, 4, 3])


class ScenarioParallelEnv(ParallelEnv):
    """One world of a built-in scenario (the vectorised engine) or a scenario file (the object-style
    MultiAgentEnv), behind PettingZoo's parallel API. Keyword arguments beyond these are a built-in
    scenario's entity counts, as mpe2 takes them (e.g. N=6 for simple_spread)."""

    def __init__(self, scenario: str = "simple", max_cycles: int = 25, continuous_actions: bool = False,
                 render_mode: Optional[str] = None, **counts):
        if render_mode not in (None, "rgb_array", "human"):
            raise ValueError("render_mode must be None, 'rgb_array' or 'human', got %r" % (render_mode,))
        self.scenario = str(scenario)
        self.max_cycles = int(max_cycles)
        self.continuous_actions = bool(continuous_actions)
        self.render_mode = render_mode
        self.metadata = {"render_modes": ["rgb_array", "human"], "name": env_stem(scenario),
                         "is_parallelizable": True, "render_fps": 10}
        self._env = make_env(self.scenario, num_envs=1, continuous_actions=self.continuous_actions,
                             env_kwargs=counts or None)
        names = [str(a).replace(" ", "_") for a in self._env.agent_names]
        self.possible_agents = names
        self.agents = []
        self._index = {a: i for i, a in enumerate(names)}
        self._obs_spaces = {a: spaces.Box(-np.inf, np.inf, shape=s.shape, dtype=np.float32)
                            for a, s in zip(names, self._env.observation_space_n)}
        self._act_spaces = {a: _public_space(s) for a, s in zip(names, self._env.action_space_n)}
        self._sizes = [_vector_sizes(s) for s in self._env.action_space_n]
        self._moves = _movable(self._env)  # whether each agent's first action part is movement
        dim = int(sum(s.shape[0] for s in self._obs_spaces.values()))
        self.state_space = spaces.Box(-np.inf, np.inf, shape=(dim,), dtype=np.float32)
        self._obs_n = None
        self._cycles = 0
        self._window = None

    # the same object on every call, as the API test demands (space seeding depends on it)
    def observation_space(self, agent):
        return self._obs_spaces[agent]

    def action_space(self, agent):
        return self._act_spaces[agent]

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._env.seed(seed)
            for i, a in enumerate(self.possible_agents):
                self._act_spaces[a].seed(seed + i)
        self._obs_n = self._env.reset()
        self._cycles = 0
        self.agents = list(self.possible_agents)
        return self._observations(), {a: {} for a in self.agents}

    def step(self, actions):
        if not self.agents:
            raise RuntimeError("step() after the episode ended; call reset()")
        act_n = []
        for i, a in enumerate(self.possible_agents):
            vec = self._to_vector(i, actions[a]) if a in actions and a in self.agents else \
                np.zeros(sum(self._sizes[i]), np.float64)  # finished agents (or none given) do nothing
            act_n.append(vec[None])
        self._obs_n, rew, done, _ = self._env.step(act_n)
        self._cycles += 1
        live = list(self.agents)
        obs = self._observations(live)
        rewards = {a: float(rew[0, self._index[a]]) for a in live}
        terminations = {a: bool(done[0, self._index[a]]) for a in live}
        out_of_time = self._cycles >= self.max_cycles
        truncations = {a: out_of_time and not terminations[a] for a in live}
        infos = {a: {} for a in live}
        self.agents = [a for a in live if not (terminations[a] or truncations[a])]
        if self.render_mode == "human":
            self.render()
        return obs, rewards, terminations, truncations, infos

    def _observations(self, agents=None):
        return {a: np.asarray(self._obs_n[self._index[a]][0], dtype=np.float32)
                for a in (self.agents if agents is None else agents)}

    def _to_vector(self, i: int, action) -> np.ndarray:
        """PettingZoo action -> the engine's action vector."""
        if self.continuous_actions:
            return np.asarray(action, dtype=np.float64).reshape(-1)
        index = np.asarray(action, dtype=np.int64).reshape(-1)
        parts = []
        for k, (n, idx) in enumerate(zip(self._sizes[i], index)):
            hot = np.zeros(n)
            hot[_MOVE_INDEX_TO_ONE_HOT[idx] if k == 0 and self._moves[i] else idx] = 1.0
            parts.append(hot)
        return np.concatenate(parts)

    def state(self) -> np.ndarray:
        """Every agent's observation, concatenated (a global state for centralised critics)."""
        return np.concatenate([np.asarray(o[0], dtype=np.float32) for o in self._obs_n])

    def render(self):
        if self.render_mode is None:
            return None
        frame = self._env.render(0)
        if self.render_mode == "human":
            from maddpg_tf2 import render

            if self._window is None and render.has_display():
                self._window = render.Window()
            if self._window is not None:
                self._window.show(frame)
            return None
        return frame

    def close(self):
        if self._window is not None:
            self._window.close()
            self._window = None
        self._env.close()


def _movable(env) -> list:
    sc = getattr(env, "scenario", None)
    if sc is not None and hasattr(sc, "agent_movable"):  # the vectorised engine
        return [bool(m) for m in sc.agent_movable]
    return [bool(getattr(a, "movable", True)) for a in env.envs[0].agents]  # object-style envs


def _public_space(space):
    """Our MultiDiscrete ([min, max] pairs) as gymnasium's; other spaces unchanged."""
    if isinstance(space, MultiDiscrete):
        return spaces.MultiDiscrete(np.asarray(space.nvec, dtype=np.int64))
    return space


def _vector_sizes(space):
    if isinstance(space, MultiDiscrete):
        return space.sizes
    if isinstance(space, spaces.Discrete):
        return [int(space.n)]
    return [int(space.shape[0])]


def pettingzoo_env(scenario: str = "simple", max_cycles: int = 25, continuous_actions: bool = False,
                   render_mode: Optional[str] = None, **counts) -> ScenarioParallelEnv:
    """A built-in scenario name or a scenario file as a PettingZoo ParallelEnv (see module docstring);
    `counts`: a built-in scenario's entity counts (mpe2's keywords, e.g. N=6 for simple_spread)."""
    return ScenarioParallelEnv(scenario, max_cycles=max_cycles, continuous_actions=continuous_actions,
                               render_mode=render_mode, **counts)


def pettingzoo_aec_env(scenario: str = "simple", **kwargs):
    """The AEC (turn by turn) version, through PettingZoo's own parallel_to_aec."""
    from pettingzoo.utils.conversions import parallel_to_aec

    return parallel_to_aec(pettingzoo_env(scenario, **kwargs))
