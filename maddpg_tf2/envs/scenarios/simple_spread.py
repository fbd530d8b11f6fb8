"""simple_spread (cooperative navigation): N agents (three by default) cover N landmarks without
colliding; the reward is shared. `N` as mpe2's keyword."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Pairs, Scenario, counts, flat_pos, grid, min_last, sum_last


class SimpleSpread(Scenario):
    name = "simple_spread"
    dim_c = 2
    collaborative = True
    count_defaults = {"N": 3}  # agents = landmarks

    def __init__(self, **kwargs):
        self.N = N = counts(self.name, self.count_defaults, kwargs)["N"]
        self.agent_names = tuple("agent %d" % i for i in range(N))
        self.landmark_names = tuple("landmark %d" % i for i in range(N))
        self.agent_size = (0.15,) * N
        self.landmark_size = (0.05,) * N
        self.agent_collide = (True,) * N
        self.landmark_collide = (False,) * N
        self.agent_movable = (True,) * N
        self.agent_silent = (True,) * N
        self.adversary = (False,) * N
        # one set of pairs, one product: landmark-agent [L, A] then agent-agent [A, A] (self-pairs included)
        landmark_agent, agent_agent = grid(range(N, 2 * N), range(N)), grid(range(N), range(N))
        self.pairs = Pairs(np.concatenate([landmark_agent.i, agent_agent.i]),
                           np.concatenate([landmark_agent.j, agent_agent.j]))
        super().__init__()

    def obs_layout(self):
        lms = list(self.landmark_ids)
        return [self.columns().entity("vel", [i]).entity("pos", [i]).rel(lms, i).rel(self.others(i), i)
                .comm(self.others(i)) for i in range(self.N)]

    def _terms(self, s):
        N = self.N
        pos = flat_pos(s)
        E = pos.shape[0]
        dist = self.pairs.dist(pos)
        min_d = min_last(dist[:, :N * N].reshape(E, N, N))  # [E, L]: nearest agent
        # an agent collides with itself too (distance 0 < 2 * size): the original counts it
        touching = dist[:, N * N:] < self.size[0] + self.size[0]
        collisions = sum_last(touching.reshape(E, N, N).astype(np.int64))  # [E, A]
        return sum_last(min_d), collisions, min_d

    def reward(self, s):
        total, collisions, _ = self._terms(s)
        return -total[:, None] - collisions

    def benchmark_data(self, s):
        total, collisions, min_d = self._terms(s)
        rew = (-total[:, None] - collisions).tolist()
        occupied = sum_last((min_d < 0.1).astype(np.int64)).tolist()
        collisions, total = collisions.tolist(), total.tolist()
        return [[(rew[e][i], collisions[e][i], total[e], occupied[e]) for i in range(self.N)]
                for e in range(len(total))]

    def colors(self, s, e):
        return np.array([[0.35, 0.35, 0.85]] * self.N + [[0.25, 0.25, 0.25]] * self.N)
