"""simple_tag (predator-prey): slower adversaries (three by default) chase faster good agents (one)
among obstacles (two); the good agents are penalised for leaving the arena. Counts as mpe2's
keywords: num_good, num_adversaries, num_obstacles."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, bound_penalty, counts, flat_pos, grid, sum_last


class SimpleTag(Scenario):
    name = "simple_tag"
    dim_c = 2
    landmark_range = 0.9
    catch_reward = 10.0
    count_defaults = {"num_good": 1, "num_adversaries": 3, "num_obstacles": 2}
    count_minimum = {"num_obstacles": 0}

    def __init__(self, **kwargs):
        c = counts(self.name, self.count_defaults, kwargs, self.count_minimum)
        self.n_adv, self.n_good, L = c["num_adversaries"], c["num_good"], c["num_obstacles"]
        n_adv, n_good = self.n_adv, self.n_good
        A = n_adv + n_good
        self.agent_names = tuple("agent %d" % i for i in range(A))
        self.landmark_names = tuple("landmark %d" % i for i in range(L))
        self.agent_size = (0.075,) * n_adv + (0.05,) * n_good
        self.landmark_size = (0.2,) * L
        self.agent_collide = (True,) * A
        self.landmark_collide = (True,) * L
        self.agent_movable = (True,) * A
        self.agent_silent = (True,) * A
        self.agent_accel = (3.0,) * n_adv + (4.0,) * n_good
        self.agent_max_speed = (1.0,) * n_adv + (1.3,) * n_good
        self.adversary = (True,) * n_adv + (False,) * n_good
        self.good_adv = grid(range(n_adv, A), range(n_adv))  # [E, G, adversaries]
        super().__init__()

    def obs_layout(self):
        lms = list(self.landmark_ids)
        out = []
        for i in range(self.num_agents):
            others = self.others(i)
            out.append(self.columns().entity("vel", [i]).entity("pos", [i]).rel(lms, i).rel(others, i)
                       .entity("vel", self.good_others(i)))
        return out

    def caught(self, s):
        """[E, G, adversaries] int: touching pairs."""
        d = self.good_adv.dist(flat_pos(s)).reshape(-1, self.n_good, self.n_adv)
        return (d < self.size[self.n_adv] + self.size[0]).astype(np.int64)

    def reward(self, s):
        n_adv, n_good = self.n_adv, self.n_good
        caught = self.caught(s)
        per_good = sum_last(caught)  # [E, G]
        # every adversary is rewarded for every catch by any adversary
        adv = self.catch_reward * sum_last(per_good)  # [E]
        pos = flat_pos(s)[:, 2 * n_adv:2 * (n_adv + n_good)].reshape(-1, n_good, 2)
        good = -self.catch_reward * per_good - sum_last(bound_penalty(np.abs(pos)))
        return np.concatenate([np.repeat(adv[:, None], n_adv, axis=1), good], axis=1)

    def benchmark_data(self, s):
        caught = self.caught(s)
        hits = caught[:, 0]
        for g in range(1, self.n_good):
            hits = hits + caught[:, g]
        return [row + [0] * self.n_good for row in hits.tolist()]  # adversary: good agents touched

    def colors(self, s, e):
        return np.array([[0.85, 0.35, 0.35]] * self.n_adv + [[0.35, 0.85, 0.35]] * self.n_good
                        + [[0.25, 0.25, 0.25]] * self.num_landmarks)
