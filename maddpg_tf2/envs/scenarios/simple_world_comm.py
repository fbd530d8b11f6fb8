"""simple_world_comm: simple_tag with a leader adversary that sees everything and speaks, food
for the good agents, and forests that hide agents from those outside them."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import (Scenario, bound_penalty, flat_pos, grid, min_last,
                                                sum_last)

N_ADV, N_GOOD = 4, 2
A = N_ADV + N_GOOD
LEADER = 0
# landmarks after the agents: 1 obstacle, 2 food, 2 forests
OBSTACLE, FOOD, FOREST = [A], [A + 1, A + 2], [A + 3, A + 4]
GOOD, ADV = list(range(N_ADV, A)), list(range(N_ADV))


class SimpleWorldComm(Scenario):
    name = "simple_world_comm"
    dim_c = 4
    landmark_range = 0.9
    has_mask = True  # agents outside one's forest are seen as zeros
    agent_names = tuple("agent %d" % i for i in range(A))
    landmark_names = ("landmark 0", "food 0", "food 1", "forest 0", "forest 1")
    agent_size = (0.075,) * N_ADV + (0.045,) * N_GOOD
    landmark_size = (0.2, 0.03, 0.03, 0.3, 0.3)
    agent_collide = (True,) * A
    landmark_collide = (True, False, False, False, False)
    agent_movable = (True,) * A
    agent_silent = (False,) + (True,) * (A - 1)
    agent_accel = (3.0,) * N_ADV + (4.0,) * N_GOOD
    agent_max_speed = (1.0,) * N_ADV + (1.3,) * N_GOOD
    adversary = (True,) * N_ADV + (False,) * N_GOOD

    AGENT_FOREST = grid(range(A), FOREST)  # [E, A, 2]
    GOOD_ADV = grid(GOOD, ADV)  # [E, G, adversaries]
    GOOD_FOOD = grid(GOOD, FOOD)  # [E, G, food]

    def in_forest(self, s):
        """[E, A, forests] bool."""
        d = self.AGENT_FOREST.dist(flat_pos(s)).reshape(-1, A, 2)
        return d < self.size[:A, None] + self.size[FOREST][None, :]

    def sources(self, s):
        src = super().sources(s)
        inf = self.in_forest(s)
        # observer i sees agent j if they share a forest, are both outside, or i is the leader:
        # one bit per place (forest 0, forest 1, outside both), seen where the codes share a bit.
        # Ops on [E, A] codes and two on [E, A, A] instead of five broadcast ones on [E, A, A].
        u = inf.view(np.uint8)
        code = u[:, :, 0] | (u[:, :, 1] << 1)  # [E, A]
        code |= (code == 0).view(np.uint8) << 2
        seen = (code[:, :, None] & code[:, None, :]) != 0  # [E, A, A]
        seen[:, LEADER, :] = True
        src["seen"] = seen.reshape(-1, A * A).astype(np.float64)  # [E, observer * A + other]
        src["in_forest"] = np.where(inf, 1.0, -1.0).reshape(-1, 2 * A)  # [E, agent * 2 + forest]
        return src

    def obs_layout(self):
        lms = list(self.landmark_ids)
        out = []
        for i in range(A):
            others = self.others(i)
            good_others = self.good_others(i)
            mask = lambda js: [("seen", i * A + j) for j in js for _ in (0, 1)]
            cols = self.columns().entity("vel", [i]).entity("pos", [i]).rel(lms, i).rel(others, i, mask(others))
            in_forest = [2 * i, 2 * i + 1]
            if self.adversary[i]:
                cols.entity("vel", good_others, mask(good_others)).value("in_forest", in_forest).comm([LEADER])
            else:
                cols.value("in_forest", in_forest).entity("vel", good_others, mask(good_others))
            out.append(cols)
        return out

    def caught(self, s):
        """[E, G, adversaries] bool: touching pairs."""
        d = self.GOOD_ADV.dist(flat_pos(s)).reshape(-1, N_GOOD, N_ADV)
        return d < self.size[GOOD[0]] + self.size[ADV[0]]

    def reward(self, s):
        pos = flat_pos(s)
        d_good_adv = self.GOOD_ADV.dist(pos).reshape(-1, N_GOOD, N_ADV)
        caught = (d_good_adv < self.size[GOOD[0]] + self.size[ADV[0]]).astype(np.int64)
        per_good = sum_last(caught)  # [E, G]
        nearest_good = d_good_adv[:, 0]
        for g in range(1, N_GOOD):
            nearest_good = np.minimum(nearest_good, d_good_adv[:, g])  # [E, adversaries]
        # every adversary is rewarded for every catch by any adversary
        adv = -0.1 * nearest_good + 5.0 * sum_last(per_good)[:, None]
        d_food = self.GOOD_FOOD.dist(pos).reshape(-1, N_GOOD, 2)
        eaten = sum_last((d_food < self.size[GOOD[0]] + self.size[FOOD[0]]).astype(np.int64))
        xy = pos[:, 2 * N_ADV:2 * A].reshape(-1, N_GOOD, 2)
        good = -5.0 * per_good - sum_last(2.0 * bound_penalty(np.abs(xy)))
        good = good + 2.0 * eaten + 0.05 * min_last(d_food)
        return np.concatenate([adv, good], axis=1)

    def benchmark_data(self, s):
        caught = self.caught(s).astype(np.int64)
        hits = caught[:, 0]
        for g in range(1, N_GOOD):
            hits = hits + caught[:, g]
        return [row + [0] * N_GOOD for row in hits.tolist()]  # adversary: good agents touched

    def colors(self, s, e):
        agents = np.array([[0.95, 0.45, 0.45]] * N_ADV + [[0.45, 0.95, 0.45]] * N_GOOD)
        agents[LEADER] -= 0.3
        landmarks = [[0.25, 0.25, 0.25]] + [[0.15, 0.15, 0.65]] * 2 + [[0.6, 0.9, 0.6]] * 2
        return np.vstack([agents, landmarks])
