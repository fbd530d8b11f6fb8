"""simple_spread (cooperative navigation): three agents cover three landmarks without colliding;
the reward is shared."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Pairs, Scenario, flat_pos, grid, min_last, sum_last

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
    adversary = (False,) * N

    # one set of pairs, one product: landmark-agent [L, A] then agent-agent [A, A] (self-pairs included)
    LANDMARK_AGENT = grid(range(N, 2 * N), range(N))
    AGENT_AGENT = grid(range(N), range(N))
    PAIRS = Pairs(np.concatenate([LANDMARK_AGENT.i, AGENT_AGENT.i]), np.concatenate([LANDMARK_AGENT.j, AGENT_AGENT.j]))

    def obs_layout(self):
        lms = list(self.landmark_ids)
        return [self.columns().entity("vel", [i]).entity("pos", [i]).rel(lms, i).rel(self.others(i), i)
                .comm(self.others(i)) for i in range(N)]

    def _terms(self, s):
        pos = flat_pos(s)
        E = pos.shape[0]
        dist = self.PAIRS.dist(pos)
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
        return [[(rew[e][i], collisions[e][i], total[e], occupied[e]) for i in range(N)]
                for e in range(len(total))]

    def colors(self, s, e):
        return np.array([[0.35, 0.35, 0.85]] * N + [[0.25, 0.25, 0.25]] * N)
