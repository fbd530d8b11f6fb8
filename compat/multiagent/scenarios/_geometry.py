"""Helpers shared by the built-in scenarios: building and resetting entities, distances, and the
adversary/good-agent split.

None of the builders draws from np.random; `place_uniformly` and `choose` draw exactly what the
original's loops draw, in the same order, so seeded runs reproduce the original's traces.

Distances use sqrt(sum(square(delta))) exactly as the original scenarios do, so that collision
thresholds (`dist < dist_min`) fall on the same side for the same floats.
"""
import numpy as np

from multiagent.core import Agent, Landmark
from multiagent.scenario import BaseScenario


def make_agents(count, num_adversaries=None, cls=Agent, **attrs):
    """`count` agents named 'agent %d' with the attributes `attrs`; the first `num_adversaries`
    have adversary=True, the rest False (set only when num_adversaries is given, as the original)."""
    agents = [cls() for _ in range(count)]
    for i, agent in enumerate(agents):
        agent.name = 'agent %d' % i
        if num_adversaries is not None:
            agent.adversary = i < num_adversaries
        for key, value in attrs.items():
            setattr(agent, key, value)
    return agents


def make_landmarks(count, name='landmark %d', collide=False, **attrs):
    """`count` immovable landmarks named `name % i` with the attributes `attrs`."""
    landmarks = [Landmark() for _ in range(count)]
    for i, landmark in enumerate(landmarks):
        landmark.name = name % i
        landmark.collide = collide
        landmark.movable = False
        for key, value in attrs.items():
            setattr(landmark, key, value)
    return landmarks


def sq_distance(pos_a, pos_b):
    delta = pos_a - pos_b
    return (delta * delta).sum()  # == np.sum(np.square(delta)), bit for bit, with less overhead


def distance(pos_a, pos_b):
    delta = pos_a - pos_b
    return np.sqrt((delta * delta).sum())


def is_collision(entity_a, entity_b):
    """True when the two circles overlap (an entity overlaps itself: the original counts that)."""
    return bool(distance(entity_a.state.p_pos, entity_b.state.p_pos) < entity_a.size + entity_b.size)


def paint(entities, rgb):
    """Give every entity its own colour array (scenarios change some in place afterwards)."""
    for entity in entities:
        entity.color = np.array(rgb)


def paint_each(entities, colors):
    """Colour the entities one by one, in order."""
    for entity, rgb in zip(entities, colors):
        entity.color = np.array(rgb)


def clear_goals(agents):
    """No goal yet: the scenario then sets the ones it uses."""
    for agent in agents:
        agent.goal_a = None
        agent.goal_b = None


def place_uniformly(entities, world, bound=1.0):
    """Random positions U(-bound, bound)^dim_p in list order (one draw per entity), zero velocity,
    and zero utterance for agents: the original's reset order for np.random."""
    for entity in entities:
        entity.state.p_pos = np.random.uniform(-bound, +bound, world.dim_p)
        entity.state.p_vel = np.zeros(world.dim_p)
        if hasattr(entity.state, 'c'):
            entity.state.c = np.zeros(world.dim_c)


def choose(items):
    """One element of a list, drawing from np.random exactly as np.random.choice(items) does."""
    return items[np.random.choice(len(items))]


class TeamScenario(BaseScenario):
    """A scenario whose agents are split by `agent.adversary`: each side has its own reward."""

    def good_agents(self, world):
        return [agent for agent in world.agents if not agent.adversary]

    def adversaries(self, world):
        return [agent for agent in world.agents if agent.adversary]

    def reward(self, agent, world):
        return self.adversary_reward(agent, world) if agent.adversary else self.agent_reward(agent, world)


def contacts(agent, others):
    """How many of `others` touch `agent` (ints, so a reward of -10 * contacts is exact)."""
    return sum(1 for other in others if is_collision(other, agent))


class PredatorPreyScenario(TeamScenario):
    """Adversaries chase good agents (simple_tag, simple_world_comm): the benchmark counts catches."""

    def benchmark_data(self, agent, world):
        """Adversary: number of good agents it touches; good agent: 0."""
        if agent.adversary:
            return contacts(agent, self.good_agents(world))
        return 0

    is_collision = staticmethod(is_collision)
