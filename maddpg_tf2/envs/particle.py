"""The vectorised particle engine: E worlds of one built-in scenario stepped with array operations.

Semantics are the original MultiAgentEnv's with the policy's action vectors as input
(discrete_action_input=False, force_discrete_action=False). With discrete action spaces (the
original's default, discrete_action_space=True) movement [noop, +x, -x, +y, -y] gives
u = (a1 - a2, a3 - a4); in continuous mode (discrete_action_space=False) movement is Box(-1, 1, (2,))
and u is the action itself (not clipped, as the original). Either way u is scaled by the agent's
accel (5.0 when unset), a speaking agent's message part becomes its comm state (a Box(0, 1) part in
continuous mode), silent agents say zeros. Random draws come from this env's own numpy Generator.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
from maddpg_tf2.envs import physics, scenarios, spaces
from maddpg_tf2.envs.base import BatchedEnv, MultiDiscrete

MOVE_DIM = 5  # [noop, +x, -x, +y, -y]


class ParticleEnv(BatchedEnv):
    """E worlds of a built-in scenario. State: `state.p_pos`, `state.p_vel` [E, n_entities, 2],
    `state.comm` [E, n_agents, dim_c] and the scenario's episode variables, all owned here."""

    def __init__(self, scenario_name: str, num_envs: int = 1, seed: Optional[int] = None,
                 benchmark: bool = False, continuous_actions: bool = False, env_kwargs: Optional[dict] = None):
        name = scenario_name[:-3] if scenario_name.endswith(".py") else scenario_name
        if name not in scenarios.SCENARIOS:
            raise ValueError("unknown built-in scenario %r (built-ins: %s)"
                             % (scenario_name, ", ".join(scenarios.BUILTIN_NAMES)))
        self.env_kwargs = dict(env_kwargs or {})  # entity counts (mpe2's keywords, e.g. {"N": 6})
        sc = self.scenario = scenarios.get(name, **self.env_kwargs)
        self.scenario_name = name
        self.num_envs = int(num_envs)
        self.n = sc.num_agents
        self.benchmark = bool(benchmark)
        self.continuous_actions = bool(continuous_actions)
        self.collaborative = sc.collaborative
        self.dim_c = sc.dim_c
        self.agent_names = list(sc.agent_names)
        self.entity_names = list(sc.entity_names)
        self.adversary_n = [bool(a) for a in sc.adversary]
        self.state = scenarios.WorldState(self.num_envs, sc.num_entities, sc.num_agents, sc.dim_c,
                                          sc.var_specs)
        self._build_action_layout()
        self.observation_space_n = [spaces.Box(low=-np.inf, high=np.inf, shape=(d,), dtype=np.float32)
                                    for d in sc.obs_dims()]
        self._rng = np.random.default_rng(seed)
        self._physics = physics.Physics(sc.params, sc.collide_pairs)  # precomputed once per env
        self._obs = None  # [E, sum of obs dims]: the observations last returned, None when stale
        self.reset()

    # ----- spaces and action parsing --------------------------------------------------------
    def _build_action_layout(self):
        sc = self.scenario
        self.action_space_n, plus, minus, comm_idx = [], [], [], []
        offset = 0
        cont = self.continuous_actions
        for i in range(self.n):
            moves, speaks = sc.agent_movable[i], not sc.agent_silent[i]
            move_dim = 2 if cont else MOVE_DIM
            sizes = ([move_dim] if moves else []) + ([sc.dim_c] if speaks else [])
            if cont:
                # the original's Tuple(Box(-u_range, u_range, (2,)), Box(0, 1, (dim_c,))) as one flat
                # Box (u_range 1 for every built-in agent): the vector the learner and env exchange
                low = ([-1.0, -1.0] if moves else []) + ([0.0] * sc.dim_c if speaks else [])
                high = ([1.0, 1.0] if moves else []) + ([1.0] * sc.dim_c if speaks else [])
                self.action_space_n.append(spaces.Box(np.array(low, np.float32), np.array(high, np.float32),
                                                      dtype=np.float32))
            elif len(sizes) > 1:
                self.action_space_n.append(MultiDiscrete([[0, k - 1] for k in sizes]))
            else:
                self.action_space_n.append(spaces.Discrete(sizes[0]))
            if moves:
                # u = acts @ move: +1 at the plus column, -1 at the minus one (None: no minus column)
                plus += [offset, offset + 1] if cont else [offset + 1, offset + 3]
                minus += [None, None] if cont else [offset + 2, offset + 4]
                offset += move_dim
            if speaks:
                comm_idx += list(range(offset, offset + sc.dim_c))
                offset += sc.dim_c
        self.action_dims = [int(np.sum(s.nvec)) if isinstance(s, MultiDiscrete) else
                            int(s.shape[0]) if isinstance(s, spaces.Box) else int(s.n)
                            for s in self.action_space_n]
        self._action_width = offset
        self._comm_idx = np.array(comm_idx, dtype=np.intp)
        self._movers = np.flatnonzero(np.asarray(sc.agent_movable))
        self._speakers = np.flatnonzero(~np.asarray(sc.agent_silent, dtype=bool))
        # u of every entity from one product: acts @ move = a_plus - a_minus exactly (a sum of one
        # +a, one -b and zeros), then times the sensitivity, 0 for entities that do not move
        n = sc.num_entities
        move = np.zeros((offset, 2 * n))
        sens = np.zeros(2 * n)
        for k, i in enumerate(self._movers):
            for c in (0, 1):
                move[plus[2 * k + c], 2 * i + c] = 1.0
                if minus[2 * k + c] is not None:
                    move[minus[2 * k + c], 2 * i + c] = -1.0
                sens[2 * i + c] = sc.sensitivity[i]
        self._move, self._sens = move, sens

    def _apply_actions(self, act_n: Sequence[np.ndarray]):
        """Action force [E, n_entities, 2] and the new comm state [E, A, dim_c]."""
        E, s = self.num_envs, self.state
        if all(getattr(a, "ndim", 0) == 2 for a in act_n):  # the usual [E, k_i] arrays: one call
            acts = np.concatenate(act_n, axis=1, dtype=np.float64)
        else:
            acts = np.concatenate([np.asarray(a, dtype=np.float64).reshape(E, -1) for a in act_n], axis=1)
        if acts.shape != (E, self._action_width):
            raise ValueError("actions of sizes %s for %d worlds; expected %s (agents' action vectors [E, k_i])"
                             % ([np.shape(a) for a in act_n], E, self.action_dims))
        force = acts @ self._move
        force *= self._sens
        force.shape = s.p_pos.shape
        comm = np.zeros_like(s.comm)
        if len(self._speakers):
            comm[:, self._speakers] = acts[:, self._comm_idx].reshape(E, -1, self.dim_c)
        return force, comm

    # ----- protocol ----------------------------------------------------------------------------
    def seed(self, seed: Optional[int]) -> None:
        self._rng = np.random.default_rng(seed)

    def rng_state(self):
        return self._rng.bit_generator.state

    def set_rng_state(self, state) -> None:
        if isinstance(state, dict) and state.get("bit_generator") == type(self._rng.bit_generator).__name__:
            self._rng.bit_generator.state = state

    def episode_state(self):
        from maddpg_tf2.episode_snapshot import pack

        s = self.state
        return {"kind": "particle", "scenario": self.scenario_name, "agents": self.n,
                "arrays": {name: pack(getattr(s, name)) for name in ("p_pos", "p_vel", "comm") + s.var_names}}

    def set_episode_state(self, state) -> None:
        from maddpg_tf2.episode_snapshot import unpack_like

        s = self.state
        names = ("p_pos", "p_vel", "comm") + s.var_names
        if state.get("kind") != "particle" or state.get("scenario") != self.scenario_name \
                or state.get("agents", self.n) != self.n or set(state["arrays"]) != set(names):
            raise ValueError(f"saved worlds are not worlds of {self.scenario_name}")
        arrays = {name: unpack_like(state["arrays"][name], getattr(s, name)) for name in names}
        for name, value in arrays.items():
            setattr(s, name, value.copy())
        self._obs = None

    def reset(self, mask: Optional[np.ndarray] = None) -> List[np.ndarray]:
        sc, s = self.scenario, self.state
        idx = np.arange(self.num_envs) if mask is None else np.flatnonzero(mask)
        k = len(idx)
        if k:
            # episode choices first, then agent then landmark positions, as the original
            for name, value in sc.reset_vars(self._rng, k).items():
                getattr(s, name)[idx] = value
            A, r = sc.num_agents, sc.landmark_range
            pos = np.concatenate([self._rng.uniform(-1.0, 1.0, size=(k, A, 2)),
                                  self._rng.uniform(-r, r, size=(k, sc.num_landmarks, 2))], axis=1)
            s.p_pos[idx] = pos
            s.p_vel[idx] = 0.0
            s.comm[idx] = 0.0
        if self._obs is None or k == self.num_envs:
            self._obs = sc.observation_table(s)
        elif k:
            # only the fresh worlds need observing; a copy keeps arrays returned earlier intact
            obs = self._obs.copy()
            obs[idx] = sc.observation_table(s.fresh(idx, pos))
            self._obs = obs
        return sc.split(self._obs)

    def step(self, act_n: Sequence[np.ndarray]):
        sc, s = self.scenario, self.state
        force, s.comm = self._apply_actions(act_n)
        self._physics.add_contacts(s.p_pos, force)
        s.p_pos, s.p_vel = self._physics.integrate(s.p_pos, s.p_vel, force)
        self._obs = sc.observation_table(s)
        obs_n = sc.split(self._obs)
        rew = sc.reward(s)
        if self.collaborative:
            total = rew[:, 0]
            for i in range(1, self.n):  # sequential, as the original's sum over the agents' list
                total = total + rew[:, i]
            rew = np.repeat(total[:, None], self.n, axis=1)
        done = np.zeros((self.num_envs, self.n), dtype=bool)
        info_n = sc.benchmark_data(s) if self.benchmark else None
        return obs_n, rew, done, info_n

    def observe(self) -> List[np.ndarray]:
        """The current observations of every world, without stepping."""
        self._obs = self.scenario.observation_table(self.state)
        return self.scenario.split(self._obs)

    # ----- state access for tests, parity checks and tools ----------------------------------------
    def set_state(self, env_index: int, p_pos, p_vel=None, comm=None, **episode_vars) -> None:
        """Overwrite world `env_index`: positions [n_entities, 2], velocities, comm [A, dim_c]
        (zeros when None) and episode variables by name (e.g. goal=1)."""
        s = self.state
        self._obs = None
        s.p_pos[env_index] = p_pos
        s.p_vel[env_index] = 0.0 if p_vel is None else p_vel
        s.comm[env_index] = 0.0 if comm is None else np.asarray(comm)[..., :self.dim_c]
        for name, value in episode_vars.items():
            if name not in s.var_names:
                raise KeyError("%s has no episode variable %r (has: %s)"
                               % (self.scenario_name, name, ", ".join(s.var_names) or "none"))
            getattr(s, name)[env_index] = value

    # ----- rendering -----------------------------------------------------------------------------
    def render(self, env_index: int = 0) -> np.ndarray:
        from maddpg_tf2.render import draw_frame

        sc, s = self.scenario, self.state
        is_agent = np.arange(sc.num_entities) < sc.num_agents
        return draw_frame(s.p_pos[env_index], sc.size, sc.colors(s, env_index), is_agent,
                          text_lines=self.messages(env_index))

    def messages(self, env_index: int = 0) -> List[str]:
        """'speaker to listener: letter' for every speaking agent and every other agent, the letter
        of the speaker's largest comm entry ('_' when it says nothing), as the original's console
        output (and the object-style package's frames) spell messages."""
        words = {}
        for i in self._speakers:
            c = self.state.comm[env_index, i]
            words[i] = "_" if np.all(c == 0) else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(np.argmax(c))]
        return ["%s to %s: %s" % (self.agent_names[j], self.agent_names[i], words[j])
                for i in range(self.n) for j in self._speakers if j != i]
