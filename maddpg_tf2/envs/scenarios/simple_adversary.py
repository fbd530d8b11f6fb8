"""simple_adversary (physical deception): good agents cover the goal landmark, the adversary
(which does not know which landmark is the goal) tries to reach it."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, dist, sq_dist


class SimpleAdversary(Scenario):
    name = "simple_adversary"
    dim_c = 2
    agent_names = ("agent 0", "agent 1", "agent 2")
    landmark_names = ("landmark 0", "landmark 1")
    agent_size = (0.15,) * 3
    landmark_size = (0.08,) * 2
    agent_collide = (False,) * 3
    landmark_collide = (False,) * 2
    agent_movable = (True,) * 3
    agent_silent = (True,) * 3
    agent_accel = (None,) * 3
    agent_max_speed = (None,) * 3
    adversary = (True, False, False)
    var_specs = {"goal": ((), np.int64)}  # goal landmark index, shared by all agents

    def reset_vars(self, rng, k):
        return {"goal": rng.integers(0, self.num_landmarks, size=k)}

    def _goal_pos(self, s):
        return s.p_pos[np.arange(len(s.goal)), self.num_agents + s.goal]  # [E, 2]

    def features(self, s):
        f = self.base_features(s)
        f["goal_rel"] = self._goal_pos(s)[:, None, :] - s.p_pos[:, :self.num_agents]  # [E, A, 2]
        return f

    def obs_layout(self):
        lms = list(self.landmark_ids)
        adv = [("rel", (0, lms)), ("rel", (0, self.others(0)))]
        good = [[("goal_rel", (i,)), ("rel", (i, lms)), ("rel", (i, self.others(i)))] for i in (1, 2)]
        return [adv] + good

    def reward(self, s):
        goal = self._goal_pos(s)[:, None, :]
        d_goal = dist(s.p_pos[:, :3], goal)  # [E, A]
        good = -np.min(d_goal[:, 1:], axis=1) + d_goal[:, 0]
        adv = -sq_dist(s.p_pos[:, 0], goal[:, 0])
        return np.stack([adv, good, good], axis=1)

    def benchmark_data(self, s):
        goal = self._goal_pos(s)[:, None, :]
        sq_goal = sq_dist(s.p_pos[:, :3], goal).tolist()  # [E, A]
        sq_lm = sq_dist(s.p_pos[:, :3, None, :], s.p_pos[:, None, 3:, :]).tolist()  # [E, A, L]
        out = []
        for e in range(len(sq_goal)):
            row = [sq_goal[e][0]]
            row += [tuple(sq_lm[e][i]) + (sq_goal[e][i],) for i in (1, 2)]
            out.append(row)
        return out

    def colors(self, s, e):
        c = np.array([[0.85, 0.35, 0.35], [0.35, 0.35, 0.85], [0.35, 0.35, 0.85],
                      [0.15, 0.15, 0.15], [0.15, 0.15, 0.15]])
        c[3 + s.goal[e]] = (0.15, 0.65, 0.15)
        return c
