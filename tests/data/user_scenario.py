"""A scenario file written the way users wrote them for the original MPE (fixture for tests).

Two chasers and one runner, a wall landmark, one speaking agent: exercises collisions with an
immovable landmark, accel and max_speed, communication and custom world attributes.
"""
import numpy as np
from multiagent.core import World, Agent, Landmark
from multiagent.scenario import BaseScenario


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.dim_c = 2
        world.agents = [Agent() for i in range(3)]
        for i, agent in enumerate(world.agents):
            agent.name = 'agent %d' % i
            agent.collide = True
            agent.silent = i != 0
            agent.chaser = i < 2
            agent.size = 0.08
            agent.accel = 4.0 if agent.chaser else None
            agent.max_speed = 1.0 if agent.chaser else None
        world.landmarks = [Landmark() for i in range(1)]
        for i, landmark in enumerate(world.landmarks):
            landmark.name = 'wall %d' % i
            landmark.collide = True
            landmark.movable = False
            landmark.size = 0.2
        world.catches = 0
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for agent in world.agents:
            agent.color = np.array([0.8, 0.2, 0.2]) if agent.chaser else np.array([0.2, 0.8, 0.2])
        for landmark in world.landmarks:
            landmark.color = np.array([0.3, 0.3, 0.3])
        for agent in world.agents:
            agent.state.p_pos = np.random.uniform(-1, +1, world.dim_p)
            agent.state.p_vel = np.zeros(world.dim_p)
            agent.state.c = np.zeros(world.dim_c)
        for landmark in world.landmarks:
            landmark.state.p_pos = np.zeros(world.dim_p)
            landmark.state.p_vel = np.zeros(world.dim_p)

    def reward(self, agent, world):
        runner = world.agents[2]
        dist = np.sqrt(np.sum(np.square(runner.state.p_pos - world.agents[0].state.p_pos)))
        return -dist if agent.chaser else dist

    def observation(self, agent, world):
        others = [other.state.p_pos - agent.state.p_pos for other in world.agents if other is not agent]
        return np.concatenate([agent.state.p_vel, agent.state.p_pos] + others + [world.agents[0].state.c])
