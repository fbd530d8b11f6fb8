"""Predator-prey: three slower adversaries chase a faster good agent around two obstacles."""
import numpy as np

from multiagent.core import World
from multiagent.scenarios._geometry import (PredatorPreyScenario, contacts, make_agents, make_landmarks, paint,
                                            place_uniformly)


def boundary_penalty(x):
    """Penalty for leaving the screen on one axis (|coordinate| x): 0 inside 0.9, then a ramp,
    then exponential capped at 10."""
    if x < 0.9:
        return 0
    if x < 1.0:
        return (x - 0.9) * 10
    return min(np.exp(2 * x - 2), 10)


class Scenario(PredatorPreyScenario):
    def make_world(self):
        world = World()
        world.dim_c = 2
        num_good_agents = 1
        num_adversaries = 3
        world.agents = make_agents(num_adversaries + num_good_agents, num_adversaries, collide=True, silent=True)
        for agent in world.agents:
            agent.size = 0.075 if agent.adversary else 0.05
            agent.accel = 3.0 if agent.adversary else 4.0
            agent.max_speed = 1.0 if agent.adversary else 1.3
        world.landmarks = make_landmarks(2, collide=True, size=0.2, boundary=False)
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for agent in world.agents:
            agent.color = np.array([0.85, 0.35, 0.35]) if agent.adversary else np.array([0.35, 0.85, 0.35])
        paint(world.landmarks, [0.25, 0.25, 0.25])
        place_uniformly(world.agents, world)
        place_uniformly([lm for lm in world.landmarks if not lm.boundary], world, bound=0.9)

    def agent_reward(self, agent, world):
        rew = 0
        if agent.collide:
            rew -= 10 * contacts(agent, self.adversaries(world))
        # leaving the screen is penalised so that the prey can be caught
        for p in range(world.dim_p):
            rew -= boundary_penalty(abs(agent.state.p_pos[p]))
        return rew

    def adversary_reward(self, agent, world):
        # every adversary gets +10 for every (good agent, adversary) contact, shared by the team
        rew = 0
        if agent.collide:
            rew += 10 * sum(contacts(ag, self.adversaries(world)) for ag in self.good_agents(world))
        return rew

    def observation(self, agent, world):
        entity_pos = [lm.state.p_pos - agent.state.p_pos for lm in world.landmarks if not lm.boundary]
        others = [other for other in world.agents if other is not agent]
        other_pos = [other.state.p_pos - agent.state.p_pos for other in others]
        other_vel = [other.state.p_vel for other in others if not other.adversary]
        return np.concatenate([agent.state.p_vel] + [agent.state.p_pos] + entity_pos + other_pos + other_vel)
