"""simple_tag (predator-prey): three slower adversaries chase a faster good agent among two
obstacles; the good agent is penalised for leaving the arena."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, bound_penalty, pairwise_dist

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

    def features(self, s):
        return self.base_features(s)

    def obs_layout(self):
        lms = list(self.landmark_ids)
        out = []
        for i in range(A):
            others = self.others(i)
            good_others = [j for j in others if not self.adversary[j]]
            out.append([("vel", (i,)), ("pos", (i,)), ("rel", (i, lms)), ("rel", (i, others)),
                        ("vel", (good_others,))])
        return out

    def caught(self, s):
        """[E, adversaries, good agents] bool: touching pairs."""
        d = pairwise_dist(s.p_pos[:, :N_ADV], s.p_pos[:, N_ADV:A])
        return d < self.size[:N_ADV, None] + self.size[None, N_ADV:A]

    def reward(self, s):
        caught = self.caught(s)
        # every adversary is rewarded for every catch by any adversary
        adv = self.catch_reward * np.sum(caught, axis=(1, 2)).astype(np.float64)  # [E]
        good = -self.catch_reward * np.sum(caught, axis=1)  # [E, G]
        good = good - np.sum(bound_penalty(np.abs(s.p_pos[:, N_ADV:A])), axis=2)
        return np.concatenate([np.repeat(adv[:, None], N_ADV, axis=1), good], axis=1)

    def benchmark_data(self, s):
        hits = np.sum(self.caught(s), axis=2).tolist()  # [E, adversaries]: good agents touched
        return [row + [0] * N_GOOD for row in hits]

    def colors(self, s, e):
        return np.array([[0.85, 0.35, 0.35]] * N_ADV + [[0.35, 0.85, 0.35]] * N_GOOD + [[0.25, 0.25, 0.25]] * 2)
