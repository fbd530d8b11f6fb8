"""Entities and the world of the particle environments, with the original MPE's names and defaults.

The physics itself lives in `maddpg_tf2.envs.physics` (one physics for the project); `World.step`
gathers the entities' state into arrays, steps one world and writes the result back.
"""
import numpy as np

from maddpg_tf2.envs import physics


class EntityState(object):
    """Physical state: position and velocity (set by the scenario's reset_world)."""

    def __init__(self):
        self.p_pos = None
        self.p_vel = None


class AgentState(EntityState):
    """An agent's state adds its communication utterance `c`."""

    def __init__(self):
        super(AgentState, self).__init__()
        self.c = None


class Action(object):
    """What an agent does this step: physical force `u` and utterance `c`."""

    def __init__(self):
        self.u = None
        self.c = None


class Entity(object):
    """Anything in the world. `movable` entities are integrated; `collide` ones push each other."""

    def __init__(self):
        self.name = ''
        self.size = 0.050
        self.movable = False
        self.collide = True
        self.density = 25.0  # kept for scenario files that read it; mass does not depend on it
        self.color = None
        self.max_speed = None
        self.accel = None  # replaces the env's action sensitivity (5.0) when set
        self.state = EntityState()
        self.initial_mass = 1.0

    @property
    def mass(self):
        return self.initial_mass


class Landmark(Entity):
    def __init__(self):
        super(Landmark, self).__init__()


class Agent(Entity):
    def __init__(self):
        super(Agent, self).__init__()
        self.movable = True
        self.silent = False  # cannot speak: its comm state stays zero
        self.blind = False
        self.u_noise = None  # std of Gaussian noise on u, drawn only when set
        self.c_noise = None  # std of Gaussian noise on c, drawn only when set
        self.u_range = 1.0
        self.state = AgentState()
        self.action = Action()
        self.action_callback = None  # scripted agents: callback(agent, world) -> Action


class World(object):
    """Agents and landmarks plus the physical constants; `step` advances one dt."""

    def __init__(self):
        # Lists may be changed by the scenario at any time; step reads them afresh.
        self.agents = []
        self.landmarks = []
        self.dim_c = 0
        self.dim_p = 2
        self.dim_color = 3
        self.dt = physics.DT
        self.damping = physics.DAMPING
        self.contact_force = physics.CONTACT_FORCE
        self.contact_margin = physics.CONTACT_MARGIN

    @property
    def entities(self):
        return self.agents + self.landmarks

    @property
    def policy_agents(self):
        return [agent for agent in self.agents if agent.action_callback is None]

    @property
    def scripted_agents(self):
        return [agent for agent in self.agents if agent.action_callback is not None]

    def step(self):
        # Scripted agents choose first, as in the original, so their actions count this step.
        for agent in self.scripted_agents:
            agent.action = agent.action_callback(agent, self)
        entities = self.entities
        action_force = self._action_forces(len(entities))
        p_pos, p_vel, params = self._gather(entities)
        new_pos, new_vel = physics.step(
            p_pos[None], p_vel[None], action_force[None], params, dt=self.dt, damping=self.damping,
            contact_force=self.contact_force, contact_margin=self.contact_margin)
        for i, entity in enumerate(entities):
            if entity.movable:
                entity.state.p_pos = new_pos[0, i].copy()
                entity.state.p_vel = new_vel[0, i].copy()
        for agent in self.agents:
            self.update_agent_state(agent)

    def _action_forces(self, n):
        """[n, dim_p] action forces; u_noise draws from np.random in agent order, as the original."""
        force = np.zeros((n, self.dim_p))
        for i, agent in enumerate(self.agents):
            if agent.movable:
                noise = np.random.randn(*agent.action.u.shape) * agent.u_noise if agent.u_noise else 0.0
                force[i] = agent.action.u + noise
        return force

    def _gather(self, entities):
        """Current state and per-entity constants as arrays (read every step: users may change them)."""
        zero = np.zeros(self.dim_p)
        has_pos = [e.state.p_pos is not None for e in entities]
        p_pos = np.array([e.state.p_pos if ok else zero for e, ok in zip(entities, has_pos)], dtype=np.float64)
        p_vel = np.array([zero if e.state.p_vel is None else e.state.p_vel for e in entities], dtype=np.float64)
        params = physics.EntityParams(
            size=np.array([e.size for e in entities], dtype=np.float64),
            mass=np.array([e.mass for e in entities], dtype=np.float64),
            movable=np.array([bool(e.movable) for e in entities]),
            # an entity without a position cannot touch anything
            collide=np.array([bool(e.collide) and ok for e, ok in zip(entities, has_pos)]),
            max_speed=np.array([np.inf if e.max_speed is None else e.max_speed for e in entities],
                               dtype=np.float64),
        )
        return p_pos.reshape(len(entities), self.dim_p), p_vel.reshape(len(entities), self.dim_p), params

    def update_agent_state(self, agent):
        """Communication state is the action's utterance (plus noise only when c_noise is set)."""
        if agent.silent:
            agent.state.c = np.zeros(self.dim_c)
        else:
            noise = np.random.randn(*agent.action.c.shape) * agent.c_noise if agent.c_noise else 0.0
            agent.state.c = agent.action.c + noise
