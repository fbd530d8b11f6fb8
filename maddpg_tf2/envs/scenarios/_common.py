"""What every vectorised scenario shares: entity constants, the world state, observation layouts.

A scenario describes one of the original MPE worlds as functions over batched arrays:
`reset_vars` draws the per-episode choices (goals, keys), `features` computes named arrays from
which every agent's observation is gathered by a precomputed index (one fancy-index per agent, so
the observation layout is declared once and costs no Python work per step), `reward` returns the
per-agent rewards [E, N] and `benchmark_data` the original's per-agent benchmark values.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from maddpg_tf2.envs import physics


class WorldState:
    """State of E worlds: p_pos, p_vel [E, n_entities, 2], comm [E, n_agents, dim_c], plus the
    scenario's episode variables as attributes (e.g. `goal` [E] landmark index)."""

    def __init__(self, num_envs: int, n_entities: int, n_agents: int, dim_c: int, var_specs):
        self.p_pos = np.zeros((num_envs, n_entities, 2))
        self.p_vel = np.zeros((num_envs, n_entities, 2))
        self.comm = np.zeros((num_envs, n_agents, dim_c))
        self.var_names = tuple(var_specs)
        for name, (shape, dtype) in var_specs.items():
            setattr(self, name, np.zeros((num_envs,) + tuple(shape), dtype=dtype))


class Scenario:
    """Base class: constants as class attributes, per-agent tuples in agent order.

    Agents are entities 0..A-1, landmarks A..n-1, as in the original's `world.entities`.
    """

    name = ""
    dim_c = 0
    collaborative = False
    landmark_range = 1.0  # landmark positions ~ U(-range, range)^2

    agent_names: Tuple[str, ...] = ()
    landmark_names: Tuple[str, ...] = ()
    agent_size: Tuple[float, ...] = ()
    landmark_size: Tuple[float, ...] = ()
    agent_collide: Tuple[bool, ...] = ()
    landmark_collide: Tuple[bool, ...] = ()
    agent_movable: Tuple[bool, ...] = ()
    agent_silent: Tuple[bool, ...] = ()
    agent_accel: Tuple[float, ...] = ()  # None -> the environment's default sensitivity 5.0
    agent_max_speed: Tuple[float, ...] = ()  # None -> no clamp
    adversary: Tuple[bool, ...] = ()

    # per-episode variables: name -> (shape per world, dtype)
    var_specs: Dict[str, Tuple[tuple, type]] = {}

    def __init__(self):
        A, L = len(self.agent_names), len(self.landmark_names)
        self.num_agents, self.num_landmarks, self.num_entities = A, L, A + L
        self.entity_names = tuple(self.agent_names) + tuple(self.landmark_names)
        self.size = np.array(tuple(self.agent_size) + tuple(self.landmark_size), dtype=np.float64)
        max_speed = [np.inf if s is None else s for s in self.agent_max_speed] + [np.inf] * L
        self.params = physics.EntityParams(
            size=self.size,
            mass=np.ones(A + L),
            movable=np.array(tuple(self.agent_movable) + (False,) * L),
            collide=np.array(tuple(self.agent_collide) + tuple(self.landmark_collide)),
            max_speed=np.array(max_speed, dtype=np.float64),
        )
        self.collide_pairs = self.params.collide_pairs
        self.sensitivity = np.array([physics.SENSITIVITY if a is None else a for a in self.agent_accel])
        self._layouts = None

    # ----- per-episode draws -------------------------------------------------------------
    def reset_vars(self, rng: np.random.Generator, k: int) -> Dict[str, np.ndarray]:
        """Draw the episode choices for k worlds (before positions, as the original)."""
        return {}

    # ----- observations ------------------------------------------------------------------
    def features(self, s: WorldState) -> Dict[str, np.ndarray]:
        """Named arrays [E, ...] that observations are gathered from."""
        raise NotImplementedError

    def obs_layout(self) -> List[List[Tuple[str, tuple]]]:
        """Per agent, the ordered pieces of its observation: (feature name, index into the
        feature's per-world shape)."""
        raise NotImplementedError

    def _compile_layouts(self, feats: Dict[str, np.ndarray]) -> List[np.ndarray]:
        offsets, off = {}, 0
        for name, arr in feats.items():
            shape = arr.shape[1:]
            offsets[name] = off + np.arange(int(np.prod(shape))).reshape(shape)
            off += offsets[name].size
        def index(name, idx):
            idx = tuple(np.asarray(i, dtype=np.intp) if isinstance(i, list) else i for i in idx)
            return np.ravel(offsets[name][idx])

        return [np.concatenate([index(name, idx) for name, idx in pieces]) for pieces in self.obs_layout()]

    def observations(self, s: WorldState) -> List[np.ndarray]:
        feats = self.features(s)
        E = s.p_pos.shape[0]
        table = np.concatenate([f.reshape(E, -1) for f in feats.values()], axis=1)  # [E, F]
        if self._layouts is None:
            self._layouts = self._compile_layouts(feats)
        return [table[:, idx] for idx in self._layouts]

    def obs_dims(self) -> List[int]:
        s = WorldState(1, self.num_entities, self.num_agents, self.dim_c, self.var_specs)
        return [o.shape[1] for o in self.observations(s)]

    # ----- rewards and benchmark ---------------------------------------------------------
    def reward(self, s: WorldState) -> np.ndarray:
        """[E, N] float64, each agent's own reward (the env sums them in collaborative worlds)."""
        raise NotImplementedError

    def benchmark_data(self, s: WorldState) -> List[list]:
        """A list over worlds of lists over agents of the original's benchmark_data values."""
        raise NotImplementedError

    # ----- rendering ---------------------------------------------------------------------
    def colors(self, s: WorldState, e: int) -> np.ndarray:
        """[n_entities, 3] RGB of world e, as the original colours its entities."""
        raise NotImplementedError

    # ----- helpers for subclasses --------------------------------------------------------
    @property
    def agent_ids(self) -> np.ndarray:
        return np.arange(self.num_agents)

    @property
    def landmark_ids(self) -> np.ndarray:
        return np.arange(self.num_agents, self.num_entities)

    def others(self, i: int) -> List[int]:
        """The other agents, in world order, as the original's `if other is agent: continue`."""
        return [j for j in range(self.num_agents) if j != i]

    def base_features(self, s: WorldState) -> Dict[str, np.ndarray]:
        A = self.num_agents
        pos = s.p_pos
        return {
            "vel": s.p_vel[:, :A],  # [E, A, 2]
            "pos": pos[:, :A],  # [E, A, 2]
            "rel": pos[:, None, :, :] - pos[:, :A, None, :],  # [E, A, n, 2]: entity minus observer
        }


def sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared distance over the last axis (2-d points), computed as the original does."""
    d = a - b
    return np.sum(np.square(d), axis=-1)


def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(sq_dist(a, b))


def pairwise_dist(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """[E, i, j] distances between points p [E, i, 2] and q [E, j, 2]."""
    return dist(p[:, :, None, :], q[:, None, :, :])


def bound_penalty(x: np.ndarray) -> np.ndarray:
    """The original's `bound`: 0 inside 0.9, linear to 1 at 1.0, then exp(2x - 2) capped at 10."""
    # exponent clipped at 3 (exp(3) > 10) only to avoid overflow warnings far outside the arena
    outer = np.minimum(np.exp(np.minimum(2.0 * x - 2.0, 3.0)), 10.0)
    return np.where(x < 0.9, 0.0, np.where(x < 1.0, (x - 0.9) * 10.0, outer))


def onehot(index: np.ndarray, n: int) -> np.ndarray:
    return np.eye(n)[index]


def per_world(values: Sequence[np.ndarray]) -> List[list]:
    """Transpose per-agent arrays [E] / [E, k] into the original's list over worlds of per-agent values."""
    cols = [v.tolist() for v in values]
    return [list(row) for row in zip(*cols)]
