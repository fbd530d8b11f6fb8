"""One agent learns to reach one landmark."""
import numpy as np

from multiagent.core import Agent, Landmark, World
from multiagent.scenario import BaseScenario
from multiagent.scenarios._geometry import distance, place_uniformly, sq_distance


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.agents = [Agent() for _ in range(1)]
        for i, agent in enumerate(world.agents):
            agent.name = 'agent %d' % i
            agent.collide = False
            agent.silent = True
        world.landmarks = [Landmark() for _ in range(1)]
        for i, landmark in enumerate(world.landmarks):
            landmark.name = 'landmark %d' % i
            landmark.collide = False
            landmark.movable = False
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for agent in world.agents:
            agent.color = np.array([0.25, 0.25, 0.25])
        for landmark in world.landmarks:
            landmark.color = np.array([0.75, 0.75, 0.75])
        world.landmarks[0].color = np.array([0.75, 0.25, 0.25])
        place_uniformly(world.agents, world)
        place_uniformly(world.landmarks, world)

    def reward(self, agent, world):
        return -sq_distance(agent.state.p_pos, world.landmarks[0].state.p_pos)

    def benchmark_data(self, agent, world):
        """New here (the original has none): (reward, distance to the landmark)."""
        return (float(self.reward(agent, world)),
                float(distance(agent.state.p_pos, world.landmarks[0].state.p_pos)))

    def observation(self, agent, world):
        entity_pos = [entity.state.p_pos - agent.state.p_pos for entity in world.landmarks]
        return np.concatenate([agent.state.p_vel] + entity_pos)
