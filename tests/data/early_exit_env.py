"""A tiny PettingZoo ParallelEnv for the adapter tests (fixture): two agents with spaces of different
sizes; 'runner' terminates at step `finish` (its reward that step is 10), 'walker' goes on until
the time limit `max_cycles` truncates it. Observations count the steps, so a test can tell which
step an observation belongs to."""
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class EarlyExitEnv(ParallelEnv):
    metadata = {"name": "early_exit", "render_modes": ["rgb_array"]}

    def __init__(self, max_cycles=4, finish=2, render_mode=None):
        self.possible_agents = ["walker", "runner"]
        self.max_cycles, self.finish, self.render_mode = max_cycles, finish, render_mode
        self._obs = {"walker": spaces.Box(-np.inf, np.inf, (3,), np.float32),
                     "runner": spaces.Box(-np.inf, np.inf, (5,), np.float32)}
        self._act = {"walker": spaces.Discrete(3), "runner": spaces.Box(-1.0, 1.0, (2,), np.float32)}
        self.received = []  # the actions of every step, as given

    def observation_space(self, agent):
        return self._obs[agent]

    def action_space(self, agent):
        return self._act[agent]

    def _observe(self, agent):
        return np.full(self._obs[agent].shape, float(self.t), np.float32)

    def reset(self, seed=None, options=None):
        self.t = 0
        self.agents = list(self.possible_agents)
        return {a: self._observe(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions):
        self.received.append(dict(actions))
        self.t += 1
        live = list(self.agents)
        obs = {a: self._observe(a) for a in live}
        rew = {a: (10.0 if a == "runner" and self.t == self.finish else 1.0) for a in live}
        term = {a: a == "runner" and self.t >= self.finish for a in live}
        trunc = {a: self.t >= self.max_cycles and not term[a] for a in live}
        self.agents = [a for a in live if not (term[a] or trunc[a])]
        return obs, rew, term, trunc, {a: {} for a in live}

    def render(self):
        return np.zeros((8, 8, 3), np.uint8)


def parallel_env(**kwargs):
    return EarlyExitEnv(**kwargs)
