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

    # The step hooks of the original World; a subclass may override any of them.
    _HOOKS = ('apply_action_force', 'apply_environment_force', 'get_collision_force', 'integrate_state')

    def _overridden_hooks(self):
        cls = type(self)
        return [name for name in self._HOOKS if getattr(cls, name) is not getattr(World, name)]

    def step(self):
        # Scripted agents choose first, as in the original, so their actions count this step.
        for agent in self.scripted_agents:
            agent.action = agent.action_callback(agent, self)
        if self._overridden_hooks():
            # A subclass changed part of the physics: run the original's sequence of hooks, so
            # that every override takes effect exactly where the original calls it.
            p_force = [None] * len(self.entities)
            p_force = self.apply_action_force(p_force)
            p_force = self.apply_environment_force(p_force)
            self.integrate_state(p_force)
        else:
            self._vectorised_physics_step()
        for agent in self.agents:
            self.update_agent_state(agent)

    def _vectorised_physics_step(self):
        """The whole physics of one step in array form (the same numbers as the hooks below)."""
        entities = self.entities
        action_force = self._action_forces(len(entities))
        p_pos, p_vel, params = self._gather(entities)
        new_pos, new_vel = physics.step(
            p_pos[None], p_vel[None], action_force[None], params, dt=self.dt, damping=self.damping,
            contact_force=self.contact_force, contact_margin=self.contact_margin)
        self._scatter(entities, new_pos[0], new_vel[0])

    def _scatter(self, entities, new_pos, new_vel):
        for i, entity in enumerate(entities):
            if entity.movable:
                entity.state.p_pos = new_pos[i].copy()
                entity.state.p_vel = new_vel[i].copy()

    def _action_forces(self, n):
        """[n, dim_p] action forces; u_noise draws from np.random in agent order, as the original."""
        force = np.zeros((n, self.dim_p))
        for i, agent in enumerate(self.agents):
            if agent.movable:
                force[i] = self._noisy_u(agent)
        return force

    @staticmethod
    def _noisy_u(agent):
        noise = np.random.randn(*agent.action.u.shape) * agent.u_noise if agent.u_noise else 0.0
        return agent.action.u + noise

    # ----- the original's hooks: p_force is a list over self.entities of force vectors or None
    def apply_action_force(self, p_force):
        """Sets p_force[i] to agent i's action force u (plus noise when u_noise is set)."""
        for i, agent in enumerate(self.agents):
            if agent.movable:
                p_force[i] = self._noisy_u(agent)
        return p_force

    def apply_environment_force(self, p_force):
        """Adds the contact forces of every colliding pair to p_force (get_collision_force per pair
        when a subclass overrides it, else all pairs at once with the same formula)."""
        entities = self.entities
        if type(self).get_collision_force is not World.get_collision_force:
            for a, entity_a in enumerate(entities):
                for b in range(a + 1, len(entities)):
                    f_a, f_b = self.get_collision_force(entity_a, entities[b])
                    if f_a is not None:
                        p_force[a] = f_a + (0.0 if p_force[a] is None else p_force[a])
                    if f_b is not None:
                        p_force[b] = f_b + (0.0 if p_force[b] is None else p_force[b])
            return p_force
        p_pos, _, params = self._gather(entities)
        pairs = params.collide_pairs & params.movable[:, None]  # only movable entities are pushed
        contact = physics.contact_forces(p_pos[None], params.size, pairs, self.contact_force,
                                         self.contact_margin)[0]
        for i in np.flatnonzero(pairs.any(axis=1)):
            p_force[i] = contact[i] + (0.0 if p_force[i] is None else p_force[i])
        return p_force

    def get_collision_force(self, entity_a, entity_b):
        """[force on a, force on b] of one pair (None for an entity that is not pushed)."""
        if not (entity_a.collide and entity_b.collide) or entity_a is entity_b:
            return [None, None]
        pos, _, params = self._gather([entity_a, entity_b])
        pairs = np.array([[False, True], [True, False]])
        force = physics.contact_forces(pos[None], params.size, pairs, self.contact_force,
                                       self.contact_margin)[0]
        return [force[0] if entity_a.movable else None, force[1] if entity_b.movable else None]

    def integrate_state(self, p_force):
        """Damping, the forces of p_force, the speed clamp and the position update of movable entities."""
        entities = self.entities
        force = np.array([np.zeros(self.dim_p) if f is None else f for f in p_force],
                         dtype=np.float64).reshape(len(entities), self.dim_p)
        p_pos, p_vel, params = self._gather(entities)
        new_pos, new_vel = physics.integrate(p_pos[None], p_vel[None], force[None], params,
                                             dt=self.dt, damping=self.damping)
        self._scatter(entities, new_pos[0], new_vel[0])

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
