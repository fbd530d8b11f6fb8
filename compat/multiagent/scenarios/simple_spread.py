"""Cooperative navigation: three agents cover three landmarks without bumping into each other."""
import numpy as np

from multiagent.core import World
from multiagent.scenario import BaseScenario
from multiagent.scenarios._geometry import distance, is_collision, make_agents, make_landmarks, paint, place_uniformly


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.dim_c = 2
        world.collaborative = True
        world.agents = make_agents(3, collide=True, silent=True, size=0.15)
        world.landmarks = make_landmarks(3)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        paint(world.agents, [0.35, 0.35, 0.85])
        paint(world.landmarks, [0.25, 0.25, 0.25])
        place_uniformly(world.agents, world)
        place_uniformly(world.landmarks, world)

    def _min_dists(self, world):
        """Per landmark, the distance of the closest agent."""
        return [min([distance(a.state.p_pos, lm.state.p_pos) for a in world.agents]) for lm in world.landmarks]

    def _collisions(self, agent, world):
        # Quirk kept from the original: the loop includes the agent itself, which always "collides".
        if not agent.collide:
            return 0
        return sum(1 for a in world.agents if is_collision(a, agent))

    def benchmark_data(self, agent, world):
        """(reward, collisions, sum of min distances, landmarks with an agent closer than 0.1)."""
        rew = 0
        min_dists = 0
        occupied_landmarks = 0
        for d in self._min_dists(world):
            min_dists += d
            rew -= d
            if d < 0.1:
                occupied_landmarks += 1
        collisions = self._collisions(agent, world)
        for _ in range(collisions):
            rew -= 1
        return (rew, collisions, min_dists, occupied_landmarks)

    is_collision = staticmethod(is_collision)

    def reward(self, agent, world):
        rew = 0
        for d in self._min_dists(world):
            rew -= d
        for _ in range(self._collisions(agent, world)):
            rew -= 1
        return rew

    def observation(self, agent, world):
        entity_pos = [entity.state.p_pos - agent.state.p_pos for entity in world.landmarks]
        others = [other for other in world.agents if other is not agent]
        other_pos = [other.state.p_pos - agent.state.p_pos for other in others]
        comm = [other.state.c for other in others]
        return np.concatenate([agent.state.p_vel] + [agent.state.p_pos] + entity_pos + other_pos + comm)
