"""One agent learns to reach one landmark."""
import numpy as np

from multiagent.core import World
from multiagent.scenario import BaseScenario
from multiagent.scenarios._geometry import distance, make_agents, make_landmarks, paint, place_uniformly, sq_distance


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.agents = make_agents(1, collide=False, silent=True)
        world.landmarks = make_landmarks(1)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        paint(world.agents, [0.25, 0.25, 0.25])
        paint(world.landmarks, [0.75, 0.75, 0.75])
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
