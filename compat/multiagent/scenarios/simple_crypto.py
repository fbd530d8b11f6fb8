"""Covert communication: a speaker sends a goal colour to a listener using a shared key; an
eavesdropping adversary without the key tries to decode it. Nobody moves."""
import numpy as np

from multiagent.core import Agent, World
from multiagent.scenarios._geometry import TeamScenario, choose, make_agents, make_landmarks, place_uniformly


class CryptoAgent(Agent):
    def __init__(self):
        super(CryptoAgent, self).__init__()
        self.key = None


def _silent(c, dim_c):
    return bool((c == np.zeros(dim_c)).all())


class Scenario(TeamScenario):
    def make_world(self):
        world = World()
        num_agents = 3
        num_adversaries = 1
        world.dim_c = 4
        world.agents = make_agents(num_agents, num_adversaries, cls=CryptoAgent, collide=False, movable=False)
        for i, agent in enumerate(world.agents):
            agent.speaker = i == 2
        world.landmarks = make_landmarks(2)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for agent in world.agents:
            agent.color = np.array([0.75, 0.25, 0.25]) if agent.adversary else np.array([0.25, 0.25, 0.25])
            agent.key = None
        # landmark "colours" are one-hot vectors of length dim_c (they are the messages)
        for i, landmark in enumerate(world.landmarks):
            landmark.color = np.zeros(world.dim_c)
            landmark.color[i] += 1
        goal = choose(world.landmarks)
        # aliases, as the original: the listener shows the goal's colour, the speaker holds a key
        world.agents[1].color = goal.color
        world.agents[2].key = choose(world.landmarks).color
        for agent in world.agents:
            agent.goal_a = goal
        place_uniformly(world.agents, world)
        place_uniformly(world.landmarks, world)

    def benchmark_data(self, agent, world):
        """(the agent's utterance, the goal colour)."""
        return (agent.state.c, agent.goal_a.color)

    def good_listeners(self, world):
        return [agent for agent in world.agents if not agent.adversary and not agent.speaker]

    def agent_reward(self, agent, world):
        # good agents win when the listener decodes the goal and the adversary does not;
        # an all-zero utterance counts as no guess
        good_rew = 0
        adv_rew = 0
        for a in self.good_listeners(world):
            if not _silent(a.state.c, world.dim_c):
                good_rew -= np.sum(np.square(a.state.c - agent.goal_a.color))
        for a in self.adversaries(world):
            if not _silent(a.state.c, world.dim_c):
                adv_rew += np.sum(np.square(a.state.c - agent.goal_a.color))
        return adv_rew + good_rew

    def adversary_reward(self, agent, world):
        rew = 0
        if not _silent(agent.state.c, world.dim_c):
            rew -= np.sum(np.square(agent.state.c - agent.goal_a.color))
        return rew

    def observation(self, agent, world):
        goal_color = np.zeros(world.dim_color)
        if agent.goal_a is not None:
            goal_color = agent.goal_a.color
        comm = [other.state.c for other in world.agents
                if other is not agent and other.state.c is not None and other.speaker]
        if world.agents[2].key is None:
            key = np.zeros(world.dim_c)
            goal_color = np.zeros(world.dim_c)
        else:
            key = world.agents[2].key
        if agent.speaker:
            return np.concatenate([goal_color] + [key])
        if not agent.adversary:
            return np.concatenate([key] + comm)
        return np.concatenate(comm)
