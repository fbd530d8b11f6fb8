"""simple: one agent moves to one landmark."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Pairs, Scenario, flat_pos


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
    adversary = (False,)

    COLORS = np.array([[0.25, 0.25, 0.25], [0.75, 0.25, 0.25]])
    TO_LANDMARK = Pairs([0], [1])

    def obs_layout(self):
        return [self.columns().entity("vel", [0]).rel([1], 0)]

    def reward(self, s):
        return -self.TO_LANDMARK.sq_dist(flat_pos(s))  # [E, 1]

    def benchmark_data(self, s):
        # not in the original: (reward, distance to the landmark), shared with the object-style package
        sq = self.TO_LANDMARK.sq_dist(flat_pos(s))[:, 0]
        return [[(r, d)] for r, d in zip((-sq).tolist(), np.sqrt(sq).tolist())]

    def colors(self, s, e):
        return self.COLORS
