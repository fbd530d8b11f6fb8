"""Keep-away: the good agent goes to the goal landmark, the adversary (who does not know which
landmark is the goal) pushes it away."""
import numpy as np

from multiagent.core import World
from multiagent.scenarios._geometry import TeamScenario, choose, distance, make_agents, make_landmarks, place_uniformly


class Scenario(TeamScenario):
    def make_world(self):
        world = World()
        world.dim_c = 2
        num_adversaries = 1
        world.agents = make_agents(2, num_adversaries, collide=True, silent=True)
        world.landmarks = make_landmarks(2)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for i, landmark in enumerate(world.landmarks):
            landmark.color = np.array([0.1, 0.1, 0.1])
            landmark.color[i + 1] += 0.8
            landmark.index = i
        goal = choose(world.landmarks)
        for agent in world.agents:
            agent.goal_a = goal
            agent.color = np.array([0.25, 0.25, 0.25])
            if agent.adversary:
                agent.color = np.array([0.75, 0.25, 0.25])
            else:
                agent.color[goal.index + 1] += 0.5
        place_uniformly(world.agents, world)
        place_uniformly(world.landmarks, world)

    def agent_reward(self, agent, world):
        return -distance(agent.state.p_pos, agent.goal_a.state.p_pos)

    def adversary_reward(self, agent, world):
        # the nearest good agent far from the goal, the adversary itself near it
        pos_rew = min([distance(a.state.p_pos, a.goal_a.state.p_pos) for a in world.agents if not a.adversary])
        neg_rew = distance(agent.goal_a.state.p_pos, agent.state.p_pos)
        return pos_rew - neg_rew

    def benchmark_data(self, agent, world):
        """New here (the original has none): (reward, distance from this agent to the goal landmark)."""
        return (float(self.reward(agent, world)), float(distance(agent.state.p_pos, agent.goal_a.state.p_pos)))

    def observation(self, agent, world):
        entity_pos = [entity.state.p_pos - agent.state.p_pos for entity in world.landmarks]
        entity_color = [entity.color for entity in world.landmarks]
        other_pos = [other.state.p_pos - agent.state.p_pos for other in world.agents if other is not agent]
        if agent.adversary:
            return np.concatenate([agent.state.p_vel] + entity_pos + other_pos)
        return np.concatenate([agent.state.p_vel] + [agent.goal_a.state.p_pos - agent.state.p_pos]
                              + [agent.color] + entity_pos + entity_color + other_pos)
