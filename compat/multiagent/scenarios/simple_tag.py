"""Predator-prey: three slower adversaries chase a faster good agent around two obstacles."""
import numpy as np

from multiagent.core import Agent, Landmark, World
from multiagent.scenario import BaseScenario
from multiagent.scenarios._geometry import is_collision, place_uniformly


def boundary_penalty(x):
    """Penalty for leaving the screen on one axis (|coordinate| x): 0 inside 0.9, then a ramp,
    then exponential capped at 10."""
    if x < 0.9:
        return 0
    if x < 1.0:
        return (x - 0.9) * 10
    return min(np.exp(2 * x - 2), 10)


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.dim_c = 2
        num_good_agents = 1
        num_adversaries = 3
        world.agents = [Agent() for _ in range(num_adversaries + num_good_agents)]
        for i, agent in enumerate(world.agents):
            agent.name = 'agent %d' % i
            agent.collide = True
            agent.silent = True
            agent.adversary = i < num_adversaries
            agent.size = 0.075 if agent.adversary else 0.05
            agent.accel = 3.0 if agent.adversary else 4.0
            agent.max_speed = 1.0 if agent.adversary else 1.3
        world.landmarks = [Landmark() for _ in range(2)]
        for i, landmark in enumerate(world.landmarks):
            landmark.name = 'landmark %d' % i
            landmark.collide = True
            landmark.movable = False
            landmark.size = 0.2
            landmark.boundary = False
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for agent in world.agents:
            agent.color = np.array([0.85, 0.35, 0.35]) if agent.adversary else np.array([0.35, 0.85, 0.35])
        for landmark in world.landmarks:
            landmark.color = np.array([0.25, 0.25, 0.25])
        place_uniformly(world.agents, world)
        place_uniformly([lm for lm in world.landmarks if not lm.boundary], world, bound=0.9)

    def benchmark_data(self, agent, world):
        """Adversary: number of good agents it touches; good agent: 0."""
        if agent.adversary:
            return sum(1 for a in self.good_agents(world) if is_collision(a, agent))
        return 0

    is_collision = staticmethod(is_collision)

    def good_agents(self, world):
        return [agent for agent in world.agents if not agent.adversary]

    def adversaries(self, world):
        return [agent for agent in world.agents if agent.adversary]

    def reward(self, agent, world):
        return self.adversary_reward(agent, world) if agent.adversary else self.agent_reward(agent, world)

    def agent_reward(self, agent, world):
        rew = 0
        if agent.collide:
            for a in self.adversaries(world):
                if is_collision(a, agent):
                    rew -= 10
        # leaving the screen is penalised so that the prey can be caught
        for p in range(world.dim_p):
            rew -= boundary_penalty(abs(agent.state.p_pos[p]))
        return rew

    def adversary_reward(self, agent, world):
        # every adversary gets +10 for every (good agent, adversary) contact, shared by the team
        rew = 0
        if agent.collide:
            for ag in self.good_agents(world):
                for adv in self.adversaries(world):
                    if is_collision(ag, adv):
                        rew += 10
        return rew

    def observation(self, agent, world):
        entity_pos = [lm.state.p_pos - agent.state.p_pos for lm in world.landmarks if not lm.boundary]
        others = [other for other in world.agents if other is not agent]
        other_pos = [other.state.p_pos - agent.state.p_pos for other in others]
        other_vel = [other.state.p_vel for other in others if not other.adversary]
        return np.concatenate([agent.state.p_vel] + [agent.state.p_pos] + entity_pos + other_pos + other_vel)
