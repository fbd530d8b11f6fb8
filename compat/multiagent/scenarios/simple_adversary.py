"""Physical deception: good agents know the goal landmark, the adversary must guess it."""
import numpy as np

from multiagent.core import World
from multiagent.scenarios._geometry import (TeamScenario, choose, distance, make_agents, make_landmarks, paint,
                                            place_uniformly, sq_distance)


class Scenario(TeamScenario):
    def make_world(self):
        world = World()
        world.dim_c = 2
        num_agents = 3
        world.num_agents = num_agents
        num_adversaries = 1
        world.agents = make_agents(num_agents, num_adversaries, collide=False, silent=True, size=0.15)
        world.landmarks = make_landmarks(num_agents - 1, size=0.08)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        world.agents[0].color = np.array([0.85, 0.35, 0.35])
        paint(world.agents[1:world.num_agents], [0.35, 0.35, 0.85])
        paint(world.landmarks, [0.15, 0.15, 0.15])
        goal = choose(world.landmarks)
        goal.color = np.array([0.15, 0.65, 0.15])
        for agent in world.agents:
            agent.goal_a = goal
        place_uniformly(world.agents, world)
        place_uniformly(world.landmarks, world)

    def benchmark_data(self, agent, world):
        """Adversary: squared distance to the goal; good agent: squared distances to each landmark
        then to the goal."""
        if agent.adversary:
            return sq_distance(agent.state.p_pos, agent.goal_a.state.p_pos)
        dists = [sq_distance(agent.state.p_pos, lm.state.p_pos) for lm in world.landmarks]
        dists.append(sq_distance(agent.state.p_pos, agent.goal_a.state.p_pos))
        return tuple(dists)

    def agent_reward(self, agent, world):
        # the closest good agent to the goal counts, and every adversary's distance from it
        adv_rew = sum([distance(a.state.p_pos, a.goal_a.state.p_pos) for a in self.adversaries(world)])
        pos_rew = -min([distance(a.state.p_pos, a.goal_a.state.p_pos) for a in self.good_agents(world)])
        return pos_rew + adv_rew

    def adversary_reward(self, agent, world):
        return -sq_distance(agent.state.p_pos, agent.goal_a.state.p_pos)

    def observation(self, agent, world):
        entity_pos = [entity.state.p_pos - agent.state.p_pos for entity in world.landmarks]
        other_pos = [other.state.p_pos - agent.state.p_pos for other in world.agents if other is not agent]
        if agent.adversary:
            return np.concatenate(entity_pos + other_pos)
        return np.concatenate([agent.goal_a.state.p_pos - agent.state.p_pos] + entity_pos + other_pos)
