"""What every vectorised scenario shares: entity constants, the world state, observation layouts.

A scenario describes one of the original MPE worlds as functions over batched arrays:
`reset_vars` draws the per-episode choices (goals, keys), `sources` and `obs_layout` declare
where each observation column comes from (compiled once into index arrays), `reward` returns the
per-agent rewards [E, N] and `benchmark_data` the original's per-agent benchmark values. Speed
matters (the engine steps 64-256 worlds in about a millisecond): few, large numpy calls.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from maddpg_tf2.envs import physics
from maddpg_tf2.errors import ScenarioError


def counts(name: str, defaults: Dict[str, int], given: Dict[str, object],
           minimum: Dict[str, int] = None) -> Dict[str, int]:
    """The scenario's entity counts: `defaults` (the original's) updated by `given` (--env-kwargs),
    each a whole number at least its minimum (1 unless `minimum` says 0). A keyword the scenario
    lacks, or an impossible value, raises ScenarioError in one line naming the scenario's keywords."""
    minimum = minimum or {}
    keywords = ", ".join("%s (default %d)" % kv for kv in defaults.items()) or "none"
    out = dict(defaults)
    for key, value in given.items():
        low = minimum.get(key, 1)
        if key not in defaults:
            raise ScenarioError("scenario %s has no keyword %r; its --env-kwargs keywords: %s"
                                % (name, key, keywords))
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ScenarioError("scenario %s: %s=%r is not a whole number >= %d; its --env-kwargs keywords: %s"
                                % (name, key, value, low, keywords))
        out[key] = int(value)
    return out


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

    def take(self, idx: np.ndarray) -> "WorldState":
        """A copy of the worlds `idx` (e.g. to observe only the worlds just reset)."""
        sub = object.__new__(WorldState)
        sub.var_names = self.var_names
        for name in ("p_pos", "p_vel", "comm") + self.var_names:
            setattr(sub, name, getattr(self, name)[idx])
        return sub

    def fresh(self, idx: np.ndarray, p_pos: np.ndarray) -> "WorldState":
        """The worlds `idx` just reset to positions p_pos [k, n, 2], velocities and comm zero
        (what `take` would copy, without gathering what is known)."""
        sub = object.__new__(WorldState)
        sub.var_names = self.var_names
        sub.p_pos, sub.p_vel = p_pos, np.zeros_like(p_pos)
        sub.comm = np.zeros((len(idx),) + self.comm.shape[1:])
        for name in self.var_names:
            setattr(sub, name, getattr(self, name)[idx])
        return sub


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
    # Per agent; None (or leaving the tuple empty: every agent) means the original Agent's default:
    agent_accel: Tuple[float, ...] = ()  # the environment's default sensitivity 5.0
    agent_max_speed: Tuple[float, ...] = ()  # no clamp
    adversary: Tuple[bool, ...] = ()

    # entity counts the scenario takes as keywords (mpe2's names) -> the original's values
    count_defaults: Dict[str, int] = {}

    # per-episode variables: name -> (shape per world, dtype)
    var_specs: Dict[str, Tuple[tuple, type]] = {}

    def __init__(self):
        A, L = len(self.agent_names), len(self.landmark_names)
        self.num_agents, self.num_landmarks, self.num_entities = A, L, A + L
        self.entity_names = tuple(self.agent_names) + tuple(self.landmark_names)
        self.size = np.array(tuple(self.agent_size) + tuple(self.landmark_size), dtype=np.float64)
        max_speed = [np.inf if s is None else s for s in self.agent_max_speed or (None,) * A] + [np.inf] * L
        self.params = physics.EntityParams(
            size=self.size,
            mass=np.ones(A + L),
            movable=np.array(tuple(self.agent_movable) + (False,) * L),
            collide=np.array(tuple(self.agent_collide) + tuple(self.landmark_collide)),
            max_speed=np.array(max_speed, dtype=np.float64),
        )
        self.collide_pairs = self.params.collide_pairs
        self.sensitivity = np.array([physics.SENSITIVITY if a is None else a
                                     for a in self.agent_accel or (None,) * A])
        self._layouts = None
        self._constants = {}

    # ----- per-episode draws -------------------------------------------------------------
    def reset_vars(self, rng: np.random.Generator, k: int) -> Dict[str, np.ndarray]:
        """Draw the episode choices for k worlds (before positions, as the original)."""
        return {}

    # ----- observations ------------------------------------------------------------------
    # An observation is a list of columns, each `a - b` with a and b taken from named per-world
    # source vectors ('zero' for b when the value is absolute), optionally times a mask column.
    # The columns of all agents are compiled once into index arrays, so a step's observations
    # cost one concatenate, two gathers and one subtraction, whatever the scenario.
    has_mask = False

    def sources(self, s: WorldState) -> Dict[str, np.ndarray]:
        """Named 2-d arrays [E, k]: 'pos', 'vel' (entities flattened as x0, y0, x1, ...), 'comm'
        (agents flattened), 'zero' and 'one'; scenarios add their own (goal position, colours)."""
        E = s.p_pos.shape[0]
        return {
            "pos": s.p_pos.reshape(E, -1),
            "vel": s.p_vel.reshape(E, -1),
            "comm": s.comm.reshape(E, -1),
            "zero": self._constant(E, 0.0),
            "one": self._constant(E, 1.0),
        }

    def _constant(self, E: int, value: float) -> np.ndarray:
        """A read-only [E, 1] column of `value`, made once per E (sources are only read)."""
        key = (E, value)
        col = self._constants.get(key)
        if col is None:
            col = self._constants[key] = np.full((E, 1), value)
            col.flags.writeable = False
        return col

    def obs_layout(self) -> List["ObsColumns"]:
        """Per agent, its observation's columns in the original's order."""
        raise NotImplementedError

    def _compile_layouts(self, srcs: Dict[str, np.ndarray]):
        offsets, off = {}, 0
        for name, arr in srcs.items():
            offsets[name] = off
            off += arr.shape[1]
        cols = self.obs_layout()
        glob = lambda refs: np.array([offsets[n] + c for n, c in refs], dtype=np.intp)
        a = glob([r for col in cols for r in col.a])
        b = glob([r for col in cols for r in col.b])
        m = glob([r for col in cols for r in col.m])
        bounds = np.cumsum([0] + [len(col.a) for col in cols])
        return a, b, m, [slice(int(i), int(j)) for i, j in zip(bounds[:-1], bounds[1:])]

    def observation_table(self, s: WorldState) -> np.ndarray:
        """[E, sum of obs dims]: every agent's observation side by side; `split` cuts it."""
        srcs = self.sources(s)
        table = np.concatenate(list(srcs.values()), axis=1)  # [E, F]
        if self._layouts is None:
            self._layouts = self._compile_layouts(srcs)
        a, b, m, _ = self._layouts
        # gathering rows of the transposed table copies runs of E values: about twice as fast as
        # gathering columns. The table comes back as an F-ordered [E, D] view, each agent's slice
        # [E, d_i] of it F-contiguous.
        tt = table.T
        obs = tt[a]
        obs -= tt[b]  # in place: one large temporary fewer (each costs page faults at large E)
        if self.has_mask:
            obs *= tt[m]
        return obs.T

    def split(self, table: np.ndarray) -> List[np.ndarray]:
        """obs_n: per-agent [E, d_i] views of an observation table."""
        return [table[:, p] for p in self._layouts[3]]

    def observations(self, s: WorldState) -> List[np.ndarray]:
        return self.split(self.observation_table(s))

    def obs_dims(self) -> List[int]:
        s = WorldState(1, self.num_entities, self.num_agents, self.dim_c, self.var_specs)
        return [o.shape[1] for o in self.observations(s)]

    def columns(self) -> "ObsColumns":
        return ObsColumns(self.dim_c)

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

    def good_others(self, i: int) -> List[int]:
        """The other agents that are not adversaries, in world order."""
        return [j for j in self.others(i) if not self.adversary[j]]


class ObsColumns:
    """Builder for one agent's observation columns (see Scenario.observations)."""

    def __init__(self, dim_c: int):
        self.dim_c = dim_c
        self.a, self.b, self.m = [], [], []

    def _add(self, a, b, m=None):
        self.a += a
        self.b += b
        self.m += m if m is not None else [("one", 0)] * len(a)
        return self

    def value(self, source: str, cols: Sequence[int], mask=None):
        """Absolute values: columns `cols` of `source`."""
        return self._add([(source, c) for c in cols], [("zero", 0)] * len(cols), mask)

    def entity(self, source: str, entities: Sequence[int], mask=None):
        """x, y of each entity in `source` ('pos' or 'vel')."""
        return self.value(source, [2 * j + k for j in entities for k in (0, 1)], mask)

    def rel(self, entities: Sequence[int], observer: int, mask=None):
        """Position of each entity minus the observer's (entity.p_pos - agent.p_pos)."""
        a = [("pos", 2 * j + k) for j in entities for k in (0, 1)]
        b = [("pos", 2 * observer + k) for _ in entities for k in (0, 1)]
        return self._add(a, b, mask)

    def rel_point(self, source: str, observer: int):
        """A point held in `source` (x, y) minus the observer's position (e.g. goal - agent)."""
        return self._add([(source, 0), (source, 1)], [("pos", 2 * observer), ("pos", 2 * observer + 1)])

    def comm(self, agents: Sequence[int]):
        return self.value("comm", [self.dim_c * j + k for j in agents for k in range(self.dim_c)])


class Pairs:
    """Entity pairs (i_k, j_k) of flattened positions [E, 2n], for distances.

    The differences p_i - p_j of all pairs come from one product with a +-1 matrix (built once per
    width 2n): a sum of one +x, one -y and zeros is exactly x - y, and one matrix product costs
    less than the four column gathers and two subtractions it replaces.
    """

    def __init__(self, i: Sequence[int], j: Sequence[int]):
        self.i, self.j = np.asarray(i, dtype=np.intp), np.asarray(j, dtype=np.intp)
        self.num = len(self.i)
        self._diff = {}  # width 2n -> [2n, 2P]

    def _matrix(self, width: int) -> np.ndarray:
        diff = self._diff.get(width)
        if diff is None:
            P, cols = self.num, np.arange(self.num)
            diff = np.zeros((width, 2 * P))  # x of every pair, then y
            for c in (0, 1):
                diff[2 * self.i + c, c * P + cols] += 1.0
                diff[2 * self.j + c, c * P + cols] -= 1.0  # i == j leaves 0, exactly p_i - p_i
            self._diff[width] = diff
        return diff

    def delta(self, pos2: np.ndarray) -> np.ndarray:
        """[E, 2P]: p_i - p_j, the x of every pair then the y."""
        return pos2 @ self._matrix(pos2.shape[1])

    def sq_dist(self, pos2: np.ndarray) -> np.ndarray:
        """[E, pairs]: |p_i - p_j|^2 summed x then y, as np.sum(np.square(p_i - p_j))."""
        sq = self.delta(pos2)
        sq *= sq
        return sq[:, :self.num] + sq[:, self.num:]

    def dist(self, pos2: np.ndarray) -> np.ndarray:
        return np.sqrt(self.sq_dist(pos2))


def grid(i: Sequence[int], j: Sequence[int]) -> Pairs:
    """All pairs of i x j, row-major: reshape results to [E, len(i), len(j)]."""
    return Pairs(np.repeat(i, len(j)), np.tile(j, len(i)))


# Reductions over a short last axis: numpy's reduce machinery costs tens of microseconds per call
# on small [E, a, b] arrays, a chain of elementwise ops a few; sequential order as the original's loops.
def sum_last(x: np.ndarray) -> np.ndarray:
    out = x[..., 0]
    for k in range(1, x.shape[-1]):
        out = out + x[..., k]
    return out


def min_last(x: np.ndarray) -> np.ndarray:
    out = x[..., 0]
    for k in range(1, x.shape[-1]):
        out = np.minimum(out, x[..., k])
    return out


def bound_penalty(x: np.ndarray) -> np.ndarray:
    """The original's `bound`: 0 inside 0.9, linear to 1 at 1.0, then exp(2x - 2) capped at 10."""
    # exponent clipped at 3 (exp(3) > 10) only to avoid overflow warnings far outside the arena
    outer = np.minimum(np.exp(np.minimum(2.0 * x - 2.0, 3.0)), 10.0)
    return np.where(x < 0.9, 0.0, np.where(x < 1.0, (x - 0.9) * 10.0, outer))


def flat_pos(s: WorldState) -> np.ndarray:
    """[E, 2n] view of the positions, x0, y0, x1, y1, ..."""
    return s.p_pos.reshape(s.p_pos.shape[0], -1)
