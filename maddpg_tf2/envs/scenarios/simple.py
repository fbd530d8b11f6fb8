"""simple: one agent moves to one landmark."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, dist, sq_dist


class Simple(Scenario):
    name = "simple"
    agent_names = ("agent 0",)
    landmark_names = ("landmark 0",)
    agent_size = (0.05,)
    landmark_size = (0.05,)
    agent_collide = (False,)
    landmark_collide = (False,)
    agent_movable = (True,)
    agent_silent = (True,)
    agent_accel = (None,)
    agent_max_speed = (None,)
    adversary = (False,)

    COLORS = np.array([[0.25, 0.25, 0.25], [0.75, 0.25, 0.25]])

    def features(self, s):
        return self.base_features(s)

    def obs_layout(self):
        return [[("vel", (0,)), ("rel", (0, 1))]]

    def reward(self, s):
        return -sq_dist(s.p_pos[:, :1], s.p_pos[:, 1:2])  # [E, 1]

    def benchmark_data(self, s):
        # not in the original: (reward, distance to the landmark), shared with the object-style package
        rew = self.reward(s)[:, 0].tolist()
        d = dist(s.p_pos[:, 0], s.p_pos[:, 1]).tolist()
        return [[(r, x)] for r, x in zip(rew, d)]

    def colors(self, s, e):
        return self.COLORS
