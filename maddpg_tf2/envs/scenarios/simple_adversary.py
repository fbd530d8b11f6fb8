"""simple_adversary (physical deception): N good agents (two by default) cover the goal among N
landmarks, the adversary (which does not know which landmark is the goal) tries to reach it.
`N` as mpe2's keyword (the good agents; the adversary is one more)."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, counts, flat_pos, grid, min_last


class SimpleAdversary(Scenario):
    name = "simple_adversary"
    dim_c = 2
    count_defaults = {"N": 2}  # good agents = landmarks; one adversary
    var_specs = {"goal": ((), np.int64)}  # goal landmark index, shared by all agents

    def __init__(self, **kwargs):
        G = counts(self.name, self.count_defaults, kwargs)["N"]
        self.A = A = G + 1
        self.agent_names = tuple("agent %d" % i for i in range(A))
        self.landmark_names = tuple("landmark %d" % i for i in range(G))
        self.agent_size = (0.15,) * A
        self.landmark_size = (0.08,) * G
        self.agent_collide = (False,) * A
        self.landmark_collide = (False,) * G
        self.agent_movable = (True,) * A
        self.agent_silent = (True,) * A
        self.adversary = (True,) + (False,) * G
        self.agent_landmark = grid(range(A), range(A, A + G))  # [E, A, L] after reshape
        super().__init__()

    def reset_vars(self, rng, k):
        return {"goal": rng.integers(0, self.num_landmarks, size=k)}

    def sources(self, s):
        src = super().sources(s)
        src["goal"] = s.p_pos[np.arange(len(s.goal)), self.A + s.goal]  # [E, 2]
        return src

    def obs_layout(self):
        lms = list(self.landmark_ids)
        adv = self.columns().rel(lms, 0).rel(self.others(0), 0)
        good = [self.columns().rel_point("goal", i).rel(lms, i).rel(self.others(i), i) for i in range(1, self.A)]
        return [adv] + good

    def _sq(self, s):
        """Squared distances agent-landmark [E, A, L] and agent-goal [E, A]."""
        E, A, L = s.p_pos.shape[0], self.A, self.num_landmarks
        sq = self.agent_landmark.sq_dist(flat_pos(s)).reshape(E, A, L)
        if L == 2:  # the original's count: a select, exactly as before
            sq_goal = np.where((s.goal == 0)[:, None], sq[:, :, 0], sq[:, :, 1])
        else:
            sq_goal = np.take_along_axis(sq, s.goal[:, None, None], axis=2)[:, :, 0]
        return sq, sq_goal

    def reward(self, s):
        _, sq_goal = self._sq(s)
        d_goal = np.sqrt(sq_goal)
        good = -min_last(d_goal[:, 1:]) + d_goal[:, 0]
        return np.concatenate([-sq_goal[:, :1], np.repeat(good[:, None], self.A - 1, axis=1)], axis=1)

    def benchmark_data(self, s):
        sq, sq_goal = self._sq(s)
        sq, sq_goal = sq.tolist(), sq_goal.tolist()
        # adversary: squared distance to the goal; good: (to each landmark, to the goal)
        return [[g[0]] + [tuple(l[i]) + (g[i],) for i in range(1, self.A)] for l, g in zip(sq, sq_goal)]

    def colors(self, s, e):
        G = self.A - 1
        c = np.array([[0.85, 0.35, 0.35]] + [[0.35, 0.35, 0.85]] * G + [[0.15, 0.15, 0.15]] * G)
        c[self.A + s.goal[e]] = (0.15, 0.65, 0.15)
        return c
