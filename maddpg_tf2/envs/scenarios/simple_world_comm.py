"""simple_world_comm: simple_tag with a leader adversary that sees everything and speaks, food
for the good agents, and forests that hide agents from those outside them. Counts as mpe2's
keywords: num_good (2), num_adversaries (4, the first the leader), num_obstacles (1), num_food (2),
num_forests (2)."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import (Scenario, bound_penalty, counts, flat_pos, grid, min_last,
                                                sum_last)

LEADER = 0


class SimpleWorldComm(Scenario):
    name = "simple_world_comm"
    dim_c = 4
    landmark_range = 0.9
    has_mask = True  # agents outside one's forest are seen as zeros
    count_defaults = {"num_good": 2, "num_adversaries": 4, "num_obstacles": 1, "num_food": 2, "num_forests": 2}
    count_minimum = {"num_obstacles": 0, "num_forests": 0}

    def __init__(self, **kwargs):
        c = counts(self.name, self.count_defaults, kwargs, self.count_minimum)
        n_adv, n_good = self.n_adv, self.n_good = c["num_adversaries"], c["num_good"]
        n_obs, n_food, n_forest = c["num_obstacles"], c["num_food"], c["num_forests"]
        A = n_adv + n_good
        # landmarks after the agents: obstacles, food, forests
        self.food = list(range(A + n_obs, A + n_obs + n_food))
        self.forest = list(range(A + n_obs + n_food, A + n_obs + n_food + n_forest))
        self.good, self.adv = list(range(n_adv, A)), list(range(n_adv))
        self.agent_names = tuple("agent %d" % i for i in range(A))
        self.landmark_names = tuple(["landmark %d" % i for i in range(n_obs)] + ["food %d" % i for i in range(n_food)]
                                    + ["forest %d" % i for i in range(n_forest)])
        self.agent_size = (0.075,) * n_adv + (0.045,) * n_good
        self.landmark_size = (0.2,) * n_obs + (0.03,) * n_food + (0.3,) * n_forest
        self.agent_collide = (True,) * A
        self.landmark_collide = (True,) * n_obs + (False,) * (n_food + n_forest)
        self.agent_movable = (True,) * A
        self.agent_silent = (False,) + (True,) * (A - 1)
        self.agent_accel = (3.0,) * n_adv + (4.0,) * n_good
        self.agent_max_speed = (1.0,) * n_adv + (1.3,) * n_good
        self.adversary = (True,) * n_adv + (False,) * n_good
        self.agent_forest = grid(range(A), self.forest)  # [E, A, forests]
        self.good_adv = grid(self.good, self.adv)  # [E, G, adversaries]
        self.good_food = grid(self.good, self.food)  # [E, G, food]
        super().__init__()

    def in_forest(self, s):
        """[E, A, forests] bool."""
        A, F = self.num_agents, len(self.forest)
        if F == 0:
            return np.zeros((s.p_pos.shape[0], A, 0), dtype=bool)
        d = self.agent_forest.dist(flat_pos(s)).reshape(-1, A, F)
        return d < self.size[:A, None] + self.size[self.forest][None, :]

    def sources(self, s):
        src = super().sources(s)
        A, F = self.num_agents, len(self.forest)
        inf = self.in_forest(s)
        # observer i sees agent j if they share a forest, are both outside, or i is the leader:
        # one bit per place (each forest, outside all), seen where the codes share a bit.
        # Ops on [E, A] codes and two on [E, A, A] instead of broadcast ones on [E, A, A, F].
        code_type = np.uint8 if F < 8 else np.uint64
        code = np.zeros(inf.shape[:2], dtype=code_type)  # [E, A]
        for f in range(F):
            code |= inf[:, :, f].astype(code_type) << code_type(f)
        code |= (code == 0).astype(code_type) << code_type(F)
        seen = (code[:, :, None] & code[:, None, :]) != 0  # [E, A, A]
        seen[:, LEADER, :] = True
        src["seen"] = seen.reshape(-1, A * A).astype(np.float64)  # [E, observer * A + other]
        src["in_forest"] = np.where(inf, 1.0, -1.0).reshape(-1, F * A)  # [E, agent * F + forest]
        return src

    def obs_layout(self):
        A, F = self.num_agents, len(self.forest)
        lms = list(self.landmark_ids)
        out = []
        for i in range(A):
            others = self.others(i)
            good_others = self.good_others(i)
            mask = lambda js: [("seen", i * A + j) for j in js for _ in (0, 1)]
            cols = self.columns().entity("vel", [i]).entity("pos", [i]).rel(lms, i).rel(others, i, mask(others))
            in_forest = [F * i + f for f in range(F)]
            if self.adversary[i]:
                cols.entity("vel", good_others, mask(good_others)).value("in_forest", in_forest).comm([LEADER])
            else:
                cols.value("in_forest", in_forest).entity("vel", good_others, mask(good_others))
            out.append(cols)
        return out

    def caught(self, s):
        """[E, G, adversaries] bool: touching pairs."""
        d = self.good_adv.dist(flat_pos(s)).reshape(-1, self.n_good, self.n_adv)
        return d < self.size[self.good[0]] + self.size[self.adv[0]]

    def reward(self, s):
        n_adv, n_good = self.n_adv, self.n_good
        pos = flat_pos(s)
        d_good_adv = self.good_adv.dist(pos).reshape(-1, n_good, n_adv)
        caught = (d_good_adv < self.size[self.good[0]] + self.size[self.adv[0]]).astype(np.int64)
        per_good = sum_last(caught)  # [E, G]
        nearest_good = d_good_adv[:, 0]
        for g in range(1, n_good):
            nearest_good = np.minimum(nearest_good, d_good_adv[:, g])  # [E, adversaries]
        # every adversary is rewarded for every catch by any adversary
        adv = -0.1 * nearest_good + 5.0 * sum_last(per_good)[:, None]
        d_food = self.good_food.dist(pos).reshape(-1, n_good, len(self.food))
        eaten = sum_last((d_food < self.size[self.good[0]] + self.size[self.food[0]]).astype(np.int64))
        xy = pos[:, 2 * n_adv:2 * (n_adv + n_good)].reshape(-1, n_good, 2)
        good = -5.0 * per_good - sum_last(2.0 * bound_penalty(np.abs(xy)))
        good = good + 2.0 * eaten + 0.05 * min_last(d_food)
        return np.concatenate([adv, good], axis=1)

    def benchmark_data(self, s):
        caught = self.caught(s).astype(np.int64)
        hits = caught[:, 0]
        for g in range(1, self.n_good):
            hits = hits + caught[:, g]
        return [row + [0] * self.n_good for row in hits.tolist()]  # adversary: good agents touched

    def colors(self, s, e):
        agents = np.array([[0.95, 0.45, 0.45]] * self.n_adv + [[0.45, 0.95, 0.45]] * self.n_good)
        agents[LEADER] -= 0.3
        n_obs = self.num_landmarks - len(self.food) - len(self.forest)
        landmarks = ([[0.25, 0.25, 0.25]] * n_obs + [[0.15, 0.15, 0.65]] * len(self.food)
                     + [[0.6, 0.9, 0.6]] * len(self.forest))
        return np.vstack([agents, np.array(landmarks).reshape(-1, 3)])
