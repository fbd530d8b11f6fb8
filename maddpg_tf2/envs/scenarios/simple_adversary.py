"""simple_adversary (physical deception): good agents cover the goal landmark, the adversary
(which does not know which landmark is the goal) tries to reach it."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, flat_pos, grid, min_last

A = 3


class SimpleAdversary(Scenario):
    name = "simple_adversary"
    dim_c = 2
    agent_names = ("agent 0", "agent 1", "agent 2")
    landmark_names = ("landmark 0", "landmark 1")
    agent_size = (0.15,) * A
    landmark_size = (0.08,) * 2
    agent_collide = (False,) * A
    landmark_collide = (False,) * 2
    agent_movable = (True,) * A
    agent_silent = (True,) * A
    adversary = (True, False, False)
    var_specs = {"goal": ((), np.int64)}  # goal landmark index, shared by all agents

    AGENT_LANDMARK = grid(range(A), [3, 4])  # [E, A, L] after reshape

    def reset_vars(self, rng, k):
        return {"goal": rng.integers(0, self.num_landmarks, size=k)}

    def sources(self, s):
        src = super().sources(s)
        src["goal"] = s.p_pos[np.arange(len(s.goal)), A + s.goal]  # [E, 2]
        return src

    def obs_layout(self):
        lms = list(self.landmark_ids)
        adv = self.columns().rel(lms, 0).rel(self.others(0), 0)
        good = [self.columns().rel_point("goal", i).rel(lms, i).rel(self.others(i), i) for i in (1, 2)]
        return [adv] + good

    def _sq(self, s):
        """Squared distances agent-landmark [E, A, L] and agent-goal [E, A]."""
        E = s.p_pos.shape[0]
        sq = self.AGENT_LANDMARK.sq_dist(flat_pos(s)).reshape(E, A, 2)
        sq_goal = np.where((s.goal == 0)[:, None], sq[:, :, 0], sq[:, :, 1])
        return sq, sq_goal

    def reward(self, s):
        _, sq_goal = self._sq(s)
        d_goal = np.sqrt(sq_goal)
        good = -min_last(d_goal[:, 1:]) + d_goal[:, 0]
        return np.stack([-sq_goal[:, 0], good, good], axis=1)

    def benchmark_data(self, s):
        sq, sq_goal = self._sq(s)
        sq, sq_goal = sq.tolist(), sq_goal.tolist()
        # adversary: squared distance to the goal; good: (to landmark 0, to landmark 1, to the goal)
        return [[g[0]] + [tuple(l[i]) + (g[i],) for i in (1, 2)] for l, g in zip(sq, sq_goal)]

    def colors(self, s, e):
        c = np.array([[0.85, 0.35, 0.35], [0.35, 0.35, 0.85], [0.35, 0.35, 0.85],
                      [0.15, 0.15, 0.15], [0.15, 0.15, 0.15]])
        c[A + s.goal[e]] = (0.15, 0.65, 0.15)
        return c
