"""Cooperative communication: an immobile speaker sees the goal colour and tells a mute
listener which landmark to reach."""
import numpy as np

from multiagent.core import World
from multiagent.scenario import BaseScenario
from multiagent.scenarios._geometry import (choose, clear_goals, make_agents, make_landmarks, paint, paint_each,
                                            place_uniformly, sq_distance)


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.dim_c = 3
        world.collaborative = True
        world.agents = make_agents(2, collide=False, size=0.075)
        world.agents[0].movable = False  # speaker
        world.agents[1].silent = True  # listener
        world.landmarks = make_landmarks(3, size=0.04)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        clear_goals(world.agents)
        world.agents[0].goal_a = world.agents[1]
        world.agents[0].goal_b = choose(world.landmarks)
        paint(world.agents, [0.25, 0.25, 0.25])
        paint_each(world.landmarks, [[0.65, 0.15, 0.15], [0.15, 0.65, 0.15], [0.15, 0.15, 0.65]])
        world.agents[0].goal_a.color = world.agents[0].goal_b.color + np.array([0.45, 0.45, 0.45])
        place_uniformly(world.agents, world)
        place_uniformly(world.landmarks, world)

    def benchmark_data(self, agent, world):
        """The reward (the original meant this; its code raised NameError)."""
        return self.reward(agent, world)

    def reward(self, agent, world):
        # squared distance from the listener to the goal landmark
        speaker = world.agents[0]
        return -sq_distance(speaker.goal_a.state.p_pos, speaker.goal_b.state.p_pos)

    def observation(self, agent, world):
        goal_color = np.zeros(world.dim_color)
        if agent.goal_b is not None:
            goal_color = agent.goal_b.color
        entity_pos = [entity.state.p_pos - agent.state.p_pos for entity in world.landmarks]
        comm = [other.state.c for other in world.agents if other is not agent and other.state.c is not None]
        if not agent.movable:  # speaker
            return np.concatenate([goal_color])
        if agent.silent:  # listener
            return np.concatenate([agent.state.p_vel] + entity_pos + comm)
        return None  # like the original: an agent that is neither has no observation
