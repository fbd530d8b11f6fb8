"""simple_tag (predator-prey): three slower adversaries chase a faster good agent among two
obstacles; the good agent is penalised for leaving the arena."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, bound_penalty, flat_pos, grid, sum_last

N_ADV, N_GOOD = 3, 1
A = N_ADV + N_GOOD


class SimpleTag(Scenario):
    name = "simple_tag"
    dim_c = 2
    landmark_range = 0.9
    agent_names = tuple("agent %d" % i for i in range(A))
    landmark_names = ("landmark 0", "landmark 1")
    agent_size = (0.075,) * N_ADV + (0.05,) * N_GOOD
    landmark_size = (0.2,) * 2
    agent_collide = (True,) * A
    landmark_collide = (True,) * 2
    agent_movable = (True,) * A
    agent_silent = (True,) * A
    agent_accel = (3.0,) * N_ADV + (4.0,) * N_GOOD
    agent_max_speed = (1.0,) * N_ADV + (1.3,) * N_GOOD
    adversary = (True,) * N_ADV + (False,) * N_GOOD
    catch_reward = 10.0

    GOOD_ADV = grid(range(N_ADV, A), range(N_ADV))  # [E, G, adversaries]

    def obs_layout(self):
        lms = list(self.landmark_ids)
        out = []
        for i in range(A):
            others = self.others(i)
            out.append(self.columns().entity("vel", [i]).entity("pos", [i]).rel(lms, i).rel(others, i)
                       .entity("vel", self.good_others(i)))
        return out

    def caught(self, s):
        """[E, G, adversaries] int: touching pairs."""
        d = self.GOOD_ADV.dist(flat_pos(s)).reshape(-1, N_GOOD, N_ADV)
        return (d < self.size[N_ADV] + self.size[0]).astype(np.int64)

    def reward(self, s):
        caught = self.caught(s)
        per_good = sum_last(caught)  # [E, G]
        # every adversary is rewarded for every catch by any adversary
        adv = self.catch_reward * sum_last(per_good)  # [E]
        pos = flat_pos(s)[:, 2 * N_ADV:2 * A].reshape(-1, N_GOOD, 2)
        good = -self.catch_reward * per_good - sum_last(bound_penalty(np.abs(pos)))
        return np.concatenate([np.repeat(adv[:, None], N_ADV, axis=1), good], axis=1)

    def benchmark_data(self, s):
        caught = self.caught(s)
        hits = caught[:, 0]
        for g in range(1, N_GOOD):
            hits = hits + caught[:, g]
        return [row + [0] * N_GOOD for row in hits.tolist()]  # adversary: good agents touched

    def colors(self, s, e):
        return np.array([[0.85, 0.35, 0.35]] * N_ADV + [[0.35, 0.85, 0.35]] * N_GOOD + [[0.25, 0.25, 0.25]] * 2)
