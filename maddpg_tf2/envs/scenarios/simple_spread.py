"""simple_spread (cooperative navigation): three agents cover three landmarks without colliding;
the reward is shared."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, pairwise_dist

N = 3


class SimpleSpread(Scenario):
    name = "simple_spread"
    dim_c = 2
    collaborative = True
    agent_names = ("agent 0", "agent 1", "agent 2")
    landmark_names = ("landmark 0", "landmark 1", "landmark 2")
    agent_size = (0.15,) * N
    landmark_size = (0.05,) * N
    agent_collide = (True,) * N
    landmark_collide = (False,) * N
    agent_movable = (True,) * N
    agent_silent = (True,) * N
    agent_accel = (None,) * N
    agent_max_speed = (None,) * N
    adversary = (False,) * N

    def features(self, s):
        f = self.base_features(s)
        f["comm"] = s.comm
        return f

    def obs_layout(self):
        lms = list(self.landmark_ids)
        return [[("vel", (i,)), ("pos", (i,)), ("rel", (i, lms)), ("rel", (i, self.others(i))),
                 ("comm", (self.others(i),))] for i in range(N)]

    def _terms(self, s):
        agents = s.p_pos[:, :N]
        min_d = np.min(pairwise_dist(s.p_pos[:, N:], agents), axis=2)  # [E, L]: nearest agent per landmark
        # an agent collides with itself too (distance 0 < 2 * size): the original counts it
        collisions = np.sum(pairwise_dist(agents, agents) < self.size[0] + self.size[0], axis=2)  # [E, A]
        return min_d, collisions

    def reward(self, s):
        min_d, collisions = self._terms(s)
        return -np.sum(min_d, axis=1)[:, None] - collisions

    def benchmark_data(self, s):
        min_d, collisions = self._terms(s)
        total = np.sum(min_d, axis=1)
        rew = (-total[:, None] - collisions).tolist()
        occupied = np.sum(min_d < 0.1, axis=1).tolist()
        collisions, total = collisions.tolist(), total.tolist()
        return [[(rew[e][i], collisions[e][i], total[e], occupied[e]) for i in range(N)]
                for e in range(len(total))]

    def colors(self, s, e):
        return np.array([[0.35, 0.35, 0.85]] * N + [[0.25, 0.25, 0.25]] * N)
