"""Predator-prey with food and forests: four adversaries (one leader who can speak and sees
everything) chase two good agents that eat food and hide in forests."""
import numpy as np

from multiagent.core import World
from multiagent.scenarios._geometry import (PredatorPreyScenario, contacts, distance, is_collision, make_agents,
                                            make_landmarks, paint, place_uniformly)
from multiagent.scenarios.simple_tag import boundary_penalty


class Scenario(PredatorPreyScenario):
    def make_world(self):
        world = World()
        world.dim_c = 4
        num_good_agents = 2
        num_adversaries = 4
        world.agents = make_agents(num_adversaries + num_good_agents, num_adversaries, collide=True)
        for i, agent in enumerate(world.agents):
            agent.leader = i == 0
            agent.silent = i > 0
            agent.size = 0.075 if agent.adversary else 0.045
            agent.accel = 3.0 if agent.adversary else 4.0
            agent.max_speed = 1.0 if agent.adversary else 1.3
        world.landmarks = make_landmarks(1, collide=True, size=0.2, boundary=False)
        world.food = make_landmarks(2, 'food %d', size=0.03, boundary=False)
        world.forests = make_landmarks(2, 'forest %d', size=0.3, boundary=False)
        # world.landmarks holds all of them; food and forests are also kept by kind
        world.landmarks += world.food
        world.landmarks += world.forests
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for agent in world.agents:
            agent.color = np.array([0.95, 0.45, 0.45]) if agent.adversary else np.array([0.45, 0.95, 0.45])
            agent.color -= np.array([0.3, 0.3, 0.3]) if agent.leader else np.array([0, 0, 0])
        paint(world.landmarks, [0.25, 0.25, 0.25])
        paint(world.food, [0.15, 0.15, 0.65])
        paint(world.forests, [0.6, 0.9, 0.6])
        place_uniformly(world.agents, world)
        # Quirk kept from the original: food and forests are in world.landmarks too, so their
        # positions are drawn twice (the second draw stays); the draws count for reproducibility.
        place_uniformly(world.landmarks, world, bound=0.9)
        place_uniformly(world.food, world, bound=0.9)
        place_uniformly(world.forests, world, bound=0.9)

    def agent_reward(self, agent, world):
        rew = 0
        if agent.collide:
            rew -= 5 * contacts(agent, self.adversaries(world))
        for p in range(world.dim_p):
            rew -= 2 * boundary_penalty(abs(agent.state.p_pos[p]))
        for food in world.food:
            if is_collision(agent, food):
                rew += 2
        # Quirk kept from the original: + (not -) 0.05 * distance to the nearest food
        rew += 0.05 * min([distance(food.state.p_pos, agent.state.p_pos) for food in world.food])
        return rew

    def adversary_reward(self, agent, world):
        agents = self.good_agents(world)
        adversaries = self.adversaries(world)
        rew = 0
        rew -= 0.1 * min([distance(a.state.p_pos, agent.state.p_pos) for a in agents])
        if agent.collide:
            # one += 5 per contact as the original: rew is a float here, so 5 + 5 != 10 bit for bit
            for _ in range(sum(contacts(ag, adversaries) for ag in agents)):
                rew += 5
        return rew

    def observation(self, agent, world):
        entity_pos = [lm.state.p_pos - agent.state.p_pos for lm in world.landmarks if not lm.boundary]
        in_forest_1 = is_collision(agent, world.forests[0])
        in_forest_2 = is_collision(agent, world.forests[1])
        in_forest = [np.array([1 if in_forest_1 else -1]), np.array([1 if in_forest_2 else -1])]
        other_pos = []
        other_vel = []
        for other in world.agents:
            if other is agent:
                continue
            other_f1 = is_collision(other, world.forests[0])
            other_f2 = is_collision(other, world.forests[1])
            # another agent is visible when both are in the same forest, or both outside all
            # forests; the leader sees everyone
            visible = ((in_forest_1 and other_f1) or (in_forest_2 and other_f2)
                       or (not in_forest_1 and not other_f1 and not in_forest_2 and not other_f2)
                       or agent.leader)
            other_pos.append(other.state.p_pos - agent.state.p_pos if visible else np.zeros(2))
            if not other.adversary:
                other_vel.append(other.state.p_vel if visible else np.zeros(2))
        comm = [world.agents[0].state.c]  # everyone hears the leader
        if agent.adversary:
            return np.concatenate([agent.state.p_vel] + [agent.state.p_pos] + entity_pos + other_pos
                                  + other_vel + in_forest + comm)
        return np.concatenate([agent.state.p_vel] + [agent.state.p_pos] + entity_pos + other_pos
                              + in_forest + other_vel)
