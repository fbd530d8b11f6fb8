"""simple_world_comm: simple_tag with a leader adversary that sees everything and speaks, food
for the good agents, and forests that hide agents from those outside them."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, bound_penalty, dist, pairwise_dist

N_ADV, N_GOOD = 4, 2
A = N_ADV + N_GOOD
LEADER = 0
# landmarks after the agents: 1 obstacle, 2 food, 2 forests
OBSTACLE, FOOD, FOREST = [A], [A + 1, A + 2], [A + 3, A + 4]


class SimpleWorldComm(Scenario):
    name = "simple_world_comm"
    dim_c = 4
    landmark_range = 0.9
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

    def _touching(self, s, a_ids, b_ids):
        """[E, len(a_ids), len(b_ids)] bool: distance below the summed sizes."""
        d = pairwise_dist(s.p_pos[:, a_ids], s.p_pos[:, b_ids])
        return d < self.size[a_ids][:, None] + self.size[b_ids][None, :]

    def features(self, s):
        f = self.base_features(s)
        in_forest = self._touching(s, list(range(A)), FOREST)  # [E, A, 2]
        outside = ~np.any(in_forest, axis=2)  # [E, A]
        # observer i sees agent j if they share a forest, are both outside, or i is the leader
        shared = np.any(in_forest[:, :, None, :] & in_forest[:, None, :, :], axis=3)
        seen = shared | (outside[:, :, None] & outside[:, None, :])
        seen[:, LEADER, :] = True  # [E, A(observer), A]
        hidden = ~seen[..., None]
        f["rel_seen"] = np.where(hidden, 0.0, f["rel"][:, :, :A])  # [E, A, A, 2]
        f["vel_seen"] = np.where(hidden, 0.0, s.p_vel[:, None, :A])  # [E, A, A, 2]
        f["in_forest"] = np.where(in_forest, 1.0, -1.0)  # [E, A, 2]
        f["leader_comm"] = s.comm[:, LEADER]  # [E, 4]
        return f

    def obs_layout(self):
        lms = list(self.landmark_ids)
        out = []
        for i in range(A):
            others = self.others(i)
            good_others = [j for j in others if not self.adversary[j]]
            head = [("vel", (i,)), ("pos", (i,)), ("rel", (i, lms)), ("rel_seen", (i, others))]
            if self.adversary[i]:
                tail = [("vel_seen", (i, good_others)), ("in_forest", (i,)), ("leader_comm", ())]
            else:
                tail = [("in_forest", (i,)), ("vel_seen", (i, good_others))]
            out.append(head + tail)
        return out

    def reward(self, s):
        good_ids, adv_ids = list(range(N_ADV, A)), list(range(N_ADV))
        caught = self._touching(s, good_ids, adv_ids)  # [E, G, adversaries]
        d_good_adv = pairwise_dist(s.p_pos[:, good_ids], s.p_pos[:, adv_ids])  # [E, G, adversaries]
        adv = -0.1 * np.min(d_good_adv, axis=1) + 5.0 * np.sum(caught, axis=(1, 2))[:, None]  # [E, adversaries]
        good = -5.0 * np.sum(caught, axis=2)  # [E, G]
        good = good - 2.0 * np.sum(bound_penalty(np.abs(s.p_pos[:, good_ids])), axis=2)
        good = good + 2.0 * np.sum(self._touching(s, good_ids, FOOD), axis=2)
        d_food = dist(s.p_pos[:, None, FOOD], s.p_pos[:, good_ids, None])  # [E, G, food]
        good = good + 0.05 * np.min(d_food, axis=2)
        return np.concatenate([adv, good], axis=1)

    def benchmark_data(self, s):
        hits = np.sum(self._touching(s, list(range(N_ADV)), list(range(N_ADV, A))), axis=2).tolist()
        return [row + [0] * N_GOOD for row in hits]

    def colors(self, s, e):
        agents = np.array([[0.95, 0.45, 0.45]] * N_ADV + [[0.45, 0.95, 0.45]] * N_GOOD)
        agents[LEADER] -= 0.3
        landmarks = [[0.25, 0.25, 0.25]] + [[0.15, 0.15, 0.65]] * 2 + [[0.6, 0.9, 0.6]] * 2
        return np.vstack([agents, landmarks])
