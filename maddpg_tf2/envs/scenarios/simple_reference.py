"""simple_reference: each agent knows the landmark the other agent must reach and says so;
both move and speak (MultiDiscrete actions); the reward is shared."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, dist, sq_dist

LANDMARK_COLORS = np.array([[0.75, 0.25, 0.25], [0.25, 0.75, 0.25], [0.25, 0.25, 0.75]])


class SimpleReference(Scenario):
    name = "simple_reference"
    dim_c = 10
    collaborative = True
    agent_names = ("agent 0", "agent 1")
    landmark_names = ("landmark 0", "landmark 1", "landmark 2")
    agent_size = (0.05,) * 2
    landmark_size = (0.05,) * 3
    agent_collide = (False,) * 2
    landmark_collide = (False,) * 3
    agent_movable = (True,) * 2
    agent_silent = (False,) * 2
    agent_accel = (None,) * 2
    agent_max_speed = (None,) * 2
    adversary = (False, False)
    # goal_b[:, i]: landmark that agent i's partner (its goal_a) must reach; agent 0's drawn first
    var_specs = {"goal_b": ((2,), np.int64)}

    def reset_vars(self, rng, k):
        return {"goal_b": rng.integers(0, self.num_landmarks, size=(k, 2))}

    def _partner_and_goal(self, s):
        E = s.p_pos.shape[0]
        partner = s.p_pos[:, [1, 0]]  # [E, A, 2]: goal_a of agent i is the other agent
        goal = s.p_pos[np.arange(E)[:, None], self.num_agents + s.goal_b]  # [E, A, 2]
        return partner, goal

    def features(self, s):
        f = self.base_features(s)
        f["goal_color"] = LANDMARK_COLORS[s.goal_b]  # [E, A, 3]
        f["comm"] = s.comm
        return f

    def obs_layout(self):
        lms = list(self.landmark_ids)
        return [[("vel", (i,)), ("rel", (i, lms)), ("goal_color", (i,)), ("comm", (self.others(i),))]
                for i in range(2)]

    def reward(self, s):
        partner, goal = self._partner_and_goal(s)
        return -sq_dist(partner, goal)  # [E, A]

    def benchmark_data(self, s):
        # not in the original: (reward, distance between agent.goal_a and agent.goal_b)
        partner, goal = self._partner_and_goal(s)
        rew = (-sq_dist(partner, goal)).tolist()
        d = dist(partner, goal).tolist()
        return [[(r[i], x[i]) for i in range(2)] for r, x in zip(rew, d)]

    def colors(self, s, e):
        # each agent wears the colour of the landmark its partner must reach
        agents = LANDMARK_COLORS[s.goal_b[e, [1, 0]]]
        return np.vstack([agents, LANDMARK_COLORS])
