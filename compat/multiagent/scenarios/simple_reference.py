"""Cooperative communication both ways: each agent must tell the other which landmark to go to."""
import numpy as np

from multiagent.core import World
from multiagent.scenario import BaseScenario
from multiagent.scenarios._geometry import (choose, clear_goals, distance, make_agents, make_landmarks, paint,
                                            paint_each, place_uniformly, sq_distance)


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.dim_c = 10
        world.collaborative = True  # every agent gets the sum of the rewards
        world.agents = make_agents(2, collide=False)
        world.landmarks = make_landmarks(3)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        clear_goals(world.agents)
        # goal_a: the other agent, who should go to goal_b
        world.agents[0].goal_a = world.agents[1]
        world.agents[0].goal_b = choose(world.landmarks)
        world.agents[1].goal_a = world.agents[0]
        world.agents[1].goal_b = choose(world.landmarks)
        paint(world.agents, [0.25, 0.25, 0.25])
        paint_each(world.landmarks, [[0.75, 0.25, 0.25], [0.25, 0.75, 0.25], [0.25, 0.25, 0.75]])
        # each agent shows the colour of the landmark it is sent to (an alias, as the original)
        world.agents[0].goal_a.color = world.agents[0].goal_b.color
        world.agents[1].goal_a.color = world.agents[1].goal_b.color
        place_uniformly(world.agents, world)
        place_uniformly(world.landmarks, world)

    def reward(self, agent, world):
        if agent.goal_a is None or agent.goal_b is None:
            return 0.0
        return -sq_distance(agent.goal_a.state.p_pos, agent.goal_b.state.p_pos)

    def benchmark_data(self, agent, world):
        """New here (the original has none): (this agent's own reward, distance from goal_a to goal_b)."""
        return (float(self.reward(agent, world)),
                float(distance(agent.goal_a.state.p_pos, agent.goal_b.state.p_pos)))

    def observation(self, agent, world):
        goal_color = np.zeros(world.dim_color)
        if agent.goal_b is not None:
            goal_color = agent.goal_b.color
        entity_pos = [entity.state.p_pos - agent.state.p_pos for entity in world.landmarks]
        comm = [other.state.c for other in world.agents if other is not agent]
        return np.concatenate([agent.state.p_vel] + entity_pos + [goal_color] + comm)
